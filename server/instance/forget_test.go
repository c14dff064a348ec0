package instance_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestForgetKeepsOnlyTheReport: forgetting an ended room's texts leaves
// one event in its log, read from JetStream directly: the report of
// approved texts, without the texts that were pending or hidden, the
// nickname or the participants' token hashes. The report is the same
// from the instance that forgot, from one that followed the room, and
// from one that loads the room afresh; the dashboard starts again with an
// empty queue; a room that has not ended cannot be forgotten.
func TestForgetKeepsOnlyTheReport(t *testing.T) {
	ns := it.NATS(t)
	a := it.Start(t, ns.ClientURL())
	b := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 90*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	fac := it.Facilitator(t, r, a)
	follower := it.Facilitator(t, r, b)
	named := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: "Ola Nordmann"}, a)
	phones := []*wsclient.Phone{named, it.Participant(t, r.Code, a), it.Participant(t, r.Code, b), it.Participant(t, r.Code, b)}
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": 3}); err != nil {
		t.Fatal(err)
	}
	texts := []string{"approved one: ring the duty officer", "approved two: talk to the head", "hidden: a name from my class", "pending: not yet read"}
	for i, p := range phones {
		it.AnswerOn(t, ctx, p, 3, texts[i])
	}
	ids := map[string]string{}
	for len(ids) < 4 {
		if ctx.Err() != nil {
			t.Fatalf("queue: %v", ids)
		}
		for _, f := range fac.Frames() {
			var it struct{ ID, Text string }
			if f.Type == wire.TypeItem && f.Decode(&it) == nil {
				ids[it.Text] = it.ID
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	for text, status := range map[string]string{texts[0]: "approved", texts[1]: "approved", texts[2]: "hidden"} {
		if _, err := fac.Command(ctx, wire.TypeModerate, map[string]string{"item": ids[text], "status": status}); err != nil {
			t.Fatal(err)
		}
	}
	url := a.URL() + "/api/rooms/" + r.Room + "/forget"
	if code, body, _ := authed(t, "POST", url, r.Key); code != 400 || !strings.Contains(body, "invalid") {
		t.Errorf("forgetting a room that has not ended: %d %s", code, body)
	}
	if _, err := fac.Command(ctx, wire.TypeEnd, nil); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := authed(t, "POST", url, "wrong"); code != 401 {
		t.Errorf("wrong key: %d", code)
	}
	for range 2 { // the second time does nothing
		if code, body, _ := authed(t, "POST", url, r.Key); code != 204 {
			t.Fatalf("forget: %d %s", code, body)
		}
	}

	js := jsOf(t, ns.ClientURL())
	subjects, _ := leftovers(t, ctx, js, r)
	if subjects["stp.room."+r.Room+".i"] != 0 || subjects["stp.room."+r.Room+".c"] != 1 {
		t.Fatalf("the log holds %v, want the one forgotten event", subjects)
	}
	stream, err := js.Stream(ctx, natslog.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	last, err := stream.GetLastMsgForSubject(ctx, "stp.room."+r.Room+".c")
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{texts[2], texts[3], "Ola Nordmann", "token_hash"} {
		if bytes.Contains(last.Data, []byte(gone)) {
			t.Errorf("the log still holds %q", gone)
		}
	}
	for _, kept := range texts[:2] {
		if !bytes.Contains(last.Data, []byte(kept)) {
			t.Errorf("the kept report lacks %q", kept)
		}
	}

	c := it.Start(t, ns.ClientURL()) // loads the room from the one event
	for _, in := range []*struct {
		name string
		url  string
	}{{"forgetting instance", a.URL()}, {"follower", b.URL()}, {"fresh instance", c.URL()}} {
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, body, _ := authed(t, "GET", in.url+"/api/rooms/"+r.Room+"/report?format=json&include=all", r.Key)
			ok := code == 200 && strings.Contains(body, texts[0]) && strings.Contains(body, texts[1]) &&
				!strings.Contains(body, texts[2]) && !strings.Contains(body, texts[3])
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: report %d %s", in.name, code, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if code, body, _ := authed(t, "GET", in.url+"/api/rooms/"+r.Room, r.Key); code != 200 || !strings.Contains(body, `"forgotten":true`) {
			t.Errorf("%s: room info %d %s", in.name, code, body)
		}
	}

	// The dashboard starts again from what is kept.
	for _, p := range []*wsclient.Phone{fac, follower} {
		f, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			return f.Type == wire.TypeSnapshot && strings.Contains(string(f.Data), `"forgotten":true`)
		})
		if err != nil {
			t.Fatalf("no snapshot of the forgotten room: %v", err)
		}
		for _, gone := range texts {
			if strings.Contains(string(f.Data), gone) {
				t.Errorf("the snapshot after forgetting holds %q", gone)
			}
		}
	}
}
