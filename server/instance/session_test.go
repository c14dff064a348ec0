package instance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// groupFrame waits for a group frame satisfying ok.
func groupFrame(t *testing.T, ctx context.Context, p *wsclient.Phone, ok func(room.GroupView) bool) room.GroupView {
	t.Helper()
	var g room.GroupView
	_, err := p.Wait(ctx, func(f wsclient.Frame) bool {
		switch f.Type {
		case wire.TypeGroup:
			return f.Decode(&g) == nil && ok(g)
		case wire.TypeSnapshot:
			var s room.SnapshotView
			if f.Decode(&s) == nil && s.Group != nil && ok(*s.Group) {
				g = *s.Group
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("group frame: %v", err)
	}
	return g
}

// TestConcurrentEditingOverTwoInstances has four members of one group, two
// on each instance, type into the shared text at the same time. Every
// keystroke of every member must be in the final text on every member's
// copy.
func TestConcurrentEditingOverTwoInstances(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	fac := it.Facilitator(t, r, a)
	members := []*wsclient.Phone{it.Participant(t, r.Code, a), it.Participant(t, r.Code, b), it.Participant(t, r.Code, a), it.Participant(t, r.Code, b)}
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 6})
	for _, m := range members {
		groupFrame(t, ctx, m, func(g room.GroupView) bool { return g.Size == 4 && g.Step == 6 })
	}
	const keystrokes = 40
	want := map[string]string{}
	var wg sync.WaitGroup
	for i, m := range members {
		text := ""
		for k := 0; k < keystrokes; k++ {
			text += string(rune('a'+i)) + fmt.Sprint(k%10)
		}
		want[m.Welcome().Participant] = text
		wg.Add(1)
		go func() {
			defer wg.Done()
			typed := ""
			for k := 0; k < keystrokes; k++ {
				typed += text[2*k : 2*k+2]
				// Each keystroke is an edit of the member's own entry,
				// sent without waiting: real typing.
				_ = m.Send(wire.TypeEntry, fmt.Sprintf("k%d", k), map[string]any{"step": 6, "entry": "p1", "ver": k + 1, "text": typed})
			}
		}()
	}
	wg.Wait()
	complete := func(g room.GroupView) bool {
		if len(g.Entries) != 4 {
			return false
		}
		for _, e := range g.Entries {
			if want[e.Author] != e.Text {
				return false
			}
		}
		return true
	}
	for i, m := range members {
		g := groupFrame(t, ctx, m, complete)
		if len(g.Entries) != 4 {
			t.Fatalf("member %d: %d entries", i, len(g.Entries))
		}
	}
	// Submitting puts one text with everyone's typing in the queue.
	if _, err := members[2].Submit(ctx, wire.TypeSubmit, "sub-1", map[string]int{"step": 6}); err != nil {
		t.Fatal(err)
	}
	item, err := fac.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeItem })
	if err != nil {
		t.Fatal(err)
	}
	var iv room.ItemView
	_ = item.Decode(&iv)
	for _, text := range want {
		if !strings.Contains(iv.Text, text) {
			t.Fatalf("submitted text lacks %q", text)
		}
	}
	groupFrame(t, ctx, members[1], func(g room.GroupView) bool { return g.Submitted })
}

func authed(t *testing.T, method, url, key string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func TestModerationScreenReportAndDelete(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	screen := it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room, Key: r.Key}, in)
	var phones []*wsclient.Phone
	for i := 0; i < 3; i++ {
		phones = append(phones, it.Participant(t, r.Code, in))
	}
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
	for i, p := range phones {
		stepOf(t, ctx, p, 3)
		if _, err := p.Submit(ctx, wire.TypeAnswer, "o1", map[string]any{"step": 3, "text": fmt.Sprintf("<b>answer %d</b>", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var items []room.ItemView
	for len(items) < 3 {
		items = nil
		for _, f := range fac.Frames() {
			var iv room.ItemView
			if f.Type == wire.TypeItem && f.Decode(&iv) == nil {
				items = append(items, iv)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Nothing unapproved reaches the big screen.
	if _, err := fac.Command(ctx, wire.TypeShow, map[string]any{"items": []string{items[0].ID}}); errCode(err) != wire.CodeNotAllowed {
		t.Fatalf("showing an unapproved item: %v", err)
	}
	command(t, ctx, fac, wire.TypeModerate, map[string]any{"item": items[0].ID, "status": "approved"})
	command(t, ctx, fac, wire.TypeShow, map[string]any{"items": []string{items[0].ID}})
	f, err := screen.Wait(ctx, func(f wsclient.Frame) bool {
		var sv room.ScreenView
		return f.Type == wire.TypeScreen && f.Decode(&sv) == nil && len(sv.Items) == 1
	})
	if err != nil {
		t.Fatal(err)
	}
	var sv room.ScreenView
	_ = f.Decode(&sv)
	if sv.Items[0].Text != "<b>answer 0</b>" || sv.Items[0].Status != "" {
		t.Fatalf("screen item %+v", sv.Items[0])
	}
	for _, fr := range screen.Frames() {
		if fr.Type == wire.TypeItem || strings.Contains(string(fr.Data), "answer 1") || strings.Contains(string(fr.Data), "answer 2") {
			t.Fatalf("the big screen received unapproved text: %s %s", fr.Type, fr.Data)
		}
	}
	for _, p := range phones {
		for _, fr := range p.Frames() {
			if fr.Type == wire.TypeItem {
				t.Fatal("a phone received a queue item")
			}
		}
	}

	// Reports need the key in the Authorization header.
	base := in.URL() + "/api/rooms/" + r.Room
	if code, _, _ := authed(t, "GET", base+"/report", ""); code != 401 {
		t.Fatalf("report without key: %d", code)
	}
	if code, _, _ := authed(t, "GET", base+"/report", "wrong"); code != 401 {
		t.Fatalf("report with a wrong key: %d", code)
	}
	code, md, hdr := authed(t, "GET", base+"/report?format=md", r.Key)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/markdown") || !strings.Contains(md, `\<b\>answer 0\</b\>`) || strings.Contains(md, "answer 1") {
		t.Fatalf("markdown report %d:\n%s", code, md)
	}
	code, all, _ := authed(t, "GET", base+"/report?format=json&include=all", r.Key)
	var rep struct {
		Steps []struct{ Texts []struct{ Text string } }
	}
	if code != 200 || json.Unmarshal([]byte(all), &rep) != nil || len(rep.Steps[3].Texts) != 3 {
		t.Fatalf("include-all JSON report %d: %s", code, all)
	}
	if code, _, _ := authed(t, "GET", base+"/report?format=pdf", r.Key); code != 400 {
		t.Fatalf("unknown format: %d", code)
	}

	// Delete now: connections close with 4004, the code is free, the data gone.
	if code, _, _ := authed(t, "DELETE", base, "wrong"); code != 401 {
		t.Fatalf("delete with a wrong key: %d", code)
	}
	if code, body, _ := authed(t, "DELETE", base, r.Key); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for phones[0].CloseCode() != 4004 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if phones[0].CloseCode() != 4004 {
		t.Fatalf("phone close code after delete: %d", phones[0].CloseCode())
	}
	if _, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code}}); errCode(err) != wire.CodeNotFound {
		t.Fatalf("join after delete: %v", err)
	}
	if code, _, _ := authed(t, "GET", base+"/report", r.Key); code != 404 {
		t.Fatalf("report after delete: %d", code)
	}
	// A fresh instance replaying the log finds nothing either.
	other := it.Start(t, ns.ClientURL())
	if code, _, _ := authed(t, "GET", other.URL()+"/api/rooms/"+r.Room+"/report", r.Key); code != 404 {
		t.Fatalf("report on a fresh instance after delete: %d", code)
	}
}

func TestRetentionDeletesExpiredRooms(t *testing.T) {
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
	}})
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	p := it.Participant(t, r.Code, in)
	if n, err := in.Hub().SweepExpired(ctx); err != nil || n != 0 {
		t.Fatalf("sweep before expiry: %d %v", n, err)
	}
	now.Lock()
	now.t = now.t.Add(2 * time.Hour) // retention is one hour in tests
	now.Unlock()
	if n, err := in.Hub().SweepExpired(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after expiry: %d %v", n, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.CloseCode() != 4004 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.CloseCode() != 4004 {
		t.Fatalf("phone not closed on expiry: %d", p.CloseCode())
	}
	if code, _, _ := authed(t, "GET", in.URL()+"/api/rooms/"+r.Room+"/report", r.Key); code != 404 {
		t.Fatalf("expired room still reported: %d", code)
	}
}

func TestUploadedPlanReachesEveryInstance(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	yaml := strings.Replace(it.TestPlan, "id: test-plan", "id: uploaded-plan", 1)
	code, body := post(t, a.URL()+"/api/plans", yaml, map[string]string{"Content-Type": "application/yaml"})
	if code != 201 || !strings.Contains(body, `"uploaded-plan"`) {
		t.Fatalf("upload: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, b.URL()+"/api/plans")
		if code == 200 && strings.Contains(body, `"uploaded-plan"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("uploaded plan never reached the other instance")
		}
		time.Sleep(20 * time.Millisecond)
	}
	it.CreateRoom(t, b, "uploaded-plan")
	// Invalid plans are refused with their line numbers.
	code, body = post(t, a.URL()+"/api/plans", "id: x\ntitle: [", nil)
	if code != 422 || !strings.Contains(body, `"problems"`) {
		t.Fatalf("invalid upload: %d %s", code, body)
	}
	// A built-in plan cannot be replaced.
	code, _ = post(t, a.URL()+"/api/plans", strings.Replace(it.TestPlan, "id: test-plan", "id: avvergingsplikten-45", 1), nil)
	if code != 403 {
		t.Fatalf("replacing a built-in plan: %d", code)
	}
}
