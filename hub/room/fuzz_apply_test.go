package room

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// Opcodes of FuzzApply: one per event type, then a raw JSON event.
var fuzzEventTypes = []string{EvJoined, EvGoto, EvAnswer, EvEntry, EvSubmit, EvInput, EvReveal, EvTimer, EvTimerEnd,
	EvModerate, EvShow, EvCombine, EvGroups, EvMove, EvMerge, EvLeft, EvRemoved, EvLock, EvAnnounce, EvBatch,
	EvEnded, EvCreated, EvDeleted}

const opRawEvent = 31

// event reads one event of the type named by code; depth limits batches
// in batches.
func (f *fuzzProgram) event(code byte, depth int) *Event {
	ev := &Event{Type: fuzzEventTypes[int(code)%len(fuzzEventTypes)]}
	switch ev.Type {
	case EvCreated:
		plans := plan.Builtin()
		ev.Created = &Created{Room: "r2", Code: "GHJKLM", Plan: plans[int(f.byte())%len(plans)]}
	case EvJoined:
		ev.PID = f.pid()
		token := "t-" + ev.PID
		if n := f.byte(); n != 0 {
			token = fmt.Sprintf("t%d", n%10) // also one that another has
		}
		ev.Joined = &Joined{TokenHash: token, Nickname: f.text()}
	case EvLeft:
		ev.PID = f.pid()
	case EvRemoved:
		ev.Removed = &Removed{PID: f.pid()}
	case EvGoto:
		from, to := f.step(), f.s.Step+1
		if n := f.byte(); n != 0 {
			to = int(n)%(len(f.s.Steps)+2) - 1
		}
		ev.Goto = &Goto{From: from, To: to, Seed: uint64(f.byte()), Announce: f.pick("", "", "a1", "a2")}
	case EvInput:
		ev.Input = &Toggle{Step: f.step(), On: f.yes()}
	case EvReveal:
		ev.Reveal = &Toggle{Step: f.step(), On: f.yes()}
	case EvTimer:
		ev.Timer = &TimerChange{Step: f.step(), Action: f.pick(TimerStart, TimerPause, TimerExtend, TimerReset, "stop"), Seconds: f.small() * 10}
	case EvTimerEnd:
		ev.Timer = &TimerChange{Step: f.step(), Run: f.s.Timer.Run + int(f.byte()%4) - 1}
	case EvLock:
		ev.Lock = &Toggle{On: f.yes()}
	case EvAnswer:
		ev.PID, ev.ID = f.pid(), f.id()
		ev.Answer = f.answer()
	case EvGroups:
		ev.Groups = &GroupsChange{Size: 3, Seed: uint64(f.byte())}
		if n := f.small(); n != 0 {
			ev.Groups.Size = n
		}
	case EvMove:
		ev.Move = &MoveChange{PID: f.pid(), Group: f.group()}
	case EvMerge:
		ev.Merge = &MergeChange{Groups: f.groups()}
	case EvEntry:
		ev.PID, ev.ID = f.pid(), f.id()
		e := &EntryChange{Step: f.step(), ID: f.pick("e1", "e2", "e3", "", "with space", "a/b", strings.Repeat("e", 40)), Ver: 1}
		if n := f.small(); n != 0 {
			e.Ver = n
		}
		e.Text, e.Who, e.When, e.Delete = f.text(), f.pick("", "Rektor", "\u202e"), f.pick("", "mai", strings.Repeat("x", 300)), f.byte()%4 == 3
		ev.Entry = e
	case EvSubmit:
		ev.PID, ev.ID = f.pid(), f.id()
		ev.Submit = &SubmitChange{Step: f.step()}
	case EvModerate:
		c := &ModerateChange{Item: f.item(), Status: f.pick(StatusApproved, StatusPending, StatusHidden, "", "gone")}
		if !f.yes() {
			b := f.yes()
			c.Starred = &b
		}
		ev.Moderate = c
	case EvShow:
		ev.Show = &ShowChange{Items: f.items(), Layout: f.pick("", "single", "side-by-side", "grid")}
	case EvCombine:
		ev.Combine = &CombineChange{Into: f.item(), From: f.items(), What: f.pick("", "Rutiner"), Who: f.text(), When: f.pick("", "juni")}
	case EvDeleted:
		if f.byte() != 7 {
			// Seldom: after it nothing else happens to the room.
			ev.Type, ev.Lock = EvLock, &Toggle{On: false}
		}
	case EvAnnounce:
		ev.Announce = &Announcement{ID: f.pick("a1", "a2", "a3", ""), Text: f.text()}
	case EvBatch:
		if depth > 0 {
			break
		}
		for f.more() {
			if code, g := f.op(); code == 0xff {
				ev.Batch = append(ev.Batch, nil)
			} else {
				ev.Batch = append(ev.Batch, g.event(code, depth+1))
			}
		}
	}
	return ev
}

// FuzzApply applies sequences of room log events, well-formed and not.
func FuzzApply(f *testing.F) {
	for _, seed := range fuzzApplySeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, p := newFuzzRoom(t, data)
		for n := 0; p.more() && n < maxFuzzOps; n++ {
			r.at += int64(p.byte()) * 997
			code, fields := p.op()
			if code == opRawEvent {
				// Whatever bytes a log could hold, but a created event:
				// its plan was validated when the room was created.
				ev, err := DecodeEvent(fields.b)
				if err != nil || ev.Type == EvCreated {
					continue
				}
				r.applyDecoded(ev)
				continue
			}
			r.apply(fields.event(code, 0))
		}
		r.finish()
	})
}

// fuzzApplySeeds are programs that walk a room through a session on each
// built-in plan: joins, every step answered, written and submitted where
// it takes that, moderation and the screen, groups changed, people
// leaving, and the end.
func fuzzApplySeeds() [][]byte {
	ev := func(typ string, fields ...byte) []byte {
		return fuzzOp(byte(slices.Index(fuzzEventTypes, typ)), fields...)
	}
	var walk []byte
	for pid := range byte(6) {
		walk = append(walk, ev(EvJoined, pid)...)
	}
	for step := range byte(14) {
		for pid := range byte(3) {
			walk = append(walk, ev(EvAnswer, pid, 0, 0, 0, pid, 0)...)
			walk = append(walk, ev(EvEntry, pid, 0, 0, pid%3)...)
		}
		walk = append(walk, ev(EvSubmit, step%5)...)
		walk = append(walk, ev(EvModerate)...)
		walk = append(walk, ev(EvShow)...)
		walk = append(walk, ev(EvReveal)...)
		walk = append(walk, ev(EvTimer)...)
		walk = append(walk, ev(EvTimerEnd, 0, 1)...)
		if step == 9 {
			walk = append(walk, ev(EvMove, 1, 1)...)
			walk = append(walk, ev(EvMerge)...)
			walk = append(walk, ev(EvCombine, 0, 1, 2, 0, 0)...)
			walk = append(walk, ev(EvAnnounce)...)
			walk = append(walk, ev(EvRemoved, 2)...)
		}
		walk = append(walk, ev(EvGoto)...)
	}
	// A batch holds operations without the clock byte: an answer, a null
	// and a leave.
	batch := []byte{byte(slices.Index(fuzzEventTypes, EvAnswer)), 1, 1, 0xff, 0, byte(slices.Index(fuzzEventTypes, EvLeft)), 1, 3}
	walk = append(walk, ev(EvBatch, batch...)...)
	walk = append(walk, ev(EvEnded)...)
	var seeds [][]byte
	for plan := range byte(5) {
		seeds = append(seeds, append([]byte{plan}, walk...))
	}
	raw := `{"t":"answer","at":5,"p":"p0","id":"x","answer":{"step":0,"choices":[0]}}`
	return append(seeds, append([]byte{2, 0, opRawEvent, byte(len(raw))}, raw...), []byte{0})
}
