package main

import (
	"testing"
	"time"
)

func newTestWorker() *worker {
	return &worker{counters: map[string]int64{}, hists: Histograms{}, rooms: map[string]*roomTrack{},
		out: make(chan Msg, 100), quit: make(chan struct{})}
}

func testPhone(rt *roomTrack, joined uint64) *phone {
	p := &phone{rt: rt}
	p.joinedSeq.Store(joined)
	p.live.Store(true)
	rt.phones = append(rt.phones, p)
	return p
}

func TestMarksTimeFramesInEitherOrder(t *testing.T) {
	wk := newTestWorker()
	rt := wk.room("r1")
	early, late, offline, newcomer := testPhone(rt, 2), testPhone(rt, 2), testPhone(rt, 2), testPhone(rt, 20)
	offline.live.Store(false)
	t0 := time.Unix(1000, 0)

	// One phone has the event's frames before the mark arrives.
	rt.observe(early, 10, "step", 600, t0.Add(5*time.Millisecond).UnixNano(), false)
	rt.observe(early, 10, "timer", 90, t0.Add(6*time.Millisecond).UnixNano(), false)
	// A frame of an event nobody marks, older than the next mark: dropped.
	rt.observe(early, 9, "results", 60, t0.UnixNano(), false)
	rt.addMark(Mark{Room: "r1", Seq: 10, T0: t0.UnixNano(), Key: "sp next", Types: []string{"step", "timer"}, Barrier: true})
	if len(wk.out) != 0 {
		t.Fatal("delivered before every connected phone had the event")
	}
	rt.observe(late, 10, "step", 600, t0.Add(40*time.Millisecond).UnixNano(), false)
	rt.observe(late, 10, "step", 600, t0.Add(41*time.Millisecond).UnixNano(), false)

	select {
	case m := <-wk.out:
		if m.Op != opDelivered || m.Delivered.Matched != 2 || m.Delivered.Expected != 2 {
			t.Fatalf("delivered = %+v", m.Delivered)
		}
	default:
		t.Fatal("no delivered event")
	}
	h := rt.hists["sp next/step"]
	if h == nil || h.Count() != 3 || h.Max() != 41*time.Millisecond {
		t.Fatalf("step histogram: %+v", h)
	}
	if rt.hists["sp next/timer"].Count() != 1 {
		t.Fatal("timer frame not timed")
	}
	// A redraw of a secondary part with the same sequence is not timed again.
	rt.observe(early, 10, "timer", 90, t0.Add(500*time.Millisecond).UnixNano(), true)
	if rt.hists["sp next/timer"].Count() != 1 || rt.hists["sp next/timer (replayed)"] != nil {
		t.Fatal("a redrawn frame was timed as a delivery")
	}
	if wk.counters["duplicate_event"] != 1 {
		t.Fatalf("duplicate_event = %d", wk.counters["duplicate_event"])
	}
	if len(rt.early) != 0 {
		t.Fatalf("early frames left: %v", rt.early)
	}
	// The offline phone missed the event; a newcomer joined after it.
	if n := rt.missing(); n != 1 {
		t.Fatalf("missing = %d, want 1 (the offline phone)", n)
	}
	// A snapshot after its reconnect brings it up to date.
	rt.snapshot(offline, 12)
	if n := rt.missing(); n != 0 {
		t.Fatalf("missing after snapshot = %d", n)
	}
	_ = newcomer
}

func TestReplayedFramesAreTimedApart(t *testing.T) {
	wk := newTestWorker()
	rt := wk.room("r1")
	p := testPhone(rt, 2)
	rt.addMark(Mark{Room: "r1", Seq: 5, T0: 0, Key: "sp next", Types: []string{"step"}})
	rt.observe(p, 5, "step", 10, int64(2*time.Second), true)
	if rt.hists["sp next/step (replayed)"].Count() != 1 || rt.hists["sp next/step"] != nil {
		t.Fatalf("hists: %v", rt.hists)
	}
	if rt.missing() != 0 {
		t.Fatal("a replayed event counts as received")
	}
}

func TestBitset(t *testing.T) {
	var b bitset
	for _, i := range []int{0, 63, 64, 200} {
		b.set(i)
	}
	for i := 0; i < 256; i++ {
		want := i == 0 || i == 63 || i == 64 || i == 200
		if b.has(i) != want {
			t.Fatalf("has(%d) = %v", i, b.has(i))
		}
	}
}
