package main

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// barrier waits for every worker holding a room to report that its
// phones have an event.
type barrier struct {
	mu    sync.Mutex
	waits map[string]*bwait
}

type bwait struct {
	left     int
	matched  int
	expected int
	done     chan struct{}
	mu       *sync.Mutex
}

func newBarrier() *barrier { return &barrier{waits: map[string]*bwait{}} }

func barrierKey(room string, seq uint64) string { return room + "/" + strconv.FormatUint(seq, 10) }

// expect registers an event that workers workers will report.
func (b *barrier) expect(room string, seq uint64, workers int) *bwait {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := &bwait{left: workers, done: make(chan struct{}), mu: &b.mu}
	b.waits[barrierKey(room, seq)] = w
	if workers == 0 {
		close(w.done)
	}
	return w
}

// deliver counts one worker's report.
func (b *barrier) deliver(d Delivered) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := barrierKey(d.Room, d.Seq)
	w := b.waits[key]
	if w == nil {
		return
	}
	w.matched += d.Matched
	w.expected += d.Expected
	w.left--
	if w.left == 0 {
		close(w.done)
		delete(b.waits, key)
	}
}

// result is how many phones got the event so far.
func (w *bwait) result() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.matched
}

// statusCache polls the workers a few times a second while a session
// runs, so that many facilitators can wait on their rooms without each
// asking every worker.
type statusCache struct {
	mu      sync.Mutex
	latest  map[string]*RoomStatus
	changed chan struct{}
}

// startStatusCache starts polling the workers every interval until ctx ends.
func (r *run) startStatusCache(ctx context.Context, every time.Duration) *statusCache {
	sc := &statusCache{latest: map[string]*RoomStatus{}, changed: make(chan struct{})}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if st, err := r.statusOf(ctx); err == nil {
				sc.mu.Lock()
				sc.latest = st
				close(sc.changed)
				sc.changed = make(chan struct{})
				sc.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return sc
}

// waitRoom blocks until cond holds for the room's status, ctx ends or
// timeout passes; it reports whether cond held.
func (sc *statusCache) waitRoom(ctx context.Context, room string, timeout time.Duration, cond func(*RoomStatus) bool) bool {
	deadline := time.After(timeout)
	for {
		sc.mu.Lock()
		rs, ch := sc.latest[room], sc.changed
		sc.mu.Unlock()
		if rs != nil && cond(rs) {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
