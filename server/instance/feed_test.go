package instance_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestInstanceJoinsABusyRoom: phones on A vote and change their votes
// without pause while phones join the same room on B, so that B starts
// following the room in the middle of the traffic (its own read of the
// history, then the instance's shared feed). B must end with the very
// same room: every event applied once, in order, so the next event has
// the same sequence on both instances, and the same tallies.
func TestInstanceJoinsABusyRoom(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	fac := it.Facilitator(t, r, a)
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 0})
	const voters, rounds = 8, 30
	onA := make([]*wsclient.Phone, voters)
	for i := range onA {
		onA[i] = it.Participant(t, r.Code, a)
		stepOf(t, ctx, onA[i], 1)
	}
	started := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i, p := range onA {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range rounds {
				if _, err := p.Submit(ctx, wire.TypeAnswer, fmt.Sprintf("v%d", k), map[string]any{"step": 1, "choices": []int{(i + k) % 3}}); err != nil {
					t.Errorf("phone %d vote %d: %v", i, k, err)
					return
				}
				if k == 3 {
					once.Do(func() { close(started) })
				}
			}
		}()
	}
	<-started
	var onB []*wsclient.Phone
	for range 3 {
		onB = append(onB, it.Participant(t, r.Code, b))
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	command(t, ctx, fac, wire.TypeReveal, nil)
	results := func(p *wsclient.Phone) (room.ResultsView, uint64) {
		f, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			var v room.ResultsView
			return f.Type == wire.TypeResults && f.Decode(&v) == nil && !v.Hidden && v.Step == 1
		})
		if err != nil {
			t.Fatal(err)
		}
		var v room.ResultsView
		_ = f.Decode(&v)
		return v, f.Seq
	}
	want, wantSeq := results(onA[0])
	// Every phone's last vote: (i + rounds-1) % 3.
	counts := make([]int, 3)
	for i := range voters {
		counts[(i+rounds-1)%3]++
	}
	if fmt.Sprint(want.Counts) != fmt.Sprint(counts) || want.Answered != voters {
		t.Fatalf("on A: %d answered, counts %v; want %d, %v", want.Answered, want.Counts, voters, counts)
	}
	for i, p := range onB {
		got, seq := results(p)
		if seq != wantSeq || fmt.Sprint(got.Counts) != fmt.Sprint(want.Counts) || got.Answered != want.Answered {
			t.Fatalf("phone %d on B: seq %d, counts %v, %d answered; on A: seq %d, counts %v, %d answered",
				i, seq, got.Counts, got.Answered, wantSeq, want.Counts, want.Answered)
		}
	}
}

// TestResumeOnALaggingInstance: a phone that saw the room up to some event
// on A reconnects to B, which has not applied that far yet. B waits until
// it has, and resumes the phone where it was: no snapshot from before what
// the phone had, and no event twice.
func TestResumeOnALaggingInstance(t *testing.T) {
	a, b, lag := laggingPair(t)
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	fac := it.Facilitator(t, r, a)
	p := it.Participant(t, r.Code, a)
	q := it.Participant(t, r.Code, b) // B follows the room
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 0})
	stepOf(t, ctx, q, 1)
	lag.Lock()
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 1})
	stepOf(t, ctx, p, 2)
	seen := p.LastSeq()
	p.SetURLs([]string{it.WS(b)})
	from := len(p.Frames())
	p.Drop()
	time.AfterFunc(300*time.Millisecond, lag.Unlock)
	if _, err := p.WaitFrom(ctx, from, func(f wsclient.Frame) bool { return f.Type == wire.TypeWelcome }); err != nil {
		t.Fatal(err)
	}
	if w := p.Welcome(); !w.Recovered || w.Seq < seen {
		t.Fatalf("resumed on B with %+v, having seen seq %d", w, seen)
	}
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 2})
	stepOf(t, ctx, p, 3)
	count := map[uint64]int{}
	for i, f := range p.Frames() {
		if f.Type == wire.TypeStep {
			if count[f.Seq]++; count[f.Seq] > 1 {
				t.Fatalf("the step frame of seq %d came twice", f.Seq)
			}
		}
		if i >= from && f.Type == wire.TypeSnapshot && f.Seq < seen {
			t.Fatalf("a snapshot from seq %d, before the %d the phone had seen", f.Seq, seen)
		}
	}
}

// TestCommandOnALaggingInstance: a facilitator command sent to an instance
// that has not yet applied the room's latest step is decided once the
// instance has caught up with the log, not refused as stale on its old
// view. A command that is stale against the log itself is still refused.
func TestCommandOnALaggingInstance(t *testing.T) {
	a, b, lag := laggingPair(t)
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	facA := it.Facilitator(t, r, a)
	facB := it.Facilitator(t, r, b)
	p := it.Participant(t, r.Code, b)
	lag.Lock()
	command(t, ctx, facA, wire.TypeNext, map[string]int{"from": 0})
	time.AfterFunc(300*time.Millisecond, lag.Unlock)
	// B still shows step 0; the facilitator there acts on what A did.
	command(t, ctx, facB, wire.TypeNext, map[string]int{"from": 1})
	stepOf(t, ctx, p, 2)
	if _, err := facB.Command(ctx, wire.TypeNext, map[string]int{"from": 1}); err == nil || wire.AsError(err).Code != wire.CodeStale {
		t.Fatalf("a command from a step the room has left: %v", err)
	}
}

// laggingPair starts two instances on one NATS server; B's feed stops
// before each event while lag is held, so B lags behind A at will.
func laggingPair(t *testing.T) (a, b *instance.Instance, lag *sync.Mutex) {
	ns := it.NATS(t)
	lag = new(sync.Mutex)
	a = it.Start(t, ns.ClientURL())
	b = it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) {
		c.Hub.BeforeFeed = func(string) { lag.Lock(); lag.Unlock() }
	}})
	return a, b, lag
}

// An acknowledged submission is never refused afterwards (the event
// bench once saw an ack and then "stale" for one answer). The interleaving:
// the answer is applied and acknowledged through A; the phone, whose ack
// may have been lost with its connection, sends it again through B, which
// lags behind the step the answer was for. B must not refuse it as stale
// on its old view: it answers "unavailable, send it again" until it has
// caught up, and then acknowledges it as the duplicate it is.
func TestAnAcknowledgedAnswerIsNeverRefusedLater(t *testing.T) {
	a, b, lag := laggingPair(t)
	ctx := it.Ctx(t, time.Minute)
	r := it.CreateRoom(t, a, "test-plan")
	fac := it.Facilitator(t, r, a)
	p := it.Participant(t, r.Code, a)
	watcher := it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room, Key: r.Key}, b)
	if _, err := watcher.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeSnapshot }); err != nil {
		t.Fatal(err)
	}

	lag.Lock() // B stays on step 0 from here
	command(t, ctx, fac, wire.TypeNext, nil)
	stepOf(t, ctx, p, 1)
	answer := map[string]any{"step": 1, "choices": []int{0}}
	firstAck, err := p.Submit(ctx, wire.TypeAnswer, "x1", answer)
	if err != nil {
		t.Fatalf("the answer through A: %v", err)
	}
	var want wire.Ack
	_ = firstAck.Decode(&want)

	again := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Token: p.Welcome().Token}, b)
	// Sent once, by hand, while B lags: a refusal here would be for good.
	if err := again.Send(wire.TypeAnswer, "x1", answer); err != nil {
		t.Fatal(err)
	}
	first, err := again.Wait(ctx, func(f wsclient.Frame) bool {
		return f.ID == "x1" && (f.Type == wire.TypeAck || f.Type == wire.TypeError)
	})
	if err != nil {
		t.Fatal(err)
	}
	if e := first.Error(); e != nil && !e.Retry {
		t.Fatalf("the acknowledged answer sent again through a lagging instance was refused: %s", first.Data)
	}
	lag.Unlock()
	// Sent again once B has caught up: the duplicate of the first.
	f, err := again.Submit(ctx, wire.TypeAnswer, "x1", answer)
	if err != nil {
		t.Fatalf("after B caught up: %v", err)
	}
	// Acknowledged as the first effect: B's own apply of the first answer
	// acknowledges it to the participant's connection there, and the copy
	// is answered as a duplicate of it; either way at the first's seq.
	var ack wire.Ack
	if err := f.Decode(&ack); err != nil || ack.Seq != want.Seq {
		t.Fatalf("the answer sent again: %s, want an ack at seq %d", f.Data, want.Seq)
	}
}
