package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// runSession is the conference and the smoke test: every room runs its
// whole plan with its own facilitator while the phones vote, change votes,
// write, go quiet, and (with churn) drop and come back.
func (r *run) runSession(ctx context.Context) error {
	rooms, err := r.addRooms(ctx, r.sc.Rooms)
	if err != nil {
		return err
	}
	r.status = r.startStatusCache(ctx, 250*time.Millisecond)
	waitProfile := r.startCPUProfiles(ctx, r.sc.Name)
	defer waitProfile()
	return r.runRooms(ctx, rooms)
}

// runRooms joins the rooms' phones, starts churn, has every facilitator
// drive its room through the plan, stops churn, and waits until dropped
// phones are back and every submission has settled.
func (r *run) runRooms(ctx context.Context, rooms []*roomInfo) error {
	specs := make([]phoneSpec, 0, len(rooms))
	for _, rm := range rooms {
		// Phones of a room spread over every instance.
		urls := rotate(r.stoppunktURLs(), rm.idx)
		specs = append(specs, phoneSpec{room: rm, label: "stoppunkt", count: r.sc.Phones, urls: urls, behavior: r.sc.Behavior})
	}
	start := time.Now()
	added, err := r.addPhones(ctx, specs)
	if err != nil {
		return err
	}
	r.logf("%d phones connected, %d failed, in %.1fs", added.Connected, added.Failed, time.Since(start).Seconds())
	if r.sc.Churn.Every > 0 {
		if err := r.setChurn(ctx, "stoppunkt", r.sc.Churn); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(rooms))
	for _, rm := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Rooms do not start in lockstep.
			if d := r.sc.StartSpread.D(); d > 0 {
				sleepCtx(ctx, rand.N(d))
			}
			if err := r.drivePlan(ctx, rm); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if r.sc.Churn.Every > 0 {
		_ = r.setChurn(ctx, "stoppunkt", Churn{})
	}
	// Let dropped phones come back and every submission settle.
	for _, rm := range rooms {
		if !r.status.waitRoom(ctx, rm.id, 30*time.Second, func(rs *RoomStatus) bool {
			return rs.Pending == 0 && rs.Connected == rs.Joined
		}) {
			r.note("room %d: submissions still pending or phones away after 30s", rm.idx)
		}
	}
	// Phones that just came back are being replayed what they missed.
	sleepCtx(ctx, time.Second)
	var first error
	n := 0
	for err := range errs {
		if first == nil {
			first = err
		}
		n++
	}
	if first != nil {
		return fmt.Errorf("%d room(s) failed, first: %w", n, first)
	}
	return nil
}

// rotate returns urls starting at the i-th.
func rotate(urls []string, i int) []string {
	out := make([]string, 0, len(urls))
	for k := range urls {
		out = append(out, urls[(i+k)%len(urls)])
	}
	return out
}

// drivePlan is one facilitator running a room through its plan: next;
// start the timer (with Timers); wait until every phone is done with the
// step; reveal results; let breakout timers run out so that groups are
// submitted; approve a group's text and show it in the plenary; move on
// when the timer is out (with Timers) or after the gap; end the room.
func (r *run) drivePlan(ctx context.Context, rm *roomInfo) error {
	do := func(typ string, data any) error {
		_, err := r.command(ctx, rm, "stoppunkt", typ, data, false)
		return err
	}
	for {
		steps, cur, _ := rm.fac.view()
		if cur.Index+1 >= steps {
			break
		}
		if err := do("next", map[string]any{"from": cur.Index}); err != nil {
			return err
		}
		_, st, _ := rm.fac.view()
		kind := st.Content.Kind
		timed := r.sc.Timers && st.Content.Duration > 0
		if timed {
			if err := do("timer", map[string]any{"action": "start"}); err != nil {
				return err
			}
		}
		if !r.status.waitRoom(ctx, rm.id, r.sc.StepTimeout.D(), func(rs *RoomStatus) bool {
			return rs.Done[st.Index] >= rs.Joined
		}) {
			r.count("settle_timeout", 1)
			r.note("room %d step %d (%s): not every phone done within %s", rm.idx, st.Index, kind, r.sc.StepTimeout)
		}
		switch kind {
		case kindPoll, kindScale, kindWordcloud, kindOpen, kindClosing:
			if err := do("reveal", nil); err != nil {
				return err
			}
		case kindBreakout, kindActions:
			if !timed {
				// Run the clock out now: groups that wrote are submitted.
				if err := do("timer", map[string]any{"action": "reset", "seconds": 1}); err != nil {
					return err
				}
				if err := do("timer", map[string]any{"action": "start"}); err != nil {
					return err
				}
			}
			if err := r.waitTimerOut(ctx, rm, st.Index, time.Duration(st.Content.Duration)*time.Second+15*time.Second); err != nil {
				return err
			}
			timed = false
		case "plenary":
			if it, ok := rm.fac.pendingItem("group"); ok {
				if err := do("moderate", map[string]any{"item": it.ID, "status": "approved"}); err != nil {
					return err
				}
				if err := do("show", map[string]any{"items": []string{it.ID}}); err != nil {
					return err
				}
			}
		}
		if timed {
			if err := r.waitTimerOut(ctx, rm, st.Index, time.Duration(st.Content.Duration)*time.Second+15*time.Second); err != nil {
				return err
			}
		} else {
			sleepCtx(ctx, r.sc.Gap.D())
		}
	}
	_, err := r.command(ctx, rm, "stoppunkt", "end", nil, true)
	return err
}

// waitTimerOut waits until the step's timer has run out.
func (r *run) waitTimerOut(ctx context.Context, rm *roomInfo, step int, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := rm.fac.waitFor(wctx, func() bool { return rm.fac.timer.Step == step && rm.fac.timer.Expired })
	if err != nil && ctx.Err() == nil {
		r.count("timer_timeout", 1)
		r.note("room %d step %d: the timer did not run out within %s", rm.idx, step, timeout)
		return nil
	}
	return err
}

// finishSession checks correctness: every phone got every event, every
// submission was acknowledged once, the server's report counts what was
// acknowledged, no errors.
func (r *run) finishSession(ctx context.Context, wr *WorkerReport) {
	c := wr.Counters
	r.check("every phone got every event", c["missing_event"] == 0 && c["duplicate_event"] == 0,
		"%d missed, %d twice", c["missing_event"], c["duplicate_event"])
	r.check("every submission acknowledged exactly once", c["unacked"] == 0 && c["duplicate_ack"] == 0 && c["unexpected_ack"] == 0,
		"%d unacknowledged, %d acknowledged twice, %d unexpected acks", c["unacked"], c["duplicate_ack"], c["unexpected_ack"])
	bad, ended, detail := r.checkReports(ctx, wr, r.rooms)
	r.check("the server's reports count every acknowledged answer", bad == 0, "%s", orDefault(detail, fmt.Sprintf("%d rooms", len(r.rooms))))
	r.check("every room ran to its end", ended == len(r.rooms), "%d of %d ended", ended, len(r.rooms))
	r.check("no errors", r.errorCount(wr) == 0, "%d (see errors; late input refused as stale or not_open is not counted)", r.errorCount(wr))
	// What a room costs on disk, for sizing: the whole room log over the
	// rooms in it.
	if r.natsURL != "" && len(r.rooms) > 0 {
		if msgs, bytes, err := roomLogBytes(ctx, r.natsURL); err == nil {
			r.result("room log per room (JetStream, one replica)", round2(float64(bytes)/float64(len(r.rooms))/1024), "KB", "", nil)
			r.result("room log events per room", round2(float64(msgs)/float64(len(r.rooms))), "", "", nil)
		} else {
			r.note("%v", err)
		}
	}
}

// checkReports fetches each room's report and compares it with what the
// phones had acknowledged: bad counts mismatches (detail names the last),
// ended the rooms that ran to their end.
func (r *run) checkReports(ctx context.Context, wr *WorkerReport, rooms []*roomInfo) (bad, ended int, detail string) {
	for _, rm := range rooms {
		doc, err := fetchReport(ctx, r.servers[rm.instance].http, rm.id, rm.key)
		if err != nil {
			bad++
			detail = err.Error()
			continue
		}
		if doc.Ended {
			ended++
		}
		for _, s := range doc.Steps {
			if !takesAnswers(s.Kind) {
				continue
			}
			if want := wr.Answered[rm.id][s.Index]; s.Answered != want {
				bad++
				detail = fmt.Sprintf("room %d step %d (%s): report says %d answered, phones had %d acknowledged", rm.idx, s.Index, s.Kind, s.Answered, want)
			}
		}
		groups := 0
		for _, s := range doc.Steps {
			for _, t := range s.Texts {
				if t.Kind == "group" {
					groups++
				}
			}
		}
		if groups == 0 && r.sc.Behavior.Act {
			bad++
			detail = fmt.Sprintf("room %d: no group text in the report", rm.idx)
		}
	}
	return bad, ended, detail
}

// errorCount sums every error: the workers', the coordinator's and the
// facilitators'.
func (r *run) errorCount(wr *WorkerReport) int {
	errs := 0
	for k, v := range wr.Counters {
		if isError(k) {
			errs += int(v)
		}
	}
	r.mu.Lock()
	for _, v := range r.counts {
		errs += int(v)
	}
	r.mu.Unlock()
	for _, rm := range r.rooms {
		for _, v := range rm.fac.errorCounts() {
			errs += v
		}
	}
	return errs
}

func takesAnswers(kind string) bool {
	switch kind {
	case kindPoll, kindScale, kindOpen, kindWordcloud, kindClosing:
		return true
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
