package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// benchPhones is how many loopback websockets a fan-out benchmark writes
// to; with two file descriptors each, 500 stay inside a default limit of
// 1,024 open files.
const benchPhones = 500

// benchFrameSize is a participant's step frame in the keynote.
const benchFrameSize = 640

// quiet is a Handler for connections that never send anything.
type quiet struct{}

func (quiet) Handle(context.Context, []byte) {}
func (quiet) HelloReceived() bool            { return true }
func (quiet) HelloTimeout() time.Duration    { return time.Hour }
func (quiet) Closed()                        {}

// phoneReaders dials n websockets to url and reads every frame on each,
// signalling got once per frame. It returns a function that closes them.
func phoneReaders(b *testing.B, url string, n int, got chan<- struct{}) func() {
	b.Helper()
	var wg sync.WaitGroup
	socks := make([]*websocket.Conn, 0, n)
	for range n {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		socks = append(socks, ws)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, _, err := ws.NextReader(); err != nil {
					return
				}
				got <- struct{}{}
			}
		}()
	}
	return func() {
		for _, ws := range socks {
			ws.Close()
		}
		wg.Wait()
	}
}

// BenchmarkFanout writes one encoded frame to 500 phones on loopback and
// waits until every phone has read it; ns/op is one whole broadcast.
// "stoppunkt" is Conn.Send from one goroutine, as the room's runner does;
// "gorilla-prepared" is the raw yardstick of cmd/loadgen's baseline: a
// writer goroutine per connection fed by a channel, writing one
// websocket.PreparedMessage.
func BenchmarkFanout(b *testing.B) {
	payload := `{"type":"step","seq":1,"data":"` + strings.Repeat("x", benchFrameSize-36) + `"}`
	b.Run("stoppunkt", func(b *testing.B) {
		conns := make(chan *Conn, benchPhones)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sock, err := Upgrade(websocket.Upgrader{}, w, r)
			if err != nil {
				return
			}
			Serve(context.Background(), sock, Config{}, func(c *Conn) Handler { conns <- c; return quiet{} })
		}))
		defer srv.Close()
		got := make(chan struct{}, benchPhones)
		closeAll := phoneReaders(b, "ws"+strings.TrimPrefix(srv.URL, "http"), benchPhones, got)
		defer closeAll()
		server := make([]*Conn, 0, benchPhones)
		for range benchPhones {
			server = append(server, <-conns)
		}
		b.SetBytes(int64(len(payload)) * benchPhones)
		b.ReportAllocs()
		for b.Loop() {
			f, err := wire.NewFrame(wire.Out{Type: wire.TypeStep, Seq: 1, Data: payload})
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range server {
				if !c.Send(f) {
					b.Fatal("send refused")
				}
			}
			for range benchPhones {
				<-got
			}
		}
	})
	b.Run("gorilla-prepared", func(b *testing.B) {
		var mu sync.Mutex
		var writers []chan *websocket.PreparedMessage
		var wg sync.WaitGroup
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
			if err != nil {
				return
			}
			ch := make(chan *websocket.PreparedMessage, 16)
			mu.Lock()
			writers = append(writers, ch)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer ws.Close()
				for pm := range ch {
					_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
					if err := ws.WritePreparedMessage(pm); err != nil {
						return
					}
				}
			}()
		}))
		defer srv.Close()
		got := make(chan struct{}, benchPhones)
		closeAll := phoneReaders(b, "ws"+strings.TrimPrefix(srv.URL, "http"), benchPhones, got)
		defer closeAll()
		for {
			mu.Lock()
			n := len(writers)
			mu.Unlock()
			if n == benchPhones {
				break
			}
			time.Sleep(time.Millisecond)
		}
		defer func() {
			for _, ch := range writers {
				close(ch)
			}
			wg.Wait()
		}()
		b.SetBytes(int64(len(payload)) * benchPhones)
		b.ReportAllocs()
		for b.Loop() {
			pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(payload))
			if err != nil {
				b.Fatal(err)
			}
			for _, ch := range writers {
				ch <- pm
			}
			for range benchPhones {
				<-got
			}
		}
	})
}
