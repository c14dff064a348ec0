package instance_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// frameRow is one row of docs/protocol.md's table of the frames each
// facilitator command sends: what the facilitator, a participant (one
// whom the command concerns, where it concerns one) and the big screen
// get, in the order they arrive. A test runs every row against a real
// server and checks the document has the row exactly.
type frameRow struct {
	command      string // as the document names it
	setup        func(t *testing.T, ctx context.Context, s *frameScene)
	run          func(t *testing.T, ctx context.Context, s *frameScene)
	facilitator  []string
	participants []string
	screen       []string
}

// frameScene is a room with a facilitator, four participants and a big
// screen, all keeping their frames.
type frameScene struct {
	fac    *wsclient.Phone
	phones []*wsclient.Phone
	screen *wsclient.Phone
	item   string // an open answer's queue item, once there is one
}

func (s *frameScene) all() []*wsclient.Phone {
	return append([]*wsclient.Phone{s.fac, s.screen}, s.phones...)
}

// settle waits until no phone has received a frame for a while, so that
// coalesced redraws of earlier input are not counted against a command.
func (s *frameScene) settle(t *testing.T, ctx context.Context) {
	t.Helper()
	count := func() int {
		n := 0
		for _, p := range s.all() {
			n += len(p.Frames())
		}
		return n
	}
	last, since := count(), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		if ctx.Err() != nil {
			t.Fatal("the room did not settle")
		}
		time.Sleep(20 * time.Millisecond)
		if n := count(); n != last {
			last, since = n, time.Now()
		}
	}
}

// newTypes is the list of frame types a phone got since from, without the
// replies to its own requests (ack, error, pong) and without repeats.
func newTypes(p *wsclient.Phone, from int) []string {
	var out []string
	for _, f := range p.Frames()[from:] {
		if f.Type == wire.TypeAck || f.Type == wire.TypeError || f.Type == wire.TypePong {
			continue
		}
		if !slices.Contains(out, f.Type) {
			out = append(out, f.Type)
		}
	}
	return out
}

func (r frameRow) markdown() string {
	cell := func(types []string) string {
		if len(types) == 0 {
			return "none"
		}
		q := make([]string, len(types))
		for i, t := range types {
			q[i] = "`" + t + "`"
		}
		return strings.Join(q, ", ")
	}
	return "| " + r.command + " | " + cell(r.facilitator) + " | " + cell(r.participants) + " | " + cell(r.screen) + " |"
}

func cmd(typ string, data any) func(*testing.T, context.Context, *frameScene) {
	return func(t *testing.T, ctx context.Context, s *frameScene) {
		t.Helper()
		if _, err := s.fac.Command(ctx, typ, data); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
}

// TestFramesOfEachCommand: what each facilitator command sends to whom,
// measured on a real server, is what docs/protocol.md's table says.
func TestFramesOfEachCommand(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL())
	r := it.CreateRoom(t, in, "test-plan")
	ctx := it.Ctx(t, 2*time.Minute)
	s := &frameScene{fac: it.Facilitator(t, r, in), screen: it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room, Key: r.Key}, in)}
	for range 4 {
		s.phones = append(s.phones, it.Participant(t, r.Code, in))
	}
	answerOpen := func(t *testing.T, ctx context.Context, s *frameScene) {
		for i, p := range s.phones {
			if _, err := p.Submit(ctx, wire.TypeAnswer, p.NextID(), map[string]any{"step": 3, "text": "answer " + string(rune('a'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		f, err := s.fac.Wait(ctx, func(f wsclient.Frame) bool { return f.Type == wire.TypeItem })
		if err != nil {
			t.Fatal(err)
		}
		var iv struct {
			ID string `json:"id"`
		}
		_ = f.Decode(&iv)
		s.item = iv.ID
	}
	approve := func(t *testing.T, ctx context.Context, s *frameScene) {
		cmd(wire.TypeModerate, map[string]any{"item": s.item, "status": "approved"})(t, ctx, s)
	}
	show := func(t *testing.T, ctx context.Context, s *frameScene) {
		cmd(wire.TypeShow, map[string]any{"items": []string{s.item}})(t, ctx, s)
	}
	hide := func(t *testing.T, ctx context.Context, s *frameScene) {
		cmd(wire.TypeModerate, map[string]any{"item": s.item, "status": "hidden"})(t, ctx, s)
	}
	removeMate := func(t *testing.T, ctx context.Context, s *frameScene) {
		// Remove the first participant's group mate, so that the first
		// participant's group changes.
		f, ok := s.fac.Last(wire.TypeGroupList)
		if !ok {
			t.Fatal("no groups frame")
		}
		var gv struct {
			Groups []struct {
				Members []string `json:"members"`
			} `json:"groups"`
		}
		_ = f.Decode(&gv)
		me := s.phones[0].Welcome().Participant
		for _, g := range gv.Groups {
			if slices.Contains(g.Members, me) {
				for _, m := range g.Members {
					if m != me {
						cmd(wire.TypeRemove, map[string]any{"participant": m})(t, ctx, s)
						return
					}
				}
			}
		}
		t.Fatal("the first participant has no group mate")
	}
	step := []string{wire.TypeStep, wire.TypeTimerView, wire.TypeResults, wire.TypeScreen}
	rows := []frameRow{
		{"`next`, `back`, `goto` (no groups on either step)", nil, cmd(wire.TypeNext, nil),
			append(slices.Clone(step), wire.TypeProgress), step, step},
		{"`open`, `close`", nil, cmd(wire.TypeClose, nil),
			[]string{wire.TypeStep, wire.TypeResults}, []string{wire.TypeStep, wire.TypeResults}, []string{wire.TypeStep, wire.TypeResults}},
		{"`reveal`, `hide`", nil, cmd(wire.TypeReveal, nil),
			[]string{wire.TypeStep, wire.TypeResults}, []string{wire.TypeStep, wire.TypeResults}, []string{wire.TypeStep, wire.TypeResults}},
		{"`timer` (any action)", nil, cmd(wire.TypeTimer, map[string]any{"action": "start"}),
			[]string{wire.TypeTimerView}, []string{wire.TypeTimerView}, []string{wire.TypeTimerView}},
		{"`lock`, `unlock`", nil, cmd(wire.TypeLock, nil),
			[]string{wire.TypeRoom}, []string{wire.TypeRoom}, []string{wire.TypeRoom}},
		{"`moderate` (the item is not on the big screen)", func(t *testing.T, ctx context.Context, s *frameScene) {
			cmd(wire.TypeGoto, map[string]any{"step": 3})(t, ctx, s)
			answerOpen(t, ctx, s)
		}, approve, []string{wire.TypeItem}, nil, nil},
		{"`show` (with or without `pin`)", nil, show, []string{wire.TypeScreen}, []string{wire.TypeScreen}, []string{wire.TypeScreen}},
		{"`moderate` (an item on the big screen is no longer approved)", nil, hide,
			[]string{wire.TypeScreen, wire.TypeItem}, []string{wire.TypeScreen}, []string{wire.TypeScreen}},
		{"`goto` into a `breakout` or `actions` step without groups (groups are formed)", nil, cmd(wire.TypeGoto, map[string]any{"step": 6}),
			append(slices.Clone(step), wire.TypeProgress, wire.TypeGroupList), append(slices.Clone(step), wire.TypeYou, wire.TypeGroup), step},
		{"`groups`, `move`, `merge`", nil, cmd(wire.TypeGroups, map[string]any{"size": 2}),
			[]string{wire.TypeProgress, wire.TypeGroupList}, []string{wire.TypeYou, wire.TypeGroup}, nil},
		{"`remove` (to the removed participant: `removed`, then close 4001; `item` for each of their texts, now hidden; `group` to their group)", nil, removeMate,
			[]string{wire.TypeRoom, wire.TypeResults, wire.TypeProgress, wire.TypeGroupList, wire.TypeRosterChanges, wire.TypeItem},
			[]string{wire.TypeRoom, wire.TypeResults, wire.TypeGroup}, []string{wire.TypeRoom, wire.TypeResults}},
		{"`join_panel` (when the size changes)", nil, cmd(wire.TypeJoinPanel, map[string]string{"size": "large"}),
			[]string{wire.TypeScreen}, []string{wire.TypeScreen}, []string{wire.TypeScreen}},
		{"`end`", nil, cmd(wire.TypeEnd, nil),
			[]string{wire.TypeRoom, wire.TypeStep, wire.TypeTimerView, wire.TypeScreen}, []string{wire.TypeRoom, wire.TypeStep, wire.TypeTimerView, wire.TypeScreen}, []string{wire.TypeRoom, wire.TypeStep, wire.TypeTimerView, wire.TypeScreen}},
	}
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for _, row := range rows {
		table.WriteString(row.markdown() + "\n")
	}
	if !strings.Contains(string(doc), table.String()) {
		t.Errorf("docs/protocol.md's table of the frames each command sends should read:\n%s", table.String())
	}
	for _, row := range rows {
		if row.setup != nil {
			row.setup(t, ctx, s)
		}
		s.settle(t, ctx)
		from := map[*wsclient.Phone]int{}
		for _, p := range s.all() {
			from[p] = len(p.Frames())
		}
		row.run(t, ctx, s)
		// Every frame a command causes is queued before its ack; a pong
		// queued after them arrives after them.
		for _, p := range s.all()[1:] {
			if p.Connected() {
				pingPong(t, ctx, p)
			}
		}
		// The participant whom the command concerns: the first one
		// (moved into a group, or in the removed participant's group).
		got := frameRow{command: row.command, facilitator: newTypes(s.fac, from[s.fac]),
			participants: newTypes(s.phones[0], from[s.phones[0]]), screen: newTypes(s.screen, from[s.screen])}
		slices.Sort(got.facilitator)
		slices.Sort(got.participants)
		slices.Sort(got.screen)
		want := row
		want.facilitator, want.participants, want.screen = sorted(row.facilitator), sorted(row.participants), sorted(row.screen)
		if got.markdown() != want.markdown() {
			t.Errorf("%s:\n got %s\nwant %s", row.command, got.markdown(), want.markdown())
		}
	}
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// pingPong sends a ping and waits for its pong.
func pingPong(t *testing.T, ctx context.Context, p *wsclient.Phone) {
	t.Helper()
	id := p.NextID()
	n := len(p.Frames())
	if err := p.Send(wire.TypePing, id, nil); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if _, err := p.WaitFrom(ctx, n, func(f wsclient.Frame) bool { return f.Type == wire.TypePong && f.ID == id }); err != nil {
		t.Fatalf("no pong: %v", err)
	}
}
