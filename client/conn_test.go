package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// recorder is a Handler that records what the connection did.
type recorder struct {
	conn     chan *Conn
	frames   chan string
	closed   chan struct{}
	attached atomic.Bool
	timeout  time.Duration
}

func (r *recorder) Handle(_ context.Context, data []byte) { r.frames <- string(data) }
func (r *recorder) HelloReceived() bool                   { return r.attached.Load() }
func (r *recorder) HelloTimeout() time.Duration           { return r.timeout }
func (r *recorder) Closed()                               { close(r.closed) }

func serve(t *testing.T, cfg Config, rec *recorder) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sock, err := Upgrade(up, w, r)
		if err != nil {
			return
		}
		Serve(context.Background(), sock, cfg, func(c *Conn) Handler { rec.conn <- c; return rec })
	}))
	return srv
}

func newRecorder(timeout time.Duration) *recorder {
	return &recorder{conn: make(chan *Conn, 1), frames: make(chan string, 16), closed: make(chan struct{}), timeout: timeout}
}

func TestSlowPhoneIsDroppedWithoutBlocking(t *testing.T) {
	defer goleak.VerifyNone(t)
	var slow atomic.Int32
	rec := newRecorder(time.Minute)
	rec.attached.Store(true)
	srv := serve(t, Config{QueueBytes: 64 << 10, OnSlow: func() { slow.Add(1) }}, rec)
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	conn := <-rec.conn
	// The phone never reads. Send must never block; at some point the
	// queue overflows and the connection is dropped as slow.
	f, _ := wire.NewFrame(wire.Out{Type: "step", Data: strings.Repeat("x", 16<<10)})
	sent := 0
	for conn.Send(f) {
		sent++
		if sent > 100000 {
			t.Fatal("a phone that never reads was never dropped")
		}
	}
	select {
	case <-rec.closed:
	case <-time.After(30 * time.Second):
		t.Fatal("slow connection was not closed")
	}
	if slow.Load() != 1 {
		t.Fatalf("OnSlow called %d times", slow.Load())
	}
	if conn.Send(f) {
		t.Fatal("Send succeeded on a closed connection")
	}
}

func TestHelloTimeoutAndReadLimit(t *testing.T) {
	defer goleak.VerifyNone(t)
	rec := newRecorder(50 * time.Millisecond)
	srv := serve(t, Config{MaxFrameBytes: 1024}, rec)
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_, _, err = ws.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != CloseHelloTimeout {
		t.Fatalf("want close %d, got %v", CloseHelloTimeout, err)
	}
	<-rec.closed

	rec = newRecorder(time.Minute)
	rec.attached.Store(true)
	srv2 := serve(t, Config{MaxFrameBytes: 1024}, rec)
	defer srv2.Close()
	ws2, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv2.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.Close()
	_ = ws2.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
	if got := <-rec.frames; got != `{"type":"ping"}` {
		t.Fatalf("frame %q", got)
	}
	_ = ws2.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	_, data, err := ws2.ReadMessage()
	if err != nil || !strings.Contains(string(data), `"bad_json"`) {
		t.Fatalf("binary frame: %s %v", data, err)
	}
	_ = ws2.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("x", 2000)))
	_, _, err = ws2.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseMessageTooBig {
		t.Fatalf("want close 1009, got %v", err)
	}
	<-rec.closed
}
