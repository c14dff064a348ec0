package wsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Close codes of docs/protocol.md after which a client does not reconnect
// (the table "Close codes"); after any other it does.
const (
	CloseNormal  = 1000 // a normal close
	CloseRemoved = 4001 // the participant was removed, or left
	CloseTooSlow = 4002 // the connection's send queue was full
	CloseDeleted = 4004 // the room's data was deleted
)

// Config is what many connections share: a load test gives thousands of
// Conns one Config. It must not change once a Conn uses it.
type Config struct {
	// URLs are the websocket URLs (ws://host/ws) of the instances.
	URLs []string
	// Hello is sent on every connect; the Conn fills in token, last_seq
	// and epoch itself, and leaves out the nickname once it has a token.
	Hello wire.Hello
	// Raw connections say no hello and only read (a server that speaks
	// no protocol, such as loadgen's baseline).
	Raw bool
	// Reconnect makes Run reconnect after a lost connection, with backoff
	// and jitter, unless the close code says not to.
	Reconnect bool
	// Rotate makes every reconnect go to the next URL. Without it a
	// reconnect tries the same URL again and moves on only when it fails.
	Rotate bool
	// Origin, if set, is sent as the Origin header.
	Origin string
	// Cookie, if set, is sent as the Cookie header (a signed-in
	// facilitator's session).
	Cookie string
	// ReadLimit, if set, is the largest frame accepted.
	ReadLimit int64
}

// Params are what one connection does not share with the others of its
// Config.
type Params struct {
	// URL is the index in Config.URLs of the instance tried first.
	URL int
	// LocalAddr, if set, is the local IP to dial from (load tests spread
	// over 127.0.0.x, past one address pair's port range).
	LocalAddr string
	// Nickname, if set, replaces Config.Hello's on a join without token.
	Nickname string
}

// Handler receives what happens on a Conn. Its methods are called on the
// goroutine running the Conn (Connect, then Run), one at a time, never
// with the Conn's lock held: they may call the Conn.
type Handler interface {
	// Connected is called after each welcome (nil for Raw connections),
	// before unacknowledged submissions are resent. first is true for the
	// Conn's first connection; took is the time from dialling to welcome.
	Connected(w *wire.Welcome, first bool, took time.Duration)
	// Frame is called for every frame after the welcome, after the Conn
	// has settled the submission an ack or error answers. f.Data points
	// into a buffer that is reused once Frame returns.
	Frame(f Envelope, now time.Time)
	// Lost is called when a connection ends, unless Close ended it;
	// dropped is true when Drop cut it.
	Lost(err error, dropped bool)
	// Failed is called for every connect that failed.
	Failed(err error)
}

// Conn is one protocol connection that comes back after it is lost: a
// participant, facilitator, presenter or organizer. It is built to be
// held by the ten thousand: one goroutine (the one that calls Run, which
// reads), no writer goroutine (writes are made under a lock), pooled read
// and write buffers, and frames decoded without a JSON decoder where the
// server's encoding allows (see ParseEnvelope).
type Conn struct {
	cfg *Config
	h   Handler
	par Params

	wmu sync.Mutex // one writer at a time on the websocket

	mu       sync.Mutex
	ws       *websocket.Conn
	hs       *websocket.Conn // saying hello, not yet up
	token    string
	epoch    string
	lastSeq  uint64
	url      int
	connects int
	closed   bool
	dropped  bool      // Drop cut the connection
	backAt   time.Time // when a dropped connection comes back
	pending  []pending // submissions not yet acknowledged, oldest first
}

// New makes a Conn; Connect opens it.
func New(cfg *Config, h Handler, par Params) *Conn {
	return &Conn{cfg: cfg, h: h, par: par, url: par.URL, token: cfg.Hello.Token,
		epoch: cfg.Hello.Epoch, lastSeq: cfg.Hello.LastSeq}
}

// A ConnectError is a connect that failed before the welcome, with the
// stage it failed in. A hello the server refuses comes back as the
// *wire.Error of its error frame instead.
type ConnectError struct {
	Stage string // StageDial or StageWelcome
	URL   string
	Err   error
}

// Stages of a connect.
const (
	StageDial    = "dial"    // the websocket handshake, or writing the hello
	StageWelcome = "welcome" // reading the answer to the hello
)

func (e *ConnectError) Error() string {
	return "wsclient: " + e.Stage + " " + e.URL + ": " + e.Err.Error()
}

func (e *ConnectError) Unwrap() error { return e.Err }

var (
	writeBufferPool = &sync.Pool{}
	readBufs        = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	errNotConnected = errors.New("wsclient: not connected")
	errClosed       = errors.New("wsclient: closed")
)

// Connect dials the current instance, says hello and reads up to the
// welcome. On a failure the next connect tries the next URL.
func (c *Conn) Connect(ctx context.Context) error {
	err := c.connect(ctx)
	if err != nil && err != errClosed {
		c.h.Failed(err)
	}
	return err
}

func (c *Conn) connect(ctx context.Context) error {
	c.mu.Lock()
	url := c.cfg.URLs[c.url%len(c.cfg.URLs)]
	hello := c.cfg.Hello
	hello.Token, hello.LastSeq, hello.Epoch = c.token, c.lastSeq, c.epoch
	if c.par.Nickname != "" {
		hello.Nickname = c.par.Nickname
	}
	if hello.Token != "" {
		hello.Nickname = ""
	}
	first := c.connects == 0
	c.mu.Unlock()
	if hello.Protocol == 0 {
		hello.Protocol = wire.Version
	}

	start := time.Now()
	ws, err := c.dial(ctx, url)
	if err != nil {
		c.nextURL()
		return &ConnectError{Stage: StageDial, URL: url, Err: err}
	}
	var w *wire.Welcome
	if !c.cfg.Raw {
		c.mu.Lock()
		closed := c.closed
		c.hs = ws // Close cuts it
		c.mu.Unlock()
		if closed {
			_ = ws.Close()
			return errClosed
		}
		w, err = sayHello(ws, url, hello)
		if err != nil {
			_ = ws.Close()
			c.mu.Lock()
			c.hs = nil
			closed := c.closed
			c.mu.Unlock()
			if closed {
				return errClosed
			}
			c.nextURL()
			return err
		}
	}
	c.mu.Lock()
	c.hs = nil
	if c.closed {
		c.mu.Unlock()
		_ = ws.Close()
		return errClosed
	}
	c.ws = ws
	c.connects++
	if w != nil {
		if w.Token != "" {
			c.token = w.Token
		}
		c.epoch = w.Epoch
		if !w.Recovered {
			c.lastSeq = w.Seq
		}
	}
	resend := make([][]byte, 0, len(c.pending))
	for _, s := range c.pending {
		resend = append(resend, s.frame)
	}
	c.mu.Unlock()
	c.h.Connected(w, first, time.Since(start))
	for _, f := range resend {
		if c.Write(f) != nil {
			break // the reader will see the connection go
		}
	}
	return nil
}

// dial opens the websocket.
func (c *Conn) dial(ctx context.Context, url string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 15 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 1024,
		WriteBufferPool: writeBufferPool}
	nd := &net.Dialer{Timeout: 15 * time.Second}
	if c.par.LocalAddr != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(c.par.LocalAddr)}
	}
	d.NetDialContext = nd.DialContext
	hdr := http.Header{}
	if c.cfg.Origin != "" {
		hdr.Set("Origin", c.cfg.Origin)
	}
	if c.cfg.Cookie != "" {
		hdr.Set("Cookie", c.cfg.Cookie)
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ws, resp, err := d.DialContext(dctx, url, hdr)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	if c.cfg.ReadLimit > 0 {
		ws.SetReadLimit(c.cfg.ReadLimit)
	}
	return ws, nil
}

// sayHello sends the hello and reads up to the welcome; an error frame
// comes back as a *wire.Error.
func sayHello(ws *websocket.Conn, url string, hello wire.Hello) (*wire.Welcome, error) {
	b, err := wire.Encode(wire.Out{Type: wire.TypeHello, Data: hello})
	if err != nil {
		return nil, fmt.Errorf("wsclient: encode hello: %w", err)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return nil, &ConnectError{Stage: StageDial, URL: url, Err: err}
	}
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	defer ws.SetReadDeadline(time.Time{})
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return nil, &ConnectError{Stage: StageWelcome, URL: url, Err: err}
		}
		env, err := ParseEnvelope(data)
		if err != nil {
			return nil, &ConnectError{Stage: StageWelcome, URL: url, Err: err}
		}
		switch env.Type {
		case wire.TypeError:
			return nil, DecodeError(env.Data)
		case wire.TypeWelcome:
			var w wire.Welcome
			if err := json.Unmarshal(env.Data, &w); err != nil {
				return nil, &ConnectError{Stage: StageWelcome, URL: url, Err: fmt.Errorf("welcome: %w", err)}
			}
			return &w, nil
		}
	}
}

// nextURL moves on to the next instance.
func (c *Conn) nextURL() {
	c.mu.Lock()
	c.url++
	c.mu.Unlock()
}

// Run reads frames until the connection ends and then, with Reconnect,
// reconnects and reads again, until Close, a close code that says not to
// come back, a refusal that reconnecting will not change, or the end of
// ctx (ctx bounds the waits between attempts and the dials; only Close
// ends a connection that is up). Call it after a successful Connect.
func (c *Conn) Run(ctx context.Context) {
	for {
		c.mu.Lock()
		ws := c.ws
		c.mu.Unlock()
		if ws == nil {
			return
		}
		err := c.readLoop(ws)
		c.mu.Lock()
		closed, dropped, back := c.closed, c.dropped, c.backAt
		c.ws, c.dropped = nil, false
		c.mu.Unlock()
		_ = ws.Close()
		if closed {
			return
		}
		c.h.Lost(err, dropped)
		if !c.cfg.Reconnect || ctx.Err() != nil || !reconnects(CloseCode(err)) {
			return
		}
		if dropped {
			sleep(ctx, time.Until(back))
		}
		if !c.reconnect(ctx) {
			return
		}
	}
}

// reconnects tells whether a connection closed with code is to come back.
func reconnects(code int) bool {
	return code != CloseNormal && code != CloseRemoved && code != CloseDeleted
}

// reconnect connects again with growing, jittered pauses; false when it
// gave up.
func (c *Conn) reconnect(ctx context.Context) bool {
	backoff := 50 * time.Millisecond
	for {
		sleep(ctx, backoff/2+rand.N(backoff/2+1))
		if ctx.Err() != nil || c.Closed() {
			return false
		}
		if c.cfg.Rotate {
			c.nextURL()
		}
		err := c.Connect(ctx)
		if err == nil {
			return true
		}
		if err == errClosed {
			return false
		}
		var we *wire.Error
		if errors.As(err, &we) && !we.Retry && we.Code != wire.CodeNotFound {
			return false // removed, unauthorized: reconnecting will not help
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// sleep sleeps for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
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

// readLoop reads frames until the connection ends.
func (c *Conn) readLoop(ws *websocket.Conn) error {
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			return err
		}
		buf := readBufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			c.receive(buf.Bytes(), time.Now())
		}
		if buf.Cap() <= 64<<10 {
			readBufs.Put(buf)
		}
		if err != nil {
			return err
		}
	}
}

// receive handles one frame: the sequence, the submission an ack or error
// settles, then the handler.
func (c *Conn) receive(b []byte, now time.Time) {
	env, err := ParseEnvelope(b)
	if err != nil {
		// Not a frame of the protocol; the handler sees it with no type.
		c.h.Frame(Envelope{Data: b, Size: len(b)}, now)
		return
	}
	if env.Seq > 0 || (env.ID != "" && (env.Type == wire.TypeAck || env.Type == wire.TypeError)) {
		c.mu.Lock()
		if env.Seq > c.lastSeq || env.Type == wire.TypeSnapshot {
			c.lastSeq = env.Seq
		}
		if env.ID != "" {
			switch env.Type {
			case wire.TypeAck:
				c.settle(env.ID)
			case wire.TypeError:
				if e := DecodeError(env.Data); e.Retry {
					c.retryLater(env.ID)
				} else {
					c.settle(env.ID)
				}
			}
		}
		c.mu.Unlock()
	}
	c.h.Frame(env, now)
}

// Write sends one encoded frame now; it fails when not connected.
func (c *Conn) Write(frame []byte) error {
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws == nil {
		return errNotConnected
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, frame)
}

// Send encodes and sends one frame now.
func (c *Conn) Send(typ, id string, data any) error {
	b, err := wire.Encode(wire.Out{Type: typ, ID: id, Data: data})
	if err != nil {
		return fmt.Errorf("wsclient: encode %s: %w", typ, err)
	}
	return c.Write(b)
}

// LastSeq is the highest room sequence seen (the last_seq of the next
// hello).
func (c *Conn) LastSeq() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSeq
}

// Connects counts successful connections (1 + reconnects).
func (c *Conn) Connects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connects
}

// Connected reports whether a connection is up.
func (c *Conn) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws != nil
}

// setURLs replaces the instance list; only for a Conn that has its Config
// to itself (a test Phone).
func (c *Conn) setURLs(urls []string) {
	c.mu.Lock()
	c.cfg.URLs = urls
	c.mu.Unlock()
}

// Closed reports whether Close was called.
func (c *Conn) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// WriteRaw writes arbitrary bytes as one text frame, bypassing encoding
// (hostile-input tests).
func (c *Conn) WriteRaw(data []byte) error { return c.Write(data) }

// Drop cuts the connection without a close frame, as a lost network does;
// with Reconnect, Run brings it back after offline. It reports whether
// there was a connection to cut.
func (c *Conn) Drop(offline time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ws == nil || c.closed || c.dropped {
		return false
	}
	c.dropped, c.backAt = true, time.Now().Add(offline)
	_ = c.ws.UnderlyingConn().Close()
	return true
}

// Close ends the Conn for good, with a normal close frame.
func (c *Conn) Close() {
	c.mu.Lock()
	c.closed = true
	ws, hs := c.ws, c.hs
	c.mu.Unlock()
	if hs != nil {
		_ = hs.Close()
	}
	if ws == nil {
		return
	}
	c.wmu.Lock()
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = ws.Close()
}

// CloseCode is the websocket close code an error carries: 1006 when the
// connection ended without a close frame, 0 when err is no close at all.
func CloseCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}
