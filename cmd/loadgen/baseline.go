package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The raw baseline: the plainest fast broadcast gorilla/websocket allows,
// shaped like gorilla's chat example. A hub goroutine owns the set of
// connections; each connection has a writer goroutine fed by a buffered
// channel; a broadcast is one PreparedMessage handed to every channel. No
// protocol, no persistence. It runs as its own process so that its CPU can
// be read from /proc exactly as the server's is.

const (
	baselineSendBuffer = 256
	baselinePingPeriod = 54 * time.Second
	baselineWriteWait  = 10 * time.Second
)

type baselineHub struct {
	register   chan *baselineClient
	unregister chan *baselineClient
	broadcast  chan baselineMsg
	clients    map[*baselineClient]bool
}

type baselineMsg struct {
	pm   *websocket.PreparedMessage
	done chan int // how many connections it was queued to
}

type baselineClient struct {
	hub  *baselineHub
	ws   *websocket.Conn
	send chan *websocket.PreparedMessage
}

func newBaselineHub() *baselineHub {
	return &baselineHub{
		register: make(chan *baselineClient), unregister: make(chan *baselineClient),
		broadcast: make(chan baselineMsg), clients: map[*baselineClient]bool{},
	}
}

func (h *baselineHub) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-h.register:
			h.clients[c] = true
		case c := <-h.unregister:
			if h.clients[c] {
				delete(h.clients, c)
				close(c.send)
			}
		case m := <-h.broadcast:
			n := 0
			for c := range h.clients {
				select {
				case c.send <- m.pm:
					n++
				default:
					delete(h.clients, c)
					close(c.send)
				}
			}
			m.done <- n
		}
	}
}

// readPump reads and discards, so that closes are noticed.
func (c *baselineClient) readPump() {
	defer func() {
		c.hub.unregister <- c
		_ = c.ws.Close()
	}()
	c.ws.SetReadLimit(4096)
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return
		}
	}
}

// writePump is the connection's only writer.
func (c *baselineClient) writePump() {
	ticker := time.NewTicker(baselinePingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.ws.Close()
	}()
	for {
		select {
		case pm, ok := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(baselineWriteWait))
			if !ok {
				_ = c.ws.WriteMessage(websocket.CloseMessage, nil)
				return
			}
			if err := c.ws.WritePreparedMessage(pm); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(baselineWriteWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// baselinePayload is a frame shaped like a Stoppunkt step frame, padded to
// size bytes, so that clients parse it the same way.
func baselinePayload(seq uint64, size int) []byte {
	head := `{"type":"step","seq":` + strconv.FormatUint(seq, 10) + `,"data":{"pad":"`
	tail := `"}}`
	pad := max(size-len(head)-len(tail), 0)
	return []byte(head + strings.Repeat("x", pad) + tail)
}

// baselineHandler serves /ws and POST /broadcast?seq=N&size=B, which
// answers after the frame was queued to every connection.
func baselineHandler(h *baselineHub) http.Handler {
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024}
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &baselineClient{hub: h, ws: ws, send: make(chan *websocket.PreparedMessage, baselineSendBuffer)}
		h.register <- c
		go c.writePump()
		go c.readPump()
	})
	mux.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		seq, err1 := strconv.ParseUint(r.URL.Query().Get("seq"), 10, 64)
		size, err2 := strconv.Atoi(r.URL.Query().Get("size"))
		if err1 != nil || err2 != nil || size < 0 || size > 1<<20 {
			http.Error(w, "seq and size are required", http.StatusBadRequest)
			return
		}
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, baselinePayload(seq, size))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		done := make(chan int, 1)
		h.broadcast <- baselineMsg{pm: pm, done: done}
		fmt.Fprintf(w, "%d\n", <-done)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

// baselineServerMain is the baseline-server subcommand.
func baselineServerMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("baseline: listen: %w", err)
	}
	h := newBaselineHub()
	go h.run(ctx)
	srv := &http.Server{Handler: baselineHandler(h), ReadHeaderTimeout: 10 * time.Second}
	// The coordinator reads the address from the first line.
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("baseline: %w", err)
	}
}
