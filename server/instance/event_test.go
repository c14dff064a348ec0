package instance_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

type sheet struct {
	Event string `json:"event"`
	Key   string `json:"key"`
	Rooms []struct {
		Name           string `json:"name"`
		Room           string `json:"room"`
		Code           string `json:"code"`
		FacilitatorURL string `json:"facilitator_url"`
	} `json:"rooms"`
}

func postJSON(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	hdr := map[string]string{}
	if key != "" {
		hdr["Authorization"] = "Bearer " + key
	}
	return post(t, url, body, hdr)
}

// TestConferenceEvent runs an event of 50 rooms over two instances.
func TestConferenceEvent(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 3*time.Minute)
	code, body := postJSON(t, a.URL()+"/api/events", "", `{"plan":"test-plan","name":"Fagdag 2026","rooms":50}`)
	if code != 201 {
		t.Fatalf("create event: %d %s", code, body)
	}
	var ev sheet
	if err := json.Unmarshal([]byte(body), &ev); err != nil || len(ev.Rooms) != 50 || ev.Key == "" {
		t.Fatalf("event: %v %s", err, body)
	}
	// The overview, on the other instance.
	org := it.Dial(t, wire.Hello{Role: wire.RoleOrganizer, Event: ev.Event, Key: ev.Key}, b)

	// Two phones in every room, spread over both instances.
	type phone struct {
		p    *wsclient.Phone
		room int
	}
	var phones []phone
	for i, r := range ev.Rooms {
		for j := 0; j < 2; j++ {
			in := a
			if (i+j)%2 == 1 {
				in = b
			}
			phones = append(phones, phone{it.Participant(t, r.Code, in), i})
		}
	}
	// The organizer moves every room to the poll and announces.
	code, body = postJSON(t, b.URL()+"/api/events/"+ev.Event+"/announce", ev.Key, `{"text":"The plenary starts in 5 minutes","step":1}`)
	if code != 200 || !strings.Contains(body, `"announced":50`) || !strings.Contains(body, `"moved":50`) {
		t.Fatalf("announce: %d %s", code, body)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(phones))
	for k, ph := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ph.p.Wait(ctx, func(f wsclient.Frame) bool {
				var v room.StepView
				return f.Type == wire.TypeStep && f.Decode(&v) == nil && v.Index == 1
			}); err != nil {
				errs <- err
				return
			}
			if _, err := ph.p.Submit(ctx, wire.TypeAnswer, "v1", map[string]any{"step": 1, "choices": []int{k % 3}}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every phone got the announcement, once.
	for _, ph := range phones {
		if _, err := ph.p.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeNotice }); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range ph.p.Frames() {
			var a room.Announcement
			if f.Type == wire.TypeNotice && f.Decode(&a) == nil && a.Text == "The plenary starts in 5 minutes" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("a phone got the announcement %d times", n)
		}
	}
	// The overview agrees with what was sent.
	ov, err := waitPicture(t, org, func(ov *hub.OverviewView) bool {
		if len(ov.Rooms) != 50 {
			return false
		}
		for _, r := range ov.Rooms {
			if !r.Loaded || r.Participants != 2 || r.Step != 1 || r.Progress.Answered != 2 {
				return false
			}
		}
		return ov.Participants == 100
	})
	if err != nil {
		t.Fatalf("overview never matched: %+v", ov.Rooms[:min(2, len(ov.Rooms))])
	}
	for _, r := range ov.Rooms {
		if len(r.Warnings) != 1 || r.Warnings[0] != hub.WarnNoFacilitator {
			t.Fatalf("room %s warnings %v, want no_facilitator only", r.Name, r.Warnings)
		}
	}
	// A facilitator connects to room 1: its warning goes away.
	fk := ev.Rooms[0].FacilitatorURL[strings.Index(ev.Rooms[0].FacilitatorURL, "#key=")+5:]
	it.Dial(t, wire.Hello{Role: wire.RoleFacilitator, Room: ev.Rooms[0].Room, Key: fk}, a)
	if _, err := waitPicture(t, org, func(v *hub.OverviewView) bool {
		return v.Rooms[0].Facilitators == 1 && len(v.Rooms[0].Warnings) == 0
	}); err != nil {
		t.Fatal("the overview never saw the facilitator")
	}
	// A facilitator key works for its own room only; the organizer key is
	// not a facilitator key.
	if _, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(a)}, Hello: wire.Hello{Role: wire.RoleFacilitator, Room: ev.Rooms[1].Room, Key: fk}}); errCode(err) != wire.CodeUnauthorized {
		t.Fatalf("room 1's key on room 2: %v", err)
	}
	if code, _ := postJSON(t, a.URL()+"/api/events/"+ev.Event+"/announce", fk, `{"text":"x"}`); code != 401 {
		t.Fatalf("a facilitator key announcing: %d", code)
	}

	// Export across rooms: totals add up.
	code, body, _ = authed(t, "GET", a.URL()+"/api/events/"+ev.Event+"/report?format=json", ev.Key)
	if code != 200 {
		t.Fatalf("event report: %d %s", code, body)
	}
	var rep report.EventReport
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Rooms != 50 || rep.Participants != 100 || rep.Totals[1].Answered != 100 || len(rep.RoomReports) != 50 {
		t.Fatalf("event report: rooms %d participants %d answered %d", rep.Rooms, rep.Participants, rep.Totals[1].Answered)
	}
	want := []int{34, 33, 33}
	for i, o := range rep.Totals[1].Options {
		if o.Count != want[i] {
			t.Fatalf("totals %+v, want %v", rep.Totals[1].Options, want)
		}
	}
	if code, body, _ := authed(t, "GET", a.URL()+"/api/events/"+ev.Event+"/report?format=md", ev.Key); code != 200 ||
		!strings.Contains(body, "## Room 8 ("+ev.Rooms[7].Code+")") || !strings.Contains(body, "| Yes | 34 |") {
		t.Fatalf("markdown event report: %d\n%.2000s", code, body)
	}
	// Two answers per room: no room's rows may appear in the CSV (privacy),
	// only the header.
	if code, body, _ := authed(t, "GET", a.URL()+"/api/events/"+ev.Event+"/report?format=csv", ev.Key); code != 200 ||
		!strings.HasPrefix(body, "room,step,step_title,kind,group,answer") {
		t.Fatalf("csv event report: %d %.300s", code, body)
	}
	code, csvSheet, _ := authed(t, "GET", a.URL()+"/api/events/"+ev.Event+"/sheet.csv", ev.Key)
	if code != 200 || strings.Count(csvSheet, "\n") != 51 {
		t.Fatalf("sheet csv: %d lines", strings.Count(csvSheet, "\n"))
	}

	// Close: every room ends. Delete: every room is gone.
	if code, _ := postJSON(t, a.URL()+"/api/events/"+ev.Event+"/close", ev.Key, ""); code != 204 {
		t.Fatalf("close: %d", code)
	}
	if _, err := phones[77].p.Wait(ctx, func(f wsclient.Frame) bool {
		var rv room.RoomView
		return f.Type == wire.TypeRoom && f.Decode(&rv) == nil && rv.Ended
	}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := authed(t, "DELETE", a.URL()+"/api/events/"+ev.Event, ev.Key); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if _, err := wsclient.Dial(context.Background(), wsclient.PhoneOptions{URLs: []string{it.WS(b)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: ev.Rooms[3].Code}}); errCode(err) != wire.CodeNotFound {
		t.Fatalf("join after the event was deleted: %v", err)
	}
	if code, _, _ := authed(t, "GET", a.URL()+"/api/events/"+ev.Event, ev.Key); code != 404 {
		t.Fatalf("event after delete: %d", code)
	}
}

// TestRetentionDeletesExpiredEvents: when an event's retention runs out,
// its rooms are deleted, the instance stops following them at once (not
// after the linger), and the event's record is gone from JetStream.
func TestRetentionDeletesExpiredEvents(t *testing.T) {
	ns := it.NATS(t)
	var now struct {
		sync.Mutex
		t time.Time
	}
	now.t = time.Now()
	clock := func() time.Time { now.Lock(); defer now.Unlock(); return now.t }
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Hub.Now = clock
		c.Hub.SweepInterval = -1
		c.Hub.Linger = time.Hour
	}})
	ctx := it.Ctx(t, 30*time.Second)
	code, body := postJSON(t, in.URL()+"/api/events", "", `{"plan":"test-plan","name":"Fagdag","rooms":2}`)
	if code != 201 {
		t.Fatalf("create event: %d %s", code, body)
	}
	var ev sheet
	if err := json.Unmarshal([]byte(body), &ev); err != nil || len(ev.Rooms) != 2 {
		t.Fatalf("event: %v %s", err, body)
	}
	p := it.Participant(t, ev.Rooms[0].Code, in)
	if n, err := in.Hub().SweepExpired(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	now.Lock()
	now.t = now.t.Add(2 * time.Hour) // retention is one hour in tests
	now.Unlock()
	if n, err := in.Hub().SweepExpired(ctx); err != nil || n != 2 {
		t.Fatalf("sweep after expiry: %d rooms, %v", n, err)
	}
	for p.CloseCode() != 4004 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if p.CloseCode() != 4004 {
		t.Fatalf("phone not closed on expiry: %d", p.CloseCode())
	}
	if code, _, _ := authed(t, "GET", in.URL()+"/api/events/"+ev.Event, ev.Key); code != 404 {
		t.Fatalf("expired event still served: %d", code)
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(ctx, natslog.EventsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(ctx, ev.Event); err == nil {
		t.Fatal("the events bucket still holds the expired event")
	}
	hist, _ := kv.History(ctx, ev.Event)
	for _, e := range hist {
		if len(e.Value()) > 0 {
			t.Fatalf("the event's history still holds %q", e.Value())
		}
	}
	// The deleted rooms are no longer followed, although the linger is an hour.
	for {
		_, metrics := get(t, in.URL()+"/metrics")
		if strings.Contains(metrics, "\nstoppunkt_rooms_active 0\n") {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("deleted rooms are still followed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
