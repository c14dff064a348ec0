// Package room is a room as a deterministic state machine. Decide turns a
// client's request into an Event after checking it against the state; Apply
// folds an Event from the room log into the State and says which parts of
// every screen changed; Render turns those changes into frames for each
// audience. Nothing here does I/O, reads the clock or draws random numbers:
// every instance that applies the same log reaches the same state.
package room

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// Event types, as stored in the room log.
const (
	EvCreated   = "created"
	EvJoined    = "joined"
	EvLeft      = "left"
	EvRemoved   = "removed"
	EvGoto      = "goto"
	EvInput     = "input"  // open or close the current step for input
	EvReveal    = "reveal" // show or hide results
	EvTimer     = "timer"
	EvTimerEnd  = "timer_end"
	EvLock      = "lock"
	EvEnded     = "ended"
	EvAnswer    = "answer"
	EvGroups    = "groups"     // form or re-form breakout groups
	EvMove      = "move"       // move one participant to another group
	EvMerge     = "merge"      // merge groups into the first
	EvEntry     = "entry"      // add, edit or delete an entry of a group's shared text
	EvSubmit    = "submit"     // a group submits its shared text
	EvModerate  = "moderate"   // approve, hide or star a queue item
	EvShow      = "show"       // choose what the big screen shows
	EvCombine   = "combine"    // merge duplicate actions into one
	EvDeleted   = "deleted"    // the room's data was deleted; a tombstone without content
	EvAnnounce  = "announce"   // the organizer's announcement to every room of an event
	EvBatch     = "batch"      // participant input that arrived together, applied in order (see Batchable)
	EvJoinPanel = "join_panel" // the size of the big screen's join panel
	EvForgotten = "forgotten"  // everything but the approved report was forgotten; the room restarts from this event
	EvAsk       = "ask"        // a participant asks a question in the question box
	EvVote      = "vote"       // a participant votes for a question, or takes the vote back
	EvTalk      = "talk"       // a participant would like to talk with the facilitator
	EvHandled   = "handled"    // the facilitator marks a talk signal handled
)

// Event is one entry of the room log. Exactly one payload field matching
// Type is set; the rest are nil.
type Event struct {
	Type string `json:"t"`
	// At is the wall-clock time (Unix milliseconds) at which the appending
	// instance accepted the event. Timers are computed from it, never from
	// the local clock, so every instance agrees.
	At int64 `json:"at"`
	// PID is the participant who caused the event, if any.
	PID string `json:"p,omitempty"`
	// ID is the client-chosen id of a submission, for de-duplication.
	ID string `json:"id,omitempty"`

	Created   *Created         `json:"created,omitempty"`
	Joined    *Joined          `json:"joined,omitempty"`
	Removed   *Removed         `json:"removed,omitempty"`
	Goto      *Goto            `json:"goto,omitempty"`
	Input     *Toggle          `json:"input,omitempty"`
	Reveal    *Toggle          `json:"reveal,omitempty"`
	Timer     *TimerChange     `json:"timer,omitempty"`
	Lock      *Toggle          `json:"lock,omitempty"`
	Answer    *AnswerValue     `json:"answer,omitempty"`
	Groups    *GroupsChange    `json:"groups,omitempty"`
	Move      *MoveChange      `json:"move,omitempty"`
	Merge     *MergeChange     `json:"merge,omitempty"`
	Entry     *EntryChange     `json:"entry,omitempty"`
	Submit    *SubmitChange    `json:"submit,omitempty"`
	Moderate  *ModerateChange  `json:"moderate,omitempty"`
	Show      *ShowChange      `json:"show,omitempty"`
	Combine   *CombineChange   `json:"combine,omitempty"`
	JoinPanel *JoinPanelChange `json:"join_panel,omitempty"`
	Announce  *Announcement    `json:"announce,omitempty"`
	Forgotten *Forgotten       `json:"forgotten,omitempty"`
	Ask       *Ask             `json:"ask,omitempty"`
	Vote      *Vote            `json:"vote,omitempty"`
	Talk      *Talk            `json:"talk,omitempty"`
	Handled   *HandledChange   `json:"handled,omitempty"`
	// Batch holds the events of an EvBatch, in the order they apply.
	Batch []*Event `json:"batch,omitempty"`
}

// Announcement is a message from the organizer of an event, shown on
// every phone and big screen of the event's rooms. ID is the same in every
// room, so a repeated send is recognised.
type Announcement struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	At   int64  `json:"at,omitempty"`
}

// Forgotten replaces an ended room's whole history: what it was made
// from, the step it ended on and the report of what was approved. It is
// the only event left in the room's log after the rest is purged, so it
// carries all a room needs to be opened again.
type Forgotten struct {
	Created   *Created `json:"created"`
	CreatedAt int64    `json:"created_at"`
	Step      int      `json:"step"`
	// Report is the room's report as it was when the rest was forgotten:
	// approved texts only, in the form of GET /api/rooms/{room}/report?format=json.
	Report json.RawMessage `json:"report"`
}

// GroupsChange forms groups of Size from the active participants, shuffled
// by Seed. Seed is drawn by the deciding instance, so every instance that
// applies the event forms the same groups.
type GroupsChange struct {
	Size int    `json:"size"`
	Seed uint64 `json:"seed"`
}

// MoveChange moves a participant to a group; Group 0 starts a new group.
type MoveChange struct {
	PID   string `json:"pid"`
	Group int    `json:"group"`
}

// MergeChange merges the listed groups into the first of them.
type MergeChange struct {
	Groups []int `json:"groups"`
}

// EntryChange adds or edits (or with Delete, removes) one of the sender's
// own entries in their group's shared text for Step. Ver increases with
// every edit of the entry; an older version arriving late is ignored.
type EntryChange struct {
	Step   int    `json:"step"`
	ID     string `json:"entry"`
	Ver    int    `json:"ver"`
	Text   string `json:"text,omitempty"`
	Who    string `json:"who,omitempty"`
	When   string `json:"when,omitempty"`
	Delete bool   `json:"delete,omitempty"`
}

// SubmitChange submits the sender's group's shared text of Step.
type SubmitChange struct {
	Step int `json:"step"`
}

// ModerateChange sets a queue item's status and/or star.
type ModerateChange struct {
	Item    string `json:"item"`
	Status  string `json:"status,omitempty"`
	Starred *bool  `json:"starred,omitempty"`
	// Answered marks a question answered (or not).
	Answered *bool `json:"answered,omitempty"`
	// Redact replaces the item's text with its redacted version; Override
	// lets personal data through.
	Redact   *RedactChange `json:"redact,omitempty"`
	Override *bool         `json:"override,omitempty"`
}

// CombineChange merges duplicate actions into Into, optionally rewording it.
type CombineChange struct {
	Into string   `json:"into"`
	From []string `json:"from"`
	What string   `json:"what,omitempty"`
	Who  string   `json:"who,omitempty"`
	When string   `json:"when,omitempty"`
}

// Created starts a room's log.
type Created struct {
	Room    string `json:"room"`
	Code    string `json:"code"`
	KeyHash string `json:"key_hash"`
	// PresenterKeyHash is the hash of the big screen's read-only key (see
	// hub.PresenterKey); empty for rooms made before there was one.
	PresenterKeyHash string     `json:"presenter_key_hash,omitempty"`
	Plan             *plan.Plan `json:"plan"`
	// ExpiresAt is when retention deletes the room (Unix ms).
	ExpiresAt int64 `json:"expires_at"`
	// MaxParticipants caps joins; zero means DefaultMaxParticipants.
	MaxParticipants int `json:"max_participants,omitempty"`
	// Event and Name place the room in a conference event, if any.
	Event string `json:"event,omitempty"`
	Name  string `json:"name,omitempty"`
	// ForgetAfterReport is the room setting "forget after the report":
	// the dashboard asks to forget the texts as soon as the ended room's
	// report has been taken.
	ForgetAfterReport bool `json:"forget_after_report,omitempty"`
	// PlanRevision is the saved version of the plan the room was started
	// from; editing the plan later never changes the room, which keeps
	// its own copy.
	PlanRevision int `json:"plan_revision,omitempty"`
}

// Joined adds a participant. TokenHash is the SHA-256 of the participant
// token in hex; the token itself is never stored.
type Joined struct {
	TokenHash string `json:"token_hash"`
	Nickname  string `json:"nickname,omitempty"`
}

// Removed takes a participant out of the room for good.
type Removed struct {
	PID string `json:"pid"`
}

// Goto moves the room from one step to another. From guards against two
// facilitators advancing at once: the event is ignored unless the room is
// still on From.
type Goto struct {
	From int `json:"from"`
	To   int `json:"to"`
	// Seed shuffles the groups formed on entering a breakout or actions
	// step when there are none yet.
	Seed uint64 `json:"seed,omitempty"`
	// Announce is the id of the organizer's announcement this move is part
	// of, if any: the room remembers that it was moved for it, so that a
	// retried announcement does not move the room again.
	Announce string `json:"announce,omitempty"`
}

// Toggle is an on/off change that applies to one step (input, reveal) or
// to the room (lock, where Step is ignored).
type Toggle struct {
	Step int  `json:"step"`
	On   bool `json:"on"`
}

// Timer actions.
const (
	TimerStart  = "start"
	TimerPause  = "pause"
	TimerExtend = "extend"
	TimerReset  = "reset"
)

// TimerChange starts, pauses, extends or resets the step timer; timer_end
// events carry the timer's Run so that only the run that is due ends.
type TimerChange struct {
	Step   int    `json:"step"`
	Action string `json:"action,omitempty"`
	// Seconds is the extension for TimerExtend, or the new length for
	// TimerReset (zero: the step's own duration).
	Seconds int `json:"seconds,omitempty"`
	Run     int `json:"run,omitempty"`
}

// AnswerValue is one person's answer to a poll, scale, open, word cloud or
// closing step. Which fields are set depends on the step's kind.
type AnswerValue struct {
	Step    int      `json:"step"`
	Choices []int    `json:"choices,omitempty"`
	Value   *int     `json:"value,omitempty"`
	Text    string   `json:"text,omitempty"`
	Words   []string `json:"words,omitempty"`
	// FollowUp holds the choices of a closing step's follow-up poll.
	FollowUp []int `json:"follow_up,omitempty"`
}

// Control reports whether an event type goes on the room's control subject,
// where appends carry an expected last sequence so that they cannot race.
func Control(eventType string) bool {
	switch eventType {
	case EvJoined, EvLeft, EvAnswer, EvEntry, EvSubmit, EvAnnounce, EvBatch, EvAsk, EvVote, EvTalk:
		return false
	}
	return true
}

// Batchable reports whether events of a type may travel in an EvBatch:
// participant input that is idempotent on its own (a join by its token, a
// submission by its id), so that it needs no de-duplication by the log.
func Batchable(eventType string) bool {
	switch eventType {
	case EvJoined, EvAnswer, EvEntry, EvSubmit, EvAsk, EvVote, EvTalk:
		return true
	}
	return false
}

// EncodeBatch builds an EvBatch from events already encoded with Encode,
// without decoding them again. at is the batch's append time.
func EncodeBatch(at int64, events [][]byte) []byte {
	n := 48
	for _, e := range events {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"t":"batch","at":`...)
	b = strconv.AppendInt(b, at, 10)
	b = append(b, `,"batch":[`...)
	for i, e := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return append(b, "]}"...)
}

// DecodeEvent parses an event from the log.
func DecodeEvent(data []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("decode room event: %w", err)
	}
	if ev.Type == "" {
		return nil, fmt.Errorf("decode room event: no type")
	}
	return &ev, nil
}

// Encode serialises an event for the log.
func (ev *Event) Encode() ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode room event %s: %w", ev.Type, err)
	}
	return b, nil
}
