package instance_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/natsembed"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// answered waits until the facilitator's view says n answered step.
func answered(t *testing.T, ctx context.Context, fac *wsclient.Phone, step, n int) {
	t.Helper()
	if _, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		var v room.ProgressView
		if f.Type == wire.TypeSnapshot {
			var s room.SnapshotView
			return f.Decode(&s) == nil && s.Progress != nil && s.Progress.Step == step && s.Progress.Answered == n
		}
		return f.Type == wire.TypeProgress && f.Decode(&v) == nil && v.Step == step && v.Answered == n
	}); err != nil {
		t.Fatalf("progress never showed %d answers: %v", n, err)
	}
}

// Fault 2: an instance dies after appending a submission but before
// acknowledging it; the phone retries on another instance and gets its
// acknowledgement; the submission counts once.
func TestDeathBetweenAppendAndAck(t *testing.T) {
	ns := it.NATS(t)
	// The hook runs on a connection's goroutine; the race detector cannot
	// see that the connection was made after a was set, so a is atomic.
	var a atomic.Pointer[instance.Instance]
	var armed atomic.Bool
	a.Store(it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Hub.DieAfterAppend = func() bool {
			if !armed.CompareAndSwap(true, false) {
				return false
			}
			a.Load().CutConnections()
			return true
		}
	}}))
	b := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, b, "test-plan")
	fac := it.Facilitator(t, r, b)
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 1})
	p := it.Participant(t, r.Code, a.Load(), b)
	stepOf(t, ctx, p, 1)
	armed.Store(true)
	f, err := p.Submit(ctx, wire.TypeAnswer, "vote-x", map[string]any{"step": 1, "choices": []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Welcome().Instance == a.Load().Hub().Config().Instance {
		t.Fatal("the phone did not move to the surviving instance")
	}
	var ack wire.Ack
	if err := f.Decode(&ack); err != nil || ack.Seq == 0 {
		t.Fatalf("ack %s", f.Data)
	}
	answered(t, ctx, fac, 1, 1)
	// Retrying again changes nothing.
	if _, err := p.Submit(ctx, wire.TypeAnswer, "vote-x", map[string]any{"step": 1, "choices": []int{2}}); err != nil {
		t.Fatal(err)
	}
	var progress room.ProgressView
	last, _ := fac.Last(wire.TypeProgress)
	_ = last.Decode(&progress)
	if progress.Answered != 1 {
		t.Fatalf("answered %d", progress.Answered)
	}
}

// Fault 3: NATS restarts under load. While it is away, submissions are
// refused with a retryable error; afterwards everything acknowledged is
// still there and the service goes on.
func TestNATSRestart(t *testing.T) {
	dir := t.TempDir()
	ns, err := natsembed.Start(natsembed.Options{Dir: dir, Listen: "127.0.0.1:-1", ServerName: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	url := ns.ClientURL()
	_, port, _ := net.SplitHostPort(url[len("nats://"):])
	in := it.Start(t, url)
	ctx := it.Ctx(t, 90*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
	var phones []*wsclient.Phone
	for i := 0; i < 6; i++ {
		phones = append(phones, it.Participant(t, r.Code, in))
	}
	for i, p := range phones[:3] {
		stepOf(t, ctx, p, 3)
		if _, err := p.Submit(ctx, wire.TypeAnswer, "t1", map[string]any{"step": 3, "text": fmt.Sprint("before ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	ns.Shutdown()
	// Refused, retryably, while NATS is away; readiness says so too.
	from := len(phones[3].Frames())
	_ = phones[3].Send(wire.TypeAnswer, "t1", map[string]any{"step": 3, "text": "while away"})
	f, err := phones[3].WaitFrom(ctx, from, func(f wsclient.Frame) bool { return f.Type == wire.TypeError && f.ID == "t1" })
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Error(); e.Code != wire.CodeUnavailable || !e.Retry {
		t.Fatalf("while NATS is away: %+v", e)
	}
	if code, _ := get(t, in.URL()+"/readyz"); code != 503 {
		t.Fatalf("readyz while NATS is away: %d", code)
	}
	ns, err = natsembed.Start(natsembed.Options{Dir: dir, Listen: "127.0.0.1:" + port, ServerName: "restart"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	// The refused answer is sent again (the client retries refusals that
	// say retry) and lands; so do the rest.
	for i, p := range phones[3:] {
		if _, err := p.Submit(ctx, wire.TypeAnswer, "t1", map[string]any{"step": 3, "text": fmt.Sprint("after ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	answered(t, ctx, fac, 3, 6)
	// A fresh instance, replaying the restarted NATS's log, agrees.
	other := it.Start(t, url)

	answered(t, ctx, it.Facilitator(t, r, other), 3, 6)
}

// Fault 7: a phone that stops reading is dropped; the others get every
// frame, and goroutines return to where they were.
func TestSlowPhoneIsDroppedAndOthersGoOn(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Server.Conn.QueueBytes = 1 << 20 }})
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	good := it.Participant(t, r.Code, in)
	stepOf(t, ctx, good, 0)
	before := runtime.NumGoroutine()

	// A raw phone that joins and then never reads again; a small socket
	// buffer makes the kernel stop taking its frames early.
	// buffer makes the kernel stop taking its frames early. It must be set
	// before connecting, or the window already offered stays open.
	small := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	d := websocket.Dialer{NetDialContext: small.DialContext}
	ws, _, err := d.Dial(it.WS(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteJSON(wire.Out{Type: wire.TypeHello, Data: wire.Hello{Protocol: 1, Role: wire.RoleParticipant, Code: r.Code}})
	_, _, _ = ws.ReadMessage() // welcome; then silence

	// Step 9 has a long body: going back and forth sends megabytes, more
	// than the kernel's socket buffers and the 1 MiB queue hold; the good
	// phone, reading, never comes near its queue's limit.
	const rounds = 700
	for i := 0; i < rounds; i++ {
		command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 9})
		command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 8})
	}
	// The good phone got every one of them. The log holds the room's
	// creation, two joins, then the 2*rounds moves.
	if _, err := good.Wait(ctx, func(f wsclient.Frame) bool {
		return f.Type == wire.TypeStep && f.Seq >= uint64(3+2*rounds)
	}); err != nil {
		t.Fatal(err)
	}
	steps := 0
	for _, f := range good.Frames() {
		if f.Type == wire.TypeStep {
			steps++
		}
	}
	if steps < 2*rounds {
		t.Fatalf("the good phone got %d of %d step frames", steps, 2*rounds)
	}
	body := ""
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, body = get(t, in.URL()+"/metrics")
		if containsMetric(body, "stoppunkt_slow_disconnects_total", 1) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !containsMetric(body, "stoppunkt_slow_disconnects_total", 1) {
		for _, l := range splitLines(body) {
			if len(l) > 10 && l[:10] == "stoppunkt_" {
				t.Log(l)
			}
		}
		t.Fatal("the silent phone was never dropped")
	}
	ws.Close()
	settle(t, func() bool { return runtime.NumGoroutine() <= before+2 }, "goroutines after the slow phone left")
}

func containsMetric(body, name string, value int) bool {
	for _, line := range splitLines(body) {
		if line == name+" "+strconv.Itoa(value) {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// settle polls cond until it holds or 20 seconds pass.
func settle(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not settle", what)
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}

func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// Fault 8: 10,000 connect/disconnect cycles leak no goroutines, files or
// memory.
func TestConnectDisconnectCyclesLeakNothing(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 10*time.Minute)
	r := it.CreateRoom(t, in, "test-plan")
	first := it.Participant(t, r.Code, in)
	token := first.Welcome().Token
	first.Close()
	cycle := func() {
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, it.WS(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = ws.WriteJSON(wire.Out{Type: wire.TypeHello, Data: wire.Hello{Protocol: 1, Role: wire.RoleParticipant, Code: r.Code, Token: token}})
		if _, _, err := ws.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		ws.Close()
	}
	const cycles = 10000
	var wg sync.WaitGroup
	run := func(n int) {
		work := make(chan struct{})
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					cycle()
				}
			}()
		}
		for i := 0; i < n; i++ {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
	}
	run(200) // warm up pools and caches
	var ms runtime.MemStats
	settle(t, func() bool { return true }, "")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	goroutines, files, heap := runtime.NumGoroutine(), openFiles(t), ms.HeapAlloc
	run(cycles)
	settle(t, func() bool { return runtime.NumGoroutine() <= goroutines+2 }, "goroutines")
	settle(t, func() bool { return openFiles(t) <= files+2 }, "open files")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if grown := int64(ms.HeapAlloc) - int64(heap); grown > 8<<20 {
		t.Fatalf("heap grew by %d bytes over %d cycles", grown, cycles)
	}
	t.Logf("after %d cycles: goroutines %d (before %d), files %d (before %d), heap %d KiB (before %d KiB)",
		cycles, runtime.NumGoroutine(), goroutines, openFiles(t), files, ms.HeapAlloc>>10, heap>>10)
}
