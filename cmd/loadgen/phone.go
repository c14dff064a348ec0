package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// phone is one simulated participant: one websocket, one reader goroutine,
// no writer goroutine (writes are rare and made under mu). It speaks the
// real protocol: hello with token, last_seq and epoch on reconnect, resend
// of unacknowledged submissions with the same id.
type phone struct {
	w     *worker
	b     *Batch
	rt    *roomTrack
	g     int    // global index
	local string // source address

	joinedSeq atomic.Uint64 // room seq at the first welcome; 0 before
	live      atomic.Bool   // attached now

	// Guarded by rt.mu.
	marks     bitset // marks whose event the phone has (its primary frame)
	seenTypes bitset // mark index*maxMarkTypes + type index: other frames seen
	snapAt    uint64

	mu        sync.Mutex
	ws        *websocket.Conn
	token     string
	epoch     string
	pid       string
	lastSeq   uint64
	urlIdx    int
	connects  int
	closed    bool
	dropped   bool      // we cut the connection on purpose (churn)
	backAt    time.Time // when a dropped phone comes back
	replayTo  uint64    // frames up to this seq on this connection are replays
	connSeq   uint64    // highest seq on this connection, to check order
	subs      map[string]*submission
	order     []string // ids of unacknowledged submissions, oldest first
	nextSub   int
	quiet     bool
	nick      bool
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

// newPhone makes phone g of a batch; whether it stays quiet and has a
// nickname is drawn here.
func newPhone(w *worker, b *Batch, rt *roomTrack, g int, local string) *phone {
	p := &phone{w: w, b: b, rt: rt, g: g, local: local, urlIdx: g % len(b.URLs),
		subs: map[string]*submission{}, doneStep: -1, submitted: -1, answered: map[int]bool{}}
	p.quiet = rand.Float64() < b.Behavior.Quiet
	p.nick = rand.Float64() < b.Behavior.Nicknames
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

var (
	wsBufferPool = &sync.Pool{}
	readBufs     = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

type poolAdapter struct{ p *sync.Pool }

func (a poolAdapter) Get() any  { return a.p.Get() }
func (a poolAdapter) Put(v any) { a.p.Put(v) }

// run connects the phone and keeps it connected (with Reconnect) until the
// worker stops. The first connection's outcome is sent on first.
func (p *phone) run(ctx context.Context, first chan<- error) {
	backoff := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		ws, err := p.connect(ctx, attempt == 0)
		if attempt == 0 {
			first <- err
			if err != nil {
				return
			}
		}
		if err != nil {
			if ctx.Err() != nil || !retryable(err) {
				return
			}
			sleepCtx(ctx, backoff/2+rand.N(backoff/2+1))
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		err = p.readLoop(ws)
		p.live.Store(false)
		if !p.lost(ctx, ws, err) {
			return
		}
	}
}

// retryable tells whether a failed reconnect is worth another try.
func retryable(err error) bool {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Retry || we.Code == wire.CodeNotFound
	}
	return true
}

// lost handles the end of a connection and says whether to reconnect.
func (p *phone) lost(ctx context.Context, ws *websocket.Conn, err error) bool {
	p.mu.Lock()
	closed, dropped, back := p.closed, p.dropped, p.backAt
	p.ws, p.dropped = nil, false
	p.mu.Unlock()
	_ = ws.Close()
	if closed || ctx.Err() != nil {
		return false
	}
	code := closeCode(err)
	if !dropped {
		p.w.count("close:"+code, 1)
	}
	if p.b.Raw || code == "4001" || code == "4004" {
		return false
	}
	if dropped {
		sleepCtx(ctx, time.Until(back))
	}
	return ctx.Err() == nil
}

// closeCode names how a connection ended: its close code, or "abnormal".
func closeCode(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return strconv.Itoa(ce.Code)
	}
	return "abnormal"
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// connect dials, says hello and reads up to the welcome.
func (p *phone) connect(ctx context.Context, first bool) (*websocket.Conn, error) {
	p.mu.Lock()
	url := p.b.URLs[p.urlIdx%len(p.b.URLs)]
	if !first {
		p.urlIdx++ // a reconnect lands on the next instance
		url = p.b.URLs[p.urlIdx%len(p.b.URLs)]
	}
	p.mu.Unlock()
	start := time.Now()
	d := websocket.Dialer{
		HandshakeTimeout: 15 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 1024,
		WriteBufferPool: poolAdapter{wsBufferPool},
		NetDialContext: (&net.Dialer{Timeout: 15 * time.Second,
			LocalAddr: &net.TCPAddr{IP: net.ParseIP(p.local)}}).DialContext,
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ws, resp, err := d.DialContext(dctx, url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		p.w.count("dial", 1)
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	if p.b.Raw {
		p.mu.Lock()
		p.ws = ws
		p.mu.Unlock()
		p.joinedSeq.CompareAndSwap(0, 1)
		p.live.Store(true)
		p.w.hist(p.b.Label+" connect", time.Since(start))
		return ws, nil
	}
	if err := p.hello(ws, first, start); err != nil {
		_ = ws.Close()
		return nil, err
	}
	return ws, nil
}

// hello sends the hello and handles the welcome.
func (p *phone) hello(ws *websocket.Conn, first bool, start time.Time) error {
	p.mu.Lock()
	h := wire.Hello{Protocol: wire.Version, Role: wire.RoleParticipant, Code: p.b.Code,
		Token: p.token, LastSeq: p.lastSeq, Epoch: p.epoch}
	if p.token == "" && p.nick {
		h.Nickname = "Phone " + strconv.Itoa(p.g)
	}
	p.mu.Unlock()
	b, err := wire.Encode(wire.Out{Type: wire.TypeHello, Data: h})
	if err != nil {
		return fmt.Errorf("encode hello: %w", err)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		p.w.count("dial", 1)
		return fmt.Errorf("hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, data, err := ws.ReadMessage()
	if err != nil {
		p.w.count("hello:"+closeCode(err), 1)
		return fmt.Errorf("waiting for welcome: %w", err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	env, err := parseEnvelope(data)
	if err != nil {
		p.w.count("bad_frame", 1)
		return err
	}
	if env.Type == wire.TypeError {
		e := decodeError(env.Data)
		p.w.count("hello:"+string(e.Code), 1)
		return e
	}
	if env.Type != wire.TypeWelcome {
		p.w.count("hello:unexpected_"+env.Type, 1)
		return fmt.Errorf("expected welcome, got %s", env.Type)
	}
	var wel wire.Welcome
	if err := json.Unmarshal(env.Data, &wel); err != nil {
		p.w.count("bad_frame", 1)
		return fmt.Errorf("welcome: %w", err)
	}
	p.mu.Lock()
	p.ws = ws
	p.connects++
	if wel.Token != "" {
		p.token = wel.Token
	}
	if wel.Participant != "" {
		p.pid = wel.Participant
	}
	p.epoch = wel.Epoch
	p.connSeq, p.replayTo = 0, 0
	if wel.Recovered {
		p.replayTo = wel.Seq
	} else {
		p.lastSeq = wel.Seq
	}
	resend := p.pendingFrames()
	p.mu.Unlock()
	if first {
		p.joinedSeq.Store(wel.Seq)
		p.w.hist(p.b.Label+" join", time.Since(start))
	} else {
		p.w.count("reconnect", 1)
		if wel.Recovered {
			p.w.count("reconnect_recovered", 1)
		} else {
			p.w.count("reconnect_snapshot", 1)
		}
	}
	p.live.Store(true)
	for _, f := range resend {
		if err := p.write(f); err != nil {
			break // the reader will see the connection go
		}
	}
	return nil
}

// readLoop reads frames until the connection ends.
func (p *phone) readLoop(ws *websocket.Conn) error {
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return err
		}
		buf := readBufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			p.onFrame(buf.Bytes(), time.Now())
		}
		if buf.Cap() <= 64<<10 {
			readBufs.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// onFrame handles one server frame. It must not keep b.
func (p *phone) onFrame(b []byte, now time.Time) {
	env, err := parseEnvelope(b)
	if err != nil {
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
		if env.Seq > p.lastSeq || env.Type == wire.TypeSnapshot {
			p.lastSeq = env.Seq
		}
		p.mu.Unlock()
	}
	p.rt.observe(p, env.Seq, env.Type, len(b), now.UnixNano(), replay)
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
func (p *phone) onSnapshot(env envelope) {
	var s snapshotInfo
	if err := json.Unmarshal(env.Data, &s); err != nil {
		p.w.count("bad_frame", 1)
		return
	}
	p.mu.Lock()
	if p.connects > 1 {
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

func (p *phone) write(frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writeLocked(frame)
}

// writeLocked writes one frame. Called with mu held.
func (p *phone) writeLocked(frame []byte) error {
	if p.ws == nil {
		return errors.New("not connected")
	}
	_ = p.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return p.ws.WriteMessage(websocket.TextMessage, frame)
}

// drop cuts the connection without a close frame, as a lost network does;
// the phone comes back after offline.
func (p *phone) drop(offline time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ws == nil || p.closed || p.dropped {
		return false
	}
	p.dropped, p.backAt = true, time.Now().Add(offline)
	_ = p.ws.UnderlyingConn().Close()
	return true
}

// close ends the phone for good.
func (p *phone) close() {
	p.mu.Lock()
	p.closed = true
	ws := p.ws
	p.mu.Unlock()
	if ws != nil {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = ws.Close()
	}
}
