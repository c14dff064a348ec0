package main

import (
	"context"
	"fmt"
	"time"
)

// runIdle connects many phones to one instance, lets them sit, and reads
// the server's RSS per connected phone.
func (r *run) runIdle(ctx context.Context) error {
	if err := r.createRooms(ctx, r.sc.Rooms); err != nil {
		return err
	}
	sleepCtx(ctx, 2*time.Second)
	before := r.rssKB()
	start := time.Now()
	added, err := r.addPhones(ctx, r.phoneSpecsPerRoom())
	if err != nil {
		return err
	}
	r.logf("%d phones connected, %d failed, in %.1fs; holding %s", added.Connected, added.Failed, time.Since(start).Seconds(), r.sc.Hold)
	sleepCtx(ctx, r.sc.Hold.D())
	r.captureHeap(ctx, "idle")
	after := r.rssKB()
	st, err := r.statusOf(ctx)
	if err != nil {
		return err
	}
	connected := 0
	for _, rs := range st {
		connected += rs.Connected
	}
	r.check("every phone connected and still connected", added.Failed == 0 && connected == r.sc.Rooms*r.sc.Phones,
		"%d connected of %d, %d failed", connected, r.sc.Rooms*r.sc.Phones, added.Failed)
	r.result("connected phones", float64(connected), "", "", nil)
	r.result("server RSS before phones", float64(before)/1024, "MB", "", nil)
	r.result("server RSS with phones", float64(after)/1024, "MB", "", nil)
	if connected > 0 {
		r.result("server RSS per connected phone", float64(after-before)/float64(connected), "KB", "<= 16",
			func(v float64) bool { return v <= 16 })
	}
	// Where the memory is, as the Go runtime sees it.
	if m, err := scrapeRuntime(ctx, r.servers[0].http+"/metrics"); err == nil && connected > 0 {
		r.setExtra("runtime", m)
		per := func(name string) float64 { return m[name] / 1024 / float64(connected) }
		r.result("goroutines per connected phone", m["go_goroutines"]/float64(connected), "", "", nil)
		r.result("heap in use per phone (incl. room state)", per("go_memstats_heap_inuse_bytes"), "KB", "", nil)
		r.result("goroutine stacks per phone", per("go_memstats_stack_inuse_bytes"), "KB", "", nil)
	}
	return nil
}

// runJoins has phones join at the scenario's rate (a join storm) and
// counts the joins that failed.
func (r *run) runJoins(ctx context.Context) error {
	if err := r.createRooms(ctx, r.sc.Rooms); err != nil {
		return err
	}
	start := time.Now()
	added, err := r.addPhones(ctx, r.phoneSpecsPerRoom())
	if err != nil {
		return err
	}
	took := time.Since(start)
	r.logf("%d joined, %d failed, in %.1fs", added.Connected, added.Failed, took.Seconds())
	sleepCtx(ctx, r.sc.Hold.D())
	st, err := r.statusOf(ctx)
	if err != nil {
		return err
	}
	connected := 0
	for _, rs := range st {
		connected += rs.Connected
	}
	want := r.sc.Rooms * r.sc.Phones
	r.result("failed joins", float64(added.Failed), "", "0", func(v float64) bool { return v == 0 })
	r.result("joins", float64(added.Connected), "", "", nil)
	if r.sc.JoinRate > 0 {
		r.result("phones arrived over", float64(want)/r.sc.JoinRate, "s", "<= 5", func(v float64) bool { return v <= 5 })
	}
	r.result("time for all joins (last welcome)", took.Seconds(), "s", "", nil)
	r.result("join rate achieved", float64(added.Connected)/took.Seconds(), "/s", "", nil)
	r.check("every phone joined and stayed connected", added.Failed == 0 && connected == want,
		"%d joined, %d connected after %s, of %d", added.Connected, connected, r.sc.Hold, want)
	for _, rm := range r.rooms {
		if rm.fac == nil {
			continue
		}
		if err := rm.fac.lost(); err != nil {
			r.check("facilitator stayed connected through the storm", false, "%v", err)
		} else {
			r.check("facilitator stayed connected through the storm", true, "connected")
		}
	}
	return nil
}

// phoneSpecsPerRoom asks for the scenario's phones in every room, spread
// over every instance.
func (r *run) phoneSpecsPerRoom() []phoneSpec {
	specs := make([]phoneSpec, 0, len(r.rooms))
	for _, rm := range r.rooms {
		specs = append(specs, phoneSpec{room: rm, label: "stoppunkt", count: r.sc.Phones, urls: r.stoppunktURLs(), behavior: r.sc.Behavior})
	}
	return specs
}

// rssKB sums the RSS of the stoppunkt instances.
func (r *run) rssKB() uint64 {
	var total uint64
	for _, s := range r.servers {
		if s.watch != nil {
			total += s.watch.Sample().RSSKB
		}
	}
	return total
}

// captureHeap saves a heap profile of each instance with a pprof address.
func (r *run) captureHeap(ctx context.Context, name string) {
	if r.opts.ProfileDir == "" {
		return
	}
	for _, s := range r.servers {
		if s.pprof == "" {
			continue
		}
		path := fmt.Sprintf("%s/%s-%s-heap.pprof", r.opts.ProfileDir, name, s.name)
		if err := fetchProfile(ctx, "http://"+s.pprof+"/debug/pprof/heap?gc=1", path); err != nil {
			r.note("heap profile of %s: %v", s.name, err)
		} else {
			r.note("heap profile: %s", path)
		}
	}
}
