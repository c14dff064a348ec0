package wsclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// scripted is a websocket server a test drives by hand, one accepted
// connection at a time, to see exactly what the client sends.
type scripted struct {
	url   string
	conns chan *websocket.Conn
}

func newScripted(t *testing.T) *scripted {
	t.Helper()
	s := &scripted{conns: make(chan *websocket.Conn, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s.conns <- ws
	}))
	t.Cleanup(srv.Close)
	s.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return s
}

// accept returns the next connection.
func (s *scripted) accept(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case ws := <-s.conns:
		t.Cleanup(func() { ws.Close() })
		return ws
	case <-time.After(20 * time.Second):
		t.Fatal("no connection")
		return nil
	}
}

// read reads one client frame.
func read(t *testing.T, ws *websocket.Conn) (typ, id string, data json.RawMessage) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("server read: %v", err)
	}
	var f struct {
		Type string          `json:"type"`
		ID   string          `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("client sent %s: %v", b, err)
	}
	return f.Type, f.ID, f.Data
}

func readHello(t *testing.T, ws *websocket.Conn) wire.Hello {
	t.Helper()
	typ, _, data := read(t, ws)
	var h wire.Hello
	if typ != wire.TypeHello || json.Unmarshal(data, &h) != nil {
		t.Fatalf("first frame: %s %s", typ, data)
	}
	return h
}

func send(t *testing.T, ws *websocket.Conn, typ, id string, seq uint64, data any) {
	t.Helper()
	b, err := wire.Encode(wire.Out{Type: typ, ID: id, Seq: seq, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("server write: %v", err)
	}
}

// recorder is a Handler that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	welcomes []wire.Welcome
	frames   []Envelope
	lost     []int // close codes
	failed   []error
	changed  chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 100)} }

func (r *recorder) Connected(w *wire.Welcome, _ bool, _ time.Duration) {
	r.mu.Lock()
	r.welcomes = append(r.welcomes, *w)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *recorder) Frame(f Envelope, _ time.Time) {
	f.Data = append([]byte(nil), f.Data...)
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *recorder) Lost(err error, _ bool) {
	r.mu.Lock()
	r.lost = append(r.lost, CloseCode(err))
	r.mu.Unlock()
	r.changed <- struct{}{}
}

func (r *recorder) Failed(err error) {
	r.mu.Lock()
	r.failed = append(r.failed, err)
	r.mu.Unlock()
}

// until waits until ok holds, checking after every event.
func (r *recorder) until(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		done := ok()
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// start connects a Conn to s and runs it.
func start(t *testing.T, cfg *Config, par Params, h Handler, server func(*websocket.Conn)) *Conn {
	t.Helper()
	c := New(cfg, h, par)
	done := make(chan error, 1)
	go func() { done <- c.Connect(context.Background()) }()
	if server != nil {
		server(nil)
	}
	if err := <-done; err != nil {
		t.Fatalf("connect: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { c.Run(ctx); close(ran) }()
	t.Cleanup(func() {
		c.Close()
		cancel()
		<-ran
	})
	return c
}

// TestConnResumesAndResendsWithTheSameID: after a lost connection the
// hello carries the token, the last sequence seen and the epoch (and no
// nickname), and an unacknowledged submission is sent again with its id.
func TestConnResumesAndResendsWithTheSameID(t *testing.T) {
	s := newScripted(t)
	rec := newRecorder()
	cfg := &Config{URLs: []string{s.url}, Reconnect: true,
		Hello: wire.Hello{Role: wire.RoleParticipant, Code: "ABC123"}}
	var ws1 *websocket.Conn
	c := start(t, cfg, Params{Nickname: "Kari"}, rec, func(*websocket.Conn) {
		ws1 = s.accept(t)
		h := readHello(t, ws1)
		if h.Token != "" || h.Nickname != "Kari" || h.Code != "ABC123" || h.Protocol != wire.Version || h.LastSeq != 0 {
			t.Errorf("first hello: %+v", h)
		}
		send(t, ws1, wire.TypeWelcome, "", 0, wire.Welcome{Token: "tok1", Epoch: "ep1", Seq: 5})
	})
	send(t, ws1, wire.TypeStep, "", 7, map[string]int{"index": 1})
	rec.until(t, "the step frame", func() bool { return len(rec.frames) == 1 })
	if c.LastSeq() != 7 {
		t.Fatalf("last seq %d, want 7", c.LastSeq())
	}

	frame, _ := wire.Encode(wire.Out{Type: wire.TypeAnswer, ID: "a1", Data: map[string]int{"step": 1}})
	c.Submit("a1", frame)
	if typ, id, _ := read(t, ws1); typ != wire.TypeAnswer || id != "a1" {
		t.Fatalf("submission: %s %s", typ, id)
	}
	// The connection goes before the ack.
	ws1.UnderlyingConn().Close()

	ws2 := s.accept(t)
	h := readHello(t, ws2)
	if h.Token != "tok1" || h.LastSeq != 7 || h.Epoch != "ep1" || h.Nickname != "" {
		t.Fatalf("hello after the loss: %+v", h)
	}
	send(t, ws2, wire.TypeWelcome, "", 0, wire.Welcome{Epoch: "ep1", Seq: 7, Recovered: true})
	if typ, id, _ := read(t, ws2); typ != wire.TypeAnswer || id != "a1" {
		t.Fatalf("resent: %s %s", typ, id)
	}
	if c.Pending() != 1 {
		t.Fatalf("pending before the ack: %d", c.Pending())
	}
	send(t, ws2, wire.TypeAck, "a1", 8, map[string]uint64{"seq": 8})
	rec.until(t, "the ack", func() bool { return len(rec.frames) == 2 })
	if c.Pending() != 0 || c.Connects() != 2 || c.LastSeq() != 8 {
		t.Fatalf("after the ack: pending %d, connects %d, last seq %d", c.Pending(), c.Connects(), c.LastSeq())
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.lost) != 1 || rec.lost[0] != websocket.CloseAbnormalClosure {
		t.Fatalf("lost: %v", rec.lost)
	}
}

// TestConnRetriesARetryableRefusal: a submission refused with retry true
// is sent again with its id; one refused for good is dropped.
func TestConnRetriesARetryableRefusal(t *testing.T) {
	s := newScripted(t)
	rec := newRecorder()
	cfg := &Config{URLs: []string{s.url}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: "ABC123"}}
	var ws *websocket.Conn
	c := start(t, cfg, Params{}, rec, func(*websocket.Conn) {
		ws = s.accept(t)
		readHello(t, ws)
		send(t, ws, wire.TypeWelcome, "", 0, wire.Welcome{Token: "t", Seq: 1})
	})
	frame, _ := wire.Encode(wire.Out{Type: wire.TypeAnswer, ID: "a1", Data: map[string]int{"step": 0}})
	c.Submit("a1", frame)
	read(t, ws)
	send(t, ws, wire.TypeError, "a1", 0, wire.Error{Code: wire.CodeUnavailable, Retry: true})
	if typ, id, _ := read(t, ws); typ != wire.TypeAnswer || id != "a1" {
		t.Fatalf("retry: %s %s", typ, id)
	}
	send(t, ws, wire.TypeError, "a1", 0, wire.Error{Code: wire.CodeStale})
	rec.until(t, "the second refusal", func() bool { return len(rec.frames) == 2 })
	if c.Pending() != 0 {
		t.Fatalf("a submission refused for good is still pending")
	}
}

// TestConnReconnectsByCloseCode: 4001, 4004 and 1000 end the Conn; 4002
// and 1012 bring it back (docs/protocol.md, "Close codes").
func TestConnReconnectsByCloseCode(t *testing.T) {
	for _, tc := range []struct {
		code int
		back bool
	}{{4001, false}, {4004, false}, {1000, false}, {4002, true}, {1012, true}} {
		s := newScripted(t)
		rec := newRecorder()
		cfg := &Config{URLs: []string{s.url}, Reconnect: true, Hello: wire.Hello{Role: wire.RoleParticipant, Code: "ABC123"}}
		c := New(cfg, rec, Params{})
		go func() {
			ws := s.accept(t)
			readHello(t, ws)
			send(t, ws, wire.TypeWelcome, "", 0, wire.Welcome{Token: "t", Seq: 1})
			_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(tc.code, ""))
		}()
		if err := c.Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		ran := make(chan struct{})
		go func() { c.Run(context.Background()); close(ran) }()
		if tc.back {
			ws := s.accept(t)
			if h := readHello(t, ws); h.Token != "t" {
				t.Errorf("close %d: hello %+v", tc.code, h)
			}
			c.Close()
		}
		select {
		case <-ran:
		case <-time.After(20 * time.Second):
			t.Fatalf("close %d: Run did not return", tc.code)
		}
		rec.mu.Lock()
		if len(rec.lost) != 1 || rec.lost[0] != tc.code {
			t.Errorf("close %d: lost %v", tc.code, rec.lost)
		}
		rec.mu.Unlock()
	}
}

// TestConnRotatesOnReconnect: with Rotate a reconnect goes to the next
// URL; without it to the same one.
func TestConnRotatesOnReconnect(t *testing.T) {
	for _, rotate := range []bool{true, false} {
		a, b := newScripted(t), newScripted(t)
		rec := newRecorder()
		cfg := &Config{URLs: []string{a.url, b.url}, Reconnect: true, Rotate: rotate,
			Hello: wire.Hello{Role: wire.RoleParticipant, Code: "ABC123"}}
		var ws *websocket.Conn
		c := start(t, cfg, Params{}, rec, func(*websocket.Conn) {
			ws = a.accept(t)
			readHello(t, ws)
			send(t, ws, wire.TypeWelcome, "", 0, wire.Welcome{Token: "t", Seq: 1})
		})
		if !c.Drop(0) {
			t.Fatal("nothing to drop")
		}
		next := a
		if rotate {
			next = b
		}
		ws = next.accept(t)
		readHello(t, ws)
		send(t, ws, wire.TypeWelcome, "", 0, wire.Welcome{Token: "t", Seq: 1})
		rec.until(t, "the second welcome", func() bool { return len(rec.welcomes) == 2 })
	}
}
