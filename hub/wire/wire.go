// Package wire is Stoppunkt's websocket protocol: the frame envelope, the
// message types, the error codes, and a decoder that refuses hostile input
// with a typed error instead of a panic. docs/protocol.md is its prose twin.
package wire

import (
	"encoding/json"
)

// Version is the protocol version a client names in its hello.
const Version = 1

// Limits on inbound frames. The websocket layer enforces MaxFrameBytes; the
// decoder enforces the rest.
const (
	// MaxFrameBytes is the largest frame a client may send. It must stay above
	// the largest legal shared-text or plan-sized message (32 KiB).
	MaxFrameBytes = 64 << 10
	// MaxDepth is the deepest JSON nesting accepted in a client frame.
	MaxDepth = 16
	// MaxIDLength bounds client-chosen ids (command and submission ids).
	MaxIDLength = 64
)

// Client-to-server message types.
const (
	TypeHello = "hello" // first frame on every connection
	TypePing  = "ping"  // application-level keepalive; answered by pong

	// Participant input.
	TypeAnswer = "answer" // a vote, scale value, free text or words for the current step
	TypeLeave  = "leave"  // leave the room for good
	TypeEntry  = "entry"  // add, edit or delete one's own entry in the group's shared text
	TypeSubmit = "submit" // submit the group's shared text
	TypeAsk    = "ask"    // ask an anonymous question in the question box
	TypeVote   = "vote"   // vote for an approved question, or take the vote back
	TypeTalk   = "talk"   // tell the facilitator, privately, that one would like to talk

	// Facilitator commands.
	TypeNext      = "next"
	TypeBack      = "back"
	TypeGoto      = "goto"
	TypeOpen      = "open"
	TypeClose     = "close"
	TypeReveal    = "reveal"
	TypeHide      = "hide"
	TypeTimer     = "timer"
	TypeLock      = "lock"
	TypeUnlock    = "unlock"
	TypeRemove    = "remove"
	TypeEnd       = "end"
	TypeGroups    = "groups"     // form or re-form breakout groups
	TypeMove      = "move"       // move a participant to another group
	TypeMerge     = "merge"      // merge small groups
	TypeModerate  = "moderate"   // approve, hide or star a queue item
	TypeShow      = "show"       // put approved items on the big screen
	TypeCombine   = "combine"    // merge duplicate actions
	TypeJoinPanel = "join_panel" // the size of the big screen's join panel
	TypeHandled   = "handled"    // mark a talk signal handled (or not)
)

// Server-to-client message types.
const (
	TypeWelcome         = "welcome"          // reply to hello
	TypeSnapshot        = "snapshot"         // the whole view of the room for this connection
	TypeAck             = "ack"              // a command or submission took effect
	TypeError           = "error"            // a frame was refused
	TypePong            = "pong"             // reply to ping
	TypeRoom            = "room"             // room status: locked, ended, counts
	TypeStep            = "step"             // the current step and its state
	TypeTimerView       = "timer"            // the step timer (same name as the command)
	TypeYou             = "you"              // the participant's own identity and answer
	TypeResults         = "results"          // tallies of the current step
	TypeProgress        = "progress"         // how many answered the current step (staff only)
	TypeRoster          = "roster"           // every participant, in snapshots and after a resume (staff only)
	TypeRosterChanges   = "roster_changes"   // who joined and who left since the last roster frame (staff only)
	TypeRemoved         = "removed"          // this participant was removed
	TypeGroup           = "group"            // the participant's group and its shared text
	TypeGroupList       = "groups"           // every group and its draft (staff only; same name as the command)
	TypeQuestions       = "questions"        // the approved questions and their votes (participants)
	TypeSignal          = "signal"           // a participant would like to talk (staff only)
	TypeItem            = "item"             // one moderation queue item, new or changed (staff only)
	TypeScreen          = "screen"           // the approved items on the big screen
	TypeNotice          = "announcement"     // the organizer's announcement to every room of an event
	TypeOverview        = "overview"         // every room of an event at a glance (organizers)
	TypeOverviewChanges = "overview_changes" // the rooms whose summary changed since the last overview frame, and the totals (organizers)
)

// Roles a connection can take.
const (
	RoleParticipant = "participant"
	RoleFacilitator = "facilitator"
	RolePresenter   = "presenter"
	RoleOrganizer   = "organizer"
)

// In is a decoded client frame: the envelope with its payload still raw.
type In struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Out is a server frame before encoding.
type Out struct {
	Type string `json:"type"`
	// Seq is the room sequence of the event that produced the frame; zero for
	// frames that are replies rather than events.
	Seq  uint64 `json:"seq,omitempty"`
	ID   string `json:"id,omitempty"`
	Data any    `json:"data,omitempty"`
}

// Hello is the payload of the first client frame.
type Hello struct {
	Protocol int    `json:"protocol"`
	Role     string `json:"role"`
	// Code is the join code (participants) or may name the room for staff.
	Code string `json:"code,omitempty"`
	// Room is the room id (staff may use it instead of the code).
	Room string `json:"room,omitempty"`
	// Token is the participant token from an earlier welcome.
	Token string `json:"token,omitempty"`
	// Key is the facilitator key (facilitator and presenter roles) or the
	// organizer key (organizer role).
	Key string `json:"key,omitempty"`
	// Event is the conference event id (organizer role).
	Event    string `json:"event,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	// Nonce, chosen by a joining participant's client (22 to 64 letters,
	// digits, - or _), makes the join idempotent: a join sent again with
	// the same nonce gets the participant and token of the first.
	Nonce string `json:"nonce,omitempty"`
	// LastSeq and Epoch say what the client saw before it reconnected.
	LastSeq uint64 `json:"last_seq,omitempty"`
	Epoch   string `json:"epoch,omitempty"`
}

// Welcome answers a hello.
type Welcome struct {
	Protocol int    `json:"protocol"`
	Role     string `json:"role"`
	Room     string `json:"room"`
	Code     string `json:"code"`
	// JoinURL is the link phones join the room by, to staff (facilitator
	// and presenter): the same as /qr/CODE.txt for the request that opened
	// the connection.
	JoinURL     string `json:"join_url,omitempty"`
	Participant string `json:"participant,omitempty"`
	// Token is sent once, when a participant first joins.
	Token string `json:"token,omitempty"`
	// PresenterKey is the big screen's read-only key, to facilitators.
	PresenterKey string `json:"presenter_key,omitempty"`
	// Access is set for a signed-in facilitator who may only watch:
	// AccessObserver or AccessSafeguarding.
	Access     string `json:"access,omitempty"`
	Epoch      string `json:"epoch"`
	Seq        uint64 `json:"seq"`
	Recovered  bool   `json:"recovered"`
	ServerTime int64  `json:"server_time"`
	Instance   string `json:"instance,omitempty"`
}

// Welcome.Access values.
const (
	AccessObserver     = "observer"
	AccessSafeguarding = "safeguarding"
)

// Ack confirms that a command or submission took effect.
type Ack struct {
	// Seq is the room sequence at which it took effect.
	Seq uint64 `json:"seq"`
	// Duplicate is true when the id had been seen before; the first effect stands.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Encode encodes a frame. Encoding a frame the server built cannot fail short
// of a programming error, which is returned as an error, not a panic.
func Encode(o Out) ([]byte, error) {
	return json.Marshal(o)
}
