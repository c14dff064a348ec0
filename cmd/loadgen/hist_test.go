package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestBucketsAreContiguous(t *testing.T) {
	prevHi := uint64(0)
	for idx := 1; idx < 3000; idx++ {
		lo, hi := bucketRange(idx)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", idx, lo, prevHi)
		}
		if bucketOf(lo) != idx || bucketOf(hi) != idx {
			t.Fatalf("bucket %d = [%d,%d] but bucketOf gives %d and %d", idx, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		prevHi = hi
	}
}

func TestQuantilesWithinResolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]uint64, 0, 100000)
	for i := 0; i < 100000; i++ {
		v := uint64(rng.ExpFloat64() * 20000) // around 20ms, long tail
		vals = append(vals, v)
		h.RecordMicros(v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := float64(vals[int(math.Ceil(q*float64(len(vals))))-1])
		got := float64(h.Quantile(q).Microseconds())
		if math.Abs(got-want) > want/64+1 {
			t.Errorf("p%v = %v, want %v within 1/64", q*100, got, want)
		}
	}
	if h.Max() != time.Duration(vals[len(vals)-1])*time.Microsecond {
		t.Errorf("max = %v, want %v", h.Max(), vals[len(vals)-1])
	}
}

func TestQuantileSmallCounts(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 {
		t.Fatal("empty histogram must report 0")
	}
	for _, ms := range []int{1, 2, 3, 4, 100} {
		h.Record(time.Duration(ms) * time.Millisecond)
	}
	if got := h.Quantile(0.5); got < 2900*time.Microsecond || got > 3100*time.Microsecond {
		t.Errorf("p50 of 1,2,3,4,100 ms = %v, want about 3ms", got)
	}
	if got := h.Quantile(0.99); got != 100*time.Millisecond {
		t.Errorf("p99 = %v, want the maximum 100ms", got)
	}
	s := h.Summary()
	if s.Count != 5 || s.MaxMs != 100 || s.MeanMs != 22 {
		t.Errorf("summary = %+v", s)
	}
}

func TestMergeAndJSONRoundTrip(t *testing.T) {
	var a, b, both Histogram
	for i := 0; i < 1000; i++ {
		a.RecordMicros(uint64(i))
		both.RecordMicros(uint64(i))
		b.RecordMicros(uint64(i * 37))
		both.RecordMicros(uint64(i * 37))
	}
	raw, err := json.Marshal(&b)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	a.Merge(&back)
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99} {
		if a.Quantile(q) != both.Quantile(q) {
			t.Errorf("q%v: merged %v, direct %v", q, a.Quantile(q), both.Quantile(q))
		}
	}
	if a.Count() != 2000 || a.Max() != both.Max() {
		t.Errorf("merged count %d max %v", a.Count(), a.Max())
	}
	if err := json.Unmarshal([]byte(`{"n":3,"b":[[1,1]]}`), &back); err == nil {
		t.Error("a histogram whose buckets do not add up must be refused")
	}
}

func TestNegativeDurationCountsAsZero(t *testing.T) {
	var h Histogram
	h.Record(-time.Second)
	if h.Count() != 1 || h.Max() != 0 {
		t.Fatalf("count %d max %v", h.Count(), h.Max())
	}
}
