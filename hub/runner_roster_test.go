package hub

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// recordConn is a connection that keeps every frame queued to it.
type recordConn struct {
	mu     sync.Mutex
	frames [][]byte
}

func (c *recordConn) Send(f *wire.Frame) bool { return c.SendMany([]*wire.Frame{f}) }

func (c *recordConn) SendMany(fs []*wire.Frame) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range fs {
		c.frames = append(c.frames, f.Data)
	}
	return true
}

func (c *recordConn) Close(int, string) {}

// epochLog is a log of which the runner only asks the epoch: the test
// hands it the events itself.
type epochLog struct{ Log }

func (epochLog) Epoch() string { return "test-epoch" }

// testRunner is one instance's runner of a room, fed by the test.
func testRunner(t *testing.T) *runner {
	t.Helper()
	h := &Hub{cfg: Config{}.withDefaults(), log: epochLog{}, metrics: NewMetrics(nil),
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return &runner{hub: h, id: "room1", ready: make(chan struct{}), state: room.New(), applied: make(chan struct{}),
		sessions: map[*Session]struct{}{}, byPID: map[string][]*Session{}, ringFrom: 1}
}

const rosterPlan = `id: roster-test
title: Roster test
language: en
duration: 10m
audience: tests
description: tests
steps:
  - kind: info
    title: Start
  - kind: poll
    title: Poll
    options: [A, B]
`

// roomLog is a room's log: created, then many joins, leaves and removals.
func roomLog(t *testing.T, n int) [][]byte {
	t.Helper()
	p, err := plan.Parse("roster.yaml", []byte(rosterPlan))
	if err != nil {
		t.Fatal(err)
	}
	evs := []*room.Event{{Type: room.EvCreated, At: 1000, Created: &room.Created{Room: "room1", Code: "ABCDEF", KeyHash: "h", Plan: p, ExpiresAt: 9e12, MaxParticipants: n}}}
	var active []string
	for i := 0; len(evs) <= n; i++ {
		switch {
		case i%10 < 7 || len(active) == 0:
			pid := fmt.Sprintf("p%05d", i)
			evs = append(evs, &room.Event{Type: room.EvJoined, PID: pid, At: 2000, Joined: &room.Joined{TokenHash: "t-" + pid, Nickname: "Kari " + pid}})
			active = append(active, pid)
		case i%50 == 49:
			pid := active[i%len(active)]
			active = slices.DeleteFunc(active, func(s string) bool { return s == pid })
			evs = append(evs, &room.Event{Type: room.EvRemoved, At: 3000, Removed: &room.Removed{PID: pid}})
		default:
			pid := active[(i*7)%len(active)]
			active = slices.DeleteFunc(active, func(s string) bool { return s == pid })
			evs = append(evs, &room.Event{Type: room.EvLeft, PID: pid, At: 3000})
		}
	}
	out := make([][]byte, len(evs))
	for i, ev := range evs {
		if out[i], err = ev.Encode(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// staffView follows a staff connection's frames as a dashboard does.
type staffView struct {
	name    string
	conn    *recordConn
	s       *Session
	read    int
	people  map[string]room.RosterEntry
	count   int
	lastSeq uint64
	// maxChanges is the largest roster_changes frame; wholes counts full
	// rosters after the first snapshot.
	maxChanges, wholes int
}

func attachStaff(r *runner, name string, v *staffView, lastSeq uint64) *staffView {
	if v == nil {
		v = &staffView{conn: &recordConn{}}
	}
	v.name = name
	v.s = &Session{hub: r.hub, conn: v.conn, role: wire.RoleFacilitator, aud: room.ToStaff, runner: r}
	r.attach(v.s, wire.Welcome{}, lastSeq, "test-epoch")
	return v
}

// catchUp reads the frames queued since the last call.
func (v *staffView) catchUp(t *testing.T) {
	t.Helper()
	v.conn.mu.Lock()
	frames := v.conn.frames[v.read:]
	v.read = len(v.conn.frames)
	v.conn.mu.Unlock()
	for _, b := range frames {
		var f struct {
			Type string
			Seq  uint64
			Data json.RawMessage
		}
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		v.lastSeq = max(v.lastSeq, f.Seq)
		switch f.Type {
		case wire.TypeSnapshot, wire.TypeRoster:
			var whole room.RosterView
			if f.Type == wire.TypeSnapshot {
				var snap room.SnapshotView
				decode(t, f.Data, &snap)
				whole = *snap.Roster
			} else {
				decode(t, f.Data, &whole)
				v.wholes++
			}
			v.people = map[string]room.RosterEntry{}
			for _, p := range whole.Participants {
				v.people[p.ID] = p
			}
			v.count = whole.Count
		case wire.TypeRosterChanges:
			var ch room.RosterChangesView
			decode(t, f.Data, &ch)
			for _, p := range ch.Joined {
				v.people[p.ID] = p
			}
			for _, id := range ch.Left {
				delete(v.people, id)
			}
			v.count = ch.Count
			v.maxChanges = max(v.maxChanges, len(b))
		}
	}
}

func (v *staffView) list() []room.RosterEntry {
	out := make([]room.RosterEntry, 0, len(v.people))
	for _, p := range v.people {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b room.RosterEntry) int { return a.N - b.N })
	return out
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// TestRunnerRosterChangesOverTwoInstances follows a room of 4,000 events
// (joins, leaves, removals) on two instances that flush at different
// moments. Staff attached from the start, half-way (while changes wait)
// and after a resume all end with the roster of a fresh snapshot; after
// its snapshot no staff frame carries the whole roster but the one after
// the resume, and no frame of changes grows with the room.
func TestRunnerRosterChangesOverTwoInstances(t *testing.T) {
	const events = 4000
	log := roomLog(t, events)
	a, b := testRunner(t), testRunner(t)
	a.onEvent(1, log[0])
	b.onEvent(1, log[0])
	early := attachStaff(a, "early on A", nil, 0)
	other := attachStaff(b, "early on B", nil, 0)
	var halfway, resumed *staffView
	for i := 1; i < len(log); i++ {
		pos := uint64(i + 1)
		a.onEvent(pos, log[i])
		b.onEvent(pos, log[i])
		if i%50 == 0 {
			a.flush()
		}
		if i%71 == 0 {
			b.flush()
		}
		switch i {
		case 1000:
			// The early dashboard loses its connection and resumes later.
			early.catchUp(t)
			a.detach(early.s)
		case 1100:
			resumed = attachStaff(a, "resumed on A", early, early.lastSeq)
		case 2025:
			halfway = attachStaff(a, "half-way on A", nil, 0)
		}
		for _, v := range []*staffView{early, other, halfway} {
			if v != nil {
				v.catchUp(t)
			}
		}
	}
	a.flush()
	b.flush()
	fresh := attachStaff(b, "fresh on B", nil, 0)
	for _, v := range []*staffView{fresh, resumed, other, halfway} {
		v.catchUp(t)
	}
	want := fresh.list()
	if len(want) < 1000 || fresh.count != len(want) {
		t.Fatalf("the room has %d participants (count %d)", len(want), fresh.count)
	}
	for _, v := range []*staffView{resumed, other, halfway} {
		if got := v.list(); !slices.Equal(got, want) || v.count != fresh.count {
			t.Errorf("%s: %d people (count %d), a fresh snapshot %d", v.name, len(got), v.count, len(want))
		}
	}
	whole, err := wire.NewFrame(room.RenderRoster(a.state).Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []*staffView{resumed, other, halfway} {
		wantWholes := 0
		if v == resumed {
			wantWholes = 1
		}
		if v.wholes != wantWholes {
			t.Errorf("%s got the whole roster %d times after its snapshot", v.name, v.wholes)
		}
		if v.maxChanges == 0 || v.maxChanges > 8<<10 {
			t.Errorf("%s: the largest roster_changes frame has %d bytes (the whole roster %d)", v.name, v.maxChanges, len(whole.Data))
		}
	}
	t.Logf("%d participants: the whole roster %d bytes; the largest frame of changes %d bytes", len(want), len(whole.Data), other.maxChanges)
}

// TestRunnerKeepsNoRosterChangesWithoutStaff: changes are collected only
// while a staff connection is there to get them; one that comes later gets
// the roster in its snapshot.
func TestRunnerKeepsNoRosterChangesWithoutStaff(t *testing.T) {
	log := roomLog(t, 40)
	r := testRunner(t)
	r.onEvent(1, log[0])
	v := attachStaff(r, "staff", nil, 0)
	r.onEvent(2, log[1])
	if r.roster.Empty() {
		t.Fatal("a join with staff attached was not kept for the next flush")
	}
	r.detach(v.s)
	if !r.roster.Empty() {
		t.Fatal("roster changes kept after the last staff connection left")
	}
	for i := 2; i < len(log); i++ {
		r.onEvent(uint64(i+1), log[i])
	}
	if !r.roster.Empty() {
		t.Fatal("roster changes kept without staff")
	}
}

// TestRunnerSendsARemovalAtOnce: a removal is a facilitator command, and
// its ack follows its frames; the roster change is one of them, not left
// for the next flush.
func TestRunnerSendsARemovalAtOnce(t *testing.T) {
	log := roomLog(t, 60)
	r := testRunner(t)
	r.onEvent(1, log[0])
	v := attachStaff(r, "staff", nil, 0)
	var removed string
	for i := 1; i < len(log) && removed == ""; i++ {
		ev, err := room.DecodeEvent(log[i])
		if err != nil {
			t.Fatal(err)
		}
		r.onEvent(uint64(i+1), log[i])
		if ev.Type == room.EvRemoved {
			removed = ev.Removed.PID
		}
	}
	if removed == "" {
		t.Fatal("the log has no removal")
	}
	v.catchUp(t)
	if _, ok := v.people[removed]; ok || v.count != len(v.people) || v.count == 0 {
		t.Fatalf("before any flush, staff see %d people (count %d), the removed one among them: %v", len(v.people), v.count, ok)
	}
}
