package room

import (
	"slices"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Part names one piece of what screens show. Apply reports which parts an
// event changed; Render draws them for each audience.
type Part uint16

// Parts of the room's screens.
const (
	PartRoom      Part = 1 << iota // status and counts
	PartStep                       // the current step and its open/revealed state
	PartTimer                      // the step timer
	PartResults                    // tallies of the current step
	PartProgress                   // how many answered (staff)
	PartRoster                     // who is in the room (staff; see RosterLog)
	PartGroups                     // every group and its draft (staff)
	PartScreen                     // what the big screen shows
	PartNotice                     // the organizer's announcement
	PartQuestions                  // the approved questions and their votes (participants)
	PartAll       = PartRoom | PartStep | PartTimer | PartResults | PartProgress | PartRoster | PartGroups | PartScreen | PartNotice | PartQuestions
)

// Coalesced are the parts that high-rate input (joins, votes, typing)
// changes; the hub redraws them a few times a second instead of once per
// event.
const Coalesced = PartRoom | PartResults | PartProgress | PartRoster | PartGroups | PartQuestions

// Changes is what one event did.
type Changes struct {
	Parts Part
	// Acks answer the participant submissions the event carried.
	Acks []Reply
	// You lists participants whose own view (identity, answer) changed.
	You []string
	// Joined lists participants who joined the room.
	Joined []string
	// Removed lists participants taken out of the room (removed, or left).
	Removed []string
	// Groups lists groups whose members or text changed; their members get
	// the group's frame.
	Groups []int
	// Items lists queue items that are new or changed.
	Items []string
	// Signals lists talk signals that are new or changed (staff only).
	Signals []string
	// Ignored is true when the event changed nothing (stale or duplicate).
	Ignored bool
	// Deleted is true when the room's data was deleted.
	Deleted bool
	// Forgotten is true when everything but the approved report was
	// forgotten: the state was rebuilt, and what screens were sent before
	// must not be sent again.
	Forgotten bool
}

// Reply is the answer to one participant submission: an ack or an error.
type Reply struct {
	PID string
	ID  string
	Ack wire.Ack
	Err *wire.Error
}

// Apply folds one event into the state. logSeq is the event's position in
// the log, kept for control appends. Apply never fails: an event that is no
// longer legal on this state is counted and ignored, and a participant
// submission refused here is answered with an error.
func Apply(s *State, logSeq uint64, ev *Event) Changes {
	s.Seq++
	if Control(ev.Type) {
		s.CtlSeq = logSeq
	}
	if s.Deleted && ev.Type != EvDeleted {
		// Nothing comes back after a deletion: input decided just before
		// it, or a stray creation, is purged from the log and ignored here.
		return Changes{Ignored: true}
	}
	if ev.Type == EvDeleted {
		// Forget everything; keep only the counters that order the log.
		seq, ctl, scr := s.Seq, s.CtlSeq, s.screener
		*s = *New()
		s.Seq, s.CtlSeq, s.Deleted, s.screener = seq, ctl, true, scr
		return Changes{Deleted: true}
	}
	if ev.Type == EvForgotten {
		return s.applyForgotten(ev)
	}
	if ev.Type == EvBatch {
		return s.applyBatch(logSeq, ev.Batch)
	}
	return s.apply(logSeq, ev)
}

// applyBatch applies the events of a batch in order, as one step of the
// log: they share its sequence. Events that may not travel in a batch are
// skipped, as every instance skips them.
func (s *State) applyBatch(logSeq uint64, events []*Event) Changes {
	all := Changes{Ignored: true}
	for _, ev := range events {
		if ev == nil || !Batchable(ev.Type) {
			continue
		}
		all.merge(s.apply(logSeq, ev))
	}
	return all
}

// merge adds what another event of the same batch did.
func (c *Changes) merge(o Changes) {
	c.Parts |= o.Parts
	c.Acks = append(c.Acks, o.Acks...)
	c.You = append(c.You, o.You...)
	c.Joined = append(c.Joined, o.Joined...)
	c.Removed = append(c.Removed, o.Removed...)
	for _, g := range o.Groups {
		if !slices.Contains(c.Groups, g) {
			c.Groups = append(c.Groups, g)
		}
	}
	for _, it := range o.Items {
		if !slices.Contains(c.Items, it) {
			c.Items = append(c.Items, it)
		}
	}
	for _, sg := range o.Signals {
		if !slices.Contains(c.Signals, sg) {
			c.Signals = append(c.Signals, sg)
		}
	}
	c.Ignored = c.Ignored && o.Ignored
}

// apply folds one event that is not a batch or a deletion.
func (s *State) apply(logSeq uint64, ev *Event) Changes {
	if ev.Type != EvCreated && !s.Exists() {
		return Changes{Ignored: true}
	}
	if ev.At > s.LastAt {
		s.LastAt = ev.At
	}
	switch ev.Type {
	case EvCreated:
		return s.applyCreated(ev)
	case EvJoined:
		return s.applyJoined(ev)
	case EvLeft:
		return s.applyLeft(ev.PID, false)
	case EvRemoved:
		if ev.Removed == nil {
			return Changes{Ignored: true}
		}
		return s.applyLeft(ev.Removed.PID, true)
	case EvGoto:
		return s.applyGoto(ev)
	case EvInput:
		return s.applyToggle(ev.Input, func(st *StepState, on bool) { st.Open = on })
	case EvReveal:
		return s.applyToggle(ev.Reveal, func(st *StepState, on bool) { st.Revealed = on })
	case EvTimer:
		return s.applyTimer(ev)
	case EvTimerEnd:
		return s.applyTimerEnd(ev)
	case EvLock:
		if ev.Lock == nil || s.Ended {
			return Changes{Ignored: true}
		}
		s.Locked = ev.Lock.On
		return Changes{Parts: PartRoom}
	case EvEnded:
		if s.Ended {
			return Changes{Ignored: true}
		}
		s.Ended = true
		s.Locked = true
		s.stopTimer(ev.At)
		for _, st := range s.Steps {
			st.Open = false
		}
		return Changes{Parts: PartRoom | PartStep | PartTimer | PartScreen}
	case EvAnswer:
		return s.applyAnswer(ev)
	case EvAsk:
		return s.applyAsk(ev)
	case EvVote:
		return s.applyVote(ev)
	case EvTalk:
		return s.applyTalk(ev)
	case EvHandled:
		return s.applyHandled(ev)
	case EvGroups:
		return s.applyGroups(ev)
	case EvMove:
		return s.applyMove(ev)
	case EvMerge:
		return s.applyMerge(ev)
	case EvEntry:
		return s.applyEntry(ev)
	case EvSubmit:
		return s.applySubmit(ev)
	case EvModerate:
		return s.applyModerate(ev)
	case EvShow:
		return s.applyShow(ev)
	case EvCombine:
		return s.applyCombine(ev)
	case EvAnnounce:
		return s.applyAnnounce(logSeq, ev)
	case EvJoinPanel:
		return s.applyJoinPanel(ev)
	}
	return Changes{Ignored: true}
}

func (s *State) applyCreated(ev *Event) Changes {
	c := ev.Created
	if s.Exists() || c == nil || c.Plan == nil || len(c.Plan.Steps) == 0 {
		return Changes{Ignored: true}
	}
	s.RoomID, s.Code, s.KeyHash, s.PresenterKeyHash = c.Room, c.Code, c.KeyHash, c.PresenterKeyHash
	s.Plan = c.Plan
	s.CreatedAt, s.ExpiresAt = ev.At, c.ExpiresAt
	s.MaxParticipants, s.ForgetAfterReport, s.PlanRevision = c.MaxParticipants, c.ForgetAfterReport, c.PlanRevision
	s.Event, s.Name, s.LastAt = c.Event, c.Name, ev.At
	if s.MaxParticipants <= 0 {
		s.MaxParticipants = DefaultMaxParticipants
	}
	s.Steps = make([]*StepState, len(c.Plan.Steps))
	for i := range s.Steps {
		s.Steps[i] = &StepState{Answers: map[string]*AnswerValue{}, Texts: map[int]*GroupText{}}
	}
	s.enterStep(0, 0, ev.At)
	return Changes{Parts: PartAll}
}

// JoinRefusal says why a new participant cannot join now, or nil.
func (s *State) JoinRefusal() *wire.Error {
	switch {
	case s.Ended:
		return wire.Errorf(wire.CodeEnded, "the room has ended")
	case s.Locked:
		return wire.Errorf(wire.CodeLocked, "the facilitator has locked the room")
	case s.ActiveCount() >= s.MaxParticipants:
		return wire.Errorf(wire.CodeFull, "the room is full")
	case len(s.Order) >= MaxJoins(s.MaxParticipants):
		return wire.Errorf(wire.CodeFull, "the room has taken as many joins as it can")
	}
	return nil
}

func (s *State) applyJoined(ev *Event) Changes {
	j := ev.Joined
	if j == nil || ev.PID == "" || j.TokenHash == "" {
		return Changes{Ignored: true}
	}
	if _, dup := s.tokens[j.TokenHash]; dup {
		return Changes{Ignored: true}
	}
	if _, taken := s.Participants[ev.PID]; taken || s.JoinRefusal() != nil {
		return Changes{Ignored: true}
	}
	s.Participants[ev.PID] = &Participant{ID: ev.PID, Nickname: j.Nickname, N: len(s.Order) + 1}
	s.Order = append(s.Order, ev.PID)
	s.tokens[j.TokenHash] = ev.PID
	s.active++
	ch := Changes{Parts: PartRoom | PartRoster | PartProgress, You: []string{ev.PID}, Joined: []string{ev.PID}}
	if s.active == 1 && s.JoinPanel == "" {
		ch.Parts |= PartScreen // the join panel moves to its corner
	}
	if len(s.Groups) > 0 || Shared(s.Current().Kind) {
		ch.Groups = []int{s.placeLateJoiner(ev.PID)}
		ch.Parts |= PartGroups
	}
	return ch
}

func (s *State) applyLeft(pid string, removed bool) Changes {
	p := s.Participants[pid]
	if p == nil || !p.Active() {
		return Changes{Ignored: true}
	}
	s.active--
	ch := Changes{Parts: PartRoom | PartRoster | PartProgress | PartResults, Removed: []string{pid}}
	if s.active == 0 && s.JoinPanel == "" {
		ch.Parts |= PartScreen // the join panel comes back
	}
	if removed {
		p.Removed = true
		items, screen := s.hideAuthorItems(pid)
		ch.Items = items
		if screen {
			ch.Parts |= PartScreen
		}
	} else {
		p.Left = true
	}
	if gid := s.dropFromGroup(pid); gid != 0 {
		ch.Parts |= PartGroups
		if s.Group(gid) != nil {
			ch.Groups = []int{gid}
		}
	}
	return ch
}

func (s *State) applyGoto(ev *Event) Changes {
	g := ev.Goto
	if g == nil || s.Ended || g.From != s.Step || g.To < 0 || g.To >= len(s.Steps) || g.To == g.From {
		return Changes{Ignored: true}
	}
	wasShared := Shared(s.Current().Kind)
	formed := s.enterStep(g.To, g.Seed, ev.At)
	if g.Announce != "" {
		s.markAnnounce(g.Announce).Moved = true
	}
	ch := Changes{Parts: PartStep | PartTimer | PartResults | PartProgress | PartScreen}
	if wasShared || Shared(s.Current().Kind) {
		ch.Parts |= PartGroups
		ch.Groups = s.groupIDs()
	}
	if formed {
		ch.You = s.activeIDs()
	}
	return ch
}

// enterStep makes step i current: its timer is set to the step's duration
// and not running; a step that takes input is opened the first time it is
// entered; a breakout or actions step forms groups if there are none. It
// reports whether it formed groups.
func (s *State) enterStep(i int, seed uint64, at int64) bool {
	s.Step = i
	step := &s.Plan.Steps[i]
	d := step.Duration
	s.Timer = Timer{Step: i, Run: s.Timer.Run, Duration: msOf(d), Remaining: msOf(d)}
	if step.Timer == plan.TimerAuto && d > 0 {
		// Started by the event that entered the step, at its time, so that
		// every instance agrees on when it ends.
		s.Timer.Run++
		s.Timer.Running, s.Timer.EndsAt = true, at+s.Timer.Remaining
	}
	st := s.Steps[i]
	if !st.Entered && (Takes(step.Kind) || Shared(step.Kind)) {
		st.Open = true
	}
	st.Entered = true
	if Shared(step.Kind) && len(s.Groups) == 0 {
		s.formGroups(seed, groupSize(step))
		return true
	}
	return false
}

func msOf(d plan.Duration) int64 { return int64(d) / 1e6 }

func (s *State) applyToggle(t *Toggle, set func(*StepState, bool)) Changes {
	if t == nil || s.Ended || t.Step != s.Step {
		return Changes{Ignored: true}
	}
	set(s.Steps[t.Step], t.On)
	return Changes{Parts: PartStep | PartResults}
}

func (s *State) applyTimer(ev *Event) Changes {
	t := ev.Timer
	if t == nil || s.Ended || t.Step != s.Step {
		return Changes{Ignored: true}
	}
	tm := &s.Timer
	switch t.Action {
	case TimerStart:
		if tm.Running || tm.Remaining <= 0 {
			return Changes{Ignored: true}
		}
		tm.Run++
		tm.Running, tm.Expired = true, false
		tm.EndsAt = ev.At + tm.Remaining
	case TimerPause:
		if !tm.Running {
			return Changes{Ignored: true}
		}
		s.stopTimer(ev.At)
	case TimerExtend:
		if t.Seconds <= 0 {
			return Changes{Ignored: true}
		}
		add := int64(t.Seconds) * 1000
		tm.Duration += add
		tm.Expired = false
		if tm.Running {
			tm.EndsAt += add
		} else {
			tm.Remaining += add
		}
	case TimerReset:
		d := int64(t.Seconds) * 1000
		if d <= 0 {
			d = msOf(s.Plan.Steps[s.Step].Duration)
		}
		tm.Running, tm.Expired = false, false
		tm.Duration, tm.Remaining, tm.EndsAt = d, d, 0
	default:
		return Changes{Ignored: true}
	}
	return Changes{Parts: PartTimer}
}

func (s *State) stopTimer(at int64) {
	tm := &s.Timer
	if !tm.Running {
		return
	}
	tm.Running = false
	tm.Remaining = max(tm.EndsAt-at, 0)
	tm.EndsAt = 0
}

func (s *State) applyTimerEnd(ev *Event) Changes {
	t := ev.Timer
	tm := &s.Timer
	if t == nil || !tm.Running || t.Step != s.Step || t.Run != tm.Run {
		return Changes{Ignored: true}
	}
	tm.Running, tm.Expired = false, true
	tm.Remaining, tm.EndsAt = 0, 0
	ch := Changes{Parts: PartTimer}
	if Shared(s.Current().Kind) {
		sub := s.autoSubmit()
		ch.Parts |= sub.Parts
		ch.Groups, ch.Items = sub.Groups, sub.Items
	}
	return ch
}

func (s *State) applyAnswer(ev *Event) Changes {
	a := ev.Answer
	if a == nil || ev.PID == "" || ev.ID == "" {
		return Changes{Ignored: true}
	}
	if dup, ch := s.duplicate(ev); dup {
		return ch
	}
	if err := s.CheckAnswer(ev.PID, a); err != nil {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: err}}}
	}
	s.markSeen(ev)
	old := s.Steps[a.Step].Answers[ev.PID]
	s.Steps[a.Step].Answers[ev.PID] = a
	ch := Changes{
		Parts: PartResults | PartProgress,
		Acks:  []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: s.Seq}}},
		You:   []string{ev.PID},
	}
	if kind := s.Current().Kind; (kind == plan.KindOpen || kind == plan.KindClosing) && (old == nil || old.Text != a.Text) {
		itemKind := ItemOpen
		if kind == plan.KindClosing {
			itemKind = ItemClosing
		}
		it, unshown := s.upsertItem(itemKey("o", a.Step, ev.PID), a.Step, itemKind, 0)
		it.Text = a.Text
		ch.Items = []string{it.ID}
		if unshown {
			ch.Parts |= PartScreen
		}
	}
	return ch
}
