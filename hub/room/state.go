package room

import (
	"encoding/json"
	"sort"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// DefaultMaxParticipants caps a room when its creator set no cap.
const DefaultMaxParticipants = 5000

// MaxJoins is how many joins a room takes over its life, counting those
// who left or were removed: twice its participant cap. It bounds
// everything the room keeps per participant (roster order, tokens, the
// de-duplication record), however often people join and leave.
func MaxJoins(maxParticipants int) int { return 2 * maxParticipants }

// MinBreakdown is the fewest answers for which any breakdown of a step's
// results is shown; below it screens and reports say only that too few
// answered, so that no one's answer can be inferred.
const MinBreakdown = 3

// State is everything the room log says about a room. Only Apply changes it.
type State struct {
	RoomID  string
	Code    string
	KeyHash string
	// PresenterKeyHash is the hash of the big screen's read-only key.
	PresenterKeyHash string
	Plan             *plan.Plan
	CreatedAt        int64
	ExpiresAt        int64
	MaxParticipants  int
	// ForgetAfterReport: the room was created to forget its texts once
	// its report is taken (Created.ForgetAfterReport).
	ForgetAfterReport bool
	// PlanRevision is the plan's saved version the room started from.
	PlanRevision int
	// Event and Name place the room in a conference event.
	Event string
	Name  string
	// LastAt is when the newest event happened (Unix ms): the room's last
	// sign of life.
	LastAt int64
	// Announcement is the organizer's latest announcement, if any.
	Announcement *Announcement
	// announced records every organizer announcement the room got, by id,
	// so that a retried announcement is not shown twice (see announce.go).
	announced map[string]*AnnounceMark

	// Seq counts the events applied: the room sequence every frame carries.
	Seq uint64
	// CtlSeq is the log position of the last control event; control appends
	// expect it, so that two commands decided on the same state cannot both
	// land.
	CtlSeq uint64

	Step   int
	Steps  []*StepState
	Timer  Timer
	Locked bool
	Ended  bool
	// Deleted is set when the room's data was deleted; nothing else is kept.
	Deleted bool
	// Forgotten is the report kept when everything else of the ended room
	// was forgotten (see EvForgotten); nil until then.
	Forgotten json.RawMessage
	// Signals are the participants' wishes to talk, in the order sent.
	Signals []*Signal

	screener Screener // set by the hub; not part of the log

	Participants map[string]*Participant
	// Order lists participant ids in join order, for deterministic output.
	Order []string
	// active counts the participants still in the room.
	active int
	// Groups are the current breakout groups, in formation order.
	Groups    []*Group
	groupOf   map[string]int // participant id -> group id
	nextGroup int

	// Items is the moderation queue in the order texts arrived.
	Items     []*Item
	itemByKey map[string]*Item
	itemByID  map[string]*Item
	nextItem  int
	// Pinned is a selection of items the facilitator pinned to the big
	// screen on every step (nil: none); see screen.go.
	Pinned *Screen
	// JoinPanel is the join panel's size as the facilitator chose it: ""
	// (JoinAuto), JoinLarge or JoinSmall.
	JoinPanel string

	tokens map[string]string // token hash -> participant id
	// seen records the room sequence of every submission by "pid/id", the
	// de-duplication record that outlives the log's duplicate window.
	seen map[string]uint64
}

// Participant is one phone's person. Nothing here identifies them beyond an
// optional nickname they chose.
type Participant struct {
	ID       string
	Nickname string
	// N is the join order, starting at 1.
	N       int
	Removed bool
	Left    bool
}

// Active reports whether the participant is still in the room.
func (p *Participant) Active() bool { return !p.Removed && !p.Left }

// StepState is the live state of one step of the plan.
type StepState struct {
	Open     bool
	Revealed bool
	// Answers maps participant id to their current answer.
	Answers map[string]*AnswerValue
	// Texts holds each group's shared text (breakout and actions steps).
	Texts map[int]*GroupText
	// Entered is set once the room has been on the step.
	Entered bool
	// Shown is what the facilitator put on the big screen on this step.
	Shown Screen
}

// Timer is the step timer. While Running, EndsAt is authoritative; while
// paused, Remaining is.
type Timer struct {
	Step      int
	Run       int
	Running   bool
	EndsAt    int64
	Remaining int64
	Duration  int64
	Expired   bool
}

// New returns the empty state of a room whose log has not begun.
func New() *State {
	return &State{
		Participants: map[string]*Participant{},
		tokens:       map[string]string{},
		seen:         map[string]uint64{},
		groupOf:      map[string]int{},
		itemByKey:    map[string]*Item{},
		itemByID:     map[string]*Item{},
		announced:    map[string]*AnnounceMark{},
	}
}

// Exists reports whether the room's created event has been applied.
func (s *State) Exists() bool { return s.Plan != nil }

// Current returns the plan step the room is on.
func (s *State) Current() *plan.Step { return &s.Plan.Steps[s.Step] }

// CurrentState returns the live state of the current step.
func (s *State) CurrentState() *StepState { return s.Steps[s.Step] }

// ParticipantByToken finds a participant by token hash.
func (s *State) ParticipantByToken(tokenHash string) (*Participant, bool) {
	id, ok := s.tokens[tokenHash]
	if !ok {
		return nil, false
	}
	return s.Participants[id], true
}

// ActiveCount is the number of participants still in the room.
func (s *State) ActiveCount() int { return s.active }

// SeenSubmission returns the room sequence at which a participant's
// submission id took effect, if it did.
func (s *State) SeenSubmission(pid, id string) (uint64, bool) {
	seq, ok := s.seen[pid+"/"+id]
	return seq, ok
}

// Takes reports whether a step kind collects individual answers.
func Takes(k plan.Kind) bool {
	switch k {
	case plan.KindPoll, plan.KindScale, plan.KindOpen, plan.KindWordcloud, plan.KindClosing:
		return true
	}
	return false
}

// answerers returns the ids of active participants who answered a step,
// in join order.
func (s *State) answerers(st *StepState) []string {
	ids := make([]string, 0, len(st.Answers))
	for id := range st.Answers {
		if p := s.Participants[id]; p != nil && p.Active() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return s.Participants[ids[i]].N < s.Participants[ids[j]].N })
	return ids
}

// eachAnswer calls fn for the answer of every active participant who
// answered, in no particular order.
func (s *State) eachAnswer(st *StepState, fn func(a *AnswerValue)) {
	for id, a := range st.Answers {
		if p := s.Participants[id]; p != nil && p.Active() {
			fn(a)
		}
	}
}

// answeredCount is len(answerers(st)), without listing and sorting them:
// progress and hidden results are redrawn often in big rooms.
func (s *State) answeredCount(st *StepState) int {
	n := 0
	for id := range st.Answers {
		if p := s.Participants[id]; p != nil && p.Active() {
			n++
		}
	}
	return n
}
