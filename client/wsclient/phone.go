// Package wsclient is the Go client of the Stoppunkt websocket protocol
// (docs/protocol.md): dial, hello with token, last_seq and epoch on a
// reconnect, resend of unacknowledged submissions with the same id, and
// frame decoding. Tests and cmd/loadgen speak the protocol through it.
package wsclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Close codes of docs/protocol.md that decide whether a Phone reconnects.
const (
	CloseRemoved = 4001 // the participant was removed, or left
	CloseTooSlow = 4002 // the connection's send queue was full
	CloseDeleted = 4004 // the room's data was deleted
)

// Frame is a server frame as the Go client receives it.
type Frame struct {
	Type string          `json:"type"`
	Seq  uint64          `json:"seq,omitempty"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
	// At is when the frame arrived (local clock).
	At time.Time `json:"-"`
}

// Decode unmarshals the frame's data into v.
func (f Frame) Decode(v any) error { return json.Unmarshal(f.Data, v) }

// Error decodes an error frame.
func (f Frame) Error() *wire.Error {
	var e wire.Error
	if f.Type != wire.TypeError || json.Unmarshal(f.Data, &e) != nil {
		return nil
	}
	return &e
}

// PhoneOptions configure a Phone.
type PhoneOptions struct {
	// URLs are websocket URLs (ws://host/ws) of the instances to use; a
	// reconnect moves on to the next.
	URLs []string
	// Hello is sent on every connect; the Phone fills in token, last_seq
	// and epoch itself.
	Hello wire.Hello
	// Reconnect makes the Phone reconnect by itself after a lost connection,
	// with backoff and jitter, resending unacknowledged submissions.
	Reconnect bool
	// Origin, if set, is sent as the Origin header.
	Origin string
	// LocalAddr, if set, is the local IP to dial from (load tests spread
	// over 127.0.0.x).
	LocalAddr string
	// KeepFrames keeps every received frame for Wait (tests). Without it
	// only OnFrame sees them.
	KeepFrames bool
	// OnFrame is called for every frame, from the Phone's reader.
	OnFrame func(Frame)
}

// Phone is a protocol client: a participant, facilitator or presenter.
// It is safe for concurrent use.
type Phone struct {
	opts PhoneOptions

	writeMu sync.Mutex // one writer at a time on the websocket
	mu      sync.Mutex
	cond    *sync.Cond
	ws      *websocket.Conn
	welcome wire.Welcome
	token   string
	epoch   string
	lastSeq uint64
	frames  []Frame
	replies map[string]Frame    // the latest ack or error for each awaited id
	pending map[string]outbound // submissions not yet acknowledged, by id
	order   []string
	closed  bool
	// closeCode is the close code of the last connection loss.
	closeCode int
	connects  int
	nextURL   int

	ids atomic.Uint64
}

type outbound struct {
	typ   string
	data  any
	tries int
}

// Dial connects a Phone and waits for its welcome.
func Dial(ctx context.Context, opts PhoneOptions) (*Phone, error) {
	if len(opts.URLs) == 0 {
		return nil, errors.New("client: no URL")
	}
	if opts.Hello.Protocol == 0 {
		opts.Hello.Protocol = wire.Version
	}
	p := &Phone{opts: opts, pending: map[string]outbound{}, replies: map[string]Frame{},
		token: opts.Hello.Token, lastSeq: opts.Hello.LastSeq, epoch: opts.Hello.Epoch}
	p.cond = sync.NewCond(&p.mu)
	if err := p.connect(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// connect dials the next URL, says hello and waits for the welcome.
func (p *Phone) connect(ctx context.Context) error {
	p.mu.Lock()
	url := p.opts.URLs[p.nextURL%len(p.opts.URLs)]
	hello := p.opts.Hello
	hello.Token, hello.LastSeq, hello.Epoch = p.token, p.lastSeq, p.epoch
	if hello.Token != "" {
		hello.Nickname = ""
	}
	p.mu.Unlock()

	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	if p.opts.LocalAddr != "" {
		d.NetDialContext = localDialer(p.opts.LocalAddr)
	}
	var hdr http.Header
	if p.opts.Origin != "" {
		hdr = http.Header{"Origin": {p.opts.Origin}}
	}
	ws, resp, err := d.DialContext(ctx, url, hdr)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		p.skipURL()
		return fmt.Errorf("client: dial %s: %w", url, err)
	}
	welcome, err := sayHello(ws, hello)
	if err != nil {
		ws.Close()
		p.skipURL()
		return err
	}
	_ = ws.SetReadDeadline(time.Time{})
	p.mu.Lock()
	p.ws, p.welcome = ws, welcome
	if welcome.Token != "" {
		p.token = welcome.Token
	}
	p.epoch = welcome.Epoch
	if !welcome.Recovered {
		p.lastSeq = welcome.Seq
	}
	p.connects++
	resend := make([]wire.Out, 0, len(p.order))
	for _, id := range p.order {
		o := p.pending[id]
		resend = append(resend, wire.Out{Type: o.typ, ID: id, Data: o.data})
	}
	p.mu.Unlock()
	raw, _ := json.Marshal(welcome)
	p.receive(Frame{Type: wire.TypeWelcome, Data: raw, At: time.Now()})
	go p.readLoop(ws)
	for _, o := range resend {
		if err := p.write(o); err != nil {
			return nil // the reader will notice and reconnect
		}
	}
	return nil
}

// skipURL moves on to the next instance after a failed connect.
func (p *Phone) skipURL() {
	p.mu.Lock()
	p.nextURL++
	p.mu.Unlock()
}

// sayHello sends the hello and reads up to the welcome; an error frame
// comes back as a *wire.Error.
func sayHello(ws *websocket.Conn, hello wire.Hello) (wire.Welcome, error) {
	var welcome wire.Welcome
	if err := writeJSON(ws, wire.Out{Type: wire.TypeHello, Data: hello}); err != nil {
		return welcome, fmt.Errorf("client: hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		f, err := readFrame(ws)
		if err != nil {
			return welcome, fmt.Errorf("client: waiting for welcome: %w", err)
		}
		if f.Type == wire.TypeError {
			return welcome, f.Error()
		}
		if f.Type == wire.TypeWelcome {
			if err := f.Decode(&welcome); err != nil {
				return welcome, fmt.Errorf("client: welcome: %w", err)
			}
			return welcome, nil
		}
	}
}

func localDialer(ip string) func(ctx context.Context, network, addr string) (netConn, error) {
	return func(ctx context.Context, network, addr string) (netConn, error) {
		d := netDialer(ip)
		return d.DialContext(ctx, network, addr)
	}
}

func (p *Phone) readLoop(ws *websocket.Conn) {
	for {
		f, err := readFrame(ws)
		if err != nil {
			p.lost(ws, err)
			return
		}
		p.receive(f)
	}
}

// receive records a frame: its sequence, acks of pending submissions, and
// the frame itself for Wait and OnFrame.
func (p *Phone) receive(f Frame) {
	p.mu.Lock()
	if f.Seq > p.lastSeq {
		p.lastSeq = f.Seq
	}
	if f.Type == wire.TypeSnapshot {
		p.lastSeq = f.Seq
	}
	if f.ID != "" && (f.Type == wire.TypeAck || f.Type == wire.TypeError) {
		if _, awaited := p.replies[f.ID]; awaited {
			p.replies[f.ID] = f
		}
		if o, ok := p.pending[f.ID]; ok {
			if e := f.Error(); e != nil && e.Retry {
				p.retryLater(f.ID, o)
			} else {
				p.forget(f.ID)
			}
		}
	}
	if p.opts.KeepFrames {
		p.frames = append(p.frames, f)
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	if p.opts.OnFrame != nil {
		p.opts.OnFrame(f)
	}
}

// retryLater resends a pending submission that was refused with a
// retryable error (storage briefly away, rate limited), after a growing,
// jittered pause. Called with mu held.
func (p *Phone) retryLater(id string, o outbound) {
	o.tries++
	p.pending[id] = o
	wait := min(100*time.Millisecond<<min(o.tries, 5), 3*time.Second)
	wait = wait/2 + rand.N(wait/2+1)
	time.AfterFunc(wait, func() {
		p.mu.Lock()
		cur, still := p.pending[id]
		closed := p.closed
		p.mu.Unlock()
		if still && !closed {
			_ = p.Send(cur.typ, id, cur.data)
		}
	})
}

func (p *Phone) forget(id string) {
	delete(p.pending, id)
	for i, o := range p.order {
		if o == id {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

// lost handles a dropped connection: reconnect with backoff, or stop.
func (p *Phone) lost(ws *websocket.Conn, err error) {
	code := 0
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		code = ce.Code
	}
	p.mu.Lock()
	if p.ws != ws {
		p.mu.Unlock()
		return
	}
	p.ws = nil
	p.closeCode = code
	closed := p.closed
	p.cond.Broadcast()
	p.mu.Unlock()
	ws.Close()
	if closed || !p.opts.Reconnect || code == CloseRemoved || code == CloseDeleted || code == CloseTooSlow {
		return
	}
	go p.reconnectLoop()
}

func (p *Phone) reconnectLoop() {
	backoff := 50 * time.Millisecond
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		time.Sleep(backoff/2 + rand.N(backoff/2+1))
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err := p.connect(ctx)
		cancel()
		if err == nil {
			return
		}
		var we *wire.Error
		if errors.As(err, &we) && !we.Retry && we.Code != wire.CodeNotFound {
			return // removed, unauthorized: reconnecting will not help
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

func (p *Phone) write(o wire.Out) error {
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	if ws == nil {
		return errNotConnected
	}
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return writeJSON(ws, o)
}

var errNotConnected = errors.New("client: not connected")

// NextID returns a fresh frame id.
func (p *Phone) NextID() string { return "c" + strconv.FormatUint(p.ids.Add(1), 36) }

// Send writes one frame without waiting for an answer.
func (p *Phone) Send(typ, id string, data any) error {
	return p.write(wire.Out{Type: typ, ID: id, Data: data})
}

// SendRaw writes arbitrary bytes as one text frame (hostile-input tests).
func (p *Phone) SendRaw(data []byte) error {
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	if ws == nil {
		return errNotConnected
	}
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	return ws.WriteMessage(websocket.TextMessage, data)
}

// Command sends a frame with a new id and waits for its ack or error.
// Unlike Submit it never resends: a retryable error comes back to the
// caller.
func (p *Phone) Command(ctx context.Context, typ string, data any) (Frame, error) {
	id := p.NextID()
	p.await(id)
	defer p.unawait(id)
	if err := p.Send(typ, id, data); err != nil {
		return Frame{}, err
	}
	// Any error ends a command, retryable or not: only the caller knows
	// whether sending it again is safe.
	f, err := p.reply(ctx, id, func(Frame) bool { return true })
	if err != nil {
		return f, err
	}
	if e := f.Error(); e != nil {
		return f, e
	}
	return f, nil
}

// Submit sends a submission that must take effect exactly once: it is kept
// until acknowledged, resent with the same id after every reconnect and,
// with backoff, after every retryable refusal. It returns the ack (or a
// non-retryable error frame).
func (p *Phone) Submit(ctx context.Context, typ, id string, data any) (Frame, error) {
	p.mu.Lock()
	p.replies[id] = Frame{}
	if _, dup := p.pending[id]; !dup {
		p.pending[id] = outbound{typ: typ, data: data}
		p.order = append(p.order, id)
	}
	p.mu.Unlock()
	defer p.unawait(id)
	_ = p.Send(typ, id, data) // if not connected, the reconnect resends it
	f, err := p.reply(ctx, id, func(f Frame) bool {
		e := f.Error()
		return f.Type == wire.TypeAck || (e != nil && !e.Retry)
	})
	if err != nil {
		return f, err
	}
	if e := f.Error(); e != nil {
		return f, e
	}
	return f, nil
}

// await starts recording replies to id.
func (p *Phone) await(id string) {
	p.mu.Lock()
	p.replies[id] = Frame{}
	p.mu.Unlock()
}

func (p *Phone) unawait(id string) {
	p.mu.Lock()
	delete(p.replies, id)
	p.mu.Unlock()
}

// reply waits for a reply to id that done accepts.
func (p *Phone) reply(ctx context.Context, id string, done func(Frame) bool) (Frame, error) {
	var got Frame
	err := p.waitUntil(ctx, func() bool {
		f := p.replies[id]
		got = f
		return f.Type != "" && done(f)
	})
	if err != nil {
		return Frame{}, fmt.Errorf("client: no reply to %s: %w", id, err)
	}
	return got, nil
}

// waitUntil waits until ok, which runs with mu held, reports true, or ctx ends.
func (p *Phone) waitUntil(ctx context.Context, ok func() bool) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for !ok() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.cond.Wait()
	}
	return nil
}

// Pending is the number of submissions not yet acknowledged.
func (p *Phone) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}

// Wait returns the first kept frame matching pred, waiting for it.
func (p *Phone) Wait(ctx context.Context, pred func(Frame) bool) (Frame, error) {
	return p.WaitFrom(ctx, 0, pred)
}

// WaitFrom is Wait over the frames from index from on.
func (p *Phone) WaitFrom(ctx context.Context, from int, pred func(Frame) bool) (Frame, error) {
	var got Frame
	i := from
	err := p.waitUntil(ctx, func() bool {
		for ; i < len(p.frames); i++ {
			if pred(p.frames[i]) {
				got = p.frames[i]
				return true
			}
		}
		return false
	})
	if err != nil {
		return Frame{}, fmt.Errorf("client: no matching frame: %w", err)
	}
	return got, nil
}

// Frames returns a copy of the kept frames.
func (p *Phone) Frames() []Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Frame(nil), p.frames...)
}

// Last returns the newest kept frame of a type.
func (p *Phone) Last(typ string) (Frame, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.frames) - 1; i >= 0; i-- {
		if p.frames[i].Type == typ {
			return p.frames[i], true
		}
	}
	return Frame{}, false
}

// Welcome returns the latest welcome.
func (p *Phone) Welcome() wire.Welcome {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.welcome
}

// LastSeq is the highest room sequence seen.
func (p *Phone) LastSeq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastSeq
}

// Connects counts successful connections (1 + reconnects).
func (p *Phone) Connects() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connects
}

// Connected reports whether a connection is up.
func (p *Phone) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ws != nil
}

// CloseCode is the close code of the last lost connection.
func (p *Phone) CloseCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeCode
}

// Drop cuts the connection without a close frame, as a lost network would;
// with Reconnect the Phone comes back by itself.
func (p *Phone) Drop() {
	p.mu.Lock()
	ws := p.ws
	p.mu.Unlock()
	if ws != nil {
		ws.UnderlyingConn().Close()
	}
}

// SetURLs replaces the instance list used by later reconnects.
func (p *Phone) SetURLs(urls []string) {
	p.mu.Lock()
	p.opts.URLs = urls
	p.mu.Unlock()
}

// Close ends the Phone for good.
func (p *Phone) Close() {
	p.mu.Lock()
	p.closed = true
	ws := p.ws
	p.cond.Broadcast()
	p.mu.Unlock()
	if ws != nil {
		p.writeMu.Lock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		p.writeMu.Unlock()
		ws.Close()
	}
}

func writeJSON(ws *websocket.Conn, o wire.Out) error {
	b, err := wire.Encode(o)
	if err != nil {
		return err
	}
	return ws.WriteMessage(websocket.TextMessage, b)
}

func readFrame(ws *websocket.Conn) (Frame, error) {
	_, data, err := ws.ReadMessage()
	if err != nil {
		return Frame{}, err
	}
	var f Frame
	if err := json.Unmarshal(data, &f); err != nil {
		return Frame{}, fmt.Errorf("client: bad frame: %w", err)
	}
	f.At = time.Now()
	return f, nil
}
