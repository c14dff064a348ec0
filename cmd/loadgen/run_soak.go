package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A soak runs conference generations back to back for a long time: each
// generation creates its rooms, joins the phones, runs the plan with churn,
// checks the rooms' reports, and then the phones leave and the rooms are
// deleted. Whatever a generation leaves behind on an instance (goroutines,
// open files, live heap, followed rooms) shows up in the quiet samples
// taken between generations, when no room and no phone is left; those
// must stay flat. Continuous samples every few seconds make the plot.

// SoakSample is one reading of one instance.
type SoakSample struct {
	Instance string  `json:"instance"`
	T        float64 `json:"t"` // seconds since the soak started
	Gen      int     `json:"gen"`
	RSSMB    float64 `json:"rss_mb"`
	HeapMB   float64 `json:"heap_alloc_mb"` // live heap right after a forced collection (quiet samples)
	Gorout   float64 `json:"goroutines"`
	FDs      int     `json:"open_fds"`
	Conns    float64 `json:"connections"`
	Rooms    float64 `json:"rooms"`
}

// soakData is what a soak keeps for the report and the plot.
type soakData struct {
	mu          sync.Mutex
	Generations int          `json:"generations"`
	Samples     []SoakSample `json:"samples"`
	// Quiet are the samples between generations, after a forced
	// collection, with every room deleted and every phone gone.
	Quiet []SoakSample `json:"quiet"`
}

func (d *soakData) add(s SoakSample, quiet bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if quiet {
		d.Quiet = append(d.Quiet, s)
	} else {
		d.Samples = append(d.Samples, s)
	}
}

// soakMetrics are the figures read from each instance's /metrics, summed
// over their labels.
var soakMetrics = []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "stoppunkt_connections", "stoppunkt_rooms_active"}

// runSoak runs generations until the scenario's For has passed (the
// generation running then finishes), sampling all along.
func (r *run) runSoak(ctx context.Context) error {
	data := &soakData{}
	r.status = r.startStatusCache(ctx, 500*time.Millisecond)
	start := time.Now()
	gen := 0
	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.sampleSoak(sctx, data, start, &gen)
	}()
	defer func() {
		stopSampling()
		wg.Wait()
		r.finishSoak(data)
	}()
	// The quiet state before any room: the reference for the first
	// generation (JetStream and the HTTP server warm up during it).
	if err := r.quietSample(ctx, data, start, 0); err != nil {
		return err
	}
	for time.Since(start) < r.sc.For.D() && ctx.Err() == nil {
		r.mu.Lock()
		gen++
		r.mu.Unlock()
		data.mu.Lock()
		data.Generations = gen
		data.mu.Unlock()
		r.logf("generation %d (%.0fs of %s)", gen, time.Since(start).Seconds(), r.sc.For)
		rooms, err := r.addRooms(ctx, r.sc.Rooms)
		if err != nil {
			return fmt.Errorf("generation %d: %w", gen, err)
		}
		if err := r.runRooms(ctx, rooms); err != nil {
			return fmt.Errorf("generation %d: %w", gen, err)
		}
		wr, err := r.collect(ctx)
		if err != nil {
			return fmt.Errorf("generation %d: %w", gen, err)
		}
		bad, ended, detail := r.checkReports(ctx, wr, rooms)
		if bad > 0 || ended != len(rooms) {
			r.count("soak_report_mismatch", int64(bad+len(rooms)-ended))
			r.note("generation %d: %d report mismatches, %d of %d rooms ended; %s", gen, bad, ended, len(rooms), detail)
		}
		if err := r.endRooms(ctx, rooms); err != nil {
			return fmt.Errorf("generation %d: %w", gen, err)
		}
		if err := r.quietSample(ctx, data, start, gen); err != nil {
			return err
		}
	}
	return nil
}

// endRooms has the rooms' phones leave and their facilitators close, then
// deletes the rooms, and drops them from the run (their facilitators'
// errors are kept in the run's counts).
func (r *run) endRooms(ctx context.Context, rooms []*roomInfo) error {
	for _, rm := range rooms {
		for _, wi := range rm.workers {
			if _, err := r.workers[wi].call(ctx, Msg{Op: opForget, Room: rm.id}); err != nil {
				return fmt.Errorf("forget room %d: %w", rm.idx, err)
			}
		}
		if rm.fac != nil {
			for code, n := range rm.fac.errorCounts() {
				r.count("facilitator:"+code, int64(n))
			}
			rm.fac.close()
		}
		if err := deleteRoom(ctx, r.servers[rm.instance].http, rm.id, rm.key); err != nil {
			return err
		}
	}
	gone := map[*roomInfo]bool{}
	for _, rm := range rooms {
		gone[rm] = true
	}
	kept := r.rooms[:0]
	for _, rm := range r.rooms {
		if !gone[rm] {
			kept = append(kept, rm)
		}
	}
	clear(r.rooms[len(kept):])
	r.rooms = kept
	return nil
}

// deleteRoom deletes a room at once through the REST API.
func deleteRoom(ctx context.Context, base, roomID, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, base+"/api/rooms/"+roomID, nil)
	if err != nil {
		return fmt.Errorf("delete room: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("delete room: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("delete room %s: %s: %s", roomID, resp.Status, strings.TrimSpace(string(b)))
	}
	return nil
}

// quietSample waits until no instance follows a room or holds a
// connection (10 s at most, a third of the time an unused room lingers;
// a count that stays up is a leak and an error), forces a collection on
// each, and samples them.
func (r *run) quietSample(ctx context.Context, data *soakData, start time.Time, gen int) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		busy := ""
		for _, s := range r.servers {
			m, err := scrapeSums(ctx, s.http+"/metrics", soakMetrics)
			if err != nil {
				return fmt.Errorf("quiet sample: %s: %w", s.name, err)
			}
			if m["stoppunkt_rooms_active"] > 0 || m["stoppunkt_connections"] > 0 {
				busy = fmt.Sprintf("%s follows %.0f rooms and holds %.0f connections", s.name, m["stoppunkt_rooms_active"], m["stoppunkt_connections"])
			}
		}
		if busy == "" {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.count("soak_not_released", 1)
			r.note("after generation %d: %s 10 s after its rooms were deleted", gen, busy)
			break
		}
		sleepCtx(ctx, 500*time.Millisecond)
	}
	// Let connection goroutines and timers of the last phones end.
	sleepCtx(ctx, 2*time.Second)
	for _, s := range r.servers {
		if s.pprof != "" {
			if err := forceGC(ctx, s.pprof); err != nil {
				r.note("force a collection on %s: %v", s.name, err)
			}
		}
		smp, err := r.sampleInstance(ctx, s, start, gen)
		if err != nil {
			return fmt.Errorf("quiet sample: %w", err)
		}
		data.add(smp, true)
	}
	return nil
}

// sampleSoak samples every instance every few seconds until ctx ends.
func (r *run) sampleSoak(ctx context.Context, data *soakData, start time.Time, gen *int) {
	every := 5 * time.Second
	if r.sc.For.D() > 30*time.Minute {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		g := *gen
		r.mu.Unlock()
		for _, s := range r.servers {
			if smp, err := r.sampleInstance(ctx, s, start, g); err == nil {
				data.add(smp, false)
			}
		}
	}
}

// sampleInstance reads one instance's /metrics and /proc.
func (r *run) sampleInstance(ctx context.Context, s *server, start time.Time, gen int) (SoakSample, error) {
	m, err := scrapeSums(ctx, s.http+"/metrics", soakMetrics)
	if err != nil {
		return SoakSample{}, fmt.Errorf("%s: %w", s.name, err)
	}
	smp := SoakSample{Instance: s.name, T: round2(time.Since(start).Seconds()), Gen: gen,
		HeapMB: round2(m["go_memstats_heap_alloc_bytes"] / (1 << 20)), Gorout: m["go_goroutines"],
		Conns: m["stoppunkt_connections"], Rooms: m["stoppunkt_rooms_active"]}
	if s.watch != nil {
		p := s.watch.Sample()
		smp.RSSMB, smp.FDs = mb(p.RSSKB), p.OpenFDs
	}
	return smp, nil
}

// forceGC asks an instance's pprof server for a heap profile after a
// collection, which makes the runtime collect; the profile is discarded.
func forceGC(ctx context.Context, pprofAddr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+pprofAddr+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// scrapeSums reads a Prometheus text endpoint and sums each named metric
// over its labels.
func scrapeSums(ctx context.Context, url string, names []string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end < 0 || !want[line[:end]] {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			out[line[:end]] += v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return out, nil
}

// finishSoak judges the quiet samples, reports the figures and writes the
// plot. The quiet sample after the first generation is the reference:
// the first generation warms up caches and pools that then stay.
func (r *run) finishSoak(data *soakData) {
	data.mu.Lock()
	defer data.mu.Unlock()
	r.setExtra("soak", data)
	r.result("generations", float64(data.Generations), "", "", nil)
	r.result("soak length", r.sc.For.D().Minutes(), "min", "", nil)
	byInst := map[string][]SoakSample{}
	for _, q := range data.Quiet {
		byInst[q.Instance] = append(byInst[q.Instance], q)
	}
	for _, s := range r.servers {
		qs := byInst[s.name]
		if len(qs) < 3 {
			r.check("soak long enough to judge", false, "%s: %d quiet samples; at least 3 (before, after 2 generations) are needed", s.name, len(qs))
			continue
		}
		ref, last := qs[1], qs[len(qs)-1]
		r.result(s.name+" goroutines after generation 1 / last", last.Gorout, "", fmt.Sprintf("<= %.0f", ref.Gorout+slack(ref.Gorout, 0.02, 10)), nil)
		r.check(s.name+": goroutines flat", last.Gorout <= ref.Gorout+slack(ref.Gorout, 0.02, 10),
			"%.0f after generation 1, %.0f after generation %d", ref.Gorout, last.Gorout, last.Gen)
		r.check(s.name+": open files flat", float64(last.FDs) <= float64(ref.FDs)+slack(float64(ref.FDs), 0.02, 10),
			"%d after generation 1, %d after generation %d", ref.FDs, last.FDs, last.Gen)
		r.check(s.name+": live heap flat", last.HeapMB <= ref.HeapMB+slack(ref.HeapMB, 0.15, 4),
			"%.1f MB after generation 1, %.1f MB after generation %d (%+.1f MB/hour)", ref.HeapMB, last.HeapMB, last.Gen,
			slopePerHour(qs[1:], func(q SoakSample) float64 { return q.HeapMB }))
		r.result(s.name+" live heap after generation 1", ref.HeapMB, "MB", "", nil)
		r.result(s.name+" live heap at the end", last.HeapMB, "MB", "", nil)
		r.result(s.name+" RSS after generation 1", ref.RSSMB, "MB", "", nil)
		r.result(s.name+" RSS at the end", last.RSSMB, "MB", "", nil)
		r.result(s.name+" RSS trend over the quiet samples", round2(slopePerHour(qs[1:], func(q SoakSample) float64 { return q.RSSMB })), "MB/h", "", nil)
		released := true
		for _, q := range qs {
			released = released && q.Rooms == 0 && q.Conns == 0
		}
		r.check(s.name+": every room and connection released after each generation", released, "%d quiet samples", len(qs))
	}
	if r.opts.PlotPath != "" {
		if err := writeSoakPlot(r.opts.PlotPath, r.sc, data); err != nil {
			r.note("plot: %v", err)
		} else {
			r.note("plot: %s", r.opts.PlotPath)
		}
	}
}

// slack is how much a figure may grow: a share of it or a floor.
func slack(v, share, floor float64) float64 { return math.Max(v*share, floor) }

// slopePerHour is the least-squares slope of f over the samples' times,
// per hour.
func slopePerHour(qs []SoakSample, f func(SoakSample) float64) float64 {
	n := float64(len(qs))
	if n < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, q := range qs {
		x, y := q.T/3600, f(q)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}

// writeSoakPlot writes the samples as an SVG: RSS, live heap, goroutines
// and open files per instance over time, quiet samples as dots.
func writeSoakPlot(path string, sc Scenario, data *soakData) error {
	panels := []plotPanel{
		{Title: "RSS", Unit: "MB", Y: func(s SoakSample) float64 { return s.RSSMB }},
		{Title: "heap allocated", Unit: "MB", Y: func(s SoakSample) float64 { return s.HeapMB }},
		{Title: "goroutines", Y: func(s SoakSample) float64 { return s.Gorout }},
		{Title: "open files", Y: func(s SoakSample) float64 { return float64(s.FDs) }},
	}
	title := fmt.Sprintf("soak: %d rooms x %d phones per generation, %d instances, %d generations in %.0f min",
		sc.Rooms, sc.Phones, sc.Instances, data.Generations, sc.For.D().Minutes())
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := renderPlot(f, title, panels, data.Samples, data.Quiet); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// finishSoakRun checks correctness over every generation: the rooms'
// reports were checked as each generation ended (mismatches are counted
// as errors), and what the workers folded in when they forgot a room
// counts here.
func (r *run) finishSoakRun(wr *WorkerReport) {
	c := wr.Counters
	r.check("every phone got every event", c["missing_event"] == 0 && c["duplicate_event"] == 0,
		"%d missed, %d twice", c["missing_event"], c["duplicate_event"])
	r.check("every submission acknowledged exactly once", c["unacked"] == 0 && c["duplicate_ack"] == 0 && c["unexpected_ack"] == 0,
		"%d unacknowledged, %d acknowledged twice, %d unexpected acks", c["unacked"], c["duplicate_ack"], c["unexpected_ack"])
	r.mu.Lock()
	mismatches := r.counts["soak_report_mismatch"]
	r.mu.Unlock()
	r.check("every generation's reports count every acknowledged answer, every room ended", mismatches == 0, "%d mismatches", mismatches)
	r.check("no errors", r.errorCount(wr) == 0, "%d (see errors; late input refused as stale or not_open is not counted)", r.errorCount(wr))
	r.result("phones joined over the soak", float64(c["forgotten_phones"]+c["phones"]), "", "", nil)
}
