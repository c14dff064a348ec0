package instance

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ReleaseConfig sets when an instance hands heap that the Go runtime holds
// but no longer uses back to the operating system.
//
// After a join storm, the runtime keeps the pages that the storm's garbage
// occupied (up to about as much again as the live heap) for the next time
// it needs them, and its own scavenger returns only what lies beyond its
// GC goal; with idle phones nothing allocates, so no GC even frees the
// garbage. An instance with 15,000 idle phones kept 75 MB that way, a
// quarter of its RSS. Once connections have stopped arriving for a while
// the memory is not needed soon, so the instance then returns it with
// debug.FreeOSMemory: a forced GC, then every free page released. That
// costs one GC cycle's CPU, hence once per wave of arrivals, at most once
// per Every, and only when there is enough to gain.
type ReleaseConfig struct {
	// Every is the least time between two releases; 0 turns releasing off.
	Every time.Duration
	// Quiet is how long no new connection may have been accepted (10s).
	Quiet time.Duration
	// MinFree is the heap a release must be able to return to be worth a
	// GC (16 MiB): free pages not yet returned, plus garbage that the GC
	// would free.
	MinFree uint64
}

func (c ReleaseConfig) withDefaults() ReleaseConfig {
	if c.Quiet <= 0 {
		c.Quiet = 10 * time.Second
	}
	if c.MinFree == 0 {
		c.MinFree = 16 << 20
	}
	return c
}

// releaser decides, every Quiet/2, whether to return free heap.
type releaser struct {
	cfg      ReleaseConfig
	accepted *atomic.Uint64 // connections accepted so far
	logger   *slog.Logger
	// stats reads the runtime's heap figures; release returns the free
	// heap. Tests replace both.
	stats   func() heapStats
	release func()

	lastAccepted uint64    // the count at the last check
	lastArrival  time.Time // when it last changed
	lastRelease  time.Time
	releasedAt   uint64 // the count at the last release

	releases prometheus.Counter
	released prometheus.Counter
}

func newReleaser(cfg ReleaseConfig, accepted *atomic.Uint64, reg prometheus.Registerer, logger *slog.Logger) *releaser {
	r := &releaser{cfg: cfg.withDefaults(), accepted: accepted, logger: logger, stats: readHeapStats, release: debug.FreeOSMemory,
		releases: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_memory_releases_total",
			Help: "Times free heap was returned to the operating system after connections stopped arriving."}),
		released: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_memory_released_bytes_total",
			Help: "Free heap returned to the operating system by those releases."}),
	}
	reg.MustRegister(r.releases, r.released)
	return r
}

// run checks until ctx ends.
func (r *releaser) run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Quiet / 2)
	defer t.Stop()
	r.lastArrival = time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			r.check(now)
		}
	}
}

// check releases free heap if connections arrived since the last release
// and have stopped arriving for Quiet, the last release is at least Every
// ago, and there is enough to release. It reports whether it released.
func (r *releaser) check(now time.Time) bool {
	n := r.accepted.Load()
	if n != r.lastAccepted {
		r.lastAccepted, r.lastArrival = n, now
		return false
	}
	if n == r.releasedAt || now.Sub(r.lastArrival) < r.cfg.Quiet ||
		(!r.lastRelease.IsZero() && now.Sub(r.lastRelease) < r.cfg.Every) {
		return false
	}
	before := r.stats()
	if before.reclaimable() < r.cfg.MinFree {
		return false
	}
	start := time.Now()
	r.release()
	r.lastRelease, r.releasedAt = now, n
	after := r.stats()
	freed := uint64(0)
	if after.Released > before.Released {
		freed = after.Released - before.Released
	}
	r.releases.Inc()
	r.released.Add(float64(freed))
	r.logger.Info("returned free heap to the operating system", "mb", freed>>20, "took", time.Since(start).Round(time.Millisecond))
	return true
}

// heapStats are the runtime's heap figures a release decision needs.
type heapStats struct {
	Free     uint64 // free pages, not returned to the system
	Objects  uint64 // occupied by objects, live or garbage not yet freed
	Live     uint64 // live at the end of the last GC
	Released uint64 // returned to the system
}

// reclaimable is what a GC and a release could return: the free pages and
// the garbage (as far as the last GC's live heap tells).
func (h heapStats) reclaimable() uint64 {
	garbage := uint64(0)
	if h.Objects > h.Live {
		garbage = h.Objects - h.Live
	}
	return h.Free + garbage
}

// readHeapStats reads the runtime's heap figures.
func readHeapStats() heapStats {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(s)
	var v [4]uint64
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	return heapStats{Free: v[0], Objects: v[1], Live: v[2], Released: v[3]}
}
