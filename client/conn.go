// Package client is one websocket connection: a reader goroutine, a writer
// goroutine that exists only while there is something to write, limits,
// and a send queue bounded in bytes. It implements hub.Conn; the hub never
// imports it. The same package has a Go client (Phone) for tests and load
// generation.
package client

import (
	"context"
	"errors"
	"net"
	"sync"
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
// goroutine (its reader, with a shallow stack) and no write buffer: the
// writer goroutine starts when a frame is queued and ends when the queue is
// empty, and pings are timers, not a goroutine per connection.
type Conn struct {
	ws  *websocket.Conn
	raw net.Conn
	cfg Config

	mu          sync.Mutex
	queue       []*wire.Frame
	queuedBytes int
	pingDue     bool
	writing     bool // a writer goroutine is running
	closing     bool
	closeCode   int
	closeReason string
	finished    bool // the close frame is written and the socket closed

	done chan struct{} // closed when finished
	ping *time.Timer
}

// Serve starts a connection and returns at once: a new goroutine becomes
// the reader (so the HTTP handler that upgraded can return and release its
// buffers), and a writer goroutine runs whenever there is something to
// write. newHandler is called once with the Conn, before any frame is read.
// ctx bounds the connection's life.
func Serve(ctx context.Context, ws *websocket.Conn, cfg Config, newHandler func(*Conn) Handler) {
	c := &Conn{ws: ws, raw: ws.UnderlyingConn(), cfg: cfg.withDefaults(), done: make(chan struct{})}
	h := newHandler(c)
	// Pongs go through the writer like every other write.
	ws.SetPingHandler(func(string) error { return nil })
	ws.SetCloseHandler(func(int, string) error { return nil })
	c.ping = time.AfterFunc(c.cfg.PingPeriod, c.pingTick)
	go c.run(ctx, h)
}

func (c *Conn) run(ctx context.Context, h Handler) {
	ctx, cancel := context.WithCancel(ctx)
	hello := time.AfterFunc(h.HelloTimeout(), func() {
		if !h.HelloReceived() {
			c.Close(CloseHelloTimeout, "no hello in time")
		}
	})
	stop := context.AfterFunc(ctx, func() { c.Close(websocket.CloseGoingAway, "server stopping") })
	c.readPump(ctx, h)
	stop()
	hello.Stop()
	cancel()
	c.Close(websocket.CloseNormalClosure, "")
	<-c.done
	c.ping.Stop()
	h.Closed()
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

func (c *Conn) pingTick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	c.pingDue = true
	c.startWriter()
	c.ping.Reset(c.cfg.PingPeriod)
}

func (c *Conn) readPump(ctx context.Context, h Handler) {
	c.ws.SetReadLimit(c.cfg.MaxFrameBytes)
	_ = c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
	})
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.Close(websocket.CloseMessageTooBig, "frame too large")
			}
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
		if typ != websocket.TextMessage {
			f, _ := wire.NewFrame(wire.Out{Type: wire.TypeError, Data: wire.Errorf(wire.CodeBadJSON, "only text frames carrying JSON are accepted")})
			c.Send(f)
			continue
		}
		c.handle(ctx, h, data)
		if c.isClosing() {
			return
		}
	}
}

// handle runs the handler for one frame on a short-lived goroutine and
// waits for it. Frames are still handled one at a time and in order; the
// point is the stack: handling a frame runs deep (decoding, storage round
// trips), and an idle reader should not keep that stack for hours.
func (c *Conn) handle(ctx context.Context, h Handler, data []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Handle(ctx, data)
	}()
	<-done
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
	var batch []*wire.Frame
	var bufs net.Buffers
	var one []byte
	for {
		c.mu.Lock()
		if len(c.queue) == 0 && !c.pingDue && !c.closing {
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch = append(batch[:0], c.queue...)
		clear(c.queue)
		c.queue, c.queuedBytes = c.queue[:0], 0
		ping, closing, code, reason := c.pingDue, c.closing, c.closeCode, c.closeReason
		c.pingDue = false
		c.mu.Unlock()

		bufs = bufs[:0]
		for _, f := range batch {
			bufs = append(bufs, f.Cached(frameBytes).([]byte))
		}
		clear(batch)
		deadline := time.Now().Add(c.cfg.WriteWait)
		if len(bufs) > 0 {
			_ = c.raw.SetWriteDeadline(deadline)
			var err error
			if len(bufs) == 1 {
				_, err = c.raw.Write(bufs[0])
			} else {
				one = one[:0]
				for _, b := range bufs {
					one = append(one, b...)
				}
				_, err = c.raw.Write(one)
			}
			if err != nil {
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
