package hub

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// TestCatchUpHandsOverToTheFeed: a runner that starts in a busy room reads
// the history through its own follow while the instance's feed already
// brings new events, in any interleaving the two can have: the feed
// starts anywhere up to the first event after the runner registered, and
// may run far ahead (past what a runner holds) while the follow is slow.
// The runner ends live on the feed with every event applied once, in
// order: the same room as a runner that read the log straight through.
func TestCatchUpHandsOverToTheFeed(t *testing.T) {
	const events = 3*maxPendingFeed + 500
	log := roomLog(t, events)
	want := testRunner(t)
	for i, data := range log {
		want.onEvent(uint64(i+1), data)
	}
	wantView := snapshotJSON(t, want)

	cases := []struct {
		name      string
		readyAt   int // the log's last position at start
		feedFrom  int // the first position the feed delivers
		feedAhead int // events the feed delivers before the follow moves
	}{
		{"feed starts right after start", 100, 101, 0},
		{"feed lags behind start", 100, 40, 0},
		{"feed far ahead of a slow follow", 100, 101, 2*maxPendingFeed + 300},
		{"nothing before start", 1, 2, 50},
	}
	for _, tc := range cases {
		for seed := range uint64(5) {
			t.Run(tc.name, func(t *testing.T) {
				r := testRunner(t)
				r.hub.feed = &feed{hub: r.hub, rooms: map[string]*runner{}}
				r.catching, r.readyAt = true, uint64(tc.readyAt)
				stopped := make(chan struct{})
				r.stopFollow = func() { close(stopped) }
				rng := rand.New(rand.NewPCG(seed, 7))
				feedNext, followNext := tc.feedFrom, 1
				for feedNext <= len(log) && feedNext < tc.feedFrom+tc.feedAhead {
					r.onFeed(uint64(feedNext), log[feedNext-1])
					feedNext++
				}
				for feedNext <= len(log) || followNext <= len(log) {
					r.mu.Lock()
					live := !r.catching
					r.mu.Unlock()
					useFeed := feedNext <= len(log) && (followNext > len(log) || live || rng.IntN(3) == 0)
					if useFeed {
						r.onFeed(uint64(feedNext), log[feedNext-1])
						feedNext++
					} else {
						// The follow goes on until its stop has taken
						// effect; what it still sends is ignored.
						r.onCatchUp(uint64(followNext), log[followNext-1])
						followNext++
					}
				}
				r.mu.Lock()
				catching, pending := r.catching, len(r.pending)
				r.mu.Unlock()
				if catching || pending != 0 {
					t.Fatalf("still catching up (%v) with %d held", catching, pending)
				}
				select {
				case <-stopped:
				case <-time.After(10 * time.Second):
					t.Fatal("the follow was not stopped")
				}
				if r.pos != uint64(len(log)) || r.state.Seq != want.state.Seq {
					t.Fatalf("at position %d, seq %d; want %d, %d", r.pos, r.state.Seq, len(log), want.state.Seq)
				}
				if got := snapshotJSON(t, r); got != wantView {
					t.Fatal("the room differs from one read straight through")
				}
			})
		}
	}
}

func snapshotJSON(t *testing.T, r *runner) string {
	t.Helper()
	b, err := json.Marshal(room.Snapshot(r.state, wire.RoleFacilitator, ""))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
