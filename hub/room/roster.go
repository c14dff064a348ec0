package room

import "github.com/stoppunkt/stoppunkt/hub/wire"

// The roster is the one staff view that grows with the room: every
// participant, about 30 bytes each. Staff get it whole once, in their
// snapshot (or after a resume, RenderRoster), and from then on only what
// changed (RosterLog), so that no frame grows with the number of people in
// the room.

// RosterView lists the participants for staff.
type RosterView struct {
	Participants []RosterEntry `json:"participants"`
	// Count is the number of participants in the room (len(Participants)).
	Count int `json:"count"`
}

// RosterEntry is one participant as staff see them. Nothing in it changes
// while the participant is in the room.
type RosterEntry struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname,omitempty"`
	N        int    `json:"n"`
}

// RosterChangesView is what changed in the roster since the last frame:
// who joined and who left or was removed (a participant never comes back
// under the same id), and how many participants the room has now.
type RosterChangesView struct {
	Joined []RosterEntry `json:"joined"`
	Left   []string      `json:"left"`
	Count  int           `json:"count"`
}

// MaxRosterChanges is the most joins and leaves one roster_changes frame
// carries; more wait for the next flush, so that a burst (or a backlog
// applied at once) never makes one frame large.
const MaxRosterChanges = 500

func rosterEntry(p *Participant) RosterEntry {
	return RosterEntry{ID: p.ID, Nickname: p.Nickname, N: p.N}
}

func (s *State) rosterView() RosterView {
	r := RosterView{Participants: make([]RosterEntry, 0, s.active), Count: s.active}
	for _, id := range s.Order {
		if p := s.Participants[id]; p.Active() {
			r.Participants = append(r.Participants, rosterEntry(p))
		}
	}
	return r
}

// RenderRoster draws the whole roster for staff: for a connection that
// resumed, whose missed roster changes are not kept for replay.
func RenderRoster(s *State) Effect {
	return Effect{To: ToStaff, Out: wire.Out{Type: wire.TypeRoster, Data: s.rosterView()}}
}

// RosterLog collects the roster changes of applied events until they are
// sent to staff. A staff connection that attached (with a snapshot) while
// changes were waiting gets some of them twice; applying a change again has
// no effect, so the result is the same. The zero value is empty.
type RosterLog struct {
	joined []string // participant ids, in join order
	left   []string
}

// Note records the roster changes of one applied event.
func (l *RosterLog) Note(ch Changes) {
	l.joined = append(l.joined, ch.Joined...)
	l.left = append(l.left, ch.Removed...)
}

// Empty reports whether no change is waiting.
func (l *RosterLog) Empty() bool { return len(l.joined) == 0 && len(l.left) == 0 }

// Reset forgets the waiting changes (when nobody is there to get them).
func (l *RosterLog) Reset() { l.joined, l.left = nil, nil }

// Take draws the waiting changes, at most max of them, as a roster_changes
// frame for staff and forgets them; the rest wait for the next call. A
// participant who joined and left while waiting is sent only as left, so
// that a partial frame never adds someone who is gone.
func (l *RosterLog) Take(s *State, max int) (Effect, bool) {
	v := RosterChangesView{Joined: []RosterEntry{}, Left: []string{}, Count: s.ActiveCount()}
	i := 0
	for ; i < len(l.joined) && len(v.Joined) < max; i++ {
		if p := s.Participants[l.joined[i]]; p != nil && p.Active() {
			v.Joined = append(v.Joined, rosterEntry(p))
		}
	}
	l.joined = l.joined[i:]
	k := min(len(l.left), max-len(v.Joined))
	v.Left = append(v.Left, l.left[:k]...)
	l.left = l.left[k:]
	if l.Empty() {
		l.Reset()
	}
	if len(v.Joined) == 0 && len(v.Left) == 0 {
		return Effect{}, false
	}
	return Effect{To: ToStaff, Out: wire.Out{Type: wire.TypeRosterChanges, Data: v}}, true
}
