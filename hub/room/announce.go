package room

// AnnounceMark is what a room remembers of one organizer announcement, by
// its id: where in the log its text was applied and whether the room was
// moved for it. The organizer may send the same announcement again (with
// the same id) after a request that failed part-way; the marks make that
// retry take effect once per room, on every instance, whatever the log's
// duplicate window.
type AnnounceMark struct {
	// Pos is the log position of the announcement event that put the text
	// on the room's screens; 0 if the room never got the text.
	Pos uint64
	// Text is the announcement's text, as the room got it.
	Text string
	// Moved is set once a step change made for this announcement was
	// applied.
	Moved bool
}

// Announced returns the room's mark of the announcement with the given id.
func (s *State) Announced(id string) (AnnounceMark, bool) {
	m, ok := s.announced[id]
	if !ok {
		return AnnounceMark{}, false
	}
	return *m, true
}

// markAnnounce returns the mark of an announcement id, creating it.
func (s *State) markAnnounce(id string) *AnnounceMark {
	m := s.announced[id]
	if m == nil {
		m = &AnnounceMark{}
		s.announced[id] = m
	}
	return m
}

// applyAnnounce shows an organizer's announcement, unless the room has
// already had one with the same id.
func (s *State) applyAnnounce(logSeq uint64, ev *Event) Changes {
	a := ev.Announce
	if a == nil || a.ID == "" || a.Text == "" {
		return Changes{Ignored: true}
	}
	if m, ok := s.announced[a.ID]; ok && m.Pos != 0 {
		return Changes{Ignored: true}
	}
	m := s.markAnnounce(a.ID)
	m.Pos, m.Text = logSeq, a.Text
	s.Announcement = &Announcement{ID: a.ID, Text: a.Text, At: ev.At}
	return Changes{Parts: PartNotice}
}
