package instance_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// picture is an organizer's overview as a client keeps it: the whole
// picture from an overview frame, with every overview_changes frame
// applied since.
type picture struct {
	v     hub.OverviewView
	index map[string]int
	full  bool // an overview frame has come
}

// apply applies one frame; other frames are ignored. It reports whether
// the frame was an overview frame of either kind.
func (p *picture) apply(t *testing.T, f wsclient.Frame) bool {
	t.Helper()
	switch f.Type {
	case wire.TypeOverview:
		var v hub.OverviewView
		if err := f.Decode(&v); err != nil {
			t.Errorf("overview: %v", err)
			return false
		}
		p.v, p.full, p.index = v, true, map[string]int{}
		for i, r := range v.Rooms {
			p.index[r.Room] = i
		}
		return true
	case wire.TypeOverviewChanges:
		var ch hub.OverviewView
		if err := f.Decode(&ch); err != nil {
			t.Errorf("overview_changes: %v", err)
			return false
		}
		if !p.full {
			t.Errorf("overview_changes before the whole picture")
			return false
		}
		rooms := p.v.Rooms
		p.v = ch
		p.v.Rooms = rooms
		for _, r := range ch.Rooms {
			i, ok := p.index[r.Room]
			if !ok {
				t.Errorf("overview_changes names room %s, not in the picture", r.Room)
				continue
			}
			p.v.Rooms[i] = r
		}
		return true
	}
	return false
}

// waitPicture waits until the organizer's picture, built from every frame
// it has had, satisfies cond.
func waitPicture(t *testing.T, org *wsclient.Phone, cond func(v *hub.OverviewView) bool) (*hub.OverviewView, error) {
	t.Helper()
	ctx := it.Ctx(t, time.Minute)
	p := &picture{}
	_, err := org.Wait(ctx, func(f wsclient.Frame) bool {
		return p.apply(t, f) && cond(&p.v)
	})
	return &p.v, err
}

// TestOverviewChanges: the organizer gets the whole overview once, then
// only the rooms that changed and the totals; applying the changes gives
// exactly what a fresh overview shows.
func TestOverviewChanges(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, time.Minute)
	const rooms = 10
	ev := createEvent(t, a, rooms)
	org := it.Dial(t, wire.Hello{Role: wire.RoleOrganizer, Event: ev.Event, Key: ev.Key}, b)
	first, err := org.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeOverview })
	if err != nil {
		t.Fatal(err)
	}
	var v hub.OverviewView
	if err := first.Decode(&v); err != nil || len(v.Rooms) != rooms {
		t.Fatalf("first overview: %v, %d rooms", err, len(v.Rooms))
	}
	for _, r := range v.Rooms {
		if !r.Loaded {
			t.Fatalf("room %s not loaded in the first picture", r.Name)
		}
	}

	// Two phones join room 3; room 6's facilitator moves it to the poll.
	it.Participant(t, ev.Rooms[2].Code, a)
	it.Participant(t, ev.Rooms[2].Code, b)
	fk := ev.Rooms[5].FacilitatorURL[strings.Index(ev.Rooms[5].FacilitatorURL, "#key=")+5:]
	fac := it.Dial(t, wire.Hello{Role: wire.RoleFacilitator, Room: ev.Rooms[5].Room, Key: fk}, a)
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": 1}); err != nil {
		t.Fatal(err)
	}
	got, err := waitPicture(t, org, func(v *hub.OverviewView) bool {
		r3, r6 := v.Rooms[2], v.Rooms[5]
		return v.Participants == 2 && r3.Participants == 2 && r6.Step == 1 && r6.Facilitators == 1 && len(r6.Warnings) == 0
	})
	if err != nil {
		t.Fatalf("the changes never showed: %+v", got)
	}

	// Only the two rooms ever came again, and no frame but the first was
	// the whole picture.
	changed := map[string]bool{ev.Rooms[2].Room: true, ev.Rooms[5].Room: true}
	var full, changes int
	for _, f := range org.Frames() {
		switch f.Type {
		case wire.TypeOverview:
			full++
		case wire.TypeOverviewChanges:
			changes++
			var ch hub.OverviewView
			if err := f.Decode(&ch); err != nil {
				t.Fatal(err)
			}
			for _, r := range ch.Rooms {
				if !changed[r.Room] {
					t.Errorf("overview_changes carried room %s, which did not change", r.Name)
				}
			}
			if len(f.Data) >= len(first.Data) {
				t.Errorf("a change frame of %d bytes, the whole picture is %d", len(f.Data), len(first.Data))
			}
		}
	}
	if full != 1 || changes == 0 {
		t.Fatalf("%d whole pictures, %d change frames", full, changes)
	}

	// A second organizer gets a fresh whole picture: the same as the
	// first organizer's, changes applied. (Nothing changes meanwhile; if
	// the first has not had the last change yet, it comes.)
	org2 := it.Dial(t, wire.Hello{Role: wire.RoleOrganizer, Event: ev.Event, Key: ev.Key}, b)
	fresh, err := org2.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeOverview })
	if err != nil {
		t.Fatal(err)
	}
	var want hub.OverviewView
	if err := fresh.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if got, err := waitPicture(t, org, func(v *hub.OverviewView) bool { return reflect.DeepEqual(*v, want) }); err != nil {
		t.Fatalf("applied changes differ from a fresh overview:\n got %s\nwant %s", jsonOf(got), jsonOf(want))
	}
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
