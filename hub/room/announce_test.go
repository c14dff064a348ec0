package room

import "testing"

// TestAnnounceOncePerID: an announcement is shown once per id, even when
// another came in between or the same id comes again much later (after
// the log's duplicate window); a move made for an announcement is
// remembered by its id.
func TestAnnounceOncePerID(t *testing.T) {
	s := testState(t)
	announce := func(id, text string) Changes {
		return mustApply(t, s, &Event{Type: EvAnnounce, At: 3000, Announce: &Announcement{ID: id, Text: text}})
	}
	if ch := announce("a1", "Plenum in 5"); ch.Ignored || ch.Parts&PartNotice == 0 {
		t.Fatalf("first announcement: %+v", ch)
	}
	first := logPos
	if ch := announce("a2", "Coffee"); ch.Ignored {
		t.Fatal("a second announcement was ignored")
	}
	if ch := announce("a1", "Plenum in 5"); !ch.Ignored {
		t.Fatalf("the first announcement again was applied: %+v", ch)
	}
	if s.Announcement.ID != "a2" || s.Announcement.Text != "Coffee" {
		t.Fatalf("latest announcement %+v, want a2", s.Announcement)
	}
	if m, ok := s.Announced("a1"); !ok || m.Pos != first || m.Text != "Plenum in 5" || m.Moved {
		t.Fatalf("mark of a1: %+v %v", m, ok)
	}
	if _, ok := s.Announced("a3"); ok {
		t.Fatal("a mark for an announcement never sent")
	}
	if ch := announce("", "no id"); !ch.Ignored {
		t.Fatal("an announcement without id was applied")
	}

	// A move for an announcement is remembered; a plain move is not.
	if ch := mustApply(t, s, &Event{Type: EvGoto, At: 4000, Goto: &Goto{From: 0, To: 1, Announce: "m1"}}); ch.Ignored {
		t.Fatal("move ignored")
	}
	if m, ok := s.Announced("m1"); !ok || !m.Moved || m.Pos != 0 {
		t.Fatalf("mark of m1: %+v %v", m, ok)
	}
	// The text of a move-and-text announcement may come after the move's
	// mark: it is still shown once.
	if ch := announce("m1", "Plenary"); ch.Ignored {
		t.Fatal("text after the move's mark was ignored")
	}
	if ch := announce("m1", "Plenary"); !ch.Ignored {
		t.Fatal("text shown twice")
	}
	// A stale move for an announcement does not mark it.
	mustApply(t, s, &Event{Type: EvGoto, At: 5000, Goto: &Goto{From: 0, To: 2, Announce: "m2"}})
	if _, ok := s.Announced("m2"); ok {
		t.Fatal("an ignored move marked its announcement")
	}
}
