package hub

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter is a token bucket per client address. Buckets that have been
// idle long enough to be full again are swept away, so its size is bounded
// by the addresses seen in the last few minutes.
type addrLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAddrLimiter(perSecond float64, burst int) *addrLimiter {
	return &addrLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

func (l *addrLimiter) get(addr string) *rate.Limiter {
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[addr] = b
	}
	b.seen = time.Now()
	return b.lim
}

// allow takes a token for addr and reports whether there was one.
func (l *addrLimiter) allow(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get(addr).Allow()
}

// allowed reports whether addr has a token left, without taking it.
func (l *addrLimiter) allowed(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get(addr).Tokens() >= 1
}

// sweep forgets addresses idle long enough for their bucket to be full.
func (l *addrLimiter) sweep(now time.Time) {
	refill := time.Duration(float64(l.burst)/float64(l.limit)*float64(time.Second)) + time.Minute
	l.mu.Lock()
	defer l.mu.Unlock()
	for addr, b := range l.buckets {
		if now.Sub(b.seen) > refill {
			delete(l.buckets, addr)
		}
	}
}
