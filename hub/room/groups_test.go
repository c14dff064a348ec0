package room

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

const sharedPlan = `id: shared-test
title: Shared test
language: en
duration: 30m
audience: tests
description: tests
steps:
  - kind: info
    title: Start
  - kind: breakout
    title: Talk
    duration: 5m
    group_size: 3
    prompts: ["What happened?"]
  - kind: plenary
    title: Together
  - kind: actions
    title: Measures
  - kind: open
    title: Open
`

func sharedState(t *testing.T, people int) *State {
	t.Helper()
	p, err := plan.Parse("shared.yaml", []byte(sharedPlan))
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	mustApply(t, s, &Event{Type: EvCreated, At: 1000, Created: &Created{Room: "r", Code: "ABCDEF", KeyHash: "h", Plan: p}})
	for i := 1; i <= people; i++ {
		join(t, s, fmt.Sprintf("p%d", i))
	}
	return s
}

func sizes(s *State) []int {
	var out []int
	for _, g := range s.Groups {
		out = append(out, len(g.Members))
	}
	return out
}

func participant(pid string) Actor { return Actor{Role: wire.RoleParticipant, PID: pid} }

func entry(t *testing.T, s *State, pid, frameID string, e map[string]any) (Changes, error) {
	t.Helper()
	in := frame(wire.TypeEntry, e)
	in.ID = frameID
	return decideApply(t, s, participant(pid), in)
}

func submit(t *testing.T, s *State, pid, frameID string, step int) (Changes, error) {
	t.Helper()
	in := frame(wire.TypeSubmit, map[string]int{"step": step})
	in.ID = frameID
	return decideApply(t, s, participant(pid), in)
}

func TestGroupFormation(t *testing.T) {
	for _, tt := range []struct {
		people, size int
		want         []int
	}{
		{0, 3, nil},
		{1, 3, []int{1}},
		{2, 3, []int{2}},
		{3, 2, []int{3}},
		{4, 3, []int{2, 2}},
		{7, 3, []int{3, 2, 2}},
		{10, 4, []int{4, 3, 3}},
		{11, 5, []int{4, 4, 3}},
		{12, 3, []int{3, 3, 3, 3}},
	} {
		s := sharedState(t, tt.people)
		s.formGroups(7, tt.size)
		if fmt.Sprint(sizes(s)) != fmt.Sprint(tt.want) {
			t.Errorf("%d people, size %d: got %v, want %v", tt.people, tt.size, sizes(s), tt.want)
		}
		seen := map[string]bool{}
		for _, g := range s.Groups {
			for _, m := range g.Members {
				if seen[m] || s.GroupOf(m) != g.ID {
					t.Fatalf("%s placed wrongly", m)
				}
				seen[m] = true
			}
		}
		if len(seen) != tt.people {
			t.Fatalf("%d of %d placed", len(seen), tt.people)
		}
	}
	// The same seed gives the same groups; another seed, others.
	a, b, c := sharedState(t, 12), sharedState(t, 12), sharedState(t, 12)
	a.formGroups(1, 3)
	b.formGroups(1, 3)
	c.formGroups(2, 3)
	if fmt.Sprint(a.Groups[0].Members) != fmt.Sprint(b.Groups[0].Members) {
		t.Fatal("same seed, different groups")
	}
	if fmt.Sprint(a.Groups[0].Members, a.Groups[1].Members) == fmt.Sprint(c.Groups[0].Members, c.Groups[1].Members) {
		t.Fatal("different seeds, same groups")
	}
}

func TestBreakoutFormsGroupsAndPlacesLateJoiners(t *testing.T) {
	s := sharedState(t, 7)
	ch, err := decideApply(t, s, staff, frame(wire.TypeNext, nil))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes(s)) != "[3 2 2]" || len(ch.You) != 7 || len(ch.Groups) != 3 {
		t.Fatalf("groups %v, you %d, group frames %d", sizes(s), len(ch.You), len(ch.Groups))
	}
	join(t, s, "late1")
	join(t, s, "late2")
	if fmt.Sprint(sizes(s)) != "[3 3 3]" || s.GroupOf("late1") != s.Groups[1].ID || s.GroupOf("late2") != s.Groups[2].ID {
		t.Fatalf("late joiners: %v", sizes(s))
	}
	// Everyone leaves a group but one: a group of one remains, the
	// facilitator can merge it.
	g := s.Groups[0]
	for _, m := range append([]string(nil), g.Members[1:]...) {
		decideApply(t, s, participant(m), frame(wire.TypeLeave, nil))
	}
	if len(s.Group(g.ID).Members) != 1 {
		t.Fatalf("group of one: %v", sizes(s))
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeMerge, map[string][]int{"groups": {s.Groups[1].ID, g.ID}})); err != nil {
		t.Fatal(err)
	}
	if s.Group(g.ID) != nil || len(s.Groups) != 2 {
		t.Fatalf("after merge: %v", sizes(s))
	}
	// The last member leaving empties and removes a group.
	last := append([]string(nil), s.Groups[1].Members...)
	for _, m := range last {
		decideApply(t, s, participant(m), frame(wire.TypeLeave, nil))
	}
	if len(s.Groups) != 1 {
		t.Fatalf("empty group kept: %v", sizes(s))
	}
	// Joining with no groups left during a breakout starts a new group.
	for _, m := range append([]string(nil), s.Groups[0].Members...) {
		decideApply(t, s, participant(m), frame(wire.TypeLeave, nil))
	}
	join(t, s, "alone")
	if len(s.Groups) != 1 || s.GroupOf("alone") == 0 {
		t.Fatalf("joiner with no groups: %v", sizes(s))
	}
}

func TestSharedTextKeepsEveryonesTyping(t *testing.T) {
	s := sharedState(t, 3)
	decideApply(t, s, staff, frame(wire.TypeNext, nil))
	members := s.Groups[0].Members
	// Three members type into their own entries, interleaved.
	for v := 1; v <= 5; v++ {
		for _, m := range members {
			text := strings.Repeat(m, v)
			if _, err := entry(t, s, m, fmt.Sprintf("%s-%d", m, v), map[string]any{"step": 1, "entry": "e1", "ver": v, "text": text}); err != nil {
				t.Fatal(err)
			}
		}
	}
	gt := s.CurrentState().Texts[s.Groups[0].ID]
	for _, m := range members {
		e := gt.entry(m + "-e1")
		if e == nil || e.Text != strings.Repeat(m, 5) || e.Author != m {
			t.Fatalf("entry of %s: %+v", m, e)
		}
	}
	// A late, older version does not overwrite the newer text.
	if _, err := entry(t, s, members[0], "old", map[string]any{"step": 1, "entry": "e1", "ver": 2, "text": "stale"}); err != nil {
		t.Fatal(err)
	}
	if gt.entry(members[0]+"-e1").Text != strings.Repeat(members[0], 5) {
		t.Fatal("an older edit overwrote a newer one")
	}
	// A retry of the same frame is a duplicate.
	ch, _ := entry(t, s, members[1], members[1]+"-5", map[string]any{"step": 1, "entry": "e1", "ver": 5, "text": "x"})
	if !ch.Ignored || !ch.Acks[0].Ack.Duplicate {
		t.Fatalf("retry: %+v", ch)
	}
	// The group frame shows authors to members; staff see no authors.
	gv := s.groupView(s.Groups[0])
	if len(gv.Entries) != 3 || gv.Entries[0].Author == "" {
		t.Fatalf("group view: %+v", gv)
	}
	for _, e := range s.groupsView().Groups[0].Entries {
		if e.Author != "" {
			t.Fatal("staff view attributes an entry")
		}
	}
	// Deleting one's own entry.
	entry(t, s, members[2], "del", map[string]any{"step": 1, "entry": "e1", "ver": 6, "delete": true})
	if len(gt.Entries) != 2 {
		t.Fatal("delete failed")
	}
	// Submit, then submit twice, then edit after submit.
	ch, err := submit(t, s, members[0], "s1", 1)
	if err != nil || len(ch.Items) != 1 {
		t.Fatalf("submit: %v %+v", err, ch)
	}
	it := s.ItemByID(ch.Items[0])
	if it.Kind != ItemGroup || it.Status != StatusPending || !strings.Contains(it.Text, strings.Repeat(members[0], 5)) || !strings.Contains(it.Text, "\n\n") {
		t.Fatalf("queue item: %+v", it)
	}
	if v := s.progressView(); v.Groups != 1 || v.Submitted != 1 {
		t.Fatalf("progress after submit: %+v", v)
	}
	if _, err := submit(t, s, members[1], "s2", 1); code(err) != wire.CodeNotOpen {
		t.Fatalf("second submit: %v", err)
	}
	if _, err := entry(t, s, members[1], "after", map[string]any{"step": 1, "entry": "e1", "ver": 9, "text": "late"}); code(err) != wire.CodeNotOpen {
		t.Fatalf("edit after submit: %v", err)
	}
}

func TestEntryRefusals(t *testing.T) {
	s := sharedState(t, 4)
	if _, err := entry(t, s, "p1", "x", map[string]any{"step": 0, "entry": "e", "ver": 1, "text": "x"}); code(err) != wire.CodeInvalid {
		t.Fatalf("entry on an info step: %v", err)
	}
	decideApply(t, s, staff, frame(wire.TypeNext, nil))
	for _, tt := range []struct {
		e    map[string]any
		want wire.Code
	}{
		{map[string]any{"step": 1, "entry": "", "ver": 1, "text": "x"}, wire.CodeInvalid},
		{map[string]any{"step": 1, "entry": "a b", "ver": 1, "text": "x"}, wire.CodeInvalid},
		{map[string]any{"step": 1, "entry": "e", "ver": 0, "text": "x"}, wire.CodeInvalid},
		{map[string]any{"step": 1, "entry": "e", "ver": 1, "text": strings.Repeat("x", 3001)}, wire.CodeTooLarge},
		{map[string]any{"step": 1, "entry": "e", "ver": 1, "text": "x", "who": "me"}, wire.CodeInvalid},
		{map[string]any{"step": 2, "entry": "e", "ver": 1, "text": "x"}, wire.CodeStale},
	} {
		if _, err := entry(t, s, "p1", "x", tt.e); code(err) != tt.want {
			t.Errorf("%v: want %s, got %v", tt.e, tt.want, err)
		}
	}
	if _, err := submit(t, s, "p1", "s", 1); code(err) != wire.CodeInvalid {
		t.Fatalf("empty submit: %v", err)
	}
	decideApply(t, s, staff, frame(wire.TypeClose, nil))
	if _, err := entry(t, s, "p1", "x", map[string]any{"step": 1, "entry": "e", "ver": 1, "text": "x"}); code(err) != wire.CodeNotOpen {
		t.Fatalf("entry on a closed step: %v", err)
	}
}

func TestRegroupMidStepKeepsTexts(t *testing.T) {
	s := sharedState(t, 6)
	decideApply(t, s, staff, frame(wire.TypeNext, nil))
	for _, pid := range s.activeIDs() {
		entry(t, s, pid, "f-"+pid, map[string]any{"step": 1, "entry": "e", "ver": 1, "text": "text of " + pid})
	}
	old := s.groupIDs()
	if _, err := decideApply(t, s, staff, frame(wire.TypeGroups, map[string]int{"size": 2})); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes(s)) != "[2 2 2]" {
		t.Fatalf("regroup: %v", sizes(s))
	}
	for _, id := range old {
		if s.Group(id) != nil {
			t.Fatal("group ids were reused")
		}
	}
	// Every entry followed its author.
	for _, pid := range s.activeIDs() {
		gt := s.CurrentState().Texts[s.GroupOf(pid)]
		if gt == nil || gt.entry(pid+"-e") == nil || gt.entry(pid+"-e").Text != "text of "+pid {
			t.Fatalf("entry of %s lost in regroup", pid)
		}
	}
	// Moving one person carries their entry.
	p := s.Groups[0].Members[0]
	if _, err := decideApply(t, s, staff, frame(wire.TypeMove, map[string]any{"participant": p, "group": s.Groups[1].ID})); err != nil {
		t.Fatal(err)
	}
	if s.CurrentState().Texts[s.Groups[1].ID].entry(p+"-e") == nil {
		t.Fatal("moved participant's entry did not follow")
	}
	// After a submit, re-forming is refused.
	submit(t, s, s.Groups[1].Members[0], "s", 1)
	if _, err := decideApply(t, s, staff, frame(wire.TypeGroups, nil)); code(err) != wire.CodeNotAllowed {
		t.Fatalf("regroup after submit: %v", err)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeMove, map[string]any{"participant": "nobody", "group": 1})); code(err) != wire.CodeInvalid {
		t.Fatalf("move unknown: %v", err)
	}
}

func TestTimerEndSubmitsWhatIsThere(t *testing.T) {
	s := sharedState(t, 6)
	decideApply(t, s, staff, frame(wire.TypeNext, nil))
	writer := s.Groups[0].Members[0]
	entry(t, s, writer, "f", map[string]any{"step": 1, "entry": "e", "ver": 1, "text": "draft"})
	decideApply(t, s, staff, frame(wire.TypeTimer, map[string]string{"action": "start"}))
	ch := mustApply(t, s, &Event{Type: EvTimerEnd, Timer: &TimerChange{Step: 1, Run: s.Timer.Run}})
	if len(ch.Items) != 1 || !s.CurrentState().Texts[s.Groups[0].ID].Submitted {
		t.Fatalf("timer end: %+v", ch)
	}
	// Groups with nothing written submit nothing.
	if s.CurrentState().Texts[s.Groups[1].ID] != nil && s.CurrentState().Texts[s.Groups[1].ID].Submitted {
		t.Fatal("empty group submitted")
	}
}

func TestModerationAndScreen(t *testing.T) {
	s := sharedState(t, 3)
	decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": 4}))
	var items []string
	for _, pid := range s.activeIDs() {
		ch, err := answer(t, s, pid, "o", map[string]any{"step": 4, "text": "<img src=x onerror=alert(1)> from " + pid})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, ch.Items...)
	}
	if len(items) != 3 || len(s.Items) != 3 {
		t.Fatalf("items %v", items)
	}
	// Nothing unapproved reaches the screen.
	if _, err := decideApply(t, s, staff, frame(wire.TypeShow, map[string]any{"items": []string{items[0]}})); code(err) != wire.CodeNotAllowed {
		t.Fatalf("show unapproved: %v", err)
	}
	decideApply(t, s, staff, frame(wire.TypeModerate, map[string]any{"item": items[0], "status": "approved"}))
	decideApply(t, s, staff, frame(wire.TypeModerate, map[string]any{"item": items[1], "status": "approved", "starred": true}))
	decideApply(t, s, staff, frame(wire.TypeModerate, map[string]any{"item": items[2], "status": "hidden"}))
	if _, err := decideApply(t, s, staff, frame(wire.TypeShow, map[string]any{"items": []string{items[0], items[1]}, "layout": "side-by-side"})); err != nil {
		t.Fatal(err)
	}
	if v := s.screenView(); len(v.Items) != 2 || v.Layout != "side-by-side" || v.Items[0].Status != "" {
		t.Fatalf("screen: %+v", v)
	}
	if !s.ItemByID(items[1]).Starred {
		t.Fatal("star lost")
	}
	// Editing an approved answer sends it back to moderation and off the screen.
	ch, _ := answer(t, s, s.activeIDs()[0], "o2", map[string]any{"step": 4, "text": "changed"})
	if ch.Parts&PartScreen == 0 || s.ItemByID(items[0]).Status != StatusPending || len(s.screenView().Items) != 1 {
		t.Fatalf("edited item stayed approved or shown: %+v", s.ItemByID(items[0]))
	}
	// Hiding a shown item takes it off the screen.
	decideApply(t, s, staff, frame(wire.TypeModerate, map[string]any{"item": items[1], "status": "hidden"}))
	if len(s.screenView().Items) != 0 {
		t.Fatal("hidden item still shown")
	}
	// A removed participant's texts are hidden.
	decideApply(t, s, staff, frame(wire.TypeModerate, map[string]any{"item": items[0], "status": "approved"}))
	decideApply(t, s, staff, frame(wire.TypeRemove, map[string]string{"participant": s.activeIDs()[0]}))
	if s.ItemByID(items[0]).Status != StatusHidden {
		t.Fatal("removed participant's text still approved")
	}
	for _, bad := range []map[string]any{
		{"items": []string{"i1", "i2", "i3", "i4", "i5"}},
		{"items": []string{}, "layout": "grid"},
		{"items": []string{"nope"}},
	} {
		if _, err := decideApply(t, s, staff, frame(wire.TypeShow, bad)); err == nil {
			t.Errorf("show %v accepted", bad)
		}
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeModerate, map[string]any{"item": items[0], "status": "burn"})); code(err) != wire.CodeInvalid {
		t.Fatalf("bad status: %v", err)
	}
	if _, err := decideApply(t, s, participant("p2"), frame(wire.TypeModerate, map[string]any{"item": items[0], "status": "approved"})); code(err) != wire.CodeNotAllowed {
		t.Fatalf("participant moderating: %v", err)
	}
}

func TestActionsAndCombine(t *testing.T) {
	s := sharedState(t, 6)
	decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": 3}))
	if len(s.Groups) != 2 {
		t.Fatalf("actions step formed %v", sizes(s))
	}
	var items []string
	for i, g := range s.Groups {
		m := g.Members[0]
		entry(t, s, m, "a", map[string]any{"step": 3, "entry": "a1", "ver": 1, "text": "Review the routine", "who": "Principal", "when": "1 March"})
		entry(t, s, m, "b", map[string]any{"step": 3, "entry": "a2", "ver": 1, "text": fmt.Sprintf("Measure %d", i)})
		ch, err := submit(t, s, m, "s", 3)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, ch.Items...)
	}
	if len(items) != 4 || len(s.Actions()) != 4 {
		t.Fatalf("actions %v", items)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeCombine, map[string]any{"into": items[0], "from": []string{items[2]}, "when": "1 April"})); err != nil {
		t.Fatal(err)
	}
	list := s.Actions()
	if len(list) != 3 || list[0].When != "1 April" || list[0].Who != "Principal" {
		t.Fatalf("action list %+v", list)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeCombine, map[string]any{"into": items[1], "from": []string{items[2]}})); code(err) != wire.CodeStale {
		t.Fatalf("combine twice: %v", err)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeCombine, map[string]any{"into": items[1], "from": []string{items[1]}})); code(err) != wire.CodeInvalid {
		t.Fatalf("combine with itself: %v", err)
	}
}
