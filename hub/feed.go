package hub

import (
	"context"
	"fmt"
	"sync"
)

// feed is this instance's one subscription to the room log: every event
// of every room, in log order (Log.FollowAll). A runner that starts reads
// its room's history through a follow of its own (catching up), then
// takes its room's events from the feed and stops that follow. So NATS
// serves one consumer per instance for live traffic, however many rooms
// the instance serves.
type feed struct {
	hub *Hub

	startMu sync.Mutex
	stop    func() // nil until the feed runs

	mu    sync.RWMutex
	rooms map[string]*runner
}

// open starts the feed unless it runs. It is called before a runner
// registers, so that the feed sees every event appended after that.
func (f *feed) open(ctx context.Context) error {
	f.startMu.Lock()
	defer f.startMu.Unlock()
	if f.stop != nil {
		return nil
	}
	stop, err := f.hub.log.FollowAll(ctx, f.dispatch)
	if err != nil {
		return fmt.Errorf("follow the room log: %w", err)
	}
	f.stop = stop
	return nil
}

// close stops the feed.
func (f *feed) close() {
	f.startMu.Lock()
	stop := f.stop
	f.stop = nil
	f.startMu.Unlock()
	if stop != nil {
		stop()
	}
}

// add makes the feed hand r every event of its room from now on.
func (f *feed) add(r *runner) {
	f.mu.Lock()
	f.rooms[r.id] = r
	f.mu.Unlock()
}

// remove stops handing events to r.
func (f *feed) remove(r *runner) {
	f.mu.Lock()
	if f.rooms[r.id] == r {
		delete(f.rooms, r.id)
	}
	f.mu.Unlock()
}

// dispatch hands one event to its room's runner, if this instance runs
// the room. It is called from one goroutine, in log order.
func (f *feed) dispatch(roomID string, pos uint64, data []byte) {
	f.mu.RLock()
	r := f.rooms[roomID]
	f.mu.RUnlock()
	if r == nil {
		return
	}
	if f.hub.cfg.BeforeFeed != nil {
		f.hub.cfg.BeforeFeed(roomID)
	}
	r.onFeed(pos, data)
}

// maxPendingFeed bounds the events a catching-up runner holds from the
// feed. Past it they are dropped, and the runner's own follow, which
// delivers them too, goes on until it has passed them.
const maxPendingFeed = 4096

// feedEvent is an event the feed delivered while its runner caught up.
type feedEvent struct {
	pos  uint64
	data []byte
}

// onFeed takes an event of the room from the feed: applied at once when
// the runner is live, held while it catches up.
func (r *runner) onFeed(pos uint64, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if !r.catching {
		r.apply(pos, data)
		return
	}
	if len(r.pending) == maxPendingFeed {
		// Everything held is older than this; the follow brings it all.
		clear(r.pending)
		r.pending = r.pending[:0]
		r.dropped = pos
		return
	}
	r.pending = append(r.pending, feedEvent{pos, data})
}

// onCatchUp takes an event from the runner's own follow of its room. Once
// the runner has applied the room's log up to where it stood at start
// (and past anything the feed dropped meanwhile), it applies what the
// feed held, goes live on the feed, and stops its follow.
func (r *runner) onCatchUp(pos uint64, data []byte) {
	r.mu.Lock()
	if !r.catching || r.stopped {
		r.mu.Unlock()
		return
	}
	r.apply(pos, data)
	if r.pos < r.readyAt || r.pos < r.dropped {
		r.mu.Unlock()
		return
	}
	for _, e := range r.pending {
		r.apply(e.pos, e.data)
	}
	r.pending, r.catching = nil, false
	stop := r.stopFollow
	r.stopFollow = nil
	r.mu.Unlock()
	if stop != nil {
		// Not from inside the follow's own callback.
		go stop()
	}
}
