package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// An idle connection's reader costs what its goroutine's stack costs, so
// the reader is built to keep that stack at the minimum (2 KiB):
//
//   - It waits for the socket to become readable in a shallow call
//     (syscall.RawConn.Read with a MSG_PEEK check, about 0.5 KiB deep), not
//     inside gorilla's frame reader: parked there, the stack is about
//     1.3 KiB deep, more than a 2 KiB stack holds beyond the runtime's
//     guard, so every reader grew to 4 KiB, and those that started at 8 KiB
//     during a join storm (the runtime starts goroutines at the average
//     stack size it saw) stayed there. The runtime halves a stack only
//     while less than a quarter of it is in use, so none shrank back.
//   - What arrived is read and handled on a short-lived goroutine while
//     the reader waits for it (a burst): frames are still read by one
//     goroutine at a time and handled one at a time, in order, and the
//     deep stacks of decoding and storage round trips go away with it.
//   - Pings and pongs from the peer (an idle phone's only traffic: the
//     pong to our ping) are taken from the read buffer here, when they are
//     there in full, because gorilla would go on to wait for the next data
//     frame inside its reader. Everything else goes to gorilla, which
//     enforces the read limit and the protocol.
//
// The read buffer is the connection's own, small one (readBufferSize,
// where gorilla's was 1 KiB), handed to gorilla at the upgrade so that the
// reader can see whether it still holds bytes; Upgrade arranges that. A
// connection that is not a plain socket (TLS terminated in the binary)
// reads as before, with the reader parked in gorilla and each frame
// handled on a short-lived goroutine.

// readBufferSize is a connection's read buffer. Frames from phones (a
// hello, a vote, a pong) fit in it; the rest of a longer frame is read
// straight into its message. gorilla takes a buffer handed over at the
// upgrade only if it is larger than 256 bytes; 288 is the next size the
// allocator has.
const readBufferSize = 288

// Socket is an upgraded websocket, ready for Serve.
type Socket struct {
	ws *websocket.Conn
	br *bufio.Reader // gorilla's read buffer; nil if Upgrade could not hand over its own
}

// Upgrade upgrades an HTTP request like up.Upgrade does, with the
// connection reading through a small buffer of its own (up.ReadBufferSize
// is ignored). gorilla's errors are returned wrapped; it has answered the
// request then.
func Upgrade(up websocket.Upgrader, w http.ResponseWriter, r *http.Request) (*Socket, error) {
	hw := &hijackWriter{ResponseWriter: w}
	up.ReadBufferSize = 0 // so that gorilla keeps the reader Hijack returns
	ws, err := up.Upgrade(hw, r, nil)
	if err != nil {
		return nil, fmt.Errorf("websocket upgrade: %w", err)
	}
	return &Socket{ws: ws, br: hw.br}, nil
}

// hijackWriter hands gorilla a read buffer of readBufferSize bytes when it
// hijacks the connection, and remembers it.
type hijackWriter struct {
	http.ResponseWriter
	br *bufio.Reader
}

// Hijack takes the connection over from the HTTP server.
func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("hijack: %w", err)
	}
	if brw.Reader.Buffered() > 0 {
		// The client did not wait for the handshake; gorilla refuses that.
		return conn, brw, nil
	}
	h.br = bufio.NewReaderSize(conn, readBufferSize)
	return conn, bufio.NewReadWriter(h.br, brw.Writer), nil
}

// rawConnOf returns the socket under conn if reads can wait on it
// directly; TLS and other wrappers have buffers of their own.
func rawConnOf(conn net.Conn) syscall.RawConn {
	sc, ok := conn.(syscall.Conn)
	if !ok || !canPeek {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// run is the reader goroutine. It stays shallow: it waits for bytes and
// hands each burst of them to a short-lived goroutine.
func (c *Conn) run(ctx context.Context, h Handler) {
	if c.rc == nil {
		c.readInGorilla(ctx, h)
	} else {
		for c.waitReadable() && c.burst(ctx, h) {
		}
	}
	c.Close(websocket.CloseNormalClosure, "")
	<-c.done
	c.ended(h)
}

// waitReadable parks until the socket has something to read, an error, or
// its read deadline passes (the peer was silent for PongWait).
func (c *Conn) waitReadable() bool {
	return c.rc.Read(readable) == nil
}

// burst reads and handles what has arrived on a short-lived goroutine and
// waits for it. It reports whether the connection goes on.
func (c *Conn) burst(ctx context.Context, h Handler) bool {
	more := make(chan bool, 1)
	go func() { more <- c.readArrived(ctx, h) }()
	return <-more
}

// readArrived handles the frames that have arrived and returns true when
// it needs the socket to be readable again, false when the connection
// ends.
func (c *Conn) readArrived(ctx context.Context, h Handler) bool {
	filled := false
	for {
		n, op := peekControl(c.br)
		switch {
		case n > 0:
			if op == websocket.PingMessage {
				// Answered with a pong carrying the same data (RFC 6455);
				// the payload is masked by the key before it.
				b, _ := c.br.Peek(n)
				c.answerPing(unmask(b[2:6], b[6:n]))
			} else {
				c.extendDeadline()
			}
			_, _ = c.br.Discard(n)
		case n == 0 && !filled:
			// The socket said it is readable: one read does not block.
			filled = true
			if _, err := c.br.Peek(c.br.Buffered() + 1); err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return false
			}
		case n == 0:
			return true // wait for more
		default:
			// A data frame (or a close, or a malformed frame): gorilla
			// reads the whole message, waiting for the rest if need be.
			data, ok := c.readMessage()
			if !ok {
				return false
			}
			if data != nil {
				h.Handle(ctx, data)
				if c.isClosing() {
					return false
				}
			}
		}
	}
}

// readInGorilla is the reader of a connection it cannot wait on directly
// (TLS): it waits inside gorilla, and handles each frame on a short-lived
// goroutine so that it does not keep the deep stack that handling needs.
func (c *Conn) readInGorilla(ctx context.Context, h Handler) {
	for {
		data, ok := c.readMessage()
		if !ok {
			return
		}
		if data == nil {
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.Handle(ctx, data)
		}()
		<-done
		if c.isClosing() {
			return
		}
	}
}

// readMessage reads one message with gorilla. It returns false when the
// connection ends, and no data for a message it has answered itself.
func (c *Conn) readMessage() ([]byte, bool) {
	typ, data, err := c.ws.ReadMessage()
	if err != nil {
		if errors.Is(err, websocket.ErrReadLimit) {
			c.Close(websocket.CloseMessageTooBig, "frame too large")
		}
		return nil, false
	}
	c.extendDeadline()
	if typ != websocket.TextMessage {
		f, _ := wire.NewFrame(wire.Out{Type: wire.TypeError, Data: wire.Errorf(wire.CodeBadJSON, "only text frames carrying JSON are accepted")})
		c.Send(f)
		return nil, true
	}
	return data, true
}

// extendDeadline gives the peer another PongWait to say something.
func (c *Conn) extendDeadline() {
	_ = c.raw.SetReadDeadline(time.Now().Add(c.cfg.PongWait))
}

// unmask returns a copy of a client frame's payload with the mask removed.
func unmask(key, payload []byte) []byte {
	out := make([]byte, len(payload))
	for i, b := range payload {
		out[i] = b ^ key[i%4]
	}
	return out
}

// peekControl looks at the frame at the start of br's buffered bytes
// without reading from the socket. For a ping or pong that is there in
// full it returns its length and opcode; 0 if br holds nothing or only the
// start of a ping or pong; -1 for anything else, which is gorilla's to read.
func peekControl(br *bufio.Reader) (int, int) {
	b, _ := br.Peek(min(br.Buffered(), 2+4+125))
	return controlFrame(b)
}

// controlFrame is peekControl on the bytes b.
func controlFrame(b []byte) (int, int) {
	if len(b) == 0 {
		return 0, 0
	}
	op := int(b[0] & 0x0f)
	if op != websocket.PingMessage && op != websocket.PongMessage {
		return -1, op
	}
	if b[0]&0xf0 != 0x80 { // not final, or reserved bits: a protocol error
		return -1, op
	}
	if len(b) < 2 {
		return 0, op
	}
	if b[1]&0x80 == 0 || int(b[1]&0x7f) > 125 { // unmasked, or too long
		return -1, op
	}
	n := 2 + 4 + int(b[1]&0x7f)
	if len(b) < n {
		return 0, op
	}
	return n, op
}
