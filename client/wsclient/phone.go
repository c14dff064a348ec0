package wsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
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
	// reconnect tries the same one again and moves on when it fails.
	URLs []string
	// Hello is sent on every connect; the Phone fills in token, last_seq
	// and epoch itself.
	Hello wire.Hello
	// Reconnect makes the Phone reconnect by itself after a lost connection,
	// with backoff and jitter, resending unacknowledged submissions.
	Reconnect bool
	// Origin, if set, is sent as the Origin header.
	Origin string
	// Cookie, if set, is sent as the Cookie header.
	Cookie string
	// KeepFrames keeps every received frame for Wait (tests). Without it
	// only OnFrame sees them.
	KeepFrames bool
	// OnFrame is called for every frame, from the Phone's reader.
	OnFrame func(Frame)
}

// Phone is a Conn with a blocking interface for tests and tools: commands
// and submissions wait for their answer, and frames can be kept and
// waited for. A participant, facilitator, presenter or organizer. It is
// safe for concurrent use.
type Phone struct {
	c       *Conn
	opts    PhoneOptions
	cancel  context.CancelFunc
	onFrame func(Frame)

	mu        sync.Mutex
	cond      *sync.Cond
	welcome   wire.Welcome
	frames    []Frame
	replies   map[string]Frame // the latest ack or error for each awaited id
	closeCode int              // of the last connection loss

	ids atomic.Uint64
}

// Dial connects a Phone and waits for its welcome. A refused hello comes
// back as the *wire.Error of the error frame.
func Dial(ctx context.Context, opts PhoneOptions) (*Phone, error) {
	if len(opts.URLs) == 0 {
		return nil, errors.New("wsclient: no URL")
	}
	p := &Phone{opts: opts, replies: map[string]Frame{}, onFrame: opts.OnFrame}
	p.cond = sync.NewCond(&p.mu)
	cfg := &Config{URLs: slices.Clone(opts.URLs), Hello: opts.Hello, Reconnect: opts.Reconnect, Origin: opts.Origin, Cookie: opts.Cookie}
	p.c = New(cfg, (*phoneEvents)(p), Params{})
	if err := p.c.Connect(ctx); err != nil {
		return nil, err
	}
	var run context.Context
	run, p.cancel = context.WithCancel(context.Background())
	go p.c.Run(run)
	return p, nil
}

// phoneEvents is the Phone as its Conn's Handler.
type phoneEvents Phone

func (e *phoneEvents) Connected(w *wire.Welcome, _ bool, _ time.Duration) {
	p := (*Phone)(e)
	raw, _ := json.Marshal(w)
	p.mu.Lock()
	p.welcome = *w
	p.mu.Unlock()
	p.receive(Frame{Type: wire.TypeWelcome, Data: raw, At: time.Now()})
}

func (e *phoneEvents) Frame(env Envelope, now time.Time) {
	(*Phone)(e).receive(Frame{Type: env.Type, Seq: env.Seq, ID: env.ID, Data: bytes.Clone(env.Data), At: now})
}

func (e *phoneEvents) Lost(err error, _ bool) {
	p := (*Phone)(e)
	p.mu.Lock()
	p.closeCode = CloseCode(err)
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (e *phoneEvents) Failed(error) {}

// receive records a frame: the reply to an awaited id, and the frame
// itself for Wait and OnFrame.
func (p *Phone) receive(f Frame) {
	p.mu.Lock()
	if f.ID != "" && (f.Type == wire.TypeAck || f.Type == wire.TypeError) {
		if _, awaited := p.replies[f.ID]; awaited {
			p.replies[f.ID] = f
		}
	}
	if p.opts.KeepFrames {
		p.frames = append(p.frames, f)
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	if p.onFrame != nil {
		p.onFrame(f)
	}
}

// NextID returns a fresh frame id.
func (p *Phone) NextID() string { return "c" + strconv.FormatUint(p.ids.Add(1), 36) }

// Send writes one frame without waiting for an answer.
func (p *Phone) Send(typ, id string, data any) error { return p.c.Send(typ, id, data) }

// SendRaw writes arbitrary bytes as one text frame (hostile-input tests).
func (p *Phone) SendRaw(data []byte) error { return p.c.WriteRaw(data) }

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

// Submit sends a submission that must take effect exactly once (see
// Conn.Submit). It returns the ack, or the error of a refusal for good.
func (p *Phone) Submit(ctx context.Context, typ, id string, data any) (Frame, error) {
	frame, err := wire.Encode(wire.Out{Type: typ, ID: id, Data: data})
	if err != nil {
		return Frame{}, fmt.Errorf("wsclient: encode %s: %w", typ, err)
	}
	p.await(id)
	defer p.unawait(id)
	p.c.Submit(id, frame)
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
		return Frame{}, fmt.Errorf("wsclient: no reply to %s: %w", id, err)
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
func (p *Phone) Pending() int { return p.c.Pending() }

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
		return Frame{}, fmt.Errorf("wsclient: no matching frame: %w", err)
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
func (p *Phone) LastSeq() uint64 { return p.c.LastSeq() }

// Connects counts successful connections (1 + reconnects).
func (p *Phone) Connects() int { return p.c.Connects() }

// Connected reports whether a connection is up.
func (p *Phone) Connected() bool { return p.c.Connected() }

// CloseCode is the close code of the last lost connection (1006: it ended
// without a close frame).
func (p *Phone) CloseCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeCode
}

// Drop cuts the connection without a close frame, as a lost network would;
// with Reconnect the Phone comes back by itself.
func (p *Phone) Drop() { p.c.Drop(0) }

// SetURLs replaces the instance list used by later reconnects.
func (p *Phone) SetURLs(urls []string) { p.c.setURLs(slices.Clone(urls)) }

// Close ends the Phone for good.
func (p *Phone) Close() {
	p.c.Close()
	p.cancel()
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}
