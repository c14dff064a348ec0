package room

import (
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// "I need to talk": a participant tells the facilitator, privately, that
// they would like to talk after the session, with a short message if they
// like. The facilitator sees a short code and the message, and a name only
// if the participant chose a nickname and chose to give it; the
// participant sees the same code, to quote if they come forward. Signals
// go to staff only: never to the big screen, other phones or the report.

// MaxTalkMessage bounds the message of a talk signal.
const MaxTalkMessage = 300

// talkAlphabet has no letters or digits that are easy to mix up.
const talkAlphabet = "ACDEFHJKLMNPRTUVWXY3479"

// Talk is a participant's signal. Code is drawn by the deciding instance;
// a participant has one signal, and a new one changes its message.
type Talk struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Named: the participant gives their nickname with the signal.
	Named bool `json:"named,omitempty"`
}

// HandledChange marks a signal handled, or not.
type HandledChange struct {
	Code string `json:"signal"`
	On   bool   `json:"handled"`
}

// Signal is a participant's wish to talk. PID is kept to find the
// signal again and is never rendered.
type Signal struct {
	Code    string
	PID     string
	Message string
	Name    string
	At      int64
	Handled bool
}

// SignalView is a signal as staff see it.
type SignalView struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Name    string `json:"name,omitempty"`
	At      int64  `json:"at"`
	Handled bool   `json:"handled"`
}

// TalkView is a participant's own signal.
type TalkView struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Named   bool   `json:"named,omitempty"`
	Handled bool   `json:"handled"`
}

type handledCmd struct {
	Signal  string `json:"signal"`
	Handled *bool  `json:"handled"`
}

func (s *State) decideTalk(pid string, in wire.In, seed uint64) (*Event, error) {
	if in.ID == "" {
		return nil, wire.Errorf(wire.CodeInvalid, "a signal needs an id, so that a retry is not sent twice")
	}
	var t Talk
	if err := wire.DecodeData(in, &t); err != nil {
		return nil, err
	}
	t.Code = ""
	if err := s.checkTalk(pid, &t); err != nil {
		return nil, err
	}
	if old := s.signalOf(pid); old != nil {
		t.Code = old.Code
	} else {
		t.Code = s.freeTalkCode(seed)
	}
	return &Event{Type: EvTalk, PID: pid, ID: in.ID, Talk: &t}, nil
}

func (s *State) checkTalk(pid string, t *Talk) *wire.Error {
	p := s.Participants[pid]
	if p == nil || !p.Active() {
		return wire.Errorf(wire.CodeRemoved, "you are no longer in this room")
	}
	if s.Ended {
		return wire.Errorf(wire.CodeEnded, "the room has ended")
	}
	if t.Named && p.Nickname == "" {
		return wire.Errorf(wire.CodeInvalid, "you joined without a name, so there is no name to give")
	}
	msg, err := wire.CheckText(t.Message, MaxTalkMessage)
	if err != nil {
		return wire.AsError(err)
	}
	t.Message = msg
	return nil
}

// freeTalkCode draws a code of 4 characters that no signal of the room
// has, from seed.
func (s *State) freeTalkCode(seed uint64) string {
	for {
		seed = seed*6364136223846793005 + 1442695040888963407
		x := seed >> 16
		b := make([]byte, 4)
		for i := range b {
			b[i] = talkAlphabet[x%uint64(len(talkAlphabet))]
			x /= uint64(len(talkAlphabet))
		}
		if s.signalByCode(string(b)) == nil {
			return string(b)
		}
	}
}

func (s *State) signalOf(pid string) *Signal {
	for _, sg := range s.Signals {
		if sg.PID == pid {
			return sg
		}
	}
	return nil
}

func (s *State) signalByCode(code string) *Signal {
	for _, sg := range s.Signals {
		if sg.Code == code {
			return sg
		}
	}
	return nil
}

func (s *State) applyTalk(ev *Event) Changes {
	t := ev.Talk
	if t == nil || ev.PID == "" || ev.ID == "" || len(t.Code) != 4 {
		return Changes{Ignored: true}
	}
	if dup, ch := s.duplicate(ev); dup {
		return ch
	}
	check := *t
	if err := s.checkTalk(ev.PID, &check); err != nil {
		return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: err}}}
	}
	sg := s.signalOf(ev.PID)
	if sg == nil {
		if other := s.signalByCode(t.Code); other != nil {
			// Two instances drew the same code at once: the later one
			// is refused, and the phone sends its signal again.
			return Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Err: wire.Errorf(wire.CodeStale, "try again")}}}
		}
		sg = &Signal{Code: t.Code, PID: ev.PID}
		s.Signals = append(s.Signals, sg)
	}
	s.markSeen(ev)
	sg.Message, sg.At, sg.Handled = check.Message, ev.At, false
	sg.Name = ""
	if check.Named {
		sg.Name = s.Participants[ev.PID].Nickname
	}
	return Changes{
		Acks:    []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: s.Seq}}},
		You:     []string{ev.PID},
		Signals: []string{sg.Code},
	}
}

func (s *State) decideHandled(in wire.In) (*Event, error) {
	var c handledCmd
	if err := wire.DecodeData(in, &c); err != nil {
		return nil, err
	}
	sg := s.signalByCode(c.Signal)
	if sg == nil {
		return nil, wire.Errorf(wire.CodeInvalid, "no signal %q", truncate(c.Signal, 8))
	}
	on := c.Handled == nil || *c.Handled
	if sg.Handled == on {
		return nil, ErrNoChange
	}
	return &Event{Type: EvHandled, Handled: &HandledChange{Code: sg.Code, On: on}}, nil
}

func (s *State) applyHandled(ev *Event) Changes {
	if ev.Handled == nil {
		return Changes{Ignored: true}
	}
	sg := s.signalByCode(ev.Handled.Code)
	if sg == nil || sg.Handled == ev.Handled.On {
		return Changes{Ignored: true}
	}
	sg.Handled = ev.Handled.On
	return Changes{You: []string{sg.PID}, Signals: []string{sg.Code}}
}

func signalView(sg *Signal) SignalView {
	return SignalView{Code: sg.Code, Message: sg.Message, Name: sg.Name, At: sg.At, Handled: sg.Handled}
}

func (s *State) signalsView() []SignalView {
	out := make([]SignalView, len(s.Signals))
	for i, sg := range s.Signals {
		out[i] = signalView(sg)
	}
	return out
}

func (s *State) talkView(pid string) *TalkView {
	sg := s.signalOf(pid)
	if sg == nil {
		return nil
	}
	return &TalkView{Code: sg.Code, Message: sg.Message, Named: sg.Name != "", Handled: sg.Handled}
}
