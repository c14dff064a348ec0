package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxDialsInFlight bounds concurrent handshakes per worker (below the
// kernel's accept backlog, somaxconn 4096). Arrivals are paced by the
// batch's rate, not by how fast the server answers, as real phones are.
const maxDialsInFlight = 4000

// worker holds phones in one process and answers the coordinator.
type worker struct {
	ctx    context.Context
	cancel context.CancelFunc
	conn   *msgConn
	init   WorkerInit

	mu       sync.Mutex
	rooms    map[string]*roomTrack
	phones   []*phone
	churns   map[string]context.CancelFunc
	notices  map[string]*noticeWatch // announcements, by text
	phonesWG sync.WaitGroup

	cmu      sync.Mutex
	counters map[string]int64
	hists    Histograms

	out        chan Msg
	quit       chan struct{} // closed when the worker returns; emit stops waiting
	atDeadline func()
}

// runWorker serves the coordinator on r and w until it says stop, the
// stream ends, or ctx ends. atDeadline runs if the run's deadline passes
// with the worker still going (a process worker exits then).
func runWorker(ctx context.Context, r io.Reader, w io.Writer, atDeadline func()) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wk := &worker{ctx: ctx, cancel: cancel, conn: newMsgConn(r, w), atDeadline: atDeadline,
		rooms: map[string]*roomTrack{}, churns: map[string]context.CancelFunc{},
		counters: map[string]int64{}, hists: Histograms{}, out: make(chan Msg, 4096), quit: make(chan struct{})}
	writerDone := make(chan struct{})
	go wk.writeLoop(writerDone)
	defer func() {
		close(wk.quit)
		<-writerDone
	}()
	for {
		m, err := wk.conn.read()
		if err != nil {
			wk.stopAll()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if m.Op == opStop {
			wk.stopAll()
			wk.emit(Msg{Op: opReply, ID: m.ID})
			return nil
		}
		wk.handle(m)
	}
}

// writeLoop writes queued messages to the coordinator; once quit is
// closed it writes what is left and returns.
func (wk *worker) writeLoop(done chan<- struct{}) {
	defer close(done)
	write := func(m Msg) {
		if err := wk.conn.write(m); err != nil {
			wk.cancel()
		}
	}
	for {
		select {
		case m := <-wk.out:
			write(m)
		case <-wk.quit:
			for {
				select {
				case m := <-wk.out:
					write(m)
				default:
					return
				}
			}
		}
	}
}

// handle runs one request; slow ones run in their own goroutine.
func (wk *worker) handle(m Msg) {
	reply := func(r Msg) {
		r.Op, r.ID = opReply, m.ID
		wk.emit(r)
	}
	switch m.Op {
	case opInit:
		if m.Init == nil {
			reply(Msg{Err: "init without settings"})
			return
		}
		wk.init = *m.Init
		if m.Init.DeadlineUnixMs > 0 && wk.atDeadline != nil {
			t := time.AfterFunc(time.Until(time.UnixMilli(m.Init.DeadlineUnixMs))+30*time.Second, wk.atDeadline)
			context.AfterFunc(wk.ctx, func() { t.Stop() })
		}
		reply(Msg{})
	case opAdd:
		go func() {
			res, err := wk.add(m.Batch)
			if err != nil {
				reply(Msg{Err: err.Error()})
				return
			}
			reply(Msg{Added: res})
		}()
	case opMark:
		if m.Mark != nil {
			wk.room(m.Mark.Room).addMark(*m.Mark)
		}
	case opChurn:
		wk.churn(m.Batch, m.Churn)
		reply(Msg{})
	case opStatus:
		reply(Msg{Status: wk.status()})
	case opReport:
		reply(Msg{Report: wk.report()})
	case opNotice:
		if m.Notice == nil {
			reply(Msg{Err: "notice without an announcement"})
			return
		}
		wk.notice(*m.Notice)
		reply(Msg{})
	case opForget:
		go func() {
			wk.forget(m.Room)
			reply(Msg{})
		}()
	default:
		reply(Msg{Err: "unknown op " + strconv.Quote(m.Op)})
	}
}

// emit queues a message to the coordinator.
func (wk *worker) emit(m Msg) {
	select {
	case wk.out <- m:
	case <-wk.quit:
	}
}

func (wk *worker) room(id string) *roomTrack {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	rt := wk.rooms[id]
	if rt == nil {
		rt = newRoomTrack(id, wk)
		wk.rooms[id] = rt
	}
	return rt
}

func (wk *worker) count(key string, n int64) {
	wk.cmu.Lock()
	wk.counters[key] += n
	wk.cmu.Unlock()
}

func (wk *worker) hist(key string, d time.Duration) {
	wk.cmu.Lock()
	wk.hists.Get(key).Record(d)
	wk.cmu.Unlock()
}

// add connects a batch of phones at its rate and returns when each has
// connected or failed.
func (wk *worker) add(b *Batch) (*AddResult, error) {
	if b == nil || b.Count <= 0 || len(b.URLs) == 0 {
		return nil, errors.New("empty batch")
	}
	rt := wk.room(b.Room)
	lim := rate.NewLimiter(rate.Inf, 1)
	if b.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(b.Rate), 1)
	}
	sem := make(chan struct{}, maxDialsInFlight)
	results := make(chan error, b.Count)
	cfg := phoneConfig(b)
	for i := 0; i < b.Count; i++ {
		if err := lim.Wait(wk.ctx); err != nil {
			results <- err
			continue
		}
		g := b.First + i
		p := newPhone(wk, b, cfg, rt, g, sourceAddr(g, wk.init.PhonesPerIP))
		wk.mu.Lock()
		wk.phones = append(wk.phones, p)
		wk.mu.Unlock()
		rt.mu.Lock()
		rt.phones = append(rt.phones, p)
		rt.mu.Unlock()
		sem <- struct{}{}
		first := make(chan error, 1)
		wk.phonesWG.Add(1)
		go func() {
			defer wk.phonesWG.Done()
			p.run(wk.ctx, first)
		}()
		go func() {
			err := <-first
			<-sem
			results <- err
		}()
	}
	res := &AddResult{}
	for i := 0; i < b.Count; i++ {
		if err := <-results; err != nil {
			res.Failed++
		} else {
			res.Connected++
		}
	}
	return res, nil
}

// sourceAddr spreads phones over loopback source addresses, perIP each:
// 127.0.0.2 onwards, skipping .0, .1 and .255 in the last byte.
func sourceAddr(g, perIP int) string {
	if perIP <= 0 {
		perIP = 20
	}
	n := g / perIP
	last := 2 + n%250
	n /= 250
	return net.IPv4(127, byte(n/256), byte(n%256), byte(last)).String()
}

// churn starts (or with Every 0 stops) dropping the phones of a batch's
// label at random; they come back with their token and last sequence.
func (wk *worker) churn(b *Batch, c *Churn) {
	if b == nil || c == nil {
		return
	}
	wk.mu.Lock()
	if stop := wk.churns[b.Label]; stop != nil {
		stop()
		delete(wk.churns, b.Label)
	}
	if c.Every <= 0 || c.Share <= 0 {
		wk.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(wk.ctx)
	wk.churns[b.Label] = cancel
	wk.mu.Unlock()
	go func() {
		t := time.NewTicker(c.Every.D())
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			wk.mu.Lock()
			phones := append([]*phone(nil), wk.phones...)
			wk.mu.Unlock()
			for _, p := range phones {
				if p.b.Label != b.Label || rand.Float64() >= c.Share {
					continue
				}
				offline := time.Duration(float64(c.Offline.D()) * (0.5 + rand.Float64()))
				if p.drop(offline) {
					wk.count("dropped", 1)
				}
			}
		}
	}()
}

// status counts phones per room.
func (wk *worker) status() *WorkerStatus {
	wk.mu.Lock()
	rooms := make([]*roomTrack, 0, len(wk.rooms))
	for _, rt := range wk.rooms {
		rooms = append(rooms, rt)
	}
	wk.mu.Unlock()
	st := &WorkerStatus{Rooms: map[string]*RoomStatus{}}
	for _, rt := range rooms {
		rt.mu.Lock()
		phones := append([]*phone(nil), rt.phones...)
		rs := &RoomStatus{Done: map[int]int{}, StepBytes: rt.stepBytes}
		rt.mu.Unlock()
		for _, p := range phones {
			st.Phones++
			if p.joinedSeq.Load() > 0 {
				rs.Joined++
			}
			if p.live.Load() {
				rs.Connected++
				st.Connected++
			}
			p.mu.Lock()
			if p.joinedSeq.Load() > 0 {
				rs.Done[p.doneStep]++
			}
			rs.Pending += len(p.order)
			p.mu.Unlock()
		}
		st.Rooms[rt.id] = rs
	}
	return st
}

// report gathers everything measured so far.
func (wk *worker) report() *WorkerReport {
	wk.mu.Lock()
	rooms := make([]*roomTrack, 0, len(wk.rooms))
	for _, rt := range wk.rooms {
		rooms = append(rooms, rt)
	}
	wk.mu.Unlock()
	rep := &WorkerReport{Hists: Histograms{}, Counters: map[string]int64{}, Bursts: map[string]*Burst{},
		Answered: map[string]map[int]int{}}
	wk.cmu.Lock()
	rep.Hists.Merge(wk.hists)
	for k, v := range wk.counters {
		rep.Counters[k] = v
	}
	wk.cmu.Unlock()
	for _, rt := range rooms {
		missing := rt.missing()
		rt.mu.Lock()
		rep.Hists.Merge(rt.hists)
		for step, b := range rt.bursts {
			cp := *b
			rep.Bursts[rt.id+"/"+strconv.Itoa(step)] = &cp
		}
		phones := append([]*phone(nil), rt.phones...)
		rt.mu.Unlock()
		rep.Counters["missing_event"] += int64(missing)
		answered := map[int]int{}
		for _, p := range phones {
			rep.Counters["phones"]++
			if p.joinedSeq.Load() > 0 {
				rep.Counters["joined"]++
			}
			p.mu.Lock()
			for step := range p.answered {
				answered[step]++
			}
			p.mu.Unlock()
			rep.Counters["unacked"] += int64(p.unacked())
		}
		rep.Answered[rt.id] = answered
	}
	wk.noticeReport(rep)
	return rep
}

// stopAll closes every phone and waits for their goroutines.
func (wk *worker) stopAll() {
	wk.mu.Lock()
	phones := append([]*phone(nil), wk.phones...)
	for _, stop := range wk.churns {
		stop()
	}
	wk.mu.Unlock()
	for _, p := range phones {
		p.close()
	}
	wk.cancel()
	done := make(chan struct{})
	go func() { wk.phonesWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(stderr, "loadgen worker: phones did not stop within 10s")
	}
}

// forget closes the phones of a room that is over and keeps only its
// figures: its histograms, missed events and unacknowledged submissions
// are folded into the worker's totals. A soak runs room after room; this
// keeps the worker's memory to the rooms that still run.
func (wk *worker) forget(id string) {
	wk.mu.Lock()
	rt := wk.rooms[id]
	delete(wk.rooms, id)
	var gone []*phone
	if rt != nil {
		kept := wk.phones[:0]
		for _, p := range wk.phones {
			if p.rt == rt {
				gone = append(gone, p)
			} else {
				kept = append(kept, p)
			}
		}
		clear(wk.phones[len(kept):])
		wk.phones = kept
	}
	wk.mu.Unlock()
	if rt == nil {
		return
	}
	for _, p := range gone {
		p.close()
	}
	missing := rt.missing()
	unacked := 0
	for _, p := range gone {
		unacked += p.unacked()
	}
	rt.mu.Lock()
	hists := rt.hists
	rt.mu.Unlock()
	wk.cmu.Lock()
	wk.hists.Merge(hists)
	wk.counters["missing_event"] += int64(missing)
	wk.counters["unacked"] += int64(unacked)
	wk.counters["forgotten_phones"] += int64(len(gone))
	wk.cmu.Unlock()
}
