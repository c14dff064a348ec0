package instance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// logLine returns the first line of the log that contains msg.
func logLine(t *testing.T, logs *syncBuf, msg string) string {
	t.Helper()
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, msg) {
			return line
		}
	}
	t.Fatalf("no log line %q", msg)
	return ""
}

// TestPanicInApplySkipsTheEvent: an event whose apply panics (here made to
// by a hook; in life, a bug in the reducer) is skipped with a count and a
// log line that names the room, the event's type and its sequence and
// nothing of its content. The instance goes on serving the room, the
// participant whose answer it was, and other rooms.
func TestPanicInApplySkipsTheEvent(t *testing.T) {
	const secret = "Hemmelig-Tekst-42"
	ns := it.NATS(t)
	var logs syncBuf
	in := it.Start(t, ns.ClientURL(), it.Options{Log: &logs, Modify: func(c *instance.Config) {
		c.Hub.BeforeApply = func(_ string, ev *room.Event) {
			for _, e := range append([]*room.Event{ev}, ev.Batch...) {
				if e != nil && e.Type == room.EvAnswer && e.ID == "boom" {
					panic(fmt.Errorf("the reducer tripped over %s", secret))
				}
			}
		}
	}})
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	nick := "Kari-Hemmelig"
	p := it.Dial(t, wire.Hello{Role: wire.RoleParticipant, Code: r.Code, Nickname: nick}, in)
	other := it.Participant(t, r.Code, in)
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 0})
	stepOf(t, ctx, p, 1)

	if err := p.Send(wire.TypeAnswer, "boom", pollAnswer); err != nil {
		t.Fatal(err)
	}
	settle(t, func() bool { return metricValue(t, in, "stoppunkt_apply_panics_total") == 1 }, "the apply panic count")

	// The room goes on: answers, commands, and the participant whose
	// answer was skipped.
	if _, err := other.Submit(ctx, wire.TypeAnswer, "fine", pollAnswer); err != nil {
		t.Fatalf("another participant's answer after the panic: %v", err)
	}
	if _, err := p.Submit(ctx, wire.TypeAnswer, "again", pollAnswer); err != nil {
		t.Fatalf("the same participant's next answer: %v", err)
	}
	command(t, ctx, fac, wire.TypeNext, map[string]int{"from": 1})
	stepOf(t, ctx, other, 2)
	late := it.Participant(t, r.Code, in)
	stepOf(t, ctx, late, 2)
	// So do other rooms on the instance.
	r2 := it.CreateRoom(t, in, "test-plan")
	fac2 := it.Facilitator(t, r2, in)
	p2 := it.Participant(t, r2.Code, in)
	command(t, ctx, fac2, wire.TypeNext, map[string]int{"from": 0})
	stepOf(t, ctx, p2, 1)
	if _, err := p2.Submit(ctx, wire.TypeAnswer, "elsewhere", pollAnswer); err != nil {
		t.Fatalf("an answer in another room: %v", err)
	}
	if n := metricValue(t, in, "stoppunkt_apply_panics_total"); n != 1 {
		t.Fatalf("apply panics counted %v times, want 1", n)
	}

	line := logLine(t, &logs, "skipping room event")
	for _, want := range []string{"level=ERROR", "room=" + r.Room, "seq=", "pos="} {
		if !strings.Contains(line, want) {
			t.Errorf("the log line lacks %q: %s", want, line)
		}
	}
	if !strings.Contains(line, "type=answer") && !strings.Contains(line, "type=batch") {
		t.Errorf("the log line does not name the event's type: %s", line)
	}
	for _, s := range []string{secret, nick, p.Welcome().Token, r.Code, r.Key} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log contains %q", s)
		}
	}
}

// TestPanicInHandleAnswersInternal: a frame whose handling panics gets an
// internal error (retryable), is counted and logged without its content,
// and the connection stays usable.
func TestPanicInHandleAnswersInternal(t *testing.T) {
	const secret = "Privat-Svar-77"
	ns := it.NATS(t)
	var logs syncBuf
	in := it.Start(t, ns.ClientURL(), it.Options{Log: &logs, Modify: func(c *instance.Config) {
		c.Hub.BeforeHandle = func(f wire.In) {
			if f.ID == "boom" {
				panic("the session tripped over " + string(f.Data))
			}
		}
	}})
	ctx := it.Ctx(t, 60*time.Second)
	r := it.CreateRoom(t, in, "test-plan")
	fac := it.Facilitator(t, r, in)
	p := rawParticipant(t, ctx, in, r.Code)
	command(t, ctx, fac, wire.TypeGoto, map[string]int{"step": 3})
	stepOf(t, ctx, p, 3)

	from := len(p.Frames())
	if err := p.Send(wire.TypeAnswer, "boom", map[string]any{"step": 3, "text": secret}); err != nil {
		t.Fatal(err)
	}
	f, err := p.WaitFrom(ctx, from, func(f wsclient.Frame) bool { return f.ID == "boom" })
	if err != nil {
		t.Fatal(err)
	}
	if e := f.Error(); e == nil || e.Code != wire.CodeInternal || !e.Retry {
		t.Fatalf("a frame whose handling panicked: want a retryable internal, got %s %s", f.Type, f.Data)
	}
	// The connection stays, and works.
	if _, err := p.Submit(ctx, wire.TypeAnswer, "fine", map[string]any{"step": 3, "text": "All right"}); err != nil {
		t.Fatalf("an answer after the panic: %v", err)
	}
	if p.Connects() != 1 || !p.Connected() {
		t.Fatal("the connection did not survive the panic")
	}
	if n := metricValue(t, in, "stoppunkt_handle_panics_total"); n != 1 {
		t.Fatalf("handle panics counted %v times, want 1", n)
	}
	line := logLine(t, &logs, "frame handling panicked")
	for _, want := range []string{"level=ERROR", "type=answer", "role=participant", "room=" + r.Room} {
		if !strings.Contains(line, want) {
			t.Errorf("the log line lacks %q: %s", want, line)
		}
	}
	for _, s := range []string{secret, p.Welcome().Token, r.Code, r.Key} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log contains %q", s)
		}
	}
}
