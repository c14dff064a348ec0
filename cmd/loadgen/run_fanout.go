package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// runFanout is the keynote and the big room: one room, many phones, the
// facilitator changes steps, and (with Baseline) the raw fan-out server
// broadcasts a frame of the same size to as many phones, the two taking
// turns round by round. Each event waits until every phone has it.
func (r *run) runFanout(ctx context.Context) error {
	if err := r.createRooms(ctx, 1); err != nil {
		return err
	}
	rm := r.rooms[0]
	specs := []phoneSpec{{room: rm, label: "stoppunkt", count: r.sc.Phones, urls: r.stoppunktURLs(), behavior: r.sc.Behavior}}
	if r.sc.Baseline {
		specs = append(specs, phoneSpec{room: rm, label: "baseline", count: r.sc.Phones, urls: []string{r.baseline.ws}, raw: true})
	}
	start := time.Now()
	added, err := r.addPhones(ctx, specs)
	if err != nil {
		return err
	}
	r.logf("%d phones connected, %d failed, in %.1fs", added.Connected, added.Failed, time.Since(start).Seconds())
	if added.Failed > 0 {
		r.note("%d phones failed to connect", added.Failed)
	}

	// Warm up both systems with one unmeasured event each, and learn the
	// size of a participant's step frame for the baseline's payload.
	if err := r.stepChange(ctx, rm, "warmup"); err != nil {
		return err
	}
	st, err := r.statusOf(ctx)
	if err != nil {
		return err
	}
	size := 0
	if rs := st[rm.id]; rs != nil {
		size = rs.StepBytes
	}
	r.result("participant step frame size (baseline payload)", float64(size), "bytes", "", nil)
	bl := &baselineDriver{r: r, room: rm, size: size, seq: 1}
	if r.sc.Baseline {
		if _, err := bl.broadcast(ctx, "warmup"); err != nil {
			return err
		}
	}

	waitProfile := r.startCPUProfiles(ctx, r.sc.Name)
	defer waitProfile()
	rounds := max(r.sc.Rounds, 1)
	per := max(r.sc.StepChanges/rounds, 1)
	for n := 1; n <= rounds; n++ {
		if r.sc.Baseline {
			if err := r.measureRound(ctx, "baseline", n, per, func(label string) (int, error) { return bl.broadcast(ctx, label) }); err != nil {
				return err
			}
		}
		if err := r.measureRound(ctx, "stoppunkt", n, per, func(label string) (int, error) {
			return r.stepChangeCount(ctx, rm, label)
		}); err != nil {
			return err
		}
	}
	return nil
}

// measureRound runs events of one system and records its CPU per delivery.
func (r *run) measureRound(ctx context.Context, system string, n, events int, event func(label string) (int, error)) error {
	label := system + "#r" + strconv.Itoa(n)
	cpu := r.stoppunktCPU
	if system == "baseline" {
		cpu = func() time.Duration { return r.baseline.watch.Sample().CPU }
	}
	c0, t0 := cpu(), time.Now()
	deliveries := 0
	for i := 0; i < events; i++ {
		d, err := event(label)
		if err != nil {
			return err
		}
		deliveries += d
		sleepCtx(ctx, r.sc.Gap.D())
	}
	c1, t1 := cpu(), time.Now()
	rd := Round{System: system, N: n, Events: events, Deliveries: deliveries, Seconds: round2(t1.Sub(t0).Seconds()),
		CPUSeconds: round2((c1 - c0).Seconds())}
	if deliveries > 0 {
		rd.CPUPerDeliveryUs = round2(float64((c1 - c0).Microseconds()) / float64(deliveries))
	}
	r.mu.Lock()
	r.rounds = append(r.rounds, rd)
	r.mu.Unlock()
	r.logf("round %d %s: %d events, %d deliveries, cpu %.2fs", n, system, events, deliveries, rd.CPUSeconds)
	return nil
}

// stepChange moves the room one step on (back to the first after the last).
func (r *run) stepChange(ctx context.Context, rm *roomInfo, label string) error {
	_, err := r.stepChangeCount(ctx, rm, label)
	return err
}

func (r *run) stepChangeCount(ctx context.Context, rm *roomInfo, label string) (int, error) {
	steps, cur, _ := rm.fac.view()
	typ, data := "next", any(map[string]any{"from": cur.Index})
	if cur.Index+1 >= steps {
		typ, data = "goto", map[string]any{"step": 0, "from": cur.Index}
	}
	sent, seq, err := rm.fac.command(ctx, typ, data)
	if !sent.IsZero() {
		r.mu.Lock()
		r.facHist.Get("command " + typ).Record(time.Since(sent))
		r.mu.Unlock()
	}
	if err != nil {
		r.count("facilitator:error", 1)
		return 0, fmt.Errorf("step change: %w", err)
	}
	// goto and next send the same frames; name both "step change".
	got := r.mark(ctx, rm.id, rm.workers, seq, sent, label+" step-change", commandTypes[typ], true)
	return got, nil
}

// baselineDriver triggers the raw fan-out server's broadcasts.
type baselineDriver struct {
	r    *run
	room *roomInfo
	size int
	seq  uint64
}

// broadcast sends one frame to every baseline phone and waits until all
// have it; it returns how many got it.
func (b *baselineDriver) broadcast(ctx context.Context, label string) (int, error) {
	b.seq++
	url := fmt.Sprintf("%s/broadcast?seq=%d&size=%d", b.r.baseline.http, b.seq, b.size)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return 0, err
	}
	sent := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("baseline broadcast: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("baseline broadcast: %s", resp.Status)
	}
	return b.r.mark(ctx, "baseline", b.room.workers, b.seq, sent, label+" broadcast", []string{"step"}, true), nil
}

// finishFanout adds each round's p99 and the ratios to the baseline.
func (r *run) finishFanout(wr *WorkerReport) {
	keyOf := func(system string, n int) string {
		if system == "baseline" {
			return "baseline#r" + strconv.Itoa(n) + " broadcast/step"
		}
		return "stoppunkt#r" + strconv.Itoa(n) + " step-change/step"
	}
	totals := map[string]*Histogram{"stoppunkt": {}, "baseline": {}}
	cpu := map[string]float64{}
	del := map[string]int{}
	r.mu.Lock()
	for i := range r.rounds {
		rd := &r.rounds[i]
		if h := wr.Hists[keyOf(rd.System, rd.N)]; h != nil {
			rd.P99ms = ms(h.Quantile(0.99))
			totals[rd.System].Merge(h)
		}
		cpu[rd.System] += rd.CPUSeconds
		del[rd.System] += rd.Deliveries
	}
	r.mu.Unlock()
	sp, bl := totals["stoppunkt"], totals["baseline"]
	expected := r.sc.Phones * max(r.sc.StepChanges/max(r.sc.Rounds, 1), 1) * max(r.sc.Rounds, 1)
	r.check("every phone got every step change", int(sp.Count()) >= expected && del["stoppunkt"] >= expected,
		"%d of %d deliveries", del["stoppunkt"], expected)
	r.result("stoppunkt p99 delivery of a step change", ms(sp.Quantile(0.99)), "ms", "", nil)
	r.result("stoppunkt p50 delivery of a step change", ms(sp.Quantile(0.50)), "ms", "", nil)
	if del["stoppunkt"] > 0 {
		r.result("stoppunkt CPU per delivered step change", cpu["stoppunkt"]*1e6/float64(del["stoppunkt"]), "µs", "", nil)
	}
	if !r.sc.Baseline || bl.Count() == 0 {
		return
	}
	r.result("baseline p99 delivery", ms(bl.Quantile(0.99)), "ms", "", nil)
	r.result("baseline p50 delivery", ms(bl.Quantile(0.50)), "ms", "", nil)
	if del["baseline"] > 0 {
		r.result("baseline CPU per delivered frame", cpu["baseline"]*1e6/float64(del["baseline"]), "µs", "", nil)
	}
	if p := bl.Quantile(0.99); p > 0 {
		r.result("p99 ratio stoppunkt/baseline", float64(sp.Quantile(0.99))/float64(p), "x", "<= 1.25",
			func(v float64) bool { return v <= 1.25 })
	}
	if del["stoppunkt"] > 0 && del["baseline"] > 0 && cpu["baseline"] > 0 {
		ratio := (cpu["stoppunkt"] / float64(del["stoppunkt"])) / (cpu["baseline"] / float64(del["baseline"]))
		r.result("CPU per delivered event ratio stoppunkt/baseline", ratio, "x", "<= 1.3",
			func(v float64) bool { return v <= 1.3 })
	}
}
