package hub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
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
	sub     Subscription // nil until the feed runs

	mu    sync.RWMutex
	rooms map[string]*runner

	// Health (see check): the time of the latest delivery (Unix ms), since
	// when events have waited undelivered (0: none waiting), and what
	// readiness reports (nil while healthy).
	delivered atomic.Int64
	stuckFrom int64 // only check touches it
	health    atomic.Pointer[error]
}

// open starts the feed unless it runs. It is called before a runner
// registers, so that the feed sees every event appended after that.
func (f *feed) open(ctx context.Context) error {
	f.startMu.Lock()
	defer f.startMu.Unlock()
	if f.sub != nil {
		return nil
	}
	sub, err := f.hub.log.FollowAll(ctx, f.dispatch, f.failed)
	if err != nil {
		return fmt.Errorf("follow the room log: %w", err)
	}
	f.sub = sub
	return nil
}

// failed is told of the errors the feed meets. They carry no content.
func (f *feed) failed(err error) {
	f.hub.metrics.FeedErrors.Inc()
	f.hub.logger.Error("room feed", "err", err)
}

// check looks at whether the feed delivers what the log holds; it runs
// every few seconds. Idle is healthy: the feed is stalled only when
// events have waited undelivered (or the log could not say how many
// wait) for FeedStallAfter with nothing delivered since.
func (f *feed) check(now time.Time) {
	f.startMu.Lock()
	sub := f.sub
	f.startMu.Unlock()
	if sub == nil {
		f.setHealth(nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	pending, err := sub.Pending(ctx)
	cancel()
	nowMS := now.UnixMilli()
	idle := err == nil && pending == 0
	if idle || f.stuckFrom != 0 && f.delivered.Load() >= f.stuckFrom {
		// Nothing waits, or the feed delivered since events began to wait.
		f.stuckFrom = 0
		f.setHealth(nil)
		if idle {
			return
		}
	}
	if f.stuckFrom == 0 {
		f.stuckFrom = nowMS
		return
	}
	waited := time.Duration(nowMS-f.stuckFrom) * time.Millisecond
	if waited < f.hub.cfg.FeedStallAfter {
		return
	}
	if err != nil {
		f.setHealth(fmt.Errorf("the room feed cannot reach its consumer for %v: %w", waited.Round(time.Second), err))
	} else {
		f.setHealth(fmt.Errorf("the room feed has delivered none of %d waiting events for %v", pending, waited.Round(time.Second)))
	}
}

func (f *feed) setHealth(err error) {
	was := f.health.Load()
	if err == nil {
		if was != nil {
			f.hub.logger.Info("room feed delivers again")
			f.hub.metrics.FeedStalled.Set(0)
		}
		f.health.Store(nil)
		return
	}
	if was == nil {
		f.hub.logger.Error("room feed stalled", "err", err)
		f.hub.metrics.FeedStalled.Set(1)
	}
	f.health.Store(&err)
}

// FeedHealth says whether this instance's feed of the room log is
// stalled: readiness turns false while it is.
func (h *Hub) FeedHealth() error {
	if e := h.feed.health.Load(); e != nil {
		return *e
	}
	return nil
}

// close stops the feed.
func (f *feed) close() {
	f.startMu.Lock()
	sub := f.sub
	f.sub = nil
	f.startMu.Unlock()
	if sub != nil {
		sub.Stop()
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
	f.delivered.Store(f.hub.cfg.Now().UnixMilli())
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
