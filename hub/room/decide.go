package room

import (
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Actor is who sent a frame: a facilitator (PID empty) or a participant.
type Actor struct {
	Role string
	PID  string
}

// Staff reports whether the actor may run the room.
func (a Actor) Staff() bool { return a.Role == wire.RoleFacilitator }

// Command payloads, as clients send them in a frame's data.
type (
	stepRef struct {
		// From is the step the sender was looking at; if the room has moved
		// on, the command is refused as stale instead of acting twice.
		From *int `json:"from"`
	}
	gotoCmd struct {
		Step int  `json:"step"`
		From *int `json:"from"`
	}
	stepCmd struct {
		Step *int `json:"step"`
	}
	timerCmd struct {
		Action  string `json:"action"`
		Seconds int    `json:"seconds"`
	}
	removeCmd struct {
		Participant string `json:"participant"`
	}
)

// ErrNoChange is what Decide returns for a command that would change
// nothing (locking a locked room, opening an open step, approving an
// approved item): no event is appended, and the command is acknowledged
// at the room's current sequence.
var ErrNoChange = errors.New("the command changes nothing")

// MaxExtendSeconds bounds one timer extension or reset.
const MaxExtendSeconds = 2 * 60 * 60

// Decide checks a client frame against the state and returns the event to
// append. seed is fresh randomness from the caller, used where an event
// needs a shuffle (forming groups); the event carries it so that every
// instance applies the same shuffle. The event's At is left for the caller
// to set. A refusal is a *wire.Error.
func Decide(s *State, who Actor, in wire.In, seed uint64) (*Event, error) {
	if !s.Exists() {
		return nil, wire.Errorf(wire.CodeNotFound, "the room does not exist")
	}
	if staffOnly(in.Type) {
		if !who.Staff() {
			return nil, wire.Errorf(wire.CodeNotAllowed, "only a facilitator may send %s", in.Type)
		}
		if s.Ended {
			return nil, wire.Errorf(wire.CodeEnded, "the room has ended")
		}
		return s.decideStaff(in, seed)
	}
	switch in.Type {
	case wire.TypeAnswer, wire.TypeLeave, wire.TypeEntry, wire.TypeSubmit, wire.TypeAsk, wire.TypeVote, wire.TypeTalk:
		if who.Role != wire.RoleParticipant {
			return nil, wire.Errorf(wire.CodeNotAllowed, "only a participant may send %s", in.Type)
		}
		if p := s.Participants[who.PID]; p == nil || !p.Active() {
			return nil, wire.Errorf(wire.CodeRemoved, "you are no longer in this room")
		}
		switch in.Type {
		case wire.TypeLeave:
			if err := wire.NoData(in); err != nil {
				return nil, err
			}
			return &Event{Type: EvLeft, PID: who.PID}, nil
		case wire.TypeEntry:
			return s.decideEntry(who.PID, in)
		case wire.TypeSubmit:
			return s.decideSubmit(who.PID, in)
		case wire.TypeAsk:
			return s.decideAsk(who.PID, in)
		case wire.TypeVote:
			return s.decideVote(who.PID, in)
		case wire.TypeTalk:
			return s.decideTalk(who.PID, in, seed)
		}
		return s.decideAnswer(who.PID, in)
	}
	return nil, wire.Errorf(wire.CodeUnknownType, "unknown message type %q", truncate(in.Type, 32))
}

func staffOnly(t string) bool {
	switch t {
	case wire.TypeNext, wire.TypeBack, wire.TypeGoto, wire.TypeOpen, wire.TypeClose,
		wire.TypeReveal, wire.TypeHide, wire.TypeTimer, wire.TypeLock, wire.TypeUnlock,
		wire.TypeRemove, wire.TypeEnd, wire.TypeGroups, wire.TypeMove, wire.TypeMerge,
		wire.TypeModerate, wire.TypeShow, wire.TypeCombine, wire.TypeJoinPanel, wire.TypeHandled:
		return true
	}
	return false
}

func (s *State) decideStaff(in wire.In, seed uint64) (*Event, error) {
	switch in.Type {
	case wire.TypeNext, wire.TypeBack:
		var c stepRef
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		to := s.Step + 1
		if in.Type == wire.TypeBack {
			to = s.Step - 1
		}
		return s.decideGoto(c.From, to, seed)
	case wire.TypeGoto:
		var c gotoCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		return s.decideGoto(c.From, c.Step, seed)
	case wire.TypeOpen, wire.TypeClose, wire.TypeReveal, wire.TypeHide:
		var c stepCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		if c.Step != nil && *c.Step != s.Step {
			return nil, wire.Errorf(wire.CodeStale, "the room is on step %d, not %d", s.Step, *c.Step)
		}
		kind := s.Current().Kind
		openClose := in.Type == wire.TypeOpen || in.Type == wire.TypeClose
		if !Takes(kind) && !(openClose && Shared(kind)) {
			return nil, wire.Errorf(wire.CodeInvalid, "a %s step has nothing to %s", kind, in.Type)
		}
		t := &Toggle{Step: s.Step, On: in.Type == wire.TypeOpen || in.Type == wire.TypeReveal}
		st := s.CurrentState()
		if in.Type == wire.TypeOpen || in.Type == wire.TypeClose {
			if st.Open == t.On {
				return nil, ErrNoChange
			}
			return &Event{Type: EvInput, Input: t}, nil
		}
		if st.Revealed == t.On {
			return nil, ErrNoChange
		}
		return &Event{Type: EvReveal, Reveal: t}, nil
	case wire.TypeTimer:
		return s.decideTimer(in)
	case wire.TypeLock, wire.TypeUnlock:
		if err := wire.NoData(in); err != nil {
			return nil, err
		}
		if s.Locked == (in.Type == wire.TypeLock) {
			return nil, ErrNoChange
		}
		return &Event{Type: EvLock, Lock: &Toggle{On: in.Type == wire.TypeLock}}, nil
	case wire.TypeRemove:
		var c removeCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		p := s.Participants[c.Participant]
		if p == nil {
			return nil, wire.Errorf(wire.CodeInvalid, "no participant with that id in this room")
		}
		if !p.Active() {
			return nil, wire.Errorf(wire.CodeStale, "the participant has already left")
		}
		return &Event{Type: EvRemoved, Removed: &Removed{PID: p.ID}}, nil
	case wire.TypeEnd:
		if err := wire.NoData(in); err != nil {
			return nil, err
		}
		return &Event{Type: EvEnded}, nil
	case wire.TypeGroups, wire.TypeMove, wire.TypeMerge:
		return s.decideGroups(in, seed)
	case wire.TypeModerate, wire.TypeShow, wire.TypeCombine:
		return s.decideQueue(in)
	case wire.TypeJoinPanel:
		return s.decideJoinPanel(in)
	case wire.TypeHandled:
		return s.decideHandled(in)
	}
	return nil, wire.Errorf(wire.CodeUnknownType, "unknown message type %q", in.Type)
}

func (s *State) decideGoto(from *int, to int, seed uint64) (*Event, error) {
	if from != nil && *from != s.Step {
		return nil, wire.Errorf(wire.CodeStale, "the room is on step %d, not %d", s.Step, *from)
	}
	if to < 0 || to >= len(s.Steps) {
		return nil, wire.Errorf(wire.CodeInvalid, "step %d does not exist; the plan has steps 0 to %d", to, len(s.Steps)-1)
	}
	if to == s.Step {
		return nil, wire.Errorf(wire.CodeStale, "the room is already on step %d", to)
	}
	return &Event{Type: EvGoto, Goto: &Goto{From: s.Step, To: to, Seed: seed}}, nil
}

func (s *State) decideTimer(in wire.In) (*Event, error) {
	var c timerCmd
	if err := wire.DecodeData(in, &c); err != nil {
		return nil, err
	}
	tm := s.Timer
	switch c.Action {
	case TimerStart:
		if tm.Running {
			return nil, wire.Errorf(wire.CodeStale, "the timer is already running")
		}
		if tm.Remaining <= 0 {
			return nil, wire.Errorf(wire.CodeInvalid, "the timer has no time left; extend or reset it first")
		}
	case TimerPause:
		if !tm.Running {
			return nil, wire.Errorf(wire.CodeStale, "the timer is not running")
		}
	case TimerExtend, TimerReset:
		if c.Seconds < 0 || c.Seconds > MaxExtendSeconds || (c.Action == TimerExtend && c.Seconds == 0) {
			return nil, wire.Errorf(wire.CodeInvalid, "seconds must be between 1 and %d", MaxExtendSeconds)
		}
		if c.Action == TimerReset && c.Seconds == 0 && s.Current().Duration == 0 {
			return nil, wire.Errorf(wire.CodeInvalid, "the step has no duration; give seconds")
		}
	default:
		return nil, wire.Errorf(wire.CodeInvalid, "action must be start, pause, extend or reset")
	}
	return &Event{Type: EvTimer, Timer: &TimerChange{Step: s.Step, Action: c.Action, Seconds: c.Seconds}}, nil
}

func (s *State) decideAnswer(pid string, in wire.In) (*Event, error) {
	if in.ID == "" {
		return nil, wire.Errorf(wire.CodeInvalid, "an answer needs an id, so that a retry is not counted twice")
	}
	var a AnswerValue
	if err := wire.DecodeData(in, &a); err != nil {
		return nil, err
	}
	if err := s.CheckAnswer(pid, &a); err != nil {
		return nil, err
	}
	return &Event{Type: EvAnswer, PID: pid, ID: in.ID, Answer: &a}, nil
}

// CheckAnswer validates an answer against the step it names and normalises
// it in place (trimmed text, lower-cased words). Decide and Apply both call
// it, so an answer that raced with the step closing is refused either way.
func (s *State) CheckAnswer(pid string, a *AnswerValue) *wire.Error {
	if p := s.Participants[pid]; p == nil || !p.Active() {
		return wire.Errorf(wire.CodeRemoved, "you are no longer in this room")
	}
	if s.Ended {
		return wire.Errorf(wire.CodeEnded, "the room has ended")
	}
	if a.Step != s.Step {
		return wire.Errorf(wire.CodeStale, "the room is on step %d, not %d", s.Step, a.Step)
	}
	step := s.Current()
	if !Takes(step.Kind) {
		return wire.Errorf(wire.CodeInvalid, "this step (%s) takes no answers", step.Kind)
	}
	if !s.Steps[a.Step].Open {
		return wire.Errorf(wire.CodeNotOpen, "this step is closed for answers")
	}
	switch step.Kind {
	case plan.KindPoll:
		return checkChoices(a.Choices, len(step.Options), step.Multiple, "choices")
	case plan.KindScale:
		if a.Value == nil || *a.Value < step.ScaleMin || *a.Value > step.ScaleMax {
			return wire.Errorf(wire.CodeInvalid, "value must be a whole number from %d to %d", step.ScaleMin, step.ScaleMax)
		}
	case plan.KindOpen:
		return checkRequiredText(&a.Text, step.MaxLength)
	case plan.KindWordcloud:
		return checkWords(a, step.MaxWords, step.MaxWordLength)
	case plan.KindClosing:
		if err := checkRequiredText(&a.Text, step.MaxLength); err != nil {
			return err
		}
		if len(a.FollowUp) > 0 {
			return checkChoices(a.FollowUp, len(step.FollowUp), true, "follow_up")
		}
	}
	return nil
}

func checkChoices(choices []int, options int, multiple bool, field string) *wire.Error {
	if len(choices) == 0 {
		return wire.Errorf(wire.CodeInvalid, "%s must name at least one option", field)
	}
	if !multiple && len(choices) > 1 {
		return wire.Errorf(wire.CodeInvalid, "this poll takes one choice")
	}
	for i, c := range choices {
		if c < 0 || c >= options {
			return wire.Errorf(wire.CodeInvalid, "%s: option %d does not exist", field, c)
		}
		if slices.Contains(choices[:i], c) {
			return wire.Errorf(wire.CodeInvalid, "%s: option %d is named twice", field, c)
		}
	}
	return nil
}

func checkRequiredText(text *string, maxLen int) *wire.Error {
	t, err := wire.CheckText(strings.TrimSpace(*text), maxLen)
	if err != nil {
		return wire.AsError(err)
	}
	if t == "" {
		return wire.Errorf(wire.CodeInvalid, "text must not be empty")
	}
	*text = t
	return nil
}

func checkWords(a *AnswerValue, maxWords, maxLen int) *wire.Error {
	if len(a.Words) == 0 || len(a.Words) > maxWords {
		return wire.Errorf(wire.CodeInvalid, "give between 1 and %d words", maxWords)
	}
	for i, w := range a.Words {
		w = NormaliseWord(w)
		if w == "" {
			return wire.Errorf(wire.CodeInvalid, "words must not be empty")
		}
		if utf8.RuneCountInString(w) > maxLen {
			return wire.Errorf(wire.CodeTooLarge, "a word may have at most %d characters", maxLen)
		}
		if _, err := wire.CheckName(w, maxLen); err != nil {
			return wire.AsError(err)
		}
		a.Words[i] = w
	}
	return nil
}

// NormaliseWord folds case and collapses inner white space, so that
// "Trygghet ", "trygghet" and "TRYGGHET" count as one word.
func NormaliseWord(w string) string {
	return strings.ToLower(strings.Join(strings.Fields(w), " "))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

type (
	groupsCmd struct {
		Size int `json:"size"`
	}
	moveCmd struct {
		Participant string `json:"participant"`
		Group       int    `json:"group"`
	}
	mergeCmd struct {
		Groups []int `json:"groups"`
	}
	moderateCmd struct {
		Item     string `json:"item"`
		Status   string `json:"status"`
		Starred  *bool  `json:"starred"`
		Answered *bool  `json:"answered"`
		Redact   bool   `json:"redact"`
		Override *bool  `json:"override"`
	}
)

func (s *State) decideGroups(in wire.In, seed uint64) (*Event, error) {
	switch in.Type {
	case wire.TypeGroups:
		var c groupsCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		if c.Size == 0 {
			c.Size = groupSize(s.Current())
		}
		if c.Size < 2 || c.Size > 5 {
			return nil, wire.Errorf(wire.CodeInvalid, "size must be from 2 to 5")
		}
		if s.anySubmitted() {
			return nil, wire.Errorf(wire.CodeNotAllowed, "a group has already submitted in this step; move people one by one instead")
		}
		return &Event{Type: EvGroups, Groups: &GroupsChange{Size: c.Size, Seed: seed}}, nil
	case wire.TypeMove:
		var c moveCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		p := s.Participants[c.Participant]
		if p == nil || !p.Active() {
			return nil, wire.Errorf(wire.CodeInvalid, "no participant with that id in this room")
		}
		if c.Group != 0 && s.Group(c.Group) == nil {
			return nil, wire.Errorf(wire.CodeInvalid, "no group %d", c.Group)
		}
		if c.Group == s.groupOf[c.Participant] {
			return nil, wire.Errorf(wire.CodeStale, "the participant is already in that group")
		}
		return &Event{Type: EvMove, Move: &MoveChange{PID: c.Participant, Group: c.Group}}, nil
	default:
		var c mergeCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		if len(c.Groups) < 2 || len(c.Groups) > 10 {
			return nil, wire.Errorf(wire.CodeInvalid, "groups must list 2 to 10 groups; the first receives the others")
		}
		for i, g := range c.Groups {
			if s.Group(g) == nil {
				return nil, wire.Errorf(wire.CodeInvalid, "no group %d", g)
			}
			if slices.Contains(c.Groups[:i], g) {
				return nil, wire.Errorf(wire.CodeInvalid, "group %d is listed twice", g)
			}
		}
		return &Event{Type: EvMerge, Merge: &MergeChange{Groups: c.Groups}}, nil
	}
}

func (s *State) decideQueue(in wire.In) (*Event, error) {
	switch in.Type {
	case wire.TypeModerate:
		var c moderateCmd
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		if s.itemByID[c.Item] == nil {
			return nil, wire.Errorf(wire.CodeInvalid, "no queue item %q", truncate(c.Item, 16))
		}
		switch c.Status {
		case "", StatusPending, StatusApproved, StatusHidden:
		default:
			return nil, wire.Errorf(wire.CodeInvalid, "status must be pending, approved or hidden")
		}
		it := s.itemByID[c.Item]
		if c.Redact {
			r, err := s.decideRedact(it)
			if err != nil {
				return nil, err
			}
			return &Event{Type: EvModerate, Moderate: &ModerateChange{Item: c.Item, Redact: r}}, nil
		}
		if c.Override != nil {
			if *c.Override == it.Override {
				return nil, ErrNoChange
			}
			return &Event{Type: EvModerate, Moderate: &ModerateChange{Item: c.Item, Override: c.Override}}, nil
		}
		if c.Status == "" && c.Starred == nil && c.Answered == nil {
			return nil, wire.Errorf(wire.CodeInvalid, "give a status, starred, answered, redact or override")
		}
		if c.Answered != nil && it.Kind != ItemQuestion {
			return nil, wire.Errorf(wire.CodeInvalid, "only a question can be marked answered")
		}
		if (c.Status == "" || c.Status == it.Status) && (c.Starred == nil || *c.Starred == it.Starred) && (c.Answered == nil || *c.Answered == it.Answered) {
			return nil, ErrNoChange
		}
		return &Event{Type: EvModerate, Moderate: &ModerateChange{Item: c.Item, Status: c.Status, Starred: c.Starred, Answered: c.Answered}}, nil
	case wire.TypeShow:
		var c ShowChange
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		if err := s.CheckShow(&c); err != nil {
			return nil, err
		}
		if err := s.checkShowScreening(c.Items); err != nil {
			return nil, err
		}
		if !s.showChanges(&c) {
			return nil, ErrNoChange
		}
		return &Event{Type: EvShow, Show: &c}, nil
	default:
		var c CombineChange
		if err := wire.DecodeData(in, &c); err != nil {
			return nil, err
		}
		if err := s.CheckCombine(&c); err != nil {
			return nil, err
		}
		return &Event{Type: EvCombine, Combine: &c}, nil
	}
}

func (s *State) decideEntry(pid string, in wire.In) (*Event, error) {
	if in.ID == "" {
		return nil, wire.Errorf(wire.CodeInvalid, "an entry needs an id, so that a retry is not applied twice")
	}
	var e EntryChange
	if err := wire.DecodeData(in, &e); err != nil {
		return nil, err
	}
	if err := s.CheckEntry(pid, &e); err != nil {
		return nil, err
	}
	return &Event{Type: EvEntry, PID: pid, ID: in.ID, Entry: &e}, nil
}

func (s *State) decideSubmit(pid string, in wire.In) (*Event, error) {
	if in.ID == "" {
		return nil, wire.Errorf(wire.CodeInvalid, "a submit needs an id, so that a retry is not applied twice")
	}
	var c SubmitChange
	if err := wire.DecodeData(in, &c); err != nil {
		return nil, err
	}
	if err := s.checkShared(pid, c.Step); err != nil {
		return nil, err
	}
	if t := s.CurrentState().Texts[s.groupOf[pid]]; t == nil || t.empty() {
		return nil, wire.Errorf(wire.CodeInvalid, "write something before submitting")
	}
	return &Event{Type: EvSubmit, PID: pid, ID: in.ID, Submit: &c}, nil
}
