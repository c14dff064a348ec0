package room

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// rosterModel is a staff client's roster: the whole list from a snapshot,
// then the changes applied as docs/protocol.md says (add every joined
// entry, then drop every left id).
type rosterModel struct {
	people map[string]RosterEntry
	count  int
}

func (m *rosterModel) whole(t *testing.T, v RosterView) {
	t.Helper()
	v = roundTrip(t, v)
	m.people = map[string]RosterEntry{}
	for _, p := range v.Participants {
		m.people[p.ID] = p
	}
	m.count = v.Count
}

func (m *rosterModel) apply(t *testing.T, e Effect) {
	t.Helper()
	if e.Out.Type != wire.TypeRosterChanges || e.To != ToStaff || e.PIDs != nil {
		t.Fatalf("roster changes drawn as %s for %v %v", e.Out.Type, e.To, e.PIDs)
	}
	v := roundTrip(t, e.Out.Data.(RosterChangesView))
	for _, p := range v.Joined {
		m.people[p.ID] = p
	}
	for _, id := range v.Left {
		delete(m.people, id)
	}
	m.count = v.Count
}

func (m *rosterModel) list() []RosterEntry {
	out := make([]RosterEntry, 0, len(m.people))
	for _, p := range m.people {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b RosterEntry) int { return a.N - b.N })
	return out
}

// roundTrip sends a view through JSON, as a client reads it.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// rosterEvents is a room's log of many joins, leaves and removals.
func rosterEvents(n int) []*Event {
	r := rand.New(rand.NewPCG(7, 11))
	var evs []*Event
	var active []string
	for i := 0; len(evs) < n; i++ {
		switch k := r.IntN(10); {
		case k < 7 || len(active) == 0:
			pid := fmt.Sprintf("p%05d", i)
			nick := ""
			if i%3 == 0 {
				nick = fmt.Sprintf("<b>Kari %d</b>", i)
			}
			evs = append(evs, &Event{Type: EvJoined, PID: pid, At: 2000, Joined: &Joined{TokenHash: "t-" + pid, Nickname: nick}})
			active = append(active, pid)
		default:
			j := r.IntN(len(active))
			pid := active[j]
			active = slices.Delete(active, j, j+1)
			if k == 9 {
				evs = append(evs, &Event{Type: EvRemoved, At: 3000, Removed: &Removed{PID: pid}})
			} else {
				evs = append(evs, &Event{Type: EvLeft, PID: pid, At: 3000})
			}
		}
	}
	return evs
}

// TestRosterChangesEndLikeASnapshot has staff follow a room of many joins,
// leaves and removals through roster changes only, on two instances that
// send their changes at different moments and in frames of different
// sizes, with one staff connection attached from the start and another
// attaching half-way, while changes wait. Each ends with exactly the
// roster a fresh snapshot shows.
func TestRosterChangesEndLikeASnapshot(t *testing.T) {
	type staffConn struct {
		name     string
		attachAt int
		model    rosterModel
		attached bool
	}
	type instance struct {
		s          *State
		log        RosterLog
		flushEvery int
		max        int
		staff      []*staffConn
	}
	insts := []*instance{
		{s: testState(t), flushEvery: 7, max: MaxRosterChanges, staff: []*staffConn{{name: "early on A"}, {name: "half-way on A", attachAt: 1203}}},
		{s: testState(t), flushEvery: 13, max: 5, staff: []*staffConn{{name: "early on B"}, {name: "late on B", attachAt: 2999}}},
	}
	evs := rosterEvents(3000)
	for i, ev := range evs {
		for _, in := range insts {
			for _, c := range in.staff {
				if !c.attached && c.attachAt == i {
					snap := Snapshot(in.s, wire.RoleFacilitator, "")
					c.model.whole(t, *snap.Roster)
					c.attached = true
				}
			}
			in.log.Note(mustApply(t, in.s, ev))
			if (i+1)%in.flushEvery == 0 {
				if e, ok := in.log.Take(in.s, in.max); ok {
					for _, c := range in.staff {
						if c.attached {
							c.model.apply(t, e)
						}
					}
				}
			}
		}
	}
	for _, in := range insts {
		for !in.log.Empty() {
			e, ok := in.log.Take(in.s, in.max)
			if !ok {
				continue
			}
			for _, c := range in.staff {
				c.model.apply(t, e)
			}
		}
		want := *Snapshot(in.s, wire.RoleFacilitator, "").Roster
		if want.Count != len(want.Participants) || want.Count < 500 {
			t.Fatalf("the test room has %d participants (count %d)", len(want.Participants), want.Count)
		}
		for _, c := range in.staff {
			if got := c.model.list(); !slices.Equal(got, want.Participants) || c.model.count != want.Count {
				t.Errorf("%s: %d people (count %d), a fresh snapshot has %d", c.name, len(got), c.model.count, want.Count)
			}
		}
	}
	a, _ := json.Marshal(Snapshot(insts[0].s, wire.RoleFacilitator, "").Roster)
	b, _ := json.Marshal(Snapshot(insts[1].s, wire.RoleFacilitator, "").Roster)
	if string(a) != string(b) {
		t.Fatal("the instances disagree about the roster")
	}
}

// TestRosterFramesDoNotGrowWithTheRoom joins 5,000 participants (the
// default cap) and sends the roster changes every 100 events, as a runner
// does at 500 joins a second: every frame stays as small at the end as at
// the start, while the whole roster is far larger than any of them. A
// backlog of every join at once still comes in bounded frames.
func TestRosterFramesDoNotGrowWithTheRoom(t *testing.T) {
	s := testState(t)
	var log RosterLog
	var sizes []int
	for i := 0; i < DefaultMaxParticipants; i++ {
		pid := fmt.Sprintf("p%05d", i)
		log.Note(mustApply(t, s, &Event{Type: EvJoined, PID: pid, At: 2000, Joined: &Joined{TokenHash: "t-" + pid, Nickname: "Kari"}}))
		if (i+1)%100 == 0 {
			e, ok := log.Take(s, MaxRosterChanges)
			if !ok {
				t.Fatal("no roster changes after 100 joins")
			}
			sizes = append(sizes, frameSize(t, e))
		}
	}
	whole := frameSize(t, RenderRoster(s))
	first, last := sizes[0], sizes[len(sizes)-1]
	for _, n := range sizes {
		if n > first+first/10 {
			t.Fatalf("a roster changes frame of %d bytes; the first was %d", n, first)
		}
	}
	if whole < 20*last {
		t.Fatalf("the whole roster is %d bytes, a frame of changes %d", whole, last)
	}
	t.Logf("%d participants: roster %d bytes; changes of 100 joins %d bytes at the start, %d at the end", s.ActiveCount(), whole, first, last)

	// Everyone leaves at once: the backlog goes out in bounded frames.
	for _, id := range s.Order {
		log.Note(mustApply(t, s, &Event{Type: EvLeft, PID: id, At: 3000}))
	}
	frames := 0
	for !log.Empty() {
		e, ok := log.Take(s, MaxRosterChanges)
		if !ok {
			t.Fatal("changes wait but none were drawn")
		}
		v := e.Out.Data.(RosterChangesView)
		if len(v.Joined)+len(v.Left) > MaxRosterChanges || v.Count != 0 {
			t.Fatalf("a frame of %d joins and %d leaves, count %d", len(v.Joined), len(v.Left), v.Count)
		}
		frames++
	}
	if frames != DefaultMaxParticipants/MaxRosterChanges {
		t.Fatalf("%d frames for %d leaves", frames, DefaultMaxParticipants)
	}
}

// TestRosterLogSendsJoinedAndLeftOnlyAsLeft: someone who joined and left
// before the changes went out is sent only as left, even when a frame is
// cut short, so that no frame adds someone who is gone.
func TestRosterLogSendsJoinedAndLeftOnlyAsLeft(t *testing.T) {
	s := testState(t)
	var log RosterLog
	for _, pid := range []string{"a", "b", "c"} {
		log.Note(mustApply(t, s, &Event{Type: EvJoined, PID: pid, At: 2000, Joined: &Joined{TokenHash: "t-" + pid}}))
	}
	e, _ := log.Take(s, 1)
	if v := e.Out.Data.(RosterChangesView); len(v.Joined) != 1 || v.Joined[0].ID != "a" || len(v.Left) != 0 || v.Count != 3 {
		t.Fatalf("first frame %+v", v)
	}
	log.Note(mustApply(t, s, &Event{Type: EvRemoved, At: 3000, Removed: &Removed{PID: "b"}}))
	e, _ = log.Take(s, 10)
	if v := e.Out.Data.(RosterChangesView); len(v.Joined) != 1 || v.Joined[0].ID != "c" || !slices.Equal(v.Left, []string{"b"}) || v.Count != 2 {
		t.Fatalf("second frame %+v", v)
	}
	if _, ok := log.Take(s, 10); ok || !log.Empty() {
		t.Fatal("changes left after everything was sent")
	}
	// Nothing in the roster changed: no frame.
	log.Note(mustApply(t, s, &Event{Type: EvLeft, PID: "b", At: 3000}))
	if _, ok := log.Take(s, 10); ok {
		t.Fatal("a frame for an ignored leave")
	}
}

func frameSize(t *testing.T, e Effect) int {
	t.Helper()
	f, err := wire.NewFrame(e.Out)
	if err != nil {
		t.Fatal(err)
	}
	return len(f.Data)
}
