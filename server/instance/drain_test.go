package instance_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// pollAnswer answers the test plan's poll (step 1).
var pollAnswer = map[string]any{"step": 1, "choices": []int{0}}

// rawParticipant joins without reconnecting, so that the test sees how its
// connection ends.
func rawParticipant(t *testing.T, ctx context.Context, in *instance.Instance, code string) *wsclient.Phone {
	t.Helper()
	p, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: code}, KeepFrames: true})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// waitClosed waits until the phone's connection was closed with code.
func waitClosed(t *testing.T, p *wsclient.Phone, code int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for p.CloseCode() != code && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.CloseCode() != code {
		t.Fatalf("connection closed with %d, want %d", p.CloseCode(), code)
	}
}

// TestDrainFinishesWorkUnderWayAndRefusesNewWork: a submission that is
// being stored when the drain begins is acknowledged before the
// connection is closed with 1012; one sent after the drain began is
// refused at once with shutting_down (retryable), not stored.
func TestDrainFinishesWorkUnderWayAndRefusesNewWork(t *testing.T) {
	ns := it.NATS(t)
	var hold atomic.Bool
	reached, release := make(chan struct{}, 1), make(chan struct{})
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Hub.AppendTimeout = time.Minute
		c.Hub.BeforeFeed = func(string) {
			if hold.Load() {
				select {
				case reached <- struct{}{}:
				default:
				}
				<-release
			}
		}
	}})
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	busy := rawParticipant(t, ctx, in, r.Code)
	late := rawParticipant(t, ctx, in, r.Code)
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 0})
	stepOf(t, ctx, busy, 1)
	stepOf(t, ctx, late, 1)

	// The busy phone's answer is stored; this instance has not applied it
	// yet when the drain begins.
	hold.Store(true)
	if err := busy.Send(wire.TypeAnswer, "under-way", pollAnswer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatal("the answer never reached the feed")
	}
	drained := make(chan error, 1)
	go func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drained <- in.Hub().Drain(dctx)
	}()
	for !in.Hub().Draining() {
		time.Sleep(time.Millisecond)
	}

	from := len(late.Frames())
	if err := late.Send(wire.TypeAnswer, "too-late", pollAnswer); err != nil {
		t.Fatal(err)
	}
	f, err := late.WaitFrom(ctx, from, func(f wsclient.Frame) bool { return f.ID == "too-late" })
	if err != nil {
		t.Fatalf("no reply to an answer sent while draining: %v", err)
	}
	if e := f.Error(); e == nil || e.Code != wire.CodeShuttingDown || !e.Retry {
		t.Fatalf("answer sent while draining: want a retryable shutting_down, got %s %s", f.Type, f.Data)
	}
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while an answer was still being stored", err)
	default:
	}

	hold.Store(false)
	close(release)
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	waitClosed(t, busy, hub.CloseServiceRestart)
	waitClosed(t, late, hub.CloseServiceRestart)
	if _, ok := findFrame(busy, func(f wsclient.Frame) bool { return f.Type == wire.TypeAck && f.ID == "under-way" }); !ok {
		t.Fatal("the answer under way when the drain began was not acknowledged before the close")
	}
}

func findFrame(p *wsclient.Phone, pred func(wsclient.Frame) bool) (wsclient.Frame, bool) {
	for _, f := range p.Frames() {
		if pred(f) {
			return f, true
		}
	}
	return wsclient.Frame{}, false
}

// TestDrainWhilePhonesKeepSubmitting: many phones answer as fast as they
// are acknowledged while the instance drains. The drain ends, every phone
// is told to reconnect (1012), and every answer got an ack or
// shutting_down, or was cut off by the close (the phone resends it
// elsewhere). Run under -race.
func TestDrainWhilePhonesKeepSubmitting(t *testing.T) {
	const phones = 30
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 90*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	ps := make([]*wsclient.Phone, phones)
	for i := range ps {
		ps[i] = rawParticipant(t, ctx, in, r.Code)
	}
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 0})
	for _, p := range ps {
		stepOf(t, ctx, p, 1)
	}

	var acked, refused atomic.Int64
	var wrong sync.Map // reply codes other than ack and shutting_down
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			for n := 0; p.CloseCode() == 0 && ctx.Err() == nil; n++ {
				cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				_, err := p.Command(cctx, wire.TypeAnswer, pollAnswer)
				cancel()
				var e *wire.Error
				switch {
				case err == nil:
					acked.Add(1)
				case errors.As(err, &e) && e.Code == wire.CodeShuttingDown:
					refused.Add(1)
				case errors.As(err, &e):
					wrong.Store(fmt.Sprintf("phone %d: %s", i, e.Code), true)
					return
				}
			}
		})
	}
	for acked.Load() < 3*phones {
		if ctx.Err() != nil {
			t.Fatal("the phones' answers are not being acknowledged")
		}
		time.Sleep(5 * time.Millisecond)
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := in.Hub().Drain(dctx); err != nil {
		t.Fatalf("Drain under load: %v", err)
	}
	wg.Wait()
	wrong.Range(func(k, _ any) bool {
		t.Errorf("unexpected reply: %s", k)
		return true
	})
	for i, p := range ps {
		if p.CloseCode() != hub.CloseServiceRestart {
			t.Errorf("phone %d closed with %d, want %d", i, p.CloseCode(), hub.CloseServiceRestart)
		}
	}
	t.Logf("%d answers acknowledged, %d refused as shutting_down", acked.Load(), refused.Load())
}
