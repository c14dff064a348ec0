package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// phone is one simulated participant. The protocol (hello with token,
// last_seq and epoch on reconnect, resend of unacknowledged submissions
// with the same id) is wsclient.Conn's, with its cost: one goroutine, no
// writer goroutine; the phone is the Conn's Handler and adds the
// behaviour and the checks.
type phone struct {
	w  *worker
	b  *Batch
	rt *roomTrack
	g  int // global index
	c  *wsclient.Conn

	joinedSeq atomic.Uint64 // room seq at the first welcome; 0 before
	live      atomic.Bool   // attached now

	// Guarded by rt.mu.
	marks     bitset // marks whose event the phone has (its primary frame)
	seenTypes bitset // mark index*maxMarkTypes + type index: other frames seen
	snapAt    uint64

	mu        sync.Mutex
	pid       string
	closed    bool
	replayTo  uint64 // frames up to this seq on this connection are replays
	connSeq   uint64 // highest seq on this connection, to check order
	subs      map[string]*submission
	order     []string // ids of unacknowledged submissions, oldest first
	nextSub   int
	quiet     bool
	cur       stepInfo // the current step as last seen
	haveStep  bool
	gen       int // bumped on every step change; cancels scheduled actions
	todo      int // actions scheduled for the current step, not yet sent
	doneStep  int // the step whose actions are all acknowledged (-1: none)
	group     int
	submitted int // step index whose group text this phone submitted (-1)
	answered  map[int]bool
	notices   map[string]*phoneNotice // announcements, by text
}

// phoneConfig is the connection settings every phone of a batch shares.
func phoneConfig(b *Batch) *wsclient.Config {
	return &wsclient.Config{URLs: b.URLs, Raw: b.Raw, Reconnect: !b.Raw, Rotate: true,
		Hello: wire.Hello{Protocol: wire.Version, Role: wire.RoleParticipant, Code: b.Code}}
}

// newPhone makes phone g of a batch, dialling from local; whether it
// stays quiet and has a nickname is drawn here.
func newPhone(w *worker, b *Batch, cfg *wsclient.Config, rt *roomTrack, g int, local string) *phone {
	p := &phone{w: w, b: b, rt: rt, g: g,
		subs: map[string]*submission{}, doneStep: -1, submitted: -1, answered: map[int]bool{}}
	p.quiet = rand.Float64() < b.Behavior.Quiet
	par := wsclient.Params{URL: g % len(b.URLs), LocalAddr: local}
	if rand.Float64() < b.Behavior.Nicknames {
		par.Nickname = "Phone " + strconv.Itoa(g)
	}
	p.c = wsclient.New(cfg, p, par)
	return p
}

// expects reports whether the phone should get an event at seq: it joined
// before it and is connected. Called with rt.mu held.
func (p *phone) expects(seq uint64) bool {
	return p.wasIn(seq) && p.live.Load()
}

// wasIn reports whether the phone had joined before the event at seq.
func (p *phone) wasIn(seq uint64) bool {
	j := p.joinedSeq.Load()
	return j > 0 && j < seq
}

// run connects the phone and keeps it connected until the worker stops.
// The first connection's outcome is sent on first.
func (p *phone) run(ctx context.Context, first chan<- error) {
	err := p.c.Connect(ctx)
	first <- err
	if err == nil {
		p.c.Run(ctx)
	}
}

// Connected counts a welcome (wsclient.Handler); w is nil for raw
// phones.
func (p *phone) Connected(w *wire.Welcome, first bool, took time.Duration) {
	if w == nil {
		p.joinedSeq.CompareAndSwap(0, 1)
		p.live.Store(true)
		p.w.hist(p.b.Label+" connect", took)
		return
	}
	p.mu.Lock()
	if w.Participant != "" {
		p.pid = w.Participant
	}
	p.connSeq, p.replayTo = 0, 0
	if w.Recovered {
		p.replayTo = w.Seq
	}
	p.mu.Unlock()
	if first {
		p.joinedSeq.Store(w.Seq)
		p.w.hist(p.b.Label+" join", took)
	} else {
		p.w.count("reconnect", 1)
		if w.Recovered {
			p.w.count("reconnect_recovered", 1)
		} else {
			p.w.count("reconnect_snapshot", 1)
		}
	}
	p.live.Store(true)
}

// Lost counts how a connection ended, unless the phone cut it on purpose
// (churn) (wsclient.Handler).
func (p *phone) Lost(err error, dropped bool) {
	p.live.Store(false)
	if !dropped && p.w.ctx.Err() == nil {
		p.w.count("close:"+closeName(err), 1)
	}
}

// Failed counts a connect that failed (wsclient.Handler).
func (p *phone) Failed(err error) {
	var we *wire.Error
	var ce *wsclient.ConnectError
	switch {
	case errors.As(err, &we):
		p.w.count("hello:"+string(we.Code), 1)
	case errors.As(err, &ce) && ce.Stage == wsclient.StageWelcome:
		p.w.count("hello:"+closeName(ce.Err), 1)
	default:
		p.w.count("dial", 1)
	}
}

// closeName names how a connection ended: its close code, or "abnormal".
func closeName(err error) string {
	if code := wsclient.CloseCode(err); code != 0 {
		return strconv.Itoa(code)
	}
	return "abnormal"
}

// Frame handles one server frame (wsclient.Handler). It must not keep
// env.Data.
func (p *phone) Frame(env wsclient.Envelope, now time.Time) {
	if env.Type == "" {
		p.w.count("bad_frame", 1)
		return
	}
	replay := false
	if env.Seq > 0 {
		p.mu.Lock()
		if env.Seq < p.connSeq {
			p.w.count("seq_regression", 1)
		}
		p.connSeq = max(p.connSeq, env.Seq)
		replay = env.Seq <= p.replayTo
		p.mu.Unlock()
	}
	p.rt.observe(p, env.Seq, env.Type, env.Size, now.UnixNano(), replay)
	if p.b.Raw {
		return
	}
	switch env.Type {
	case wire.TypeSnapshot:
		p.onSnapshot(env)
	case wire.TypeStep:
		if p.b.Behavior.Act {
			if st, ok := p.rt.stepFor(env.Seq, env.Data); ok {
				p.onStep(st)
			}
		}
	case wire.TypeYou:
		var y youInfo
		if json.Unmarshal(env.Data, &y) == nil {
			p.mu.Lock()
			p.group = y.Group
			p.mu.Unlock()
		}
	case wire.TypeGroup:
		if p.b.Behavior.Act && p.b.Behavior.Submit {
			var g groupInfo
			if json.Unmarshal(env.Data, &g) == nil {
				p.onGroup(g)
			}
		}
	case wire.TypeAck:
		p.onAck(env, now)
	case wire.TypeError:
		p.onError(env)
	case wire.TypeRemoved:
		p.w.count("removed", 1)
	case wire.TypeNotice:
		p.onNotice(env, now, replay)
	}
}

// onSnapshot takes the step, identity and group from a full snapshot.
func (p *phone) onSnapshot(env wsclient.Envelope) {
	var s snapshotInfo
	if err := json.Unmarshal(env.Data, &s); err != nil {
		p.w.count("bad_frame", 1)
		return
	}
	p.mu.Lock()
	if p.c.Connects() > 1 {
		p.rt.snapshot(p, env.Seq)
	}
	if s.You != nil {
		p.group = s.You.Group
	}
	p.noticeInSnapshot(s.Announcement)
	p.mu.Unlock()
	if p.b.Behavior.Act {
		p.onStep(s.Step)
		if s.Group != nil && p.b.Behavior.Submit {
			p.onGroup(*s.Group)
		}
	}
}

// drop cuts the connection without a close frame, as a lost network does;
// the phone comes back after offline.
func (p *phone) drop(offline time.Duration) bool { return p.c.Drop(offline) }

// close ends the phone for good.
func (p *phone) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.live.Store(false)
	p.c.Close()
}
