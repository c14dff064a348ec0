package instance_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// stepOf waits for a step frame showing step index i and returns it.
func stepOf(t *testing.T, ctx context.Context, p *wsclient.Phone, i int) room.StepView {
	t.Helper()
	var v room.StepView
	_, err := p.Wait(ctx, func(f wsclient.Frame) bool {
		switch f.Type {
		case wire.TypeStep:
			return f.Decode(&v) == nil && v.Index == i
		case wire.TypeSnapshot:
			var s room.SnapshotView
			if f.Decode(&s) == nil && s.Step.Index == i {
				v = s.Step
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("waiting for step %d: %v", i, err)
	}
	return v
}

// command sends a facilitator command, sending it again while the server
// says to retry (storage briefly away, as when a NATS node goes down). The
// tests' commands are safe to repeat: a repeated move is refused as stale.
func command(t *testing.T, ctx context.Context, p *wsclient.Phone, typ string, data any) wsclient.Frame {
	t.Helper()
	retried := false
	for {
		f, err := p.Command(ctx, typ, data)
		var e *wire.Error
		if errors.As(err, &e) && e.Retry && ctx.Err() == nil {
			retried = true
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if retried && errors.As(err, &e) && e.Code == wire.CodeStale {
			// "Stored but not yet applied" came first: the guard (from)
			// shows the first attempt took effect.
			return f
		}
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		return f
	}
}

func errCode(err error) wire.Code {
	if e, ok := err.(*wire.Error); ok {
		return e.Code
	}
	return ""
}

func TestCreateJoinCommandFanout(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	if len(r.Code) != 6 || strings.ContainsAny(r.Code, "01ILO") || len(r.Key) < 26 {
		t.Fatalf("bad code or key: %+v", r)
	}
	fac := it.Facilitator(t, r, in)
	p1 := it.Participant(t, r.Code, in)
	p2 := it.Participant(t, strings.ToLower(r.Code), in) // codes are case-insensitive
	w := p1.Welcome()
	if w.Token == "" || w.Participant == "" || w.Role != wire.RoleParticipant || w.Room != r.Room {
		t.Fatalf("bad welcome %+v", w)
	}
	first := stepOf(t, ctx, p1, 0)
	if first.Content.Notes != "" {
		t.Fatal("participant saw facilitator notes")
	}
	if stepOf(t, ctx, fac, 0).Content.Notes == "" {
		t.Fatal("facilitator did not get notes")
	}
	ack := command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 0})
	if ack.Type != wire.TypeAck {
		t.Fatalf("want ack, got %s", ack.Type)
	}
	for _, p := range []*wsclient.Phone{p1, p2} {
		v := stepOf(t, ctx, p, 1)
		if v.Content.Kind != "poll" || len(v.Content.Options) != 3 || !v.Open {
			t.Fatalf("bad step view %+v", v)
		}
	}
	// Every event frame carries the room sequence, increasing.
	var last uint64
	for _, f := range p1.Frames() {
		if f.Type == wire.TypeStep || f.Type == wire.TypeTimerView {
			if f.Seq == 0 || f.Seq < last {
				t.Fatalf("frame %s has seq %d after %d", f.Type, f.Seq, last)
			}
			last = f.Seq
		}
	}
	// Timer, lock, reveal reach everyone.
	command(t, ctx, fac, wire.TypeTimer, map[string]any{"action": "start"})
	if _, err := p2.Wait(ctx, func(f wsclient.Frame) bool {
		var tv room.TimerView
		return f.Type == wire.TypeTimerView && f.Decode(&tv) == nil && tv.Running && tv.EndsAt > 0
	}); err != nil {
		t.Fatal(err)
	}
	command(t, ctx, fac, wire.TypeLock, nil)
	if _, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code}}); errCode(err) != wire.CodeLocked {
		t.Fatalf("join of a locked room: want room_locked, got %v", err)
	}
	command(t, ctx, fac, wire.TypeUnlock, nil)
	it.Participant(t, r.Code, in)
	command(t, ctx, fac, wire.TypeRemove, map[string]string{"participant": p2.Welcome().Participant})
	if _, err := p2.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeRemoved }); err != nil {
		t.Fatal(err)
	}
	// A removed participant's token cannot come back.
	_, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Token: p2.Welcome().Token}})
	if errCode(err) != wire.CodeRemoved {
		t.Fatalf("removed token rejoined: %v", err)
	}
	command(t, ctx, fac, wire.TypeEnd, nil)
	if _, err := p1.Wait(ctx, func(f wsclient.Frame) bool {
		var rv room.RoomView
		return f.Type == wire.TypeRoom && f.Decode(&rv) == nil && rv.Ended
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := fac.Command(ctx, wire.TypeNext, nil); errCode(err) != wire.CodeEnded {
		t.Fatalf("next after end: want room_ended, got %v", err)
	}
}

func TestReconnectReplayAndSnapshot(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Hub.ReplayWindow = 40 }})
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	p := it.Participant(t, r.Code, in)
	stepOf(t, ctx, p, 0)
	w := p.Welcome()
	lastSeq := p.LastSeq()
	p.Close()

	// Five events while the phone is away.
	command(t, ctx, fac, wire.TypeNext, nil)
	command(t, ctx, fac, wire.TypeTimer, map[string]any{"action": "start"})
	command(t, ctx, fac, wire.TypeTimer, map[string]any{"action": "pause"})
	command(t, ctx, fac, wire.TypeReveal, nil)
	command(t, ctx, fac, wire.TypeNext, nil)

	back := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Token: w.Token, LastSeq: lastSeq, Epoch: w.Epoch}, in)
	if !back.Welcome().Recovered || back.Welcome().Participant != w.Participant {
		t.Fatalf("want a recovered resume as the same participant, got %+v", back.Welcome())
	}
	stepOf(t, ctx, back, 2)
	var seqs []uint64
	var types []string
	for _, f := range back.Frames() {
		if f.Type == wire.TypeSnapshot {
			t.Fatal("got a snapshot on a recoverable resume")
		}
		if f.Seq > 0 && (f.Type == wire.TypeStep || f.Type == wire.TypeTimerView) {
			seqs = append(seqs, f.Seq)
			types = append(types, f.Type)
		}
	}
	// next, start, pause, reveal (a step redraw), next: five events.
	distinct := map[uint64]bool{}
	for i, s := range seqs {
		if s <= lastSeq || (i > 0 && s < seqs[i-1]) {
			t.Fatalf("replayed seqs out of order: %v", seqs)
		}
		distinct[s] = true
	}
	if len(distinct) != 5 {
		t.Fatalf("want the 5 missed events replayed, got seqs %v (%v)", seqs, types)
	}
	back.Close()

	// Far more events than the replay window: a snapshot, not recovered.
	for i := 0; i < 30; i++ {
		command(t, ctx, fac, wire.TypeTimer, map[string]any{"action": "extend", "seconds": 1})
	}
	late := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Token: w.Token, LastSeq: lastSeq, Epoch: w.Epoch}, in)
	if late.Welcome().Recovered {
		t.Fatal("a resume past the replay window claimed to be recovered")
	}
	snap, err := late.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeSnapshot })
	if err != nil {
		t.Fatal(err)
	}
	var sv room.SnapshotView
	if err := snap.Decode(&sv); err != nil || sv.Recovered || sv.Step.Index != 2 || sv.You == nil || sv.You.ID != w.Participant {
		t.Fatalf("bad snapshot: %+v %v", sv, err)
	}
	// A wrong epoch (the log was recreated) also gets a snapshot.
	other := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Token: w.Token, LastSeq: late.LastSeq(), Epoch: "other"}, in)
	if other.Welcome().Recovered {
		t.Fatal("a resume with a foreign epoch claimed to be recovered")
	}
}

func TestSubmissionsAreDeduplicated(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	command(t, ctx, fac, wire.TypeNext, nil)
	phones := []*wsclient.Phone{it.Participant(t, r.Code, in), it.Participant(t, r.Code, in), it.Participant(t, r.Code, in)}
	for i, p := range phones {
		stepOf(t, ctx, p, 1)
		answer := map[string]any{"step": 1, "choices": []int{i % 2}}
		first, err := p.Submit(ctx, wire.TypeAnswer, "vote-1", answer)
		if err != nil {
			t.Fatal(err)
		}
		// The same id again, twice: acknowledged as duplicates, no effect.
		for j := 0; j < 2; j++ {
			again, err := p.Submit(ctx, wire.TypeAnswer, "vote-1", answer)
			if err != nil {
				t.Fatal(err)
			}
			var a1, a2 wire.Ack
			_ = first.Decode(&a1)
			_ = again.Decode(&a2)
			if !a2.Duplicate || a2.Seq != a1.Seq {
				t.Fatalf("retry: want duplicate ack at seq %d, got %+v", a1.Seq, a2)
			}
		}
	}
	command(t, ctx, fac, wire.TypeReveal, nil)
	res, err := phones[0].Wait(ctx, func(f wsclient.Frame) bool {
		var v room.ResultsView
		return f.Type == wire.TypeResults && f.Decode(&v) == nil && !v.Hidden && v.Answered == 3
	})
	if err != nil {
		t.Fatal(err)
	}
	var v room.ResultsView
	_ = res.Decode(&v)
	if v.Counts[0] != 2 || v.Counts[1] != 1 || v.Counts[2] != 0 {
		t.Fatalf("want counts [2 1 0], got %v", v.Counts)
	}
}

func TestTwoFacilitatorsNextOnTwoInstances(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, a, "test-plan")
	fa, fb := it.Facilitator(t, r, a), it.Facilitator(t, r, b)
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, f := range []*wsclient.Phone{fa, fb} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.Command(ctx, wire.TypeNext, map[string]int{"from": round})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errCode(err) != wire.CodeStale:
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: want exactly one next to succeed, got %d (%v)", round, ok, errs)
		}
		stepOf(t, ctx, fa, round+1)
		stepOf(t, ctx, fb, round+1)
	}
}

func TestCommandsThroughBReachPhonesOnAInOrder(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, b, "test-plan")
	fac := it.Facilitator(t, r, b)
	onA := []*wsclient.Phone{it.Participant(t, r.Code, a), it.Participant(t, r.Code, a)}
	onB := it.Participant(t, r.Code, b)
	for i := 1; i <= 4; i++ {
		command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": i})
	}
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 1})
	sequence := func(p *wsclient.Phone) []int {
		stepOf(t, ctx, p, 1)
		if _, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			var v room.StepView
			return f.Type == wire.TypeStep && f.Decode(&v) == nil && v.Index == 1 && f.Seq > 5
		}); err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, f := range p.Frames() {
			var v room.StepView
			if f.Type == wire.TypeStep && f.Decode(&v) == nil {
				out = append(out, v.Index)
			}
		}
		return out
	}
	want := sequence(onB)
	if len(want) != 5 {
		t.Fatalf("phone on B saw steps %v", want)
	}
	for _, p := range onA {
		if got := sequence(p); !equal(got, want) {
			t.Fatalf("phone on A saw steps %v, phone on B %v", got, want)
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestKillInstanceLosesNothing(t *testing.T) {
	ns := it.NATS(t)
	a, b := it.Start(t, ns.ClientURL()), it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, b, "test-plan")
	fac := it.Facilitator(t, r, b)
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3}) // open text
	const n = 12
	phones := make([]*wsclient.Phone, n)
	for i := range phones {
		phones[i] = it.Participant(t, r.Code, a, b) // A first; B on reconnect
		stepOf(t, ctx, phones[i], 3)
	}
	// Everyone submits while A dies in the middle.
	var wg sync.WaitGroup
	acks := make([]wire.Ack, n)
	errs := make([]error, n)
	for i, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := p.Submit(ctx, wire.TypeAnswer, "text-1", map[string]any{"step": 3, "text": "answer " + string(rune('a'+i))})
			errs[i] = err
			if err == nil {
				errs[i] = f.Decode(&acks[i])
			}
		}()
		if i == n/2 {
			a.Kill()
		}
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("phone %d: %v", i, err)
		}
	}
	killed := a.Hub().Config().Instance
	for i, p := range phones {
		// A phone acknowledged before the kill notices it only when its
		// connection breaks; every phone must come back on B.
		if _, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			var w wire.Welcome
			return f.Type == wire.TypeWelcome && f.Decode(&w) == nil && w.Instance != killed
		}); err != nil {
			t.Fatalf("phone %d never came back on the surviving instance: %v", i, err)
		}
		if p.Pending() != 0 {
			t.Fatalf("phone %d still has unacknowledged submissions", i)
		}
	}
	// Exactly one answer per phone in the room's state on B.
	f, err := fac.Wait(ctx, func(f wsclient.Frame) bool {
		var v room.ProgressView
		return f.Type == wire.TypeProgress && f.Decode(&v) == nil && v.Step == 3 && v.Answered == n
	})
	if err != nil {
		t.Fatalf("progress never reached %d answers: %v", n, err)
	}
	var v room.ProgressView
	_ = f.Decode(&v)
	if v.Participants != n {
		t.Fatalf("want %d participants, got %+v", n, v)
	}
	// A fresh instance that replays the log from scratch agrees.
	c := it.Start(t, ns.ClientURL())
	fc := it.Facilitator(t, r, c)
	snap, err := fc.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeSnapshot })
	if err != nil {
		t.Fatal(err)
	}
	var sv room.SnapshotView
	_ = snap.Decode(&sv)
	if sv.Progress.Answered != n || sv.Progress.Participants != n {
		t.Fatalf("replayed state disagrees: %+v", sv.Progress)
	}
}

func TestHostileFrames(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	ctx := it.Ctx(t, 30*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	other := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	p := it.Participant(t, r.Code, in)
	stepOf(t, ctx, p, 0)
	seqBefore := p.LastSeq()

	expect := func(raw string, code wire.Code) {
		t.Helper()
		from := len(p.Frames())
		if err := p.SendRaw([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		f, err := p.WaitFrom(ctx, from, func(f wsclient.Frame) bool { return f.Type == wire.TypeError })
		if err != nil {
			t.Fatalf("%s: no error frame: %v", raw, err)
		}
		if e := f.Error(); e == nil || e.Code != code || e.Message == "" {
			t.Fatalf("%.40s: want %s, got %s", raw, code, f.Data)
		}
	}
	expect(`{"type":`, wire.CodeBadJSON)
	expect(`not json`, wire.CodeBadJSON)
	expect(`{"type":"nonsense"}`, wire.CodeUnknownType)
	expect(`{"type":"answer","id":"x","data":{"step":"one"}}`, wire.CodeInvalid)
	expect(`{"type":"answer","id":"x","data":{"step":0,"bogus":1}}`, wire.CodeInvalid)
	expect(strings.Repeat("[", 100)+strings.Repeat("]", 100), wire.CodeBadJSON)
	expect("{\"type\":\"ping\",\"id\":\"\xff\xfe\"}", wire.CodeBadJSON)
	expect(`{"type":"next"}`, wire.CodeNotAllowed)
	expect(`{"type":"remove","data":{"participant":"x"}}`, wire.CodeNotAllowed)
	expect(`{"type":"end"}`, wire.CodeNotAllowed)
	expect(`{"type":"hello","data":{"protocol":1,"role":"participant","code":"`+other.Code+`"}}`, wire.CodeProtocol)
	// The connection is still usable.
	from := len(p.Frames())
	_ = p.Send(wire.TypePing, "still-here", nil)
	if _, err := p.WaitFrom(ctx, from, func(f wsclient.Frame) bool { return f.Type == wire.TypePong && f.ID == "still-here" }); err != nil {
		t.Fatal("connection unusable after errors:", err)
	}
	// Nothing changed.
	ack := command(t, ctx, fac, wire.TypeLock, nil)
	var a wire.Ack
	_ = ack.Decode(&a)
	if a.Seq != seqBefore+1 {
		t.Fatalf("hostile frames changed the room: seq %d -> %d", seqBefore, a.Seq)
	}
	command(t, ctx, fac, wire.TypeUnlock, nil)

	// A token from another room.
	_, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: other.Code, Token: p.Welcome().Token}})
	if errCode(err) != wire.CodeWrongRoom {
		t.Fatalf("token of another room: want wrong_room, got %v", err)
	}
	// A participant token as a facilitator key.
	_, err = wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleFacilitator, Room: r.Room, Key: p.Welcome().Token}})
	if errCode(err) != wire.CodeUnauthorized {
		t.Fatalf("participant token as key: want unauthorized, got %v", err)
	}
	// Unknown codes.
	_, err = wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{it.WS(in)}, Hello: wire.Hello{Role: wire.RoleParticipant, Code: "ZZZZZZ"}})
	if errCode(err) != wire.CodeNotFound {
		t.Fatalf("unknown code: want not_found, got %v", err)
	}
	// A frame over the read limit closes the connection with 1009.
	big := `{"type":"ping","id":"` + strings.Repeat("a", wire.MaxFrameBytes) + `"}`
	_ = p.SendRaw([]byte(big))
	deadline := time.Now().Add(10 * time.Second)
	for p.CloseCode() != 1009 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if p.CloseCode() != 1009 {
		t.Fatalf("oversized frame: want close 1009, got %d", p.CloseCode())
	}
	// And the phone comes back by itself as the same participant.
	if _, err := p.Wait(ctx, func(f wsclient.Frame) bool {
		var w wire.Welcome
		return f.Type == wire.TypeWelcome && f.Decode(&w) == nil && w.Recovered
	}); err != nil {
		t.Fatal(err)
	}
}
