package instance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// announceResult is the body of POST /api/events/{event}/announce.
type announceResult struct {
	hub.AnnounceResult
	Code  string `json:"code"`
	Retry bool   `json:"retry"`
}

func announce(t *testing.T, in *instance.Instance, ev sheet, body string) (int, announceResult) {
	t.Helper()
	code, raw := postJSON(t, in.URL()+"/api/events/"+ev.Event+"/announce", ev.Key, body)
	var res announceResult
	if code == 200 || code == 503 {
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			t.Fatalf("announce: %d %v: %s", code, err, raw)
		}
	}
	return code, res
}

func createEvent(t *testing.T, in *instance.Instance, rooms int) sheet {
	t.Helper()
	code, body := postJSON(t, in.URL()+"/api/events", "", fmt.Sprintf(`{"plan":"test-plan","name":"Fagdag","rooms":%d}`, rooms))
	var ev sheet
	if code != 201 || json.Unmarshal([]byte(body), &ev) != nil || len(ev.Rooms) != rooms {
		t.Fatalf("create event: %d %s", code, body)
	}
	return ev
}

// noticesOnce waits until every phone has the barrier announcement, which
// went into every room's log after everything else, and then checks that
// each got every text in want exactly once.
func noticesOnce(t *testing.T, ctx context.Context, phones []*wsclient.Phone, barrier string, want ...string) {
	t.Helper()
	for i, p := range phones {
		if _, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			var a room.Announcement
			return f.Type == wire.TypeNotice && f.Decode(&a) == nil && a.Text == barrier
		}); err != nil {
			t.Fatalf("phone %d: no barrier announcement: %v", i, err)
		}
		got := map[string]int{}
		for _, f := range p.Frames() {
			var a room.Announcement
			if f.Type == wire.TypeNotice && f.Decode(&a) == nil {
				got[a.Text]++
			}
		}
		for _, w := range want {
			if got[w] != 1 {
				t.Fatalf("phone %d got %q %d times", i, w, got[w])
			}
		}
	}
}

// TestAnnounceRetry: an announcement that fails in some rooms says which,
// reaches the others, and a retry with the same id (on another instance)
// completes the failed rooms without showing it twice anywhere or moving
// a room again that its facilitator has moved on since. Two requests with
// the same id at once, on two instances, reach each room once between
// them. Every phone gets each announcement exactly once.
func TestAnnounceRetry(t *testing.T) {
	ns := it.NATS(t)
	var failing sync.Map // room id -> true while its announcements fail
	var faults atomic.Bool
	a := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Hub.FailAnnounce = func(roomID string) bool {
			_, ok := failing.Load(roomID)
			return ok && faults.Load()
		}
	}})
	b := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 2*time.Minute)
	const rooms = 12
	ev := createEvent(t, a, rooms)
	var phones []*wsclient.Phone
	for i, r := range ev.Rooms {
		in := a
		if i%2 == 1 {
			in = b
		}
		phones = append(phones, it.Participant(t, r.Code, in))
		if i%3 == 0 {
			failing.Store(r.Room, true)
		}
	}
	faults.Store(true)

	// Bad requests change nothing.
	for _, body := range []string{`{"id":"bad id!","text":"x"}`, `{"id":"` + strings.Repeat("x", 65) + `","text":"x"}`,
		`{"id":"s1","step":99}`, `{"id":"s2"}`} {
		if code, raw := postJSON(t, b.URL()+"/api/events/"+ev.Event+"/announce", ev.Key, body); code != 400 {
			t.Fatalf("%s: %d %s", body, code, raw)
		}
	}

	const text = "The plenary starts in 5 minutes"
	req := `{"id":"plenary-1","text":"` + text + `","step":1}`
	code, res := announce(t, a, ev, req)
	if code != 503 || res.Code != string(wire.CodeUnavailable) || !res.Retry || res.ID != "plenary-1" || res.Rooms != rooms ||
		res.Announced != 8 || res.Already != 0 || res.Moved != 8 || len(res.Failed) != 4 {
		t.Fatalf("announce with 4 rooms failing: %d %+v", code, res)
	}
	for _, f := range res.Failed {
		if _, ok := failing.Load(f.Room); !ok || !f.Retry || f.Code != wire.CodeUnavailable || f.Name == "" {
			t.Fatalf("failed room %+v", f)
		}
	}
	// Room 2 got it and moved; its facilitator moves on to step 2.
	fk := ev.Rooms[1].FacilitatorURL[strings.Index(ev.Rooms[1].FacilitatorURL, "#key=")+5:]
	fac := it.Dial(t, wire.Hello{Role: wire.RoleFacilitator, Room: ev.Rooms[1].Room, Key: fk}, b)
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]any{"step": 2, "from": 1}); err != nil {
		t.Fatalf("facilitator moves on: %v", err)
	}

	// The retry, on the other instance, completes the four rooms only.
	faults.Store(false)
	code, res = announce(t, b, ev, req)
	if code != 200 || res.Announced != 4 || res.Already != 8 || res.Moved != 4 || len(res.Failed) != 0 || res.Retry {
		t.Fatalf("retry: %d %+v", code, res)
	}
	// And once more: nothing left to do.
	code, res = announce(t, a, ev, req)
	if code != 200 || res.Announced != 0 || res.Already != rooms || res.Moved != 0 {
		t.Fatalf("second retry: %d %+v", code, res)
	}
	// The id with another text is refused.
	if code, raw := postJSON(t, a.URL()+"/api/events/"+ev.Event+"/announce", ev.Key, `{"id":"plenary-1","text":"Other"}`); code != 400 {
		t.Fatalf("an id reused for another text: %d %s", code, raw)
	}

	// Two requests with one id at once, on both instances.
	const coffee = "Coffee is served"
	var wg sync.WaitGroup
	results := make([]announceResult, 2)
	codes := make([]int, 2)
	for i, in := range []*instance.Instance{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], results[i] = announce(t, in, ev, `{"id":"coffee-1","text":"`+coffee+`"}`)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if codes[i] != 200 || r.Announced+r.Already != rooms {
			t.Fatalf("concurrent request %d: %d %+v", i, codes[i], r)
		}
	}
	if n := results[0].Announced + results[1].Announced; n != rooms {
		t.Fatalf("concurrent requests announced %d times in %d rooms", n, rooms)
	}

	// Every phone: each announcement once, and its room where it should be.
	if code, res = announce(t, b, ev, `{"id":"barrier","text":"barrier"}`); code != 200 || res.Announced != rooms {
		t.Fatalf("barrier: %d %+v", code, res)
	}
	noticesOnce(t, ctx, phones, "barrier", text, coffee)
	for i, p := range phones {
		want := 1
		if i == 1 {
			want = 2 // moved on by its facilitator, not moved back by the retry
		}
		f, ok := p.Last(wire.TypeStep)
		var v room.StepView
		if !ok || f.Decode(&v) != nil || v.Index != want {
			t.Fatalf("phone %d on step %d, want %d", i, v.Index, want)
		}
	}
}
