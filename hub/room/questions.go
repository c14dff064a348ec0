package room

import (
	"slices"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// The question box: when the plan opens it, participants ask anonymous
// questions at any step (queue items of kind ItemQuestion, moderated like
// every other text) and vote for the approved questions of others. No
// view ever names the author: the state keeps the author only to show
// them their own questions and to keep them from voting for them.

// ItemQuestion is a question from the question box.
const ItemQuestion = "question"

// Limits of the question box.
const (
	MaxQuestionLength          = 300
	MaxQuestionsPerParticipant = 10
	MaxQuestions               = 500
)

// Ask is a participant's question.
type Ask struct {
	Text string `json:"text"`
}

// Vote is a participant's vote for an approved question (Up) or the vote
// taken back.
type Vote struct {
	Question string `json:"question"`
	Up       bool   `json:"up"`
}

// QuestionsView is the question box as participants see it: the approved
// questions that are not hidden, with their votes.
type QuestionsView struct {
	Questions []PublicQuestion `json:"questions"`
}

// PublicQuestion is an approved question.
type PublicQuestion struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Votes    int    `json:"votes"`
	Answered bool   `json:"answered,omitempty"`
}

// OwnQuestion is a question as its author sees it, with its state.
type OwnQuestion struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Status   string `json:"status"`
	Votes    int    `json:"votes"`
	Answered bool   `json:"answered,omitempty"`
}

func (s *State) decideAsk(pid string, in wire.In) (*Event, error) {
	if in.ID == "" {
		return nil, wire.Errorf(wire.CodeInvalid, "a question needs an id, so that a retry is not asked twice")
	}
	var a Ask
	if err := wire.DecodeData(in, &a); err != nil {
		return nil, err
	}
	if err := s.checkAsk(pid, &a); err != nil {
		return nil, err
	}
	return &Event{Type: EvAsk, PID: pid, ID: in.ID, Ask: &a}, nil
}

// checkAsk validates a question and trims it; Decide and Apply both call it.
func (s *State) checkAsk(pid string, a *Ask) *wire.Error {
	if err := s.checkQuestionBox(pid); err != nil {
		return err
	}
	if err := checkRequiredText(&a.Text, MaxQuestionLength); err != nil {
		return err
	}
	mine, all := 0, 0
	for _, it := range s.Items {
		if it.Kind == ItemQuestion {
			all++
			if it.author == pid {
				mine++
			}
		}
	}
	if mine >= MaxQuestionsPerParticipant {
		return wire.Errorf(wire.CodeInvalid, "you have asked %d questions, the most one person may ask", MaxQuestionsPerParticipant)
	}
	if all >= MaxQuestions {
		return wire.Errorf(wire.CodeInvalid, "the question box is full (%d questions)", MaxQuestions)
	}
	return nil
}

func (s *State) checkQuestionBox(pid string) *wire.Error {
	if p := s.Participants[pid]; p == nil || !p.Active() {
		return wire.Errorf(wire.CodeRemoved, "you are no longer in this room")
	}
	if s.Ended {
		return wire.Errorf(wire.CodeEnded, "the room has ended")
	}
	if !s.Plan.Questions {
		return wire.Errorf(wire.CodeNotAllowed, "this session has no question box")
	}
	return nil
}

func (s *State) decideVote(pid string, in wire.In) (*Event, error) {
	if in.ID == "" {
		return nil, wire.Errorf(wire.CodeInvalid, "a vote needs an id, so that a retry is not counted twice")
	}
	var v Vote
	if err := wire.DecodeData(in, &v); err != nil {
		return nil, err
	}
	if err := s.checkVote(pid, &v); err != nil {
		return nil, err
	}
	if s.itemByID[v.Question].Votes[pid] == v.Up {
		return nil, ErrNoChange
	}
	return &Event{Type: EvVote, PID: pid, ID: in.ID, Vote: &v}, nil
}

// checkVote: a participant votes only for an approved question that is
// not their own. An unknown question and one not approved get the same
// answer, so that ids of questions not shown cannot be probed.
func (s *State) checkVote(pid string, v *Vote) *wire.Error {
	if err := s.checkQuestionBox(pid); err != nil {
		return err
	}
	it := s.itemByID[v.Question]
	if it == nil || it.Kind != ItemQuestion || it.Status != StatusApproved {
		return wire.Errorf(wire.CodeInvalid, "no approved question %q", truncate(v.Question, 16))
	}
	if it.author == pid {
		return wire.Errorf(wire.CodeNotAllowed, "you cannot vote for your own question")
	}
	return nil
}

func (s *State) applyAsk(ev *Event) Changes {
	if ev.Ask == nil || ev.PID == "" || ev.ID == "" {
		return Changes{Ignored: true}
	}
	if dup, ch := s.duplicate(ev); dup {
		return ch
	}
	a := *ev.Ask
	if err := s.checkAsk(ev.PID, &a); err != nil {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: err}}}
	}
	s.markSeen(ev)
	it, _ := s.upsertItem(itemKey("q", s.Step, ev.PID+"/"+ev.ID), s.Step, ItemQuestion, 0)
	it.Text, it.author, it.Votes = a.Text, ev.PID, map[string]bool{}
	return Changes{
		Acks:  []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: s.Seq}}},
		You:   []string{ev.PID},
		Items: []string{it.ID},
	}
}

func (s *State) applyVote(ev *Event) Changes {
	if ev.Vote == nil || ev.PID == "" || ev.ID == "" {
		return Changes{Ignored: true}
	}
	if dup, ch := s.duplicate(ev); dup {
		return ch
	}
	v := *ev.Vote
	if err := s.checkVote(ev.PID, &v); err != nil {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: err}}}
	}
	s.markSeen(ev)
	it := s.itemByID[v.Question]
	ch := Changes{Acks: []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: s.Seq}}}}
	if it.Votes[ev.PID] == v.Up {
		return ch // a second vote the same way counts once
	}
	if v.Up {
		it.Votes[ev.PID] = true
	} else {
		delete(it.Votes, ev.PID)
	}
	ch.Parts, ch.You, ch.Items = PartQuestions, []string{ev.PID, it.author}, []string{it.ID}
	return ch
}

// questionChanged is what a moderation of a question changes besides its
// queue item: the public list, and the author's view of it.
func (s *State) questionChanged(it *Item, ch *Changes) {
	if it.Kind != ItemQuestion {
		return
	}
	ch.Parts |= PartQuestions
	if it.author != "" {
		ch.You = append(ch.You, it.author)
	}
}

// questionsView is the public question box: approved questions, in the
// order they were asked.
func (s *State) questionsView() QuestionsView {
	v := QuestionsView{Questions: []PublicQuestion{}}
	for _, it := range s.Items {
		if it.Kind == ItemQuestion && it.Status == StatusApproved && !s.Unresolved(it) {
			v.Questions = append(v.Questions, PublicQuestion{ID: it.ID, Text: it.Text, Votes: s.votesOf(it), Answered: it.Answered})
		}
	}
	return v
}

// votesOf counts the votes of participants still in the room.
func (s *State) votesOf(it *Item) int {
	n := 0
	for pid := range it.Votes {
		if p := s.Participants[pid]; p != nil && p.Active() {
			n++
		}
	}
	return n
}

// ownQuestions are a participant's questions and the approved questions
// they voted for.
func (s *State) ownQuestions(pid string) (own []OwnQuestion, voted []string) {
	for _, it := range s.Items {
		if it.Kind != ItemQuestion {
			continue
		}
		if it.author == pid {
			own = append(own, OwnQuestion{ID: it.ID, Text: it.Text, Status: it.Status, Votes: s.votesOf(it), Answered: it.Answered})
		}
		if it.Votes[pid] {
			voted = append(voted, it.ID)
		}
	}
	slices.Sort(voted)
	return own, voted
}

// QuestionItem is a question for the report: its text, status and votes.
type QuestionItem struct {
	Text     string
	Status   string
	Votes    int
	Answered bool
	// Unresolved: personal data is left in it (see State.Unresolved).
	Unresolved bool
}

// QuestionItems lists the question box's questions, without their askers.
func (s *State) QuestionItems() []QuestionItem {
	var out []QuestionItem
	for _, it := range s.Items {
		if it.Kind == ItemQuestion {
			out = append(out, QuestionItem{Text: it.Text, Status: it.Status, Votes: s.votesOf(it), Answered: it.Answered, Unresolved: s.Unresolved(it)})
		}
	}
	return out
}

// QuestionAskers counts the people still in the room who asked questions.
func (s *State) QuestionAskers() int {
	seen := map[string]bool{}
	for _, it := range s.Items {
		if p := s.Participants[it.author]; it.Kind == ItemQuestion && p != nil && p.Active() {
			seen[it.author] = true
		}
	}
	return len(seen)
}
