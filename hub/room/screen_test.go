package room

import (
	"errors"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// openItems brings the room to the open step and has three people answer
// it; it returns the three queue items, approved.
func openItems(t *testing.T, s *State) []string {
	t.Helper()
	for _, p := range []string{"p1", "p2", "p3"} {
		join(t, s, p)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": 4})); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, p := range []string{"p1", "p2", "p3"} {
		if _, err := decideApply(t, s, Actor{Role: wire.RoleParticipant, PID: p}, wire.In{Type: wire.TypeAnswer, ID: "a", Data: []byte(`{"step":4,"text":"answer ` + string(rune('a'+i)) + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, it := range s.Items {
		ids = append(ids, it.ID)
		if _, err := decideApply(t, s, staff, frame(wire.TypeModerate, map[string]string{"item": it.ID, "status": "approved"})); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func onScreen(s *State) []string {
	var ids []string
	for _, it := range s.screenView().Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// The big screen's rule: what was shown by hand belongs to its step and
// leaves with it, comes back with it, and a pin stays on every step.
func TestScreenBelongsToItsStep(t *testing.T) {
	s := testState(t)
	ids := openItems(t, s)
	goTo := func(i int) Changes {
		t.Helper()
		ch, err := decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": i}))
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeShow, map[string]any{"items": ids[:2], "layout": "side-by-side"})); err != nil {
		t.Fatal(err)
	}
	if got := onScreen(s); len(got) != 2 {
		t.Fatalf("shown on the step: %v", got)
	}
	if ch := goTo(5); ch.Parts&PartScreen == 0 || len(onScreen(s)) != 0 {
		t.Fatalf("moving on left %v on the big screen (screen redrawn: %v)", onScreen(s), ch.Parts&PartScreen != 0)
	}
	goTo(4)
	if got := onScreen(s); len(got) != 2 || s.screenView().Layout != "side-by-side" || s.screenView().Step != 4 {
		t.Fatalf("coming back to the step shows %v (%+v)", got, s.screenView())
	}

	// A pin stays on every step, and replaces the step's own selection.
	if _, err := decideApply(t, s, staff, frame(wire.TypeShow, map[string]any{"items": ids[2:], "pin": true})); err != nil {
		t.Fatal(err)
	}
	goTo(6)
	if v := s.screenView(); !v.Pinned || v.Step != 4 || len(v.Items) != 1 || v.Items[0].ID != ids[2] {
		t.Fatalf("the pin on another step: %+v", v)
	}
	// An item that is no longer approved leaves the pin and every step.
	if _, err := decideApply(t, s, staff, frame(wire.TypeModerate, map[string]string{"item": ids[2], "status": "hidden"})); err != nil {
		t.Fatal(err)
	}
	if v := s.screenView(); v.Pinned || len(v.Items) != 0 || s.Pinned != nil {
		t.Fatalf("a hidden pinned item stays: %+v", v)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeModerate, map[string]string{"item": ids[0], "status": "pending"})); err != nil {
		t.Fatal(err)
	}
	goTo(4)
	if got := onScreen(s); len(got) != 1 || got[0] != ids[1] {
		t.Fatalf("step 4 shows %v after an item was sent back to pending", got)
	}
	// Clearing the step's selection, and a show that changes nothing.
	if _, err := Decide(s, staff, frame(wire.TypeShow, map[string]any{"items": []string{ids[1]}, "layout": "side-by-side"}), 1); !errors.Is(err, ErrNoChange) {
		t.Fatalf("showing what is shown: %v", err)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeShow, map[string]any{"items": []string{}})); err != nil {
		t.Fatal(err)
	}
	if len(onScreen(s)) != 0 {
		t.Fatal("clearing left items")
	}
	// After the end nothing is on the big screen.
	if _, err := decideApply(t, s, staff, frame(wire.TypeShow, map[string]any{"items": []string{ids[1]}, "pin": true})); err != nil {
		t.Fatal(err)
	}
	if ch, err := decideApply(t, s, staff, frame(wire.TypeEnd, nil)); err != nil || ch.Parts&PartScreen == 0 {
		t.Fatalf("end: %v, screen redrawn %v", err, ch.Parts&PartScreen != 0)
	}
	if len(onScreen(s)) != 0 {
		t.Fatalf("after the end the big screen shows %v", onScreen(s))
	}
}

// The join panel is large until someone joins, then a corner strip,
// unless the facilitator chose; the screen is redrawn when it changes.
func TestJoinPanelSize(t *testing.T) {
	s := testState(t)
	if got := s.screenView().Join; got != JoinLarge {
		t.Fatalf("empty room: %s", got)
	}
	if ch := mustApply(t, s, &Event{Type: EvJoined, PID: "p1", At: 2000, Joined: &Joined{TokenHash: "t1"}}); ch.Parts&PartScreen == 0 {
		t.Fatal("the first join did not redraw the screen")
	}
	if got := s.screenView().Join; got != JoinSmall {
		t.Fatalf("after a join: %s", got)
	}
	if ch, err := decideApply(t, s, staff, frame(wire.TypeJoinPanel, map[string]string{"size": "large"})); err != nil || ch.Parts&PartScreen == 0 {
		t.Fatalf("bring it back: %v", err)
	}
	if got := s.screenView().Join; got != JoinLarge {
		t.Fatalf("brought back: %s", got)
	}
	if _, err := Decide(s, staff, frame(wire.TypeJoinPanel, map[string]string{"size": "large"}), 1); !errors.Is(err, ErrNoChange) {
		t.Fatalf("the same size again: %v", err)
	}
	if _, err := Decide(s, staff, frame(wire.TypeJoinPanel, map[string]string{"size": "huge"}), 1); code(err) != wire.CodeInvalid {
		t.Fatalf("a size that does not exist: %v", err)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeJoinPanel, map[string]string{"size": "auto"})); err != nil {
		t.Fatal(err)
	}
	if got := s.screenView().Join; got != JoinSmall {
		t.Fatalf("auto with someone in the room: %s", got)
	}
}
