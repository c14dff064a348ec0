package room

import (
	"encoding/json"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

const testPlan = `id: reducer-test
title: Reducer test
language: en
duration: 10m
audience: tests
description: tests
steps:
  - kind: info
    title: Start
    notes: secret notes
  - kind: poll
    title: Poll
    duration: 1m
    options: [A, B, C]
  - kind: poll
    title: Multi
    options: [A, B, C]
    multiple: true
  - kind: scale
    title: Scale
    min_label: low
    max_label: high
  - kind: open
    title: Open
    max_length: 20
  - kind: wordcloud
    title: Words
    max_words: 2
  - kind: closing
    title: Closing
    prompt: What do you take with you?
    follow_up: [Routines, Training]
`

func testState(t testing.TB) *State {
	t.Helper()
	p, err := plan.Parse("test.yaml", []byte(testPlan))
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	mustApply(t, s, &Event{Type: EvCreated, At: 1000, Created: &Created{Room: "r", Code: "ABCDEF", KeyHash: "h", Plan: p, ExpiresAt: 9e12}})
	return s
}

var logPos uint64

func mustApply(t testing.TB, s *State, ev *Event) Changes {
	t.Helper()
	// Events go through the log as JSON; apply what the log would deliver.
	data, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeEvent(data)
	if err != nil {
		t.Fatal(err)
	}
	logPos++
	return Apply(s, logPos, back)
}

func join(t *testing.T, s *State, pid string) {
	t.Helper()
	if ch := mustApply(t, s, &Event{Type: EvJoined, PID: pid, At: 2000, Joined: &Joined{TokenHash: "t-" + pid}}); ch.Ignored {
		t.Fatalf("join %s ignored", pid)
	}
}

func frame(typ string, data any) wire.In {
	b, _ := json.Marshal(data)
	return wire.In{Type: typ, ID: "id1", Data: b}
}

var staff = Actor{Role: wire.RoleFacilitator}

func decideApply(t *testing.T, s *State, who Actor, in wire.In) (Changes, error) {
	t.Helper()
	ev, err := Decide(s, who, in, 42)
	if err != nil {
		return Changes{}, err
	}
	ev.At = 5000
	return mustApply(t, s, ev), nil
}

func code(err error) wire.Code {
	if e, ok := err.(*wire.Error); ok {
		return e.Code
	}
	return ""
}

func TestCreatedStartsAtFirstStep(t *testing.T) {
	s := testState(t)
	if s.Step != 0 || len(s.Steps) != 7 || s.Seq != 1 || s.CtlSeq == 0 || s.MaxParticipants != DefaultMaxParticipants {
		t.Fatalf("bad initial state: step %d steps %d seq %d", s.Step, len(s.Steps), s.Seq)
	}
	// A second created event is ignored.
	if ch := mustApply(t, s, &Event{Type: EvCreated, Created: &Created{Room: "x", Plan: s.Plan}}); !ch.Ignored || s.RoomID != "r" {
		t.Fatal("second created event took effect")
	}
}

func TestStaffCommands(t *testing.T) {
	one, zero, five := 1, 0, 5
	tests := []struct {
		name     string
		setup    []wire.In
		who      Actor
		in       wire.In
		wantCode wire.Code
		check    func(*State) bool
	}{
		{name: "next", in: frame(wire.TypeNext, nil), check: func(s *State) bool { return s.Step == 1 && s.Steps[1].Open }},
		{name: "next from current", in: frame(wire.TypeNext, map[string]*int{"from": &zero}), check: func(s *State) bool { return s.Step == 1 }},
		{name: "next from stale step", in: frame(wire.TypeNext, map[string]*int{"from": &one}), wantCode: wire.CodeStale},
		{name: "back at first step", in: frame(wire.TypeBack, nil), wantCode: wire.CodeInvalid},
		{name: "back", setup: []wire.In{frame(wire.TypeNext, nil)}, in: frame(wire.TypeBack, nil), check: func(s *State) bool { return s.Step == 0 }},
		{name: "next past the end", setup: []wire.In{frame(wire.TypeGoto, map[string]int{"step": 6})}, in: frame(wire.TypeNext, nil), wantCode: wire.CodeInvalid},
		{name: "goto", in: frame(wire.TypeGoto, map[string]int{"step": 3}), check: func(s *State) bool { return s.Step == 3 }},
		{name: "goto missing step", in: frame(wire.TypeGoto, map[string]int{"step": 99}), wantCode: wire.CodeInvalid},
		{name: "goto negative", in: frame(wire.TypeGoto, map[string]int{"step": -1}), wantCode: wire.CodeInvalid},
		{name: "goto current", in: frame(wire.TypeGoto, map[string]int{"step": 0}), wantCode: wire.CodeStale},
		{name: "goto wrong type", in: frame(wire.TypeGoto, map[string]string{"step": "3"}), wantCode: wire.CodeInvalid},
		{name: "close", setup: []wire.In{frame(wire.TypeNext, nil)}, in: frame(wire.TypeClose, nil), check: func(s *State) bool { return !s.Steps[1].Open }},
		{name: "open again", setup: []wire.In{frame(wire.TypeNext, nil), frame(wire.TypeClose, nil)}, in: frame(wire.TypeOpen, nil), check: func(s *State) bool { return s.Steps[1].Open }},
		{name: "close an info step", in: frame(wire.TypeClose, nil), wantCode: wire.CodeInvalid},
		{name: "close a stale step", setup: []wire.In{frame(wire.TypeNext, nil)}, in: frame(wire.TypeClose, map[string]*int{"step": &five}), wantCode: wire.CodeStale},
		{name: "reveal", setup: []wire.In{frame(wire.TypeNext, nil)}, in: frame(wire.TypeReveal, nil), check: func(s *State) bool { return s.Steps[1].Revealed }},
		{name: "hide", setup: []wire.In{frame(wire.TypeNext, nil), frame(wire.TypeReveal, nil)}, in: frame(wire.TypeHide, nil), check: func(s *State) bool { return !s.Steps[1].Revealed }},
		{name: "timer start", setup: []wire.In{frame(wire.TypeNext, nil)}, in: frame(wire.TypeTimer, map[string]string{"action": "start"}),
			check: func(s *State) bool { return s.Timer.Running && s.Timer.EndsAt == 5000+60000 }},
		{name: "timer start twice", setup: []wire.In{frame(wire.TypeNext, nil), frame(wire.TypeTimer, map[string]string{"action": "start"})}, in: frame(wire.TypeTimer, map[string]string{"action": "start"}), wantCode: wire.CodeStale},
		{name: "timer start without duration", in: frame(wire.TypeTimer, map[string]string{"action": "start"}), wantCode: wire.CodeInvalid},
		{name: "timer pause", setup: []wire.In{frame(wire.TypeNext, nil), frame(wire.TypeTimer, map[string]string{"action": "start"})}, in: frame(wire.TypeTimer, map[string]string{"action": "pause"}),
			check: func(s *State) bool { return !s.Timer.Running && s.Timer.Remaining == 60000 }},
		{name: "timer pause when stopped", in: frame(wire.TypeTimer, map[string]string{"action": "pause"}), wantCode: wire.CodeStale},
		{name: "timer extend", setup: []wire.In{frame(wire.TypeNext, nil)}, in: frame(wire.TypeTimer, map[string]any{"action": "extend", "seconds": 60}),
			check: func(s *State) bool { return s.Timer.Remaining == 120000 && s.Timer.Duration == 120000 }},
		{name: "timer extend running", setup: []wire.In{frame(wire.TypeNext, nil), frame(wire.TypeTimer, map[string]string{"action": "start"})}, in: frame(wire.TypeTimer, map[string]any{"action": "extend", "seconds": 60}),
			check: func(s *State) bool { return s.Timer.EndsAt == 5000+120000 }},
		{name: "timer extend zero", in: frame(wire.TypeTimer, map[string]any{"action": "extend", "seconds": 0}), wantCode: wire.CodeInvalid},
		{name: "timer extend huge", in: frame(wire.TypeTimer, map[string]any{"action": "extend", "seconds": 1 << 30}), wantCode: wire.CodeInvalid},
		{name: "timer reset", in: frame(wire.TypeTimer, map[string]any{"action": "reset", "seconds": 30}), check: func(s *State) bool { return s.Timer.Remaining == 30000 }},
		{name: "timer bad action", in: frame(wire.TypeTimer, map[string]any{"action": "explode"}), wantCode: wire.CodeInvalid},
		{name: "lock", in: frame(wire.TypeLock, nil), check: func(s *State) bool { return s.Locked && s.JoinRefusal().Code == wire.CodeLocked }},
		{name: "unlock", setup: []wire.In{frame(wire.TypeLock, nil)}, in: frame(wire.TypeUnlock, nil), check: func(s *State) bool { return !s.Locked }},
		{name: "remove", in: frame(wire.TypeRemove, map[string]string{"participant": "p1"}), check: func(s *State) bool { return s.Participants["p1"].Removed && s.ActiveCount() == 1 }},
		{name: "remove unknown", in: frame(wire.TypeRemove, map[string]string{"participant": "nobody"}), wantCode: wire.CodeInvalid},
		{name: "remove twice", setup: []wire.In{frame(wire.TypeRemove, map[string]string{"participant": "p1"})}, in: frame(wire.TypeRemove, map[string]string{"participant": "p1"}), wantCode: wire.CodeStale},
		{name: "end", in: frame(wire.TypeEnd, nil), check: func(s *State) bool { return s.Ended && s.JoinRefusal().Code == wire.CodeEnded }},
		{name: "next after end", setup: []wire.In{frame(wire.TypeEnd, nil)}, in: frame(wire.TypeNext, nil), wantCode: wire.CodeEnded},
		{name: "participant sends next", who: Actor{Role: wire.RoleParticipant, PID: "p1"}, in: frame(wire.TypeNext, nil), wantCode: wire.CodeNotAllowed},
		{name: "presenter sends end", who: Actor{Role: wire.RolePresenter}, in: frame(wire.TypeEnd, nil), wantCode: wire.CodeNotAllowed},
		{name: "unknown type", in: frame("explode", nil), wantCode: wire.CodeUnknownType},
		{name: "unknown field", in: frame(wire.TypeNext, map[string]int{"form": 0}), wantCode: wire.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testState(t)
			join(t, s, "p1")
			join(t, s, "p2")
			for _, in := range tt.setup {
				if _, err := decideApply(t, s, staff, in); err != nil {
					t.Fatalf("setup %s: %v", in.Type, err)
				}
			}
			who := tt.who
			if who.Role == "" {
				who = staff
			}
			before := s.Seq
			_, err := decideApply(t, s, who, tt.in)
			if tt.wantCode != "" {
				if code(err) != tt.wantCode {
					t.Fatalf("want %s, got %v", tt.wantCode, err)
				}
				if s.Seq != before {
					t.Fatal("a refused command changed the state")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Fatalf("state after %s is wrong: step %d timer %+v", tt.in.Type, s.Step, s.Timer)
			}
		})
	}
}

func TestStaleGotoEventIsIgnored(t *testing.T) {
	s := testState(t)
	// Two facilitators decided "next from 0"; both events reach the log.
	ev1, _ := Decide(s, staff, frame(wire.TypeNext, nil), 1)
	ev2, _ := Decide(s, staff, frame(wire.TypeNext, nil), 1)
	mustApply(t, s, ev1)
	if ch := mustApply(t, s, ev2); !ch.Ignored || s.Step != 1 {
		t.Fatalf("second next applied: step %d", s.Step)
	}
}

func TestTimerEnd(t *testing.T) {
	s := testState(t)
	decideApply(t, s, staff, frame(wire.TypeNext, nil))
	decideApply(t, s, staff, frame(wire.TypeTimer, map[string]string{"action": "start"}))
	run := s.Timer.Run
	// An end for an older run is ignored.
	if ch := mustApply(t, s, &Event{Type: EvTimerEnd, Timer: &TimerChange{Step: 1, Run: run - 1}}); !ch.Ignored {
		t.Fatal("stale timer end applied")
	}
	mustApply(t, s, &Event{Type: EvTimerEnd, Timer: &TimerChange{Step: 1, Run: run}})
	if s.Timer.Running || !s.Timer.Expired || s.Timer.Remaining != 0 {
		t.Fatalf("timer did not end: %+v", s.Timer)
	}
	// A second end (from another instance) is ignored.
	if ch := mustApply(t, s, &Event{Type: EvTimerEnd, Timer: &TimerChange{Step: 1, Run: run}}); !ch.Ignored {
		t.Fatal("second timer end applied")
	}
}

func TestJoinRules(t *testing.T) {
	s := testState(t)
	join(t, s, "p1")
	// The same token again is a duplicate.
	if ch := mustApply(t, s, &Event{Type: EvJoined, PID: "p9", Joined: &Joined{TokenHash: "t-p1"}}); !ch.Ignored {
		t.Fatal("duplicate token joined twice")
	}
	if p, ok := s.ParticipantByToken("t-p1"); !ok || p.ID != "p1" {
		t.Fatal("token lookup failed")
	}
	s.MaxParticipants = 2
	join(t, s, "p2")
	if ch := mustApply(t, s, &Event{Type: EvJoined, PID: "p3", Joined: &Joined{TokenHash: "t-p3"}}); !ch.Ignored {
		t.Fatal("joined a full room")
	}
	if s.JoinRefusal().Code != wire.CodeFull {
		t.Fatal("full room not refused")
	}
	mustApply(t, s, &Event{Type: EvLeft, PID: "p2"})
	if s.JoinRefusal() != nil {
		t.Fatal("room still full after a participant left")
	}
	if _, err := Decide(s, Actor{Role: wire.RoleParticipant, PID: "p2"}, frame(wire.TypeLeave, nil), 1); code(err) != wire.CodeRemoved {
		t.Fatalf("a participant who left could act: %v", err)
	}
}

func answer(t *testing.T, s *State, pid, id string, a map[string]any) (Changes, error) {
	t.Helper()
	in := frame(wire.TypeAnswer, a)
	in.ID = id
	return decideApply(t, s, Actor{Role: wire.RoleParticipant, PID: pid}, in)
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name     string
		step     int
		answer   map[string]any
		wantCode wire.Code
	}{
		{"poll", 1, map[string]any{"step": 1, "choices": []int{0}}, ""},
		{"poll two choices", 1, map[string]any{"step": 1, "choices": []int{0, 1}}, wire.CodeInvalid},
		{"poll no choice", 1, map[string]any{"step": 1}, wire.CodeInvalid},
		{"poll bad option", 1, map[string]any{"step": 1, "choices": []int{3}}, wire.CodeInvalid},
		{"poll wrong step", 1, map[string]any{"step": 2, "choices": []int{0}}, wire.CodeStale},
		{"multi", 2, map[string]any{"step": 2, "choices": []int{0, 2}}, ""},
		{"multi repeated", 2, map[string]any{"step": 2, "choices": []int{1, 1}}, wire.CodeInvalid},
		{"scale", 3, map[string]any{"step": 3, "value": 5}, ""},
		{"scale out of range", 3, map[string]any{"step": 3, "value": 6}, wire.CodeInvalid},
		{"scale missing", 3, map[string]any{"step": 3}, wire.CodeInvalid},
		{"open", 4, map[string]any{"step": 4, "text": "  <script>x</script> "}, ""},
		{"open empty", 4, map[string]any{"step": 4, "text": "   "}, wire.CodeInvalid},
		{"open too long", 4, map[string]any{"step": 4, "text": "123456789012345678901"}, wire.CodeTooLarge},
		{"open bidi override", 4, map[string]any{"step": 4, "text": "abc\u202edef"}, wire.CodeInvalid},
		{"words", 5, map[string]any{"step": 5, "words": []string{" Trygghet ", "ANSVAR"}}, ""},
		{"too many words", 5, map[string]any{"step": 5, "words": []string{"a", "b", "c"}}, wire.CodeInvalid},
		{"zero-width word", 5, map[string]any{"step": 5, "words": []string{"a\u200bb"}}, wire.CodeInvalid},
		{"closing", 6, map[string]any{"step": 6, "text": "Talk to my leader", "follow_up": []int{0, 1}}, ""},
		{"closing bad follow-up", 6, map[string]any{"step": 6, "text": "x", "follow_up": []int{2}}, wire.CodeInvalid},
		{"info step", 0, map[string]any{"step": 0, "text": "x"}, wire.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testState(t)
			join(t, s, "p1")
			if tt.step > 0 {
				decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": tt.step}))
			}
			ch, err := answer(t, s, "p1", "a1", tt.answer)
			if tt.wantCode != "" {
				if code(err) != tt.wantCode {
					t.Fatalf("want %s, got %v", tt.wantCode, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Acks) != 1 || ch.Acks[0].Err != nil || ch.Acks[0].Ack.Seq != s.Seq {
				t.Fatalf("want an ack at seq %d, got %+v", s.Seq, ch.Acks)
			}
			if s.Steps[tt.step].Answers["p1"] == nil {
				t.Fatal("answer not stored")
			}
		})
	}
}

func TestAnswerEdgeCases(t *testing.T) {
	s := testState(t)
	for _, p := range []string{"p1", "p2", "p3"} {
		join(t, s, p)
	}
	decideApply(t, s, staff, frame(wire.TypeNext, nil))
	a := map[string]any{"step": 1, "choices": []int{0}}
	if _, err := answer(t, s, "p1", "a1", a); err != nil {
		t.Fatal(err)
	}
	// Changing the vote with a new id replaces it.
	if _, err := answer(t, s, "p1", "a2", map[string]any{"step": 1, "choices": []int{2}}); err != nil {
		t.Fatal(err)
	}
	if got := s.Steps[1].Answers["p1"].Choices[0]; got != 2 {
		t.Fatalf("changed vote not stored: %d", got)
	}
	// A retry of an old id long after the log's duplicate window: the
	// state's own record makes it a duplicate, with no effect.
	in := frame(wire.TypeAnswer, a)
	in.ID = "a1"
	ev := &Event{Type: EvAnswer, PID: "p1", ID: "a1", Answer: &AnswerValue{Step: 1, Choices: []int{0}}}
	ch := mustApply(t, s, ev)
	if !ch.Ignored || len(ch.Acks) != 1 || !ch.Acks[0].Ack.Duplicate || s.Steps[1].Answers["p1"].Choices[0] != 2 {
		t.Fatalf("retry beyond the window took effect: %+v", ch)
	}
	// Vote after close: refused on decide, and on apply if it raced.
	decideApply(t, s, staff, frame(wire.TypeClose, nil))
	if _, err := answer(t, s, "p2", "b1", a); code(err) != wire.CodeNotOpen {
		t.Fatalf("vote after close: %v", err)
	}
	raced := mustApply(t, s, &Event{Type: EvAnswer, PID: "p2", ID: "b1", Answer: &AnswerValue{Step: 1, Choices: []int{0}}})
	if !raced.Ignored || raced.Acks[0].Err == nil || raced.Acks[0].Err.Code != wire.CodeNotOpen {
		t.Fatalf("raced vote after close: %+v", raced)
	}
	// A removed participant's answer stops counting.
	decideApply(t, s, staff, frame(wire.TypeOpen, nil))
	answer(t, s, "p2", "b2", a)
	answer(t, s, "p3", "c1", a)
	if got := s.resultsView(true).Answered; got != 3 {
		t.Fatalf("want 3 answered, got %d", got)
	}
	decideApply(t, s, staff, frame(wire.TypeRemove, map[string]string{"participant": "p3"}))
	if v := s.resultsView(true); v.Answered != 2 || !v.TooFew || v.Counts != nil {
		t.Fatalf("after removal: %+v", v)
	}
}

func TestResultsPrivacyAndVisibility(t *testing.T) {
	s := testState(t)
	for _, p := range []string{"p1", "p2", "p3", "p4"} {
		join(t, s, p)
	}
	decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": 3}))
	answer(t, s, "p1", "x", map[string]any{"step": 3, "value": 1})
	answer(t, s, "p2", "x", map[string]any{"step": 3, "value": 4})
	if v := s.resultsView(true); !v.TooFew || v.Counts != nil || v.Median != nil {
		t.Fatalf("two answers must not be broken down: %+v", v)
	}
	answer(t, s, "p3", "x", map[string]any{"step": 3, "value": 5})
	if v := s.resultsView(false); !v.Hidden || v.Counts != nil {
		t.Fatalf("public results before reveal: %+v", v)
	}
	v := s.resultsView(true)
	if v.TooFew || v.Counts[0] != 1 || v.Counts[3] != 1 || v.Counts[4] != 1 || *v.Median != 4 {
		t.Fatalf("scale results: %+v", v)
	}
	decideApply(t, s, staff, frame(wire.TypeReveal, nil))
	if v := s.resultsView(false); v.Hidden || v.Counts == nil {
		t.Fatalf("public results after reveal: %+v", v)
	}
	// Word clouds normalise case and space.
	decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": 5}))
	answer(t, s, "p1", "w", map[string]any{"step": 5, "words": []string{"Trygg  het"}})
	answer(t, s, "p2", "w", map[string]any{"step": 5, "words": []string{"trygg het", "ansvar"}})
	answer(t, s, "p3", "w", map[string]any{"step": 5, "words": []string{"TRYGG HET"}})
	words := s.resultsView(true).Words
	if len(words) != 2 || words[0] != (WordCount{"trygg het", 3}) || words[1] != (WordCount{"ansvar", 1}) {
		t.Fatalf("words: %+v", words)
	}
}

func TestRenderAudiences(t *testing.T) {
	s := testState(t)
	join(t, s, "p1")
	for _, e := range Render(s, PartAll) {
		if e.Out.Type == wire.TypeStep {
			v := e.Out.Data.(StepView)
			if e.To&ToStaff == 0 && v.Content.Notes != "" {
				t.Fatal("notes rendered for a public audience")
			}
			if e.To&ToStaff != 0 && v.Content.Notes == "" {
				t.Fatal("notes missing for staff")
			}
		}
		if (e.Out.Type == wire.TypeRoster || e.Out.Type == wire.TypeProgress) && e.To != ToStaff {
			t.Fatalf("%s rendered for non-staff", e.Out.Type)
		}
	}
	if e := RenderRoster(s); e.To != ToStaff || e.PIDs != nil {
		t.Fatalf("the roster rendered for %v %v", e.To, e.PIDs)
	}
	snap := Snapshot(s, wire.RoleParticipant, "p1")
	if snap.Roster != nil || snap.Progress != nil || snap.You == nil || snap.Step.Content.Notes != "" {
		t.Fatalf("participant snapshot leaks or lacks: %+v", snap)
	}
}

func TestDeterministicReplay(t *testing.T) {
	// Two states fed the same log end up identical.
	build := func() *State {
		s := testState(t)
		for _, p := range []string{"a", "b", "c", "d"} {
			join(t, s, p)
		}
		decideApply(t, s, staff, frame(wire.TypeGoto, map[string]int{"step": 5}))
		for i, p := range []string{"a", "b", "c", "d"} {
			answer(t, s, p, "w", map[string]any{"step": 5, "words": []string{[]string{"x", "y"}[i%2]}})
		}
		return s
	}
	a, b := build(), build()
	ja, _ := json.Marshal(Snapshot(a, wire.RoleFacilitator, ""))
	jb, _ := json.Marshal(Snapshot(b, wire.RoleFacilitator, ""))
	if string(ja) != string(jb) {
		t.Fatalf("replays differ:\n%s\n%s", ja, jb)
	}
}

// A step whose timer is "auto" starts its countdown when the room enters
// it, at the entering event's time; a manual one waits.
func TestTimerAutoStartsOnEntering(t *testing.T) {
	p, err := plan.Parse("auto.yaml", []byte(`id: auto-timer
title: Auto timer
language: en
duration: 10m
steps:
  - kind: info
    title: Start
  - kind: breakout
    title: Talk
    duration: 2m
    timer: auto
    prompts: [What now?]
  - kind: poll
    title: Poll
    duration: 1m
    options: [A, B]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := New()
	mustApply(t, s, &Event{Type: EvCreated, At: 1000, Created: &Created{Room: "r", Code: "ABCDEF", KeyHash: "h", Plan: p, ExpiresAt: 9e12}})
	if _, err := decideApply(t, s, staff, frame(wire.TypeNext, nil)); err != nil {
		t.Fatal(err)
	}
	if tm := s.Timer; !tm.Running || tm.EndsAt != 5000+120000 || tm.Step != 1 {
		t.Fatalf("the auto timer on entering: %+v", tm)
	}
	if _, err := decideApply(t, s, staff, frame(wire.TypeNext, nil)); err != nil {
		t.Fatal(err)
	}
	if tm := s.Timer; tm.Running || tm.Remaining != 60000 {
		t.Fatalf("a manual timer after it: %+v", tm)
	}
}
