package room

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// fuzzRoom is a room being fuzzed: its state, the log position and clock
// of its next event, and how many events it has applied.
type fuzzRoom struct {
	t       *testing.T
	s       *State
	pos     uint64
	at      int64
	applied uint64
}

// newFuzzRoom creates the room from the plan the program's first byte
// picks, and returns it with a reader of the rest of the program.
func newFuzzRoom(t *testing.T, data []byte) (*fuzzRoom, *fuzzProgram) {
	f := &fuzzProgram{b: data, fresh: new(int)}
	plans := plan.Builtin()
	p := plans[int(f.byte())%len(plans)]
	r := &fuzzRoom{t: t, s: New(), at: 1_000_000}
	// Applied as it is, without the log's round trip: the plan is shared
	// by every execution (nothing changes a room's plan), and encoding and
	// decoding it every time would cost a fifth of the fuzzer's time.
	r.applyDecoded(&Event{Type: EvCreated, At: r.at, Created: &Created{Room: "r1", Code: "ABCDEF", KeyHash: "h", Plan: p, ExpiresAt: 9e12, MaxParticipants: 6}})
	f.s = r.s
	return r, f
}

// apply applies an event as the log delivers it (encoded and decoded
// again), renders what it changed and checks the state.
func (r *fuzzRoom) apply(ev *Event) Changes {
	if ev.At == 0 {
		ev.At = r.at
	}
	data, err := ev.Encode()
	if err != nil {
		r.t.Fatal(err)
	}
	back, err := DecodeEvent(data)
	if err != nil {
		r.t.Fatalf("an encoded event does not decode: %v", err)
	}
	return r.applyDecoded(back)
}

func (r *fuzzRoom) applyDecoded(ev *Event) Changes {
	r.pos++
	seq := r.s.Seq
	ch := Apply(r.s, r.pos, ev)
	r.applied++
	if r.s.Seq != seq+1 {
		r.t.Fatalf("event %s moved the room's sequence from %d to %d", ev.Type, seq, r.s.Seq)
	}
	r.render(ch)
	checkState(r.t, r.s)
	return ch
}

// render draws what an instance draws after an event: the parts it
// changed and the coalesced ones the next flush redraws, its replies and
// roster changes (encoding them all is left to finish: it would cost
// most of the execution's time). It checks the current step's results.
func (r *fuzzRoom) render(ch Changes) {
	s := r.s
	if !s.Exists() {
		return
	}
	Render(s, ch.Parts|Coalesced)
	RenderReplies(s, ch)
	var log RosterLog
	log.Note(ch)
	log.Take(s, MaxRosterChanges)
	checkResults(r.t, s, s.Step)
}

// finish draws everything there is to draw at the end of a program: every
// part for every audience, each role's snapshot, and what reports read
// of every step.
func (r *fuzzRoom) finish() {
	r.t.Helper()
	s := r.s
	if !s.Exists() {
		return
	}
	encodeEffects(r.t, append(Render(s, PartAll), RenderRoster(s)))
	for _, who := range []struct{ role, pid string }{{wire.RoleFacilitator, ""}, {wire.RolePresenter, ""},
		{wire.RoleParticipant, "p0"}, {wire.RoleParticipant, "p1"}, {wire.RoleParticipant, "nobody"}} {
		if _, err := json.Marshal(Snapshot(s, who.role, who.pid)); err != nil {
			r.t.Fatalf("snapshot for %s does not encode: %v", who.role, err)
		}
	}
	for i := range s.Steps {
		checkResults(r.t, s, i)
		s.AnswerValues(i)
		s.Drafts(i)
		s.RawResults(i)
	}
	s.Actions()
}

func encodeEffects(t *testing.T, effects []Effect) {
	t.Helper()
	for _, e := range effects {
		if _, err := wire.NewFrame(e.Out); err != nil {
			t.Fatalf("frame %s does not encode: %v", e.Out.Type, err)
		}
	}
}

// checkResults checks the privacy rules of a step's results: public
// screens see nothing before the reveal, and nobody sees a breakdown of
// fewer than MinBreakdown answers.
func checkResults(t *testing.T, s *State, step int) {
	staff := s.ResultsOf(step)
	public := s.resultsFor(step, false)
	for _, v := range []ResultsView{staff, public} {
		if v.Answered < 0 {
			t.Fatalf("step %d: %d answered", step, v.Answered)
		}
		broken := v.Counts != nil || v.Words != nil || v.FollowUp != nil || v.Median != nil
		if broken && v.Answered < MinBreakdown {
			t.Fatalf("step %d: a breakdown of %d answers", step, v.Answered)
		}
		for _, c := range append(slices.Clone(v.Counts), v.FollowUp...) {
			if c < 0 || c > v.Answered*max(1, len(s.Plan.Steps[step].Options)) {
				t.Fatalf("step %d: a count of %d from %d answers", step, c, v.Answered)
			}
		}
	}
	if !s.Steps[step].Revealed && (!public.Hidden || public.Counts != nil || public.Words != nil) {
		t.Fatalf("step %d: results shown to the public before the reveal", step)
	}
}

// checkState checks what must hold of every state.
func checkState(t *testing.T, s *State) {
	if s.Deleted {
		if s.Exists() || len(s.Participants) != 0 || len(s.Items) != 0 {
			t.Fatal("a deleted room kept its content")
		}
		return
	}
	if !s.Exists() {
		t.Fatal("the room stopped existing without being deleted")
	}
	if len(s.Steps) != len(s.Plan.Steps) || s.Step < 0 || s.Step >= len(s.Steps) {
		t.Fatalf("step %d of %d (plan has %d)", s.Step, len(s.Steps), len(s.Plan.Steps))
	}
	tm := s.Timer
	if tm.Step != s.Step || tm.Remaining < 0 || tm.Duration < 0 || (tm.Running && tm.EndsAt <= 0) || (!tm.Running && tm.EndsAt != 0) {
		t.Fatalf("timer %+v on step %d", tm, s.Step)
	}
	active := 0
	for id, p := range s.Participants {
		if p.ID != id || p.N < 1 || p.N > len(s.Order) || s.Order[p.N-1] != id {
			t.Fatalf("participant %s is %+v", id, p)
		}
		if p.Active() {
			active++
		}
	}
	if len(s.Order) != len(s.Participants) || s.ActiveCount() != active || active < 0 || active > s.MaxParticipants {
		t.Fatalf("%d in order, %d participants, %d active counted, %d active", len(s.Order), len(s.Participants), s.ActiveCount(), active)
	}
	if len(s.tokens) != len(s.Participants) {
		t.Fatalf("%d tokens for %d participants", len(s.tokens), len(s.Participants))
	}
	checkGroups(t, s)
	checkItems(t, s)
}

// checkGroups: every group has members, each member active, in join
// order, in one group only, and groupOf says so.
func checkGroups(t *testing.T, s *State) {
	seen := map[string]int{}
	ids := map[int]bool{}
	for _, g := range s.Groups {
		if g.ID <= 0 || g.ID > s.nextGroup || ids[g.ID] || len(g.Members) == 0 {
			t.Fatalf("group %d with %d members (next %d)", g.ID, len(g.Members), s.nextGroup)
		}
		ids[g.ID] = true
		for i, m := range g.Members {
			p := s.Participants[m]
			if p == nil || !p.Active() {
				t.Fatalf("group %d has %s, who is not in the room", g.ID, m)
			}
			if i > 0 && s.Participants[g.Members[i-1]].N > p.N {
				t.Fatalf("group %d is not in join order: %v", g.ID, g.Members)
			}
			if seen[m] != 0 {
				t.Fatalf("%s is in groups %d and %d", m, seen[m], g.ID)
			}
			seen[m] = g.ID
		}
	}
	for pid, gid := range s.groupOf {
		if seen[pid] != gid {
			t.Fatalf("%s is said to be in group %d, but is in %d", pid, gid, seen[pid])
		}
	}
	if len(seen) != len(s.groupOf) {
		t.Fatalf("%d group members, %d in groupOf", len(seen), len(s.groupOf))
	}
}

// checkItems: the queue's indexes agree with it, and the big screen shows
// at most MaxScreenItems items, each approved and not merged away.
func checkItems(t *testing.T, s *State) {
	if len(s.itemByID) != len(s.Items) || len(s.itemByKey) != len(s.Items) {
		t.Fatalf("%d items, %d by id, %d by key", len(s.Items), len(s.itemByID), len(s.itemByKey))
	}
	for _, it := range s.Items {
		if s.itemByID[it.ID] != it || s.itemByKey[it.key] != it {
			t.Fatalf("item %s is not indexed", it.ID)
		}
		if it.MergedInto != "" && s.itemByID[it.MergedInto] == nil {
			t.Fatalf("item %s merged into %s, which does not exist", it.ID, it.MergedInto)
		}
	}
	sels := []*Screen{}
	if s.Pinned != nil {
		sels = append(sels, s.Pinned)
	}
	for _, st := range s.Steps {
		sels = append(sels, &st.Shown)
	}
	for _, sel := range sels {
		if len(sel.Items) > MaxScreenItems {
			t.Fatalf("%d items in a big-screen selection", len(sel.Items))
		}
		for i, id := range sel.Items {
			it := s.itemByID[id]
			if it == nil || it.Status != StatusApproved || it.MergedInto != "" || slices.Contains(sel.Items[:i], id) {
				t.Fatalf("the screen shows %s: %+v", id, it)
			}
		}
	}
	if v := s.screenView(); s.Ended && len(v.Items) > 0 {
		t.Fatalf("the ended room's big screen shows %d items", len(v.Items))
	}
}
