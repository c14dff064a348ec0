package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestControlFrame(t *testing.T) {
	pong := []byte{0x8a, 0x82, 1, 2, 3, 4, 'h', 'i'}
	tests := []struct {
		name   string
		b      []byte
		n, op  int
		reader string
	}{
		{"empty", nil, 0, 0, ""},
		{"whole pong", pong, 8, websocket.PongMessage, ""},
		{"pong then more", append(append([]byte{}, pong...), 0x81), 8, websocket.PongMessage, ""},
		{"empty ping", []byte{0x89, 0x80, 0, 0, 0, 0}, 6, websocket.PingMessage, ""},
		{"first byte of a pong", pong[:1], 0, websocket.PongMessage, ""},
		{"pong header only", pong[:6], 0, websocket.PongMessage, ""},
		{"text", []byte{0x81, 0x82}, -1, websocket.TextMessage, "gorilla"},
		{"close", []byte{0x88, 0x80}, -1, websocket.CloseMessage, "gorilla"},
		{"fragmented pong", []byte{0x0a, 0x80, 0, 0, 0, 0}, -1, websocket.PongMessage, "gorilla"},
		{"reserved bits", []byte{0xca, 0x80, 0, 0, 0, 0}, -1, websocket.PongMessage, "gorilla"},
		{"unmasked pong", []byte{0x8a, 0x00}, -1, websocket.PongMessage, "gorilla"},
		{"pong claiming 126 bytes", []byte{0x8a, 0xfe, 0, 126}, -1, websocket.PongMessage, "gorilla"},
	}
	for _, tt := range tests {
		n, op := controlFrame(tt.b)
		if n != tt.n || (len(tt.b) > 0 && op != tt.op) {
			t.Errorf("%s: got (%d, %d), want (%d, %d)", tt.name, n, op, tt.n, tt.op)
		}
	}
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") + "/" }

func TestPingsKeepAnAnsweringPeerAndDropASilentOne(t *testing.T) {
	defer goleak.VerifyNone(t)
	// The hello deadline passes first; the same timer then goes on pinging.
	rec := newRecorder(20 * time.Millisecond)
	rec.attached.Store(true)
	srv := serve(t, Config{PingPeriod: 20 * time.Millisecond, PongWait: time.Second}, rec)
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var answer atomic.Bool
	answer.Store(true)
	pings := make(chan struct{}, 1000)
	ws.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		if !answer.Load() {
			return nil
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	readDone := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				readDone <- err
				return
			}
		}
	}()
	// A hundred pings take longer than PongWait: only the pongs, each
	// taken by the reader, kept the connection open.
	for range 100 {
		select {
		case <-pings:
		case err := <-readDone:
			t.Fatalf("connection ended while the peer answered pings: %v", err)
		}
	}
	answer.Store(false)
	<-rec.closed // dropped for its silence
	if err := <-readDone; err == nil {
		t.Fatal("read went on after the server closed")
	}
}

// rawDial opens a websocket by hand, so that a test can write frames byte
// by byte.
func rawDial(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	return c
}

// clientFrame is a masked frame (key 0, so the payload reads as is).
func clientFrame(op byte, payload string) []byte {
	return append([]byte{0x80 | op, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
}

func TestFramesSplitAndPackedAnyWay(t *testing.T) {
	defer goleak.VerifyNone(t)
	rec := newRecorder(time.Minute)
	rec.attached.Store(true)
	srv := serve(t, Config{}, rec)
	defer srv.Close()
	c := rawDial(t, srv)
	defer c.Close()
	<-rec.conn

	var stream []byte
	want := []string{}
	for _, part := range []struct {
		before []byte // a control frame first
		text   string
	}{
		{clientFrame(0xa, ""), `{"n":1}`},
		{clientFrame(0x9, "ping data"), `{"n":2}`},
		{clientFrame(0xa, "pong"), strings.Repeat("x", 100)},
		{nil, `{"n":4}`},
		{clientFrame(0xa, strings.Repeat("p", 125)), `{"n":5}`},
	} {
		stream = append(stream, part.before...)
		stream = append(stream, clientFrame(0x1, part.text)...)
		want = append(want, part.text)
	}
	// Everything in one write, then everything a byte at a time.
	for _, split := range []int{len(stream), 1} {
		for i := 0; i < len(stream); i += split {
			if _, err := c.Write(stream[i:min(i+split, len(stream))]); err != nil {
				t.Fatal(err)
			}
			if split == 1 && i%7 == 0 {
				time.Sleep(time.Millisecond) // let some reads see part of a frame
			}
		}
		for _, w := range want {
			if got := <-rec.frames; got != w {
				t.Fatalf("split %d: frame %q, want %q", split, got, w)
			}
		}
	}
	c.Close()
	<-rec.closed
}

func TestIdleReaderWaitsShallow(t *testing.T) {
	if !canPeek {
		t.Skip("the reader waits inside gorilla on this system")
	}
	defer goleak.VerifyNone(t)
	rec := newRecorder(time.Minute)
	rec.attached.Store(true)
	srv := serve(t, Config{}, rec)
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	<-rec.conn
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
	<-rec.frames
	// Once the frame is handled, the reader goes back to waiting on the
	// socket, and nothing of this connection waits inside gorilla.
	for {
		buf := make([]byte, 1<<20)
		dump := string(buf[:runtime.Stack(buf, true)])
		var readers, deep int
		for _, g := range strings.Split(dump, "\n\n") {
			if !strings.Contains(g, "client.(*Conn)") {
				continue
			}
			if strings.Contains(g, "gorilla/websocket") {
				deep++
			}
			if strings.Contains(g, "client.(*Conn).waitReadable") {
				readers++
			}
		}
		if deep > 0 {
			t.Fatalf("an idle connection waits inside gorilla:\n%s", dump)
		}
		if readers == 1 {
			break
		}
		runtime.Gosched()
	}
	ws.Close()
	<-rec.closed
}

func TestServeContextEndClosesWithGoingAway(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := newRecorder(time.Minute)
	rec.attached.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sock, err := Upgrade(websocket.Upgrader{}, w, r)
		if err != nil {
			return
		}
		Serve(ctx, sock, Config{}, func(c *Conn) Handler { rec.conn <- c; return rec })
	}))
	defer srv.Close()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	<-rec.conn
	cancel()
	_, _, err = ws.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); !ok || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("want close 1001, got %v", err)
	}
	<-rec.closed
}

// Over TLS the reader cannot wait on the socket (TLS has buffers of its
// own) and reads inside gorilla instead; frames and pings work the same.
func TestTLSConnectionReadsAsBefore(t *testing.T) {
	defer goleak.VerifyNone(t)
	rec := newRecorder(time.Minute)
	rec.attached.Store(true)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sock, err := Upgrade(websocket.Upgrader{}, w, r)
		if err != nil {
			return
		}
		Serve(context.Background(), sock, Config{PingPeriod: 10 * time.Millisecond, PongWait: time.Second},
			func(c *Conn) Handler { rec.conn <- c; return rec })
	}))
	defer srv.Close()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(srv.URL, "https")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if c := <-rec.conn; c.rc != nil {
		t.Fatal("a TLS connection should not wait on the raw socket")
	}
	pinged := make(chan struct{}, 100)
	ws.SetPingHandler(func(data string) error {
		pinged <- struct{}{}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for i := range 3 {
		<-pinged
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"n":`+string(rune('0'+i))+`}`))
		if got := <-rec.frames; got != `{"n":`+string(rune('0'+i))+`}` {
			t.Fatalf("frame %q", got)
		}
	}
	ws.Close()
	<-rec.closed
}
