// Package client is one websocket connection: a reader and a writer
// goroutine, limits, a send queue bounded in bytes, and the codec's frame
// type. It implements hub.Conn; the hub never imports it. The same package
// has a Go client (Phone) for tests and load generation.
package client

import (
	"context"
	"errors"
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
	// Attached reports whether the hello succeeded.
	Attached() bool
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

// Conn is a server-side websocket connection.
type Conn struct {
	ws  *websocket.Conn
	cfg Config

	mu          sync.Mutex
	queue       []*wire.Frame
	queuedBytes int
	closing     bool
	closeCode   int
	closeReason string

	wake chan struct{} // capacity 1: "the queue or closing changed"
	done chan struct{} // closed when the writer has finished
}

// Serve runs a connection until it ends: the calling goroutine becomes the
// reader and one more goroutine is the writer. newHandler is called once
// with the Conn, before any frame is read.
func Serve(ctx context.Context, ws *websocket.Conn, cfg Config, newHandler func(*Conn) Handler) {
	c := &Conn{ws: ws, cfg: cfg.withDefaults(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	h := newHandler(c)
	go c.writePump()
	ctx, cancel := context.WithCancel(ctx)
	hello := time.AfterFunc(h.HelloTimeout(), func() {
		if !h.Attached() {
			c.Close(CloseHelloTimeout, "no hello in time")
		}
	})
	c.readPump(ctx, h)
	hello.Stop()
	cancel()
	c.Close(websocket.CloseNormalClosure, "")
	<-c.done
	h.Closed()
}

var _ interface {
	Send(*wire.Frame) bool
	Close(int, string)
} = (*Conn)(nil)

// Send queues a frame without blocking.
func (c *Conn) Send(f *wire.Frame) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if c.queuedBytes+len(f.Data) > c.cfg.QueueBytes {
		c.queue, c.queuedBytes = nil, 0
		c.closing, c.closeCode, c.closeReason = true, CloseTooSlow, "too slow: send queue full"
		c.mu.Unlock()
		if c.cfg.OnSlow != nil {
			c.cfg.OnSlow()
		}
		c.signal()
		return false
	}
	c.queue = append(c.queue, f)
	c.queuedBytes += len(f.Data)
	c.mu.Unlock()
	c.signal()
	return true
}

// Close writes a close frame after what is queued and ends the connection.
func (c *Conn) Close(code int, reason string) {
	c.mu.Lock()
	if !c.closing {
		c.closing, c.closeCode, c.closeReason = true, code, reason
	}
	c.mu.Unlock()
	c.signal()
}

func (c *Conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
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
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
		if typ != websocket.TextMessage {
			f, _ := wire.NewFrame(wire.Out{Type: wire.TypeError, Data: wire.Errorf(wire.CodeBadJSON, "only text frames carrying JSON are accepted")})
			c.Send(f)
			continue
		}
		h.Handle(ctx, data)
		if c.isClosing() {
			return
		}
	}
}

func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// writePump is the only goroutine that writes to the websocket.
func (c *Conn) writePump() {
	ticker := time.NewTicker(c.cfg.PingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.ws.Close()
		close(c.done)
	}()
	var batch []*wire.Frame
	for {
		select {
		case <-c.wake:
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.abandon()
				return
			}
			continue
		}
		c.mu.Lock()
		batch = append(batch[:0], c.queue...)
		clear(c.queue)
		c.queue, c.queuedBytes = c.queue[:0], 0
		closing, code, reason := c.closing, c.closeCode, c.closeReason
		c.mu.Unlock()
		for _, f := range batch {
			_ = c.ws.SetWriteDeadline(time.Now().Add(c.cfg.WriteWait))
			pm, _ := f.Cached(prepare).(*websocket.PreparedMessage)
			var err error
			if pm != nil {
				err = c.ws.WritePreparedMessage(pm)
			} else {
				err = c.ws.WriteMessage(websocket.TextMessage, f.Data)
			}
			if err != nil {
				c.abandon()
				return
			}
		}
		clear(batch)
		if closing {
			_ = c.ws.SetWriteDeadline(time.Now().Add(time.Second))
			_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
			return
		}
	}
}

// abandon marks a connection whose writes fail as closed, so that Send
// stops queueing to it.
func (c *Conn) abandon() {
	c.mu.Lock()
	c.closing = true
	c.queue, c.queuedBytes = nil, 0
	c.mu.Unlock()
}

func prepare(data []byte) any {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		return nil
	}
	return pm
}

// ErrClosed is returned by the Go client after Close.
var ErrClosed = errors.New("client: closed")
