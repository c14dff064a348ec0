package instance

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads a counter.
func value(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func TestReleaserWaitsForQuietAndRateLimits(t *testing.T) {
	var accepted atomic.Uint64
	r := newReleaser(ReleaseConfig{Every: time.Minute, Quiet: 10 * time.Second, MinFree: 100},
		&accepted, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The storm's garbage is still in objects: no GC has run since.
	heap := heapStats{Free: 20, Objects: 600, Live: 120}
	calls := 0
	r.stats = func() heapStats { return heap }
	r.release = func() {
		calls++
		heap.Released += heap.Free + heap.Objects - heap.Live
		heap.Free, heap.Objects = 0, heap.Live
	}

	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	r.lastArrival = t0
	// Quiet since the start, but nothing arrived: nothing to release.
	if r.check(at(time.Minute)) {
		t.Fatal("released before any connection arrived")
	}
	// Connections keep arriving: no release, however much is free.
	for i := 1; i <= 4; i++ {
		accepted.Add(50)
		if r.check(at(time.Minute + time.Duration(i)*5*time.Second)) {
			t.Fatalf("released while connections were arriving (check %d)", i)
		}
	}
	// Quiet, but not for long enough yet.
	if r.check(at(85 * time.Second)) {
		t.Fatal("released before the quiet period was over")
	}
	// Quiet for 10s: release once, garbage and free pages.
	if !r.check(at(90 * time.Second)) {
		t.Fatal("no release after the quiet period")
	}
	if calls != 1 || value(t, r.releases) != 1 || value(t, r.released) != 500 {
		t.Fatalf("calls %d, releases %v, bytes %v", calls, value(t, r.releases), value(t, r.released))
	}
	// Still quiet, garbage again, but no connection arrived since.
	heap.Objects = 400
	if r.check(at(5 * time.Minute)) {
		t.Fatal("released again without new arrivals")
	}
	// A second wave of arrivals: released once it is over.
	accepted.Add(3)
	r.check(at(5*time.Minute + 5*time.Second))
	if !r.check(at(5*time.Minute+15*time.Second)) || calls != 2 {
		t.Fatalf("no release after the second wave of arrivals (calls %d)", calls)
	}
	// A third soon after: not again within Every.
	accepted.Add(3)
	r.check(at(5*time.Minute + 20*time.Second))
	if r.check(at(5*time.Minute + 30*time.Second)) {
		t.Fatal("released twice within a minute")
	}
	// Too little to gain to be worth a GC.
	heap = heapStats{Free: 50, Objects: 169, Live: 120}
	if r.check(at(10 * time.Minute)) {
		t.Fatal("released less than MinFree")
	}
	if value(t, r.releases) != 2 || value(t, r.released) != 780 {
		t.Fatalf("releases %v, bytes %v", value(t, r.releases), value(t, r.released))
	}
}

func TestReadHeapStatsReadsTheRuntime(t *testing.T) {
	runtime.GC()
	h := readHeapStats()
	if h.Objects == 0 || h.Live == 0 {
		t.Fatalf("runtime heap metrics are missing: %+v", h)
	}
}

func TestReleaserEndsWithTheInstance(t *testing.T) {
	cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Retention: time.Hour, Release: ReleaseConfig{Every: time.Minute}}
	in, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !releaserRunning(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no releaser with Release.Every set")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if releaserRunning() {
		t.Fatal("the releaser outlived its instance")
	}
}

func releaserRunning() bool {
	buf := make([]byte, 1<<20)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "(*releaser).run")
}
