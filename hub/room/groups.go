package room

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// DefaultGroupSize is the group size when a step names none.
const DefaultGroupSize = 3

// Limits on shared texts.
const (
	MaxEntriesPerGroup = 60
	MaxEntryID         = 32
	MaxActionField     = 200
)

// Group is a breakout group. Groups persist across steps until the
// facilitator re-forms them, so an actions step can follow a breakout with
// the same people. IDs are never reused, so texts of earlier steps keep
// naming the group they were written in.
type Group struct {
	ID      int
	Members []string // participant ids in join order
}

// GroupText is one group's shared text for one step: a list of entries,
// each written and edited by its author only, so that people typing at
// the same time never overwrite each other.
type GroupText struct {
	Group     int
	Entries   []*Entry
	Submitted bool
	Item      string // the queue item made on submit
}

// Entry is one paragraph (or, in an actions step, one proposed measure)
// of a group's shared text.
type Entry struct {
	ID     string // author + "-" + the client's id
	Author string
	Ver    int
	Text   string // the paragraph; in an actions step, what to do
	Who    string // actions: who is responsible
	When   string // actions: by when
}

// Shared reports whether a step kind has group texts.
func Shared(k plan.Kind) bool { return k == plan.KindBreakout || k == plan.KindActions }

// GroupOf returns the id of a participant's group, or 0.
func (s *State) GroupOf(pid string) int { return s.groupOf[pid] }

// Group returns a group by id.
func (s *State) Group(id int) *Group {
	for _, g := range s.Groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// groupSize is the size a step asks for.
func groupSize(step *plan.Step) int {
	if step.GroupSize >= 2 {
		return step.GroupSize
	}
	return DefaultGroupSize
}

// formGroups splits the active participants into groups of at most size,
// as even as possible and never leaving one person alone when that can be
// avoided. The order is a shuffle seeded by the event.
func (s *State) formGroups(seed uint64, size int) {
	ids := s.activeIDs()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	s.Groups = nil
	s.groupOf = map[string]int{}
	n := len(ids)
	if n == 0 {
		return
	}
	g := (n + size - 1) / size
	for g > 1 && n/g < 2 {
		g--
	}
	base, extra := n/g, n%g
	at := 0
	for i := 0; i < g; i++ {
		k := base
		if i < extra {
			k++
		}
		s.nextGroup++
		grp := &Group{ID: s.nextGroup, Members: s.inJoinOrder(ids[at : at+k])}
		for _, pid := range grp.Members {
			s.groupOf[pid] = grp.ID
		}
		s.Groups = append(s.Groups, grp)
		at += k
	}
}

func (s *State) inJoinOrder(ids []string) []string {
	out := slices.Clone(ids)
	sort.Slice(out, func(i, j int) bool { return s.Participants[out[i]].N < s.Participants[out[j]].N })
	return out
}

func (s *State) activeIDs() []string {
	ids := make([]string, 0, len(s.Order))
	for _, id := range s.Order {
		if s.Participants[id].Active() {
			ids = append(ids, id)
		}
	}
	return ids
}

// placeLateJoiner puts a participant who joins after groups were formed
// into the smallest group (the oldest of equals), or a new group if there
// is none.
func (s *State) placeLateJoiner(pid string) int {
	var smallest *Group
	for _, g := range s.Groups {
		if smallest == nil || len(g.Members) < len(smallest.Members) {
			smallest = g
		}
	}
	if smallest == nil {
		s.nextGroup++
		smallest = &Group{ID: s.nextGroup}
		s.Groups = append(s.Groups, smallest)
	}
	smallest.Members = append(smallest.Members, pid)
	s.groupOf[pid] = smallest.ID
	return smallest.ID
}

// dropFromGroup takes a participant out of their group; an emptied group
// disappears. It returns the group they were in.
func (s *State) dropFromGroup(pid string) int {
	gid := s.groupOf[pid]
	if gid == 0 {
		return 0
	}
	delete(s.groupOf, pid)
	g := s.Group(gid)
	g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == pid })
	if len(g.Members) == 0 {
		s.Groups = slices.DeleteFunc(s.Groups, func(o *Group) bool { return o.ID == gid })
	}
	return gid
}

// text returns a group's text for a step, creating it.
func (st *StepState) text(gid int) *GroupText {
	t := st.Texts[gid]
	if t == nil {
		t = &GroupText{Group: gid}
		st.Texts[gid] = t
	}
	return t
}

// moveEntries carries a participant's entries of the current step from one
// group's text to another's, so that nothing they wrote is lost when the
// groups change.
func (s *State) moveEntries(pid string, from, to int) {
	if from == to || !Shared(s.Current().Kind) {
		return
	}
	st := s.CurrentState()
	src := st.Texts[from]
	if src == nil {
		return
	}
	var moving []*Entry
	src.Entries = slices.DeleteFunc(src.Entries, func(e *Entry) bool {
		if e.Author == pid {
			moving = append(moving, e)
			return true
		}
		return false
	})
	if len(moving) > 0 && to != 0 {
		dst := st.text(to)
		dst.Entries = append(dst.Entries, moving...)
	}
}

// anySubmitted reports whether a group submitted its text in the current step.
func (s *State) anySubmitted() bool {
	for _, t := range s.CurrentState().Texts {
		if t.Submitted {
			return true
		}
	}
	return false
}

func (s *State) applyGroups(ev *Event) Changes {
	c := ev.Groups
	if c == nil || s.Ended || c.Size < 2 || c.Size > 5 || s.anySubmitted() {
		return Changes{Ignored: true}
	}
	before := maps2(s.groupOf)
	s.formGroups(c.Seed, c.Size)
	for pid, old := range before {
		s.moveEntries(pid, old, s.groupOf[pid])
	}
	return Changes{Parts: PartGroups | PartProgress, You: s.activeIDs(), Groups: s.groupIDs()}
}

func maps2(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *State) groupIDs() []int {
	ids := make([]int, len(s.Groups))
	for i, g := range s.Groups {
		ids[i] = g.ID
	}
	return ids
}

func (s *State) applyMove(ev *Event) Changes {
	c := ev.Move
	if c == nil || s.Ended {
		return Changes{Ignored: true}
	}
	p := s.Participants[c.PID]
	if p == nil || !p.Active() || (c.Group != 0 && s.Group(c.Group) == nil) || c.Group == s.groupOf[c.PID] {
		return Changes{Ignored: true}
	}
	from := s.dropFromGroup(c.PID)
	to := c.Group
	if to == 0 {
		s.nextGroup++
		to = s.nextGroup
		s.Groups = append(s.Groups, &Group{ID: to})
	}
	g := s.Group(to)
	g.Members = s.inJoinOrder(append(g.Members, c.PID))
	s.groupOf[c.PID] = to
	s.moveEntries(c.PID, from, to)
	return Changes{Parts: PartGroups | PartProgress, You: []string{c.PID}, Groups: nonZero(from, to)}
}

func nonZero(ids ...int) []int {
	return slices.DeleteFunc(ids, func(i int) bool { return i == 0 })
}

func (s *State) applyMerge(ev *Event) Changes {
	c := ev.Merge
	if c == nil || s.Ended || len(c.Groups) < 2 {
		return Changes{Ignored: true}
	}
	into := s.Group(c.Groups[0])
	if into == nil {
		return Changes{Ignored: true}
	}
	var moved []string
	for _, gid := range c.Groups[1:] {
		g := s.Group(gid)
		if g == nil || gid == into.ID {
			continue
		}
		for _, pid := range slices.Clone(g.Members) {
			s.dropFromGroup(pid)
			into.Members = append(into.Members, pid)
			s.groupOf[pid] = into.ID
			s.moveEntries(pid, gid, into.ID)
			moved = append(moved, pid)
		}
		st := s.CurrentState()
		if t := st.Texts[gid]; t != nil && len(t.Entries) == 0 && !t.Submitted {
			delete(st.Texts, gid)
		}
	}
	if len(moved) == 0 {
		return Changes{Ignored: true}
	}
	into.Members = s.inJoinOrder(into.Members)
	return Changes{Parts: PartGroups | PartProgress, You: moved, Groups: []int{into.ID}}
}

// CheckEntry validates an entry against the state and normalises it.
func (s *State) CheckEntry(pid string, e *EntryChange) *wire.Error {
	if err := s.checkShared(pid, e.Step); err != nil {
		return err
	}
	if e.ID == "" || len(e.ID) > MaxEntryID || strings.ContainsAny(e.ID, " /") {
		return wire.Errorf(wire.CodeInvalid, "entry must be an id of 1 to %d characters without spaces or slashes", MaxEntryID)
	}
	if e.Ver < 1 {
		return wire.Errorf(wire.CodeInvalid, "ver must be 1 or more, and grow with every edit")
	}
	if e.Delete {
		return nil
	}
	step := s.Current()
	var err *wire.Error
	if e.Text, err = checkOptionalText(e.Text, step.MaxLength); err != nil {
		return err
	}
	if e.Who, err = checkOptionalText(e.Who, MaxActionField); err != nil {
		return err
	}
	if e.When, err = checkOptionalText(e.When, MaxActionField); err != nil {
		return err
	}
	if step.Kind == plan.KindBreakout && (e.Who != "" || e.When != "") {
		return wire.Errorf(wire.CodeInvalid, "who and when belong to actions steps")
	}
	t := s.CurrentState().Texts[s.groupOf[pid]]
	if t != nil && len(t.Entries) >= MaxEntriesPerGroup && t.entry(pid+"-"+e.ID) == nil {
		return wire.Errorf(wire.CodeTooLarge, "a group text has at most %d entries", MaxEntriesPerGroup)
	}
	return nil
}

func checkOptionalText(s string, max int) (string, *wire.Error) {
	if max <= 0 {
		max = 3000
	}
	t, err := wire.CheckText(s, max)
	if err != nil {
		return "", wire.AsError(err)
	}
	return t, nil
}

// checkShared checks that pid may write to their group's text of step.
func (s *State) checkShared(pid string, step int) *wire.Error {
	if p := s.Participants[pid]; p == nil || !p.Active() {
		return wire.Errorf(wire.CodeRemoved, "you are no longer in this room")
	}
	if s.Ended {
		return wire.Errorf(wire.CodeEnded, "the room has ended")
	}
	if step != s.Step {
		return wire.Errorf(wire.CodeStale, "the room is on step %d, not %d", s.Step, step)
	}
	if !Shared(s.Current().Kind) {
		return wire.Errorf(wire.CodeInvalid, "a %s step has no group text", s.Current().Kind)
	}
	if !s.CurrentState().Open {
		return wire.Errorf(wire.CodeNotOpen, "this step is closed for writing")
	}
	gid := s.groupOf[pid]
	if gid == 0 {
		return wire.Errorf(wire.CodeInvalid, "you are not in a group yet")
	}
	if t := s.CurrentState().Texts[gid]; t != nil && t.Submitted {
		return wire.Errorf(wire.CodeNotOpen, "your group has already submitted its text")
	}
	return nil
}

func (t *GroupText) entry(id string) *Entry {
	for _, e := range t.Entries {
		if e.ID == id {
			return e
		}
	}
	return nil
}

func (s *State) applyEntry(ev *Event) Changes {
	e := ev.Entry
	if e == nil {
		return Changes{Ignored: true}
	}
	if dup, ch := s.duplicate(ev); dup {
		return ch
	}
	if err := s.CheckEntry(ev.PID, e); err != nil {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: err}}}
	}
	s.markSeen(ev)
	gid := s.groupOf[ev.PID]
	t := s.CurrentState().text(gid)
	id := ev.PID + "-" + e.ID
	cur := t.entry(id)
	ack := Changes{Acks: []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: s.Seq}}}}
	switch {
	case cur != nil && e.Ver <= cur.Ver:
		return ack // an older edit arriving late: the newer one stands
	case e.Delete && cur == nil:
		return ack
	case e.Delete:
		t.Entries = slices.DeleteFunc(t.Entries, func(x *Entry) bool { return x.ID == id })
	case cur == nil:
		t.Entries = append(t.Entries, &Entry{ID: id, Author: ev.PID, Ver: e.Ver, Text: e.Text, Who: e.Who, When: e.When})
	default:
		cur.Ver, cur.Text, cur.Who, cur.When = e.Ver, e.Text, e.Who, e.When
	}
	ack.Parts = PartGroups
	ack.Groups = []int{gid}
	return ack
}

func (s *State) applySubmit(ev *Event) Changes {
	c := ev.Submit
	if c == nil {
		return Changes{Ignored: true}
	}
	if dup, ch := s.duplicate(ev); dup {
		return ch
	}
	if err := s.checkShared(ev.PID, c.Step); err != nil {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: err}}}
	}
	gid := s.groupOf[ev.PID]
	t := s.CurrentState().Texts[gid]
	if t == nil || t.empty() {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: wire.Errorf(wire.CodeInvalid, "write something before submitting")}}}
	}
	s.markSeen(ev)
	items := s.submitText(c.Step, t)
	return Changes{Parts: PartGroups | PartProgress, Groups: []int{gid}, Items: items,
		Acks: []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: s.Seq}}}}
}

func (t *GroupText) empty() bool {
	for _, e := range t.Entries {
		if e.Text != "" || e.Who != "" || e.When != "" {
			return false
		}
	}
	return true
}

// submitText closes a group's text and puts it in the moderation queue:
// a breakout text as one item, an actions text as one item per action.
func (s *State) submitText(step int, t *GroupText) []string {
	t.Submitted = true
	if s.Plan.Steps[step].Kind == plan.KindActions {
		var ids []string
		for _, e := range t.Entries {
			if e.Text == "" {
				continue
			}
			it, _ := s.upsertItem(itemKey("a", step, e.ID), step, ItemAction, t.Group)
			it.Text, it.Who, it.When = e.Text, e.Who, e.When
			ids = append(ids, it.ID)
		}
		return ids
	}
	var paras []string
	for _, e := range t.Entries {
		if e.Text != "" {
			paras = append(paras, e.Text)
		}
	}
	it, _ := s.upsertItem(itemKey("g", step, itoa(t.Group)), step, ItemGroup, t.Group)
	it.Text = strings.Join(paras, "\n\n")
	t.Item = it.ID
	return []string{it.ID}
}

// autoSubmit submits every group text with content when the step's timer
// runs out.
func (s *State) autoSubmit() Changes {
	var ch Changes
	st := s.CurrentState()
	for _, gid := range sortedKeys(st.Texts) {
		t := st.Texts[gid]
		if t.Submitted || t.empty() {
			continue
		}
		ch.Items = append(ch.Items, s.submitText(s.Step, t)...)
		ch.Groups = append(ch.Groups, gid)
	}
	if len(ch.Groups) > 0 {
		ch.Parts |= PartGroups | PartProgress
	}
	return ch
}

func sortedKeys(m map[int]*GroupText) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
