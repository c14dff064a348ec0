package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// fuzzFrameTypes are what FuzzDecide's frames say they are: every command
// and submission, and a few that Decide must refuse.
var fuzzFrameTypes = []string{wire.TypeAnswer, wire.TypeNext, wire.TypeEntry, wire.TypeSubmit, wire.TypeBack,
	wire.TypeGoto, wire.TypeOpen, wire.TypeClose, wire.TypeReveal, wire.TypeHide, wire.TypeTimer, wire.TypeModerate,
	wire.TypeShow, wire.TypeCombine, wire.TypeGroups, wire.TypeMove, wire.TypeMerge, wire.TypeLock, wire.TypeUnlock,
	wire.TypeRemove, wire.TypeLeave, wire.TypeEnd, wire.TypeJoinPanel, wire.TypeHello, wire.TypePing, "bogus"}

// frameData reads the data of a frame of type typ: the fields its kind
// takes, with values in and out of range, now and then one too many, or
// raw bytes.
func (f *fuzzProgram) frameData(typ string) []byte {
	var d map[string]any
	switch typ {
	case wire.TypeNext, wire.TypeBack:
		d = map[string]any{"from": f.step()}
	case wire.TypeGoto:
		d = map[string]any{"step": f.step(), "from": f.step()}
		if d["step"] == f.s.Step {
			d["step"] = f.s.Step + 1
		}
	case wire.TypeOpen, wire.TypeClose, wire.TypeReveal, wire.TypeHide:
		d = map[string]any{"step": f.step()}
	case wire.TypeTimer:
		d = map[string]any{"action": f.pick(TimerStart, TimerPause, TimerExtend, TimerReset, ""), "seconds": f.small() * 60}
	case wire.TypeRemove:
		d = map[string]any{"participant": f.pid()}
	case wire.TypeGroups:
		d = map[string]any{"size": int(f.byte()%8) - 1}
	case wire.TypeMove:
		d = map[string]any{"participant": f.pid(), "group": f.group()}
	case wire.TypeMerge:
		d = map[string]any{"groups": f.groups()}
	case wire.TypeModerate:
		d = map[string]any{"item": f.item(), "status": f.pick(StatusApproved, StatusPending, StatusHidden, "", "x")}
		if !f.yes() {
			d["starred"] = f.yes()
		}
	case wire.TypeShow:
		d = map[string]any{"items": f.items(), "layout": f.pick("", "single", "side-by-side", "grid"), "pin": f.byte()%4 == 0}
	case wire.TypeJoinPanel:
		d = map[string]any{"size": f.pick("auto", "large", "small", "", "huge")}
	case wire.TypeCombine:
		d = map[string]any{"into": f.item(), "from": f.items(), "what": f.pick("", "Rutiner"), "who": f.text(), "when": f.pick("", "juni")}
	case wire.TypeAnswer:
		a := f.answer()
		d = map[string]any{"step": a.Step, "choices": a.Choices, "value": a.Value, "text": a.Text, "words": a.Words, "follow_up": a.FollowUp}
		for k, v := range d {
			if b, _ := json.Marshal(v); string(b) == "null" || string(b) == `""` {
				delete(d, k)
			}
		}
	case wire.TypeEntry:
		d = map[string]any{"step": f.step(), "entry": f.pick("e1", "e2", "e3", "", "a b"), "ver": 1 + f.small(),
			"text": f.text(), "who": f.pick("", "Rektor"), "when": f.pick("", "mai"), "delete": f.byte()%4 == 3}
	case wire.TypeSubmit:
		d = map[string]any{"step": f.step()}
	default:
		return f.bytes()
	}
	switch f.byte() % 16 {
	case 1:
		d["extra"] = 1
	case 2:
		return f.bytes()
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzDecide sends sequences of client frames to a room: each is decoded
// as a connection's reader does, decided on the current state and, when
// accepted, applied at once, as the log would deliver it. A refusal must
// be a wire error (or ErrNoChange, for a command that would change
// nothing); an accepted command or submission must take effect when
// applied to the state it was decided on.
func FuzzDecide(f *testing.F) {
	for _, seed := range fuzzDecideSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, p := newFuzzRoom(t, data)
		for n := 0; p.more() && n < maxFuzzOps; n++ {
			r.at += int64(p.byte()) * 997
			switch code, fields := p.op(); code % 8 {
			case 0: // a hello that joins: the hub appends the join
				pid := fields.pid()
				r.apply(&Event{Type: EvJoined, PID: pid, Joined: &Joined{TokenHash: "t-" + pid, Nickname: fields.text()}})
			case 1: // the running timer runs out: an instance appends its end
				if tm := r.s.Timer; tm.Running {
					r.apply(&Event{Type: EvTimerEnd, Timer: &TimerChange{Step: tm.Step, Run: tm.Run}})
				}
			default:
				r.frame(fields)
			}
		}
		r.finish()
	})
}

// frame reads one client frame, decides it and applies what it decides.
func (r *fuzzRoom) frame(p *fuzzProgram) {
	who := Actor{Role: wire.RoleFacilitator}
	switch a := p.byte() % 10; {
	case a == 9:
		who = Actor{Role: wire.RolePresenter}
	case a >= 1:
		who = Actor{Role: wire.RoleParticipant, PID: fmt.Sprintf("p%d", a-1)}
	}
	typ := fuzzFrameTypes[int(p.byte())%len(fuzzFrameTypes)]
	out := map[string]any{"type": typ}
	if id := p.id(); id != "" {
		out["id"] = id
	}
	frame, err := json.Marshal(out)
	if err != nil {
		r.t.Fatal(err)
	}
	if data := p.frameData(typ); len(data) > 0 {
		frame = append(frame[:len(frame)-1], `,"data":`...)
		frame = append(append(frame, data...), '}')
	}
	in, err := wire.Decode(frame)
	if err != nil {
		return // answered by the reader; never reaches Decide
	}
	if in.ID != "" && who.PID != "" {
		if _, seen := r.s.SeenSubmission(who.PID, in.ID); seen {
			return // answered from the record (Session.submit)
		}
	}
	ev, err := Decide(r.s, who, in, uint64(p.byte())<<8|uint64(p.byte()))
	if errors.Is(err, ErrNoChange) {
		if ev != nil {
			r.t.Fatalf("%s changes nothing and was decided at once", typ)
		}
		return // acknowledged without an event
	}
	if err != nil {
		var e *wire.Error
		if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
			r.t.Fatalf("%s refused with %T %v, not a wire error", typ, err, err)
		}
		if ev != nil {
			r.t.Fatalf("%s refused and decided at once", typ)
		}
		return
	}
	if ev == nil {
		r.t.Fatalf("%s neither refused nor decided", typ)
	}
	ch := r.apply(ev)
	if ch.Ignored {
		r.t.Fatalf("%s from %s was decided as %s, which the same state then ignored", typ, who.Role, ev.Type)
	}
	for _, a := range ch.Acks {
		if a.Err != nil {
			r.t.Fatalf("%s from %s was decided, then refused when applied to the same state: %v", typ, who.Role, a.Err)
		}
	}
}

// fuzzDecideSeeds are programs in which people join and a facilitator
// walks the room through each built-in plan while participants answer,
// write and submit, and the facilitator moderates, shows, regroups,
// removes and ends.
func fuzzDecideSeeds() [][]byte {
	frame := func(actor byte, typ string, fields ...byte) []byte {
		return fuzzOp(2, append([]byte{actor, byte(slices.Index(fuzzFrameTypes, typ))}, fields...)...)
	}
	var walk []byte
	for pid := range byte(6) {
		walk = append(walk, fuzzOp(0, pid)...)
	}
	for step := range byte(14) {
		for pid := range byte(3) {
			walk = append(walk, frame(pid+1, wire.TypeAnswer, 0, 0, 0, pid, 0)...)
			walk = append(walk, frame(pid+1, wire.TypeEntry, 0, 0, pid%3)...)
		}
		walk = append(walk, frame(step%5+1, wire.TypeSubmit)...)
		walk = append(walk, frame(0, wire.TypeTimer)...)
		walk = append(walk, fuzzOp(1)...)
		walk = append(walk, frame(0, wire.TypeReveal)...)
		walk = append(walk, frame(0, wire.TypeModerate)...)
		walk = append(walk, frame(0, wire.TypeShow)...)
		if step == 9 {
			walk = append(walk, frame(0, wire.TypeMove, 0, 1, 1)...)
			walk = append(walk, frame(0, wire.TypeMerge)...)
			walk = append(walk, frame(0, wire.TypeCombine, 0, 0, 1, 2, 0, 0)...)
			walk = append(walk, frame(0, wire.TypeRemove, 0, 2)...)
			walk = append(walk, frame(4, wire.TypeLeave)...)
		}
		walk = append(walk, frame(0, wire.TypeNext)...)
	}
	walk = append(walk, frame(0, wire.TypeGroups, 0, 4)...)
	walk = append(walk, frame(0, wire.TypeEnd)...)
	var seeds [][]byte
	for plan := range byte(5) {
		seeds = append(seeds, append([]byte{plan}, walk...))
	}
	return append(seeds, []byte{0}, fuzzOp(2, 1, 22, 0, 3, '{', '"', '}'))
}
