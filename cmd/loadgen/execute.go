package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// runScenario runs one scenario from start to teardown and returns its
// report; a failure is recorded in the report, not returned.
func runScenario(ctx context.Context, opts *Options, sc Scenario) *Report {
	r := &run{opts: opts, sc: sc, t0: time.Now(), barrier: newBarrier(), facHist: Histograms{}, counts: map[string]int64{},
		loadStart: loadAvg()}
	r.logf("starting: %s", describe(sc))
	fail := func(err error, wr *WorkerReport) *Report {
		rep := r.buildReport(wr)
		rep.Failed = err.Error()
		rep.Dir = r.dir
		return rep
	}
	err := r.setup(ctx)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	for _, s := range r.watched() {
		s.watch.Sample()
		go s.watch.run(wctx, time.Second)
	}
	r.busyStart, _, _ = machineCPU()
	if self, err := ReadProc(os.Getpid()); err == nil {
		r.selfCPUStart = self.CPUSecs
	}
	if err != nil {
		rep := fail(err, nil)
		r.teardown()
		return rep
	}
	switch sc.Kind {
	case KindFanout:
		err = r.runFanout(ctx)
	case KindIdle:
		err = r.runIdle(ctx)
	case KindJoins:
		err = r.runJoins(ctx)
	case KindVotes:
		err = r.runVotes(ctx)
	case KindSession:
		err = r.runSession(ctx)
	case KindEvent:
		err = r.runEvent(ctx)
	case KindSoak:
		err = r.runSoak(ctx)
	default:
		err = fmt.Errorf("no runner for kind %q", sc.Kind)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wr, cerr := r.collect(cctx)
	if err == nil {
		err = cerr
	}
	if wr != nil && err == nil {
		switch sc.Kind {
		case KindFanout:
			r.finishFanout(wr)
		case KindVotes:
			r.finishVotes(cctx, wr)
		case KindSession:
			r.finishSession(cctx, wr)
		case KindEvent:
			r.finishEvent(cctx, wr)
		case KindSoak:
			r.finishSoakRun(wr)
		}
	}
	stopWatch()
	var rep *Report
	if err != nil {
		rep = fail(err, wr)
	} else {
		rep = r.buildReport(wr)
	}
	r.teardown()
	if rep.Passed() && !opts.Keep && r.dir != "" {
		_ = os.RemoveAll(r.dir)
	} else {
		rep.Dir = r.dir
	}
	return rep
}

func describe(sc Scenario) string {
	return fmt.Sprintf("%s, %d room(s) x %d phones, %d instance(s), nats %s", sc.Kind, sc.Rooms, sc.Phones, sc.Instances, sc.NATS)
}

// comparisons are figures across scenarios of one invocation.
func comparisons(reps []*Report) []Result {
	var keynote, big float64
	for _, rep := range reps {
		for _, res := range rep.Results {
			if res.Name != "stoppunkt p99 delivery of a step change" {
				continue
			}
			switch rep.Scenario {
			case "keynote":
				keynote = res.Value
			case "bigroom":
				big = res.Value
			}
		}
	}
	if keynote == 0 || big == 0 {
		return nil
	}
	ratio := big / keynote
	met := ratio <= 1.5
	return []Result{{Name: "big room p99 / keynote p99 (three instances vs one)", Value: round2(ratio), Unit: "x", Target: "<= 1.5", Met: &met}}
}

var errChecksFailed = errors.New("checks failed")
