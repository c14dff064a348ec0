package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"time"
)

// Histogram records durations in microseconds in log-linear buckets: exact
// below 128µs, then 64 buckets per power of two, so any percentile it
// reports is within 1/64 (1.6%) of the true value. Histograms from
// different processes merge exactly. The zero value is ready to use; it is
// not safe for concurrent use.
type Histogram struct {
	counts map[int]uint64
	n      uint64
	sum    uint64 // µs
	min    uint64
	max    uint64
}

const (
	histSubBits  = 7
	histSubCount = 1 << histSubBits // exact range, and 2x the buckets per power of two
	histHalf     = histSubCount / 2
)

// bucketOf maps a value to its bucket index.
func bucketOf(v uint64) int {
	if v < histSubCount {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits
	return shift*histHalf + int(v>>shift)
}

// bucketRange is the smallest and largest value of a bucket.
func bucketRange(idx int) (lo, hi uint64) {
	if idx < histSubCount {
		return uint64(idx), uint64(idx)
	}
	shift := idx/histHalf - 1
	top := uint64(idx - shift*histHalf)
	return top << shift, (top+1)<<shift - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.RecordMicros(uint64(us))
}

// RecordMicros adds one value in microseconds.
func (h *Histogram) RecordMicros(v uint64) {
	if h.counts == nil {
		h.counts = map[int]uint64{}
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += v
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) * time.Microsecond }

// Mean is the average value.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum/h.n) * time.Microsecond
}

// Merge adds every value of o.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = map[int]uint64{}
	}
	for k, c := range o.counts {
		h.counts[k] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Quantile returns the value below which the fraction q (0..1) of the
// recorded values lie: the nearest-rank value, reported as the middle of
// its bucket and clamped to the exact minimum and maximum (which are
// returned exactly for the first and last rank).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	switch rank {
	case h.n:
		return h.Max()
	case 1:
		return time.Duration(h.min) * time.Microsecond
	}
	keys := h.sortedKeys()
	var seen uint64
	for _, k := range keys {
		seen += h.counts[k]
		if seen >= rank {
			lo, hi := bucketRange(k)
			v := lo + (hi-lo)/2
			v = min(max(v, h.min), h.max)
			return time.Duration(v) * time.Microsecond
		}
	}
	return h.Max()
}

func (h *Histogram) sortedKeys() []int {
	keys := make([]int, 0, len(h.counts))
	for k := range h.counts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// histWire is a histogram on the wire between worker and coordinator:
// buckets as [index, count] pairs.
type histWire struct {
	N       uint64      `json:"n"`
	Sum     uint64      `json:"sum"`
	Min     uint64      `json:"min"`
	Max     uint64      `json:"max"`
	Buckets [][2]uint64 `json:"b"`
}

// MarshalJSON encodes the buckets sparsely.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	w := histWire{N: h.n, Sum: h.sum, Min: h.min, Max: h.max, Buckets: [][2]uint64{}}
	for _, k := range h.sortedKeys() {
		w.Buckets = append(w.Buckets, [2]uint64{uint64(k), h.counts[k]})
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var w histWire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	*h = Histogram{n: w.N, sum: w.Sum, min: w.Min, max: w.Max, counts: make(map[int]uint64, len(w.Buckets))}
	var total uint64
	for _, b := range w.Buckets {
		h.counts[int(b[0])] += b[1]
		total += b[1]
	}
	if total != w.N {
		return fmt.Errorf("histogram: buckets hold %d values, header says %d", total, w.N)
	}
	return nil
}

// LatencySummary is a histogram as the report shows it, in milliseconds.
type LatencySummary struct {
	Count  uint64  `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P90ms  float64 `json:"p90_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

// Summary returns the percentiles the report shows.
func (h *Histogram) Summary() LatencySummary {
	return LatencySummary{
		Count: h.n,
		P50ms: ms(h.Quantile(0.50)), P90ms: ms(h.Quantile(0.90)), P99ms: ms(h.Quantile(0.99)),
		MaxMs: ms(h.Max()), MeanMs: ms(h.Mean()),
	}
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}

// Histograms is a set of named histograms.
type Histograms map[string]*Histogram

// Get returns the named histogram, creating it.
func (hs Histograms) Get(name string) *Histogram {
	h := hs[name]
	if h == nil {
		h = &Histogram{}
		hs[name] = h
	}
	return h
}

// Merge adds every histogram of o.
func (hs Histograms) Merge(o Histograms) {
	for k, h := range o {
		hs.Get(k).Merge(h)
	}
}
