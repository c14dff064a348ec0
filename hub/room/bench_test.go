package room

import (
	"strconv"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// The reducer's hot paths, for `go test -bench . ./hub/room/` (numbers in
// docs/performance.md): a vote applied in a big room, a step change
// rendered and encoded for every audience, and the coalesced results frame
// redrawn during a vote burst.

const benchPhones = 5000

// bigRoom is a room of benchPhones participants on the poll step (step 1
// of testPlan), with its input open.
func bigRoom(b *testing.B) *State {
	b.Helper()
	s := testState(b)
	seq := s.Seq
	for i := range benchPhones {
		seq++
		Apply(s, seq, &Event{Type: EvJoined, PID: "p" + strconv.Itoa(i), At: 2000, Joined: &Joined{TokenHash: "t" + strconv.Itoa(i)}})
	}
	seq++
	if ch := Apply(s, seq, &Event{Type: EvGoto, At: 3000, Goto: &Goto{To: 1}}); ch.Ignored {
		b.Fatal("goto ignored")
	}
	return s
}

// BenchmarkApplyVote applies one vote event (decoded from the log's bytes,
// as every instance does) to a room of 5,000.
func BenchmarkApplyVote(b *testing.B) {
	s := bigRoom(b)
	events := make([][]byte, benchPhones)
	for i := range events {
		ev := &Event{Type: EvAnswer, At: 4000, PID: "p" + strconv.Itoa(i), ID: "v" + strconv.Itoa(i),
			Answer: &AnswerValue{Step: 1, Choices: []int{i % 3}}}
		data, err := ev.Encode()
		if err != nil {
			b.Fatal(err)
		}
		events[i] = data
	}
	seq := s.Seq
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev, err := DecodeEvent(events[i%benchPhones])
		if err != nil {
			b.Fatal(err)
		}
		seq++
		Apply(s, seq, ev)
	}
}

// BenchmarkRenderStepChange draws and encodes what a step change sends:
// the step, timer and results frames for the public and for staff.
func BenchmarkRenderStepChange(b *testing.B) {
	s := bigRoom(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, e := range Render(s, PartStep|PartTimer|PartResults) {
			if _, err := wire.NewFrame(e.Out); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRenderResults redraws the coalesced results and progress of a
// poll 5,000 people answered, as a flush during a vote burst does.
func BenchmarkRenderResults(b *testing.B) {
	s := bigRoom(b)
	seq := s.Seq
	for i := range benchPhones {
		seq++
		Apply(s, seq, &Event{Type: EvAnswer, At: 4000, PID: "p" + strconv.Itoa(i), ID: "v" + strconv.Itoa(i),
			Answer: &AnswerValue{Step: 1, Choices: []int{i % 3}}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, e := range Render(s, PartResults|PartProgress) {
			if _, err := wire.NewFrame(e.Out); err != nil {
				b.Fatal(err)
			}
		}
	}
}
