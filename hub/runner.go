package hub

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/screening"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// runner is one room on this instance: it follows the room's log, applies
// every event to the state, and fans the resulting frames out to the
// room's local sessions. mu guards everything below it; frames are queued
// to connections while it is held, so every session sees frames in log
// order and a session attaching mid-stream misses nothing.
type runner struct {
	hub *Hub
	id  string

	inputs *inputBatch   // group commit of participant input
	ready  chan struct{} // closed once the log is applied up to where it was at start

	mu         sync.Mutex
	readyAt    uint64      // the room log's last position when the runner started
	catching   bool        // reading the room's history through its own follow (see feed)
	stopFollow func()      // stops that follow; nil once live on the feed
	pending    []feedEvent // events from the feed while catching up
	dropped    uint64      // the newest event dropped from pending; the follow must pass it
	state      *room.State
	pos        uint64                // log position of the last applied event
	applied    chan struct{}         // closed and replaced after every apply
	sessions   map[*Session]struct{} // every local session
	byPID      map[string][]*Session // participant sessions by participant id
	ring       []ringEntry           // recent frames, for replay
	ringFrom   uint64                // every event from this seq on has all its frames in ring
	dirty      room.Part             // coalesced parts waiting for the next flush
	purgedLate bool                  // input after the room's deletion was purged
	roster     room.RosterLog        // roster changes not yet sent to staff
	staff      int                   // attached staff sessions
	refs       int                   // sessions and callers holding the runner
	timer      *time.Timer           // fires the timer-end append
	timerRun   int                   // the timer run the pending trigger is for
	lingers    *time.Timer           // stops an unused runner
	stopped    bool
}

// ringEntry is one frame kept for replay, with whom it was for.
type ringEntry struct {
	seq   uint64
	to    room.Audience
	pids  []string
	frame *wire.Frame
}

// acquire returns the room's runner, starting it if needed, once it has
// caught up with the log. Every acquire must be paired with a release.
func (h *Hub) acquire(ctx context.Context, roomID string) (*runner, error) {
	h.mu.Lock()
	r := h.rooms[roomID]
	if r == nil {
		r = &runner{
			hub: h, id: roomID, ready: make(chan struct{}),
			state: room.New(), applied: make(chan struct{}),
			sessions: map[*Session]struct{}{}, byPID: map[string][]*Session{},
			ringFrom: 1,
		}
		terms := h.cfg.ScreeningTerms
		r.state.SetScreener(func(lang, text string) []screening.Match { return screening.Check(terms, lang, text) })
		r.inputs = &inputBatch{hub: h, roomID: roomID}
		h.rooms[roomID] = r
		h.metrics.Rooms.Set(float64(len(h.rooms)))
		h.mu.Unlock()
		if err := r.start(ctx); err != nil {
			h.mu.Lock()
			if h.rooms[roomID] == r {
				delete(h.rooms, roomID)
				h.metrics.Rooms.Set(float64(len(h.rooms)))
			}
			h.mu.Unlock()
			r.fail()
			return nil, err
		}
		h.mu.Lock()
	}
	r.mu.Lock()
	r.refs++
	if r.lingers != nil {
		r.lingers.Stop()
		r.lingers = nil
	}
	r.mu.Unlock()
	h.mu.Unlock()
	select {
	case <-r.ready:
	case <-ctx.Done():
		h.release(r)
		return nil, wire.Errorf(wire.CodeUnavailable, "the room is still loading; try again")
	}
	if r.failed() {
		h.release(r)
		return nil, wire.Errorf(wire.CodeUnavailable, "the room could not be loaded; try again")
	}
	if !r.exists() {
		h.release(r)
		return nil, ErrNotFound
	}
	return r, nil
}

// release drops a reference; the last one stops the runner after Linger.
func (h *Hub) release(r *runner) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs--
	if r.refs > 0 || r.stopped {
		return
	}
	linger := h.cfg.Linger
	if r.state.Deleted {
		linger = 0 // see emit
	}
	r.lingers = time.AfterFunc(linger, func() {
		h.mu.Lock()
		r.mu.Lock()
		idle := r.refs == 0 && !r.stopped
		if idle && h.rooms[r.id] == r {
			delete(h.rooms, r.id)
			h.metrics.Rooms.Set(float64(len(h.rooms)))
		}
		r.mu.Unlock()
		h.mu.Unlock()
		if idle {
			r.stop()
		}
	})
}

// start registers the runner with the instance's feed, then reads the
// room's history through a follow of its own until it has caught up (see
// feed and onCatchUp).
func (r *runner) start(ctx context.Context) error {
	f := r.hub.feed
	if err := f.open(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	r.catching = true
	r.mu.Unlock()
	// Registered first: every event appended from here on reaches the
	// runner through the feed, and everything before it is at or below
	// the last position read next.
	f.add(r)
	last, err := r.hub.log.LastPos(ctx, r.id)
	if err != nil {
		f.remove(r)
		return err
	}
	r.mu.Lock()
	r.readyAt = last
	r.mu.Unlock()
	stop, err := r.hub.log.Follow(context.Background(), r.id, r.onCatchUp)
	if err != nil {
		f.remove(r)
		return fmt.Errorf("follow room log: %w", err)
	}
	r.mu.Lock()
	live := !r.catching || r.stopped
	if !live {
		r.stopFollow = stop
	}
	r.mu.Unlock()
	if live {
		stop() // caught up (or stopped) before the follow was handed over
	}
	return nil
}

// fail marks a runner that could not start, waking its waiters.
func (r *runner) fail() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	select {
	case <-r.ready:
	default:
		close(r.ready)
	}
}

func (r *runner) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

func (r *runner) exists() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Exists()
}

func (r *runner) stop() {
	r.hub.feed.remove(r)
	r.mu.Lock()
	if r.stopped && r.stopFollow == nil {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	r.pending = nil
	stop := r.stopFollow
	r.stopFollow = nil
	if r.timer != nil {
		r.timer.Stop()
	}
	r.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// onEvent applies one event from the log.
func (r *runner) onEvent(pos uint64, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apply(pos, data)
}

// apply applies one event from the log, in log order; an event at or
// below the last applied position is a repeat and changes nothing. Called
// with mu held.
func (r *runner) apply(pos uint64, data []byte) {
	start := time.Now()
	if pos <= r.pos {
		return // a redelivery after reconnect, or from both the feed and the follow
	}
	r.pos = pos
	r.applyEvent(pos, data)
	close(r.applied)
	r.applied = make(chan struct{})
	if pos >= r.readyAt {
		select {
		case <-r.ready:
		default:
			close(r.ready)
		}
	}
	r.hub.metrics.ApplyDuration.Observe(time.Since(start).Seconds())
}

// applyEvent decodes one event, applies it to the state and queues its
// frames. An event that cannot be decoded, or whose apply panics (a bug in
// the reducer or in rendering), is skipped: every instance reads the same
// bytes and runs the same code, so every instance skips it and the room
// goes on serving instead of the process dying, on every instance that
// follows the room, at every restart. A skipped event still counts in the
// room's sequence, once. Called with mu held.
func (r *runner) applyEvent(pos uint64, data []byte) {
	seq := r.state.Seq
	evType := "undecodable"
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		r.state.Seq = seq + 1
		r.hub.metrics.ApplyPanics.Inc()
		// Without the event's content, and without the panic's value
		// unless the runtime made it: either may hold what people wrote.
		r.hub.logger.Error("skipping room event: applying it panicked", "room", r.id, "pos", pos, "seq", r.state.Seq,
			"type", evType, "panic", panicSummary(p), "stack", string(debug.Stack()))
	}()
	ev, err := room.DecodeEvent(data)
	if err != nil {
		r.state.Seq++
		r.hub.logger.Error("skipping undecodable room event", "room", r.id, "pos", pos, "err", err)
		return
	}
	evType = knownEventType(ev.Type)
	if r.hub.cfg.BeforeApply != nil {
		r.hub.cfg.BeforeApply(r.id, ev)
	}
	ch := room.Apply(r.state, pos, ev)
	r.emit(ev, ch)
	r.scheduleTimer()
	if pos >= r.readyAt && ev.At > 0 {
		r.hub.metrics.FanoutLatency.Observe(time.Since(time.UnixMilli(ev.At)).Seconds())
	}
}

// panicSummary describes a recovered panic for the log without user
// content: a runtime error's message (an index, a nil dereference) is the
// runtime's own; any other value is named only by its type.
func panicSummary(p any) string {
	if re, ok := p.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("a value of type %T", p)
}

// attach adds a session and brings it up to date: the welcome, then either
// the frames it missed since lastSeq (recovered) or a snapshot. They are
// queued at once, so that a big room's snapshot, larger than a send queue,
// is still taken by a connection with nothing else waiting.
func (r *runner) attach(s *Session, w wire.Welcome, lastSeq uint64, epoch string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state
	w.Epoch = r.hub.log.Epoch()
	w.Seq = st.Seq
	w.Recovered = lastSeq > 0 && epoch == w.Epoch && lastSeq <= st.Seq && lastSeq+1 >= r.ringFrom
	frames := make([]*wire.Frame, 0, 8)
	add := func(o wire.Out) {
		f, err := wire.NewFrame(o)
		if err != nil {
			r.hub.logger.Error("encode frame", "room", r.id, "type", o.Type, "err", err)
			return
		}
		// Counted before it is queued: the client may act on it at once.
		r.hub.metrics.out(o.Type, 1)
		frames = append(frames, f)
	}
	add(wire.Out{Type: wire.TypeWelcome, Data: w})
	if w.Recovered {
		for _, e := range r.ring {
			if e.seq > lastSeq && s.wants(e.to, e.pids) {
				frames = append(frames, e.frame)
			}
		}
		// Coalesced parts are not in the ring; send them as they are now,
		// the roster whole.
		for _, e := range append(room.Render(st, room.Coalesced), room.RenderRoster(st)) {
			if s.wants(e.To, e.PIDs) {
				e.Out.Seq = st.Seq
				add(e.Out)
			}
		}
	} else {
		snap := room.Snapshot(st, s.role, s.pid)
		if s.aud&room.ToCare == 0 {
			snap.Signals = nil
		}
		add(wire.Out{Type: wire.TypeSnapshot, Seq: st.Seq, Data: snap})
	}
	s.conn.SendMany(frames)
	r.sessions[s] = struct{}{}
	if s.aud&room.ToStaff != 0 {
		r.staff++
	}
	if s.pid != "" {
		r.byPID[s.pid] = append(r.byPID[s.pid], s)
	}
}

func (r *runner) detach(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.sessions[s]; !ok {
		return
	}
	delete(r.sessions, s)
	if s.aud&room.ToStaff != 0 {
		if r.staff--; r.staff == 0 {
			r.roster.Reset()
		}
	}
	if s.pid == "" {
		return
	}
	list := r.byPID[s.pid]
	for i, o := range list {
		if o == s {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(r.byPID, s.pid)
	} else {
		r.byPID[s.pid] = list
	}
}

// view runs fn on the state with mu held.
func (r *runner) view(fn func(st *room.State)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(r.state)
}

// waitApplied blocks until the event at pos has been applied.
func (r *runner) waitApplied(ctx context.Context, pos uint64) error {
	if !r.waitFor(ctx, func() bool { return r.pos >= pos }) {
		return wire.Errorf(wire.CodeUnavailable, "the change was stored but not yet applied; it will appear shortly")
	}
	return nil
}

// retryStale settles a decision refused with err as stale. Unless this
// instance has applied everything the room's log holds, the refusal may
// rest on a view that merely lags behind another instance (which may even
// have acknowledged the very submission already): it waits until it has
// caught up and reports retry, so that the decision is made again on the
// room as it is. If it cannot catch up in time, or cannot ask the log, it
// answers unavailable (retryable) rather than refuse: a stale refusal is
// only ever given on the whole log. It looks at the log at most once per
// command (*synced); other errors pass through.
func (r *runner) retryStale(ctx context.Context, err error, synced *bool) (retry bool, _ error) {
	var e *wire.Error
	if *synced || !errors.As(err, &e) || e.Code != wire.CodeStale {
		return false, err
	}
	*synced = true
	last, lerr := r.hub.log.LastPos(ctx, r.id)
	if lerr != nil {
		return false, errCatchingUp
	}
	r.mu.Lock()
	behind := r.pos < last
	r.mu.Unlock()
	if !behind {
		return false, err
	}
	if r.waitApplied(ctx, last) != nil {
		return false, errCatchingUp
	}
	return true, nil
}

// errCatchingUp answers a request this instance cannot decide yet.
var errCatchingUp = wire.Errorf(wire.CodeUnavailable, "this server is catching up with the room; send it again")

// waitSeq blocks until the room's sequence reaches seq or ctx ends.
func (r *runner) waitSeq(ctx context.Context, seq uint64) {
	r.waitFor(ctx, func() bool { return r.state.Seq >= seq })
}

// waitCtlChange blocks until the state moves past ctlSeq or ctx ends.
func (r *runner) waitCtlChange(ctx context.Context, ctlSeq uint64) {
	r.waitFor(ctx, func() bool { return r.state.CtlSeq != ctlSeq })
}

// waitFor blocks until done, asked with mu held after every apply,
// reports true, or ctx ends; it returns whether done held.
func (r *runner) waitFor(ctx context.Context, done func() bool) bool {
	for {
		r.mu.Lock()
		ok, ch := done(), r.applied
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// scheduleTimer arms the trigger that appends timer_end when the running
// timer is due. Every instance arms one; the log's de-duplication and the
// control sequence let exactly one land. Called with mu held.
func (r *runner) scheduleTimer() {
	tm := r.state.Timer
	if !tm.Running {
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
		return
	}
	if r.timer != nil && r.timerRun == tm.Run {
		r.timer.Stop()
	}
	r.timerRun = tm.Run
	wait := time.Until(time.UnixMilli(tm.EndsAt))
	step, run := tm.Step, tm.Run
	r.timer = time.AfterFunc(max(wait, 0), func() { r.endTimer(step, run) })
}

func (r *runner) endTimer(step, run int) {
	ctx, cancel := context.WithTimeout(context.Background(), r.hub.cfg.AppendTimeout)
	defer cancel()
	msgID := fmt.Sprintf("%s/timer/%d/%d", r.id, step, run)
	_, err := r.hub.appendControl(ctx, r, msgID, func(st *room.State) (*room.Event, error) {
		if !st.Timer.Running || st.Timer.Step != step || st.Timer.Run != run {
			return nil, nil // ended already, here or on another instance
		}
		return &room.Event{Type: room.EvTimerEnd, Timer: &room.TimerChange{Step: step, Run: run}}, nil
	})
	if err != nil {
		r.hub.logger.Warn("timer end append failed", "room", r.id, "err", err)
	}
}
