package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
)

// benchServer is a stand-in server for the phone benchmarks: it answers
// a hello with a welcome and then writes frames frames of the size of a
// participant's progress frame; it holds each connection until the
// client goes.
func benchServer(b *testing.B, frames *atomic.Int64) string {
	b.Helper()
	welcome := []byte(`{"type":"welcome","data":{"protocol":1,"role":"participant","room":"r1","participant":"p1","token":"tok","epoch":"e1","seq":1}}`)
	pad := strings.Repeat("x", 120)
	up := websocket.Upgrader{ReadBufferSize: 512, WriteBufferSize: 1024}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil {
			return
		}
		if ws.WriteMessage(websocket.TextMessage, welcome) != nil {
			return
		}
		n := frames.Load()
		for i := int64(0); i < n; i++ {
			f := `{"type":"progress","seq":` + strconv.FormatInt(i+2, 10) + `,"data":{"step":3,"answered":17,"participants":40,"pad":"` + pad + `"}}`
			if ws.WriteMessage(websocket.TextMessage, []byte(f)) != nil {
				return
			}
		}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// benchPhone starts one loadgen phone against url and waits for its
// welcome.
func benchPhone(b *testing.B, ctx context.Context, wk *worker, bt *Batch, cfg *wsclient.Config, rt *roomTrack, g int) *phone {
	p := newPhone(wk, bt, cfg, rt, g, "127.0.0.1")
	first := make(chan error, 1)
	go p.run(ctx, first)
	if err := <-first; err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkPhone measures a loadgen phone, the cost that decides how many
// fit in one worker process. "frame": one phone reads b.N frames (ns/op
// and allocs/op are per frame, both ends in this process). "conn": the
// heap and goroutine stacks a connected, idle phone holds (B/conn, both
// ends in this process).
func BenchmarkPhone(b *testing.B) {
	b.Run("frame", func(b *testing.B) {
		var frames atomic.Int64
		url := benchServer(b, &frames)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		wk := &worker{ctx: ctx, counters: map[string]int64{}, hists: Histograms{}}
		bt := &Batch{Label: "bench", Room: "r1", Code: "123456", URLs: []string{url}}
		rt := newRoomTrack("r1", wk)
		frames.Store(int64(b.N))
		b.ReportAllocs()
		b.ResetTimer()
		p := benchPhone(b, ctx, wk, bt, phoneConfig(bt), rt, 0)
		for phoneLastSeq(p) < uint64(b.N)+1 {
			time.Sleep(100 * time.Microsecond)
		}
		b.StopTimer()
		p.close()
	})
	b.Run("conn", func(b *testing.B) {
		const n = 200
		var frames atomic.Int64
		url := benchServer(b, &frames)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		wk := &worker{ctx: ctx, counters: map[string]int64{}, hists: Histograms{}}
		bt := &Batch{Label: "bench", Room: "r1", Code: "123456", URLs: []string{url}}
		rt := newRoomTrack("r1", wk)
		cfg := phoneConfig(bt)
		var perConn float64
		for b.Loop() {
			before := inUse()
			phones := make([]*phone, n)
			for i := range phones {
				phones[i] = benchPhone(b, ctx, wk, bt, cfg, rt, i)
			}
			perConn += float64(inUse()-before) / n
			for _, p := range phones {
				p.close()
			}
		}
		b.ReportMetric(perConn/float64(b.N), "B/conn")
	})
}

// inUse is the heap in use plus goroutine stacks, after a collection.
func inUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

func phoneLastSeq(p *phone) uint64 { return p.c.LastSeq() }
