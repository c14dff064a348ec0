package room

// Forgetting an ended room: every raw text, every answer and every
// participant goes; what stays is what the room was made from and its
// report of approved texts (EvForgotten). The log is then purged down to
// that one event, so a room replayed later starts from it.

// ForgetEvent is the event that forgets everything of an ended room but
// report, the room's report of approved texts. It is nil if the room has
// not ended (there is nothing final to keep yet) or is forgotten already.
func (s *State) ForgetEvent(report []byte) *Event {
	if !s.Exists() || !s.Ended || s.Forgotten != nil || s.Deleted {
		return nil
	}
	return &Event{Type: EvForgotten, Forgotten: &Forgotten{
		Created: &Created{
			Room: s.RoomID, Code: s.Code, KeyHash: s.KeyHash, PresenterKeyHash: s.PresenterKeyHash, Plan: s.Plan,
			ExpiresAt: s.ExpiresAt, MaxParticipants: s.MaxParticipants, Event: s.Event, Name: s.Name,
		},
		CreatedAt: s.CreatedAt,
		Step:      s.Step,
		Report:    report,
	}}
}

// applyForgotten rebuilds the state from a forgotten event alone: the
// room as created, ended on its step, with nobody in it and nothing
// written, and the report kept.
func (s *State) applyForgotten(ev *Event) Changes {
	f := ev.Forgotten
	if f == nil || f.Created == nil || f.Created.Plan == nil || len(f.Created.Plan.Steps) == 0 || len(f.Report) == 0 || s.Deleted {
		return Changes{Ignored: true}
	}
	seq, ctl, scr := s.Seq, s.CtlSeq, s.screener
	*s = *New()
	s.Seq, s.CtlSeq, s.screener = seq, ctl, scr
	s.applyCreated(&Event{Type: EvCreated, At: f.CreatedAt, Created: f.Created})
	if ev.At > s.LastAt {
		s.LastAt = ev.At
	}
	if f.Step > 0 && f.Step < len(s.Steps) {
		s.Step = f.Step
	}
	for _, st := range s.Steps {
		st.Open = false
	}
	s.Timer = Timer{Step: s.Step}
	s.Ended, s.Locked = true, true
	s.Forgotten = append([]byte(nil), f.Report...)
	return Changes{Parts: PartAll, Forgotten: true}
}
