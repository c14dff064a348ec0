// Package client is one websocket connection: a reader goroutine, a writer
// goroutine that exists only while there is something to write, limits,
// and a send queue bounded in bytes. It implements hub.Conn; the hub never
// imports it. The same package has a Go client (Phone) for tests and load
// generation.
package client

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Config sets a connection's limits. Zero values mean the defaults.
type Config struct {
	// MaxFrameBytes is the read limit (wire.MaxFrameBytes). A larger frame,
	// or a header claiming one, closes the connection with 1009.
	MaxFrameBytes int64
	// QueueBytes bounds the frames waiting to be written (256 KiB). A
	// connection over it is closed as too slow; the room does not wait.
	QueueBytes int
	// WriteWait is the deadline for one write (10s).
	WriteWait time.Duration
	// PongWait is how long the peer may be silent (60s).
	PongWait time.Duration
	// PingPeriod is how often we ping; must be less than PongWait (PongWait*9/10).
	PingPeriod time.Duration
	// OnSlow is called when a connection is dropped for being too slow.
	OnSlow func()
}

func (c Config) withDefaults() Config {
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = wire.MaxFrameBytes
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = 256 << 10
	}
	if c.WriteWait <= 0 {
		c.WriteWait = 10 * time.Second
	}
	if c.PongWait <= 0 {
		c.PongWait = 60 * time.Second
	}
	if c.PingPeriod <= 0 || c.PingPeriod >= c.PongWait {
		c.PingPeriod = c.PongWait * 9 / 10
	}
	return c
}

// Handler receives a connection's frames. The hub's Session implements it.
type Handler interface {
	// Handle processes one text frame; it is called from the reader only.
	Handle(ctx context.Context, data []byte)
	// HelloReceived reports whether a hello has arrived.
	HelloReceived() bool
	// HelloTimeout is how long the connection may go without a hello.
	HelloTimeout() time.Duration
	// Closed is called once when the connection has ended.
	Closed()
}

// Close codes this package sends on its own.
const (
	CloseTooSlow      = 4002
	CloseHelloTimeout = 4008
)

// Conn is a server-side websocket connection. An idle connection holds one
// goroutine (its reader, parked in a shallow wait with a 2 KiB stack; see
// read.go), one timer, and no write buffer: the writer goroutine starts
// when a frame is queued and ends when the queue is empty.
type Conn struct {
	ws  *websocket.Conn
	raw net.Conn
	br  *bufio.Reader   // gorilla's read buffer
	rc  syscall.RawConn // the socket, to wait on; nil: wait inside gorilla
	cfg Config

	mu          sync.Mutex
	queue       []*wire.Frame
	queuedBytes int
	pingDue     bool
	// pong holds the payload of the peer's latest ping until the writer
	// answers it (RFC 6455 5.5.2: a ping is answered by a pong with the
	// same data, and only the latest needs an answer). nil: none waiting.
	pongData    []byte
	writing     bool // a writer goroutine is running
	closing     bool
	closeCode   int
	closeReason string
	finished    bool // the close frame is written and the socket closed

	done chan struct{} // closed when finished
	// timer fires for the hello deadline and for every ping: one timer per
	// connection instead of one for each. Guarded by mu, like the rest.
	timer   *time.Timer
	hello   Handler // until the hello deadline has been checked
	helloBy time.Time
	pingAt  time.Time
	stop    func() bool // unregisters from Serve's ctx; nil if it cannot end
}

// Serve starts a connection and returns at once: a new goroutine becomes
// the reader (so the HTTP handler that upgraded can return and release its
// buffers), and a writer goroutine runs whenever there is something to
// write. newHandler is called once with the Conn, before any frame is read.
// When ctx ends, the connection is closed (1001); a ctx that cannot end
// costs nothing per connection.
func Serve(ctx context.Context, s *Socket, cfg Config, newHandler func(*Conn) Handler) {
	c := &Conn{ws: s.ws, raw: s.ws.UnderlyingConn(), br: s.br, cfg: cfg.withDefaults(), done: make(chan struct{})}
	if c.br != nil {
		c.rc = rawConnOf(c.raw)
	}
	h := newHandler(c)
	// Pings from the peer are answered with pongs by the writer; its close
	// frame ends the reader.
	c.ws.SetPingHandler(c.ping)
	c.ws.SetCloseHandler(ignoreClose)
	c.ws.SetPongHandler(c.pong)
	c.ws.SetReadLimit(c.cfg.MaxFrameBytes)
	now := time.Now()
	_ = c.raw.SetReadDeadline(now.Add(c.cfg.PongWait))
	c.mu.Lock()
	c.hello, c.helloBy, c.pingAt = h, now.Add(h.HelloTimeout()), now.Add(c.cfg.PingPeriod)
	c.timer = time.AfterFunc(c.nextTick(now), c.tick)
	c.mu.Unlock()
	if ctx.Done() != nil {
		c.stop = context.AfterFunc(ctx, func() { c.Close(websocket.CloseGoingAway, "server stopping") })
	}
	go c.run(ctx, h)
}

func ignoreClose(int, string) error { return nil }

// ping is gorilla's ping handler, for pings it reads in the middle of a
// message; read.go takes the others itself and calls answerPing too.
func (c *Conn) ping(data string) error {
	c.answerPing([]byte(data))
	return nil
}

// answerPing has the writer send a pong with the ping's data. A ping also
// shows the peer is there.
func (c *Conn) answerPing(data []byte) {
	c.extendDeadline()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.pongData = append(make([]byte, 0, len(data)), data...)
	c.startWriter()
}

// pong is gorilla's pong handler, for pongs it reads in the middle of a
// message; read.go takes the others itself.
func (c *Conn) pong(string) error {
	c.extendDeadline()
	return nil
}

// ended releases what the connection holds once it has finished.
func (c *Conn) ended(h Handler) {
	c.mu.Lock()
	c.timer.Stop()
	c.hello = nil
	c.mu.Unlock()
	if c.stop != nil {
		c.stop()
	}
	h.Closed()
}

// tick is the connection's timer: it closes a connection that has not said
// hello by its deadline and pings on schedule.
func (c *Conn) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	now := time.Now()
	if c.hello != nil && !now.Before(c.helloBy) {
		if !c.hello.HelloReceived() {
			c.closeLocked(CloseHelloTimeout, "no hello in time")
			return
		}
		c.hello = nil
	}
	if !now.Before(c.pingAt) {
		c.pingDue = true
		c.startWriter()
		c.pingAt = now.Add(c.cfg.PingPeriod)
	}
	c.timer.Reset(c.nextTick(now))
}

// nextTick is how long until the next ping or the hello deadline. Called
// with mu held.
func (c *Conn) nextTick(now time.Time) time.Duration {
	next := c.pingAt
	if c.hello != nil && c.helloBy.Before(next) {
		next = c.helloBy
	}
	return next.Sub(now)
}

var _ interface {
	Send(*wire.Frame) bool
	Close(int, string)
} = (*Conn)(nil)

// Send queues a frame without blocking.
func (c *Conn) Send(f *wire.Frame) bool { return c.enqueue(f) }

// SendMany queues several frames at once: the writer wakes once and
// writes them together.
func (c *Conn) SendMany(fs []*wire.Frame) bool { return c.enqueue(fs...) }

// enqueue adds frames to the queue, or drops the connection as too slow
// when they would take its backlog past QueueBytes. A frame larger than
// the whole queue is still taken when nothing is waiting.
func (c *Conn) enqueue(fs ...*wire.Frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	n := 0
	for _, f := range fs {
		n += len(f.Data)
	}
	if c.queuedBytes > 0 && c.queuedBytes+n > c.cfg.QueueBytes {
		c.queue, c.queuedBytes = nil, 0
		c.closing, c.closeCode, c.closeReason = true, CloseTooSlow, "too slow: send queue full"
		if c.cfg.OnSlow != nil {
			c.cfg.OnSlow()
		}
		c.startWriter()
		return false
	}
	c.queue = append(c.queue, fs...)
	c.queuedBytes += n
	c.startWriter()
	return true
}

// Close writes a close frame after what is queued and ends the connection.
func (c *Conn) Close(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason)
}

// closeLocked is Close with mu held.
func (c *Conn) closeLocked(code int, reason string) {
	if !c.closing {
		c.closing, c.closeCode, c.closeReason = true, code, reason
	}
	c.startWriter()
}

// startWriter starts the writer goroutine unless one runs. Called with mu held.
func (c *Conn) startWriter() {
	if c.writing || c.finished {
		return
	}
	c.writing = true
	go c.writeLoop()
}

func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// writeLoop is the connection's only writer while it runs. It writes every
// queued frame in one system call, pings when due, and ends when there is
// nothing left; after a close it writes the close frame and closes the
// socket.
func (c *Conn) writeLoop() {
	// Most bursts are a few frames: their list stays on this stack.
	var local [8]*wire.Frame
	for {
		c.mu.Lock()
		if len(c.queue) == 0 && !c.pingDue && c.pongData == nil && !c.closing {
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch := append(local[:0], c.queue...)
		clear(c.queue)
		c.queue, c.queuedBytes = c.queue[:0], 0
		ping, pong, closing, code, reason := c.pingDue, c.pongData, c.closing, c.closeCode, c.closeReason
		c.pingDue, c.pongData = false, nil
		c.mu.Unlock()

		deadline := time.Now().Add(c.cfg.WriteWait)
		if len(batch) > 0 {
			_ = c.raw.SetWriteDeadline(deadline)
			var err error
			if len(batch) == 1 {
				_, err = c.raw.Write(wireBytes(batch[0]))
			} else {
				err = writeJoined(c.raw, batch)
			}
			clear(batch)
			if err != nil {
				c.finish()
				return
			}
		}
		if pong != nil {
			if err := c.ws.WriteControl(websocket.PongMessage, pong, deadline); err != nil {
				c.finish()
				return
			}
		}
		if ping {
			if err := c.ws.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				c.finish()
				return
			}
		}
		if closing {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
			c.finish()
			return
		}
	}
}

// wireBytes is a frame as written to the socket, framed once per frame.
func wireBytes(f *wire.Frame) []byte { return f.Cached(frameBytes).([]byte) }

// joinBufs holds the buffers writeJoined copies a batch into, so that a
// fan-out to thousands of connections does not allocate one each.
var joinBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledJoin is the largest buffer kept for reuse; a rare huge batch
// (a big room's snapshot) is left to the garbage collector.
const maxPooledJoin = 64 << 10

// writeJoined writes several frames in one system call. net.Buffers would
// use writev only on a bare *net.TCPConn, and the connection is wrapped.
func writeJoined(w net.Conn, frames []*wire.Frame) error {
	bp := joinBufs.Get().(*[]byte)
	one := (*bp)[:0]
	for _, f := range frames {
		one = append(one, wireBytes(f)...)
	}
	_, err := w.Write(one)
	if cap(one) <= maxPooledJoin {
		*bp = one[:0]
		joinBufs.Put(bp)
	}
	return err
}

// finish closes the socket and marks the connection done. The reader
// notices the closed socket and ends too.
func (c *Conn) finish() {
	c.mu.Lock()
	c.closing, c.writing = true, false
	c.queue, c.queuedBytes = nil, 0
	already := c.finished
	c.finished = true
	c.mu.Unlock()
	if !already {
		_ = c.ws.Close()
		close(c.done)
	}
}

// frameBytes frames a server message for the wire once: FIN and text
// opcode, the payload length, no mask (servers do not mask). The same bytes
// are written to every connection the frame goes to.
func frameBytes(payload []byte) any {
	n := len(payload)
	var hdr []byte
	switch {
	case n < 126:
		hdr = []byte{0x81, byte(n)}
	case n < 1<<16:
		hdr = []byte{0x81, 126, byte(n >> 8), byte(n)}
	default:
		hdr = []byte{0x81, 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(hdr, payload...)
}

// ErrClosed is returned by the Go client after Close.
var ErrClosed = errors.New("client: closed")
