package hub

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// eventRegistry is a registry that knows one conference event.
type eventRegistry struct {
	Registry
	rec *EventRecord
}

func (r eventRegistry) Event(context.Context, string) (*EventRecord, error) { return r.rec, nil }

// TestOrganizerAttachesWhileTheLastOneLeaves: an organizer who attaches
// while the event's last organizer is detaching gets a running overview,
// and the overview stops exactly once when they leave too, whichever of
// the two is caught in the middle of the other.
func TestOrganizerAttachesWhileTheLastOneLeaves(t *testing.T) {
	for i := range 1000 {
		for _, mid := range []string{"detach", "attach"} {
			if !organizerInterleaving(t, mid) {
				t.Fatalf("run %d, an attach and a detach interleaved in the middle of %s: the organizer is on a stopped overview", i, mid)
			}
		}
	}
}

// organizerInterleaving has organizer A leave while organizer B arrives,
// with the call named by mid paused at its hook while the other runs to
// its end. It reports whether B ended on a running overview; it fails the
// test if the overview does not stop once B leaves.
func organizerInterleaving(t *testing.T, mid string) bool {
	t.Helper()
	rec := &EventRecord{ID: "event1", Name: "Event"}
	h := &Hub{cfg: Config{}.withDefaults(), reg: eventRegistry{rec: rec}, metrics: NewMetrics(nil),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)), overviews: map[string]*overview{}}
	w := wire.Welcome{Protocol: wire.Version, Role: wire.RoleOrganizer, Room: rec.ID}
	a := &Session{hub: h, conn: &recordConn{}, role: wire.RoleOrganizer}
	b := &Session{hub: h, conn: &recordConn{}, role: wire.RoleOrganizer}
	h.attachOrganizer(a, rec, w)

	paused, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h.overviewHook = func(step string) {
		if step == mid {
			once.Do(func() {
				close(paused)
				<-resume
			})
		}
	}
	done := make(chan struct{})
	if mid == "detach" {
		go func() { h.detachOrganizer(a); close(done) }()
		<-paused
		h.attachOrganizer(b, rec, w)
	} else {
		go func() { h.attachOrganizer(b, rec, w); close(done) }()
		<-paused
		h.detachOrganizer(a)
	}
	close(resume)
	<-done

	o := b.overview
	select {
	case <-o.stop:
		return false
	default:
	}
	h.mu.Lock()
	registered := h.overviews[rec.ID] == o
	h.mu.Unlock()
	if !registered {
		return false
	}
	h.detachOrganizer(b)
	select {
	case <-o.stop:
	default:
		t.Fatal("the overview still runs after its last organizer left")
	}
	h.mu.Lock()
	left := len(h.overviews)
	h.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d overviews left after every organizer left", left)
	}
	return true
}
