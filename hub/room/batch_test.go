package room

import (
	"testing"
)

// A batch is one step of the log: its events apply in order with one
// sequence, duplicates inside it are acknowledged as duplicates, and
// events that may not travel in a batch are skipped everywhere alike.
func TestBatchAppliesInOrderOnce(t *testing.T) {
	s := testState(t)
	join(t, s, "a")
	mustApply(t, s, &Event{Type: EvGoto, At: 3000, Goto: &Goto{To: 1}})
	before := s.Seq
	vote := func(pid, id string, choice int) []byte {
		data, err := (&Event{Type: EvAnswer, At: 4000, PID: pid, ID: id, Answer: &AnswerValue{Step: 1, Choices: []int{choice}}}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	joined, _ := (&Event{Type: EvJoined, PID: "b", At: 4000, Joined: &Joined{TokenHash: "t-b"}}).Encode()
	sneaky, _ := (&Event{Type: EvLock, At: 4000, Lock: &Toggle{On: true}}).Encode()
	batch := EncodeBatch(5000, [][]byte{
		vote("a", "v1", 0),
		joined,
		vote("b", "v1", 2), // b joined earlier in the same batch
		vote("a", "v2", 1), // a changes their vote
		vote("a", "v1", 2), // a resend of a's first vote: a duplicate
		sneaky,             // control events never ride in a batch
	})
	ch := mustApply(t, s, mustDecode(t, batch))
	if s.Seq != before+1 {
		t.Fatalf("a batch is one step of the sequence: %d -> %d", before, s.Seq)
	}
	if s.Locked {
		t.Fatal("a lock inside a batch took effect")
	}
	if got := s.Steps[1].Answers["a"].Choices; len(got) != 1 || got[0] != 1 {
		t.Fatalf("a's answer: want [1], got %v", got)
	}
	if got := s.Steps[1].Answers["b"].Choices; len(got) != 1 || got[0] != 2 {
		t.Fatalf("b's answer: want [2], got %v", got)
	}
	if len(ch.Joined) != 1 || ch.Joined[0] != "b" || ch.Parts&PartResults == 0 || ch.Parts&PartRoster == 0 || ch.Ignored {
		t.Fatalf("merged changes: %+v", ch)
	}
	type reply struct {
		pid, id string
		dup     bool
	}
	var got []reply
	for _, r := range ch.Acks {
		if r.Err != nil {
			t.Fatalf("refused %s/%s: %v", r.PID, r.ID, r.Err)
		}
		if r.Ack.Seq != s.Seq {
			t.Fatalf("ack of %s/%s at seq %d, want the batch's %d", r.PID, r.ID, r.Ack.Seq, s.Seq)
		}
		got = append(got, reply{r.PID, r.ID, r.Ack.Duplicate})
	}
	want := []reply{{"a", "v1", false}, {"b", "v1", false}, {"a", "v2", false}, {"a", "v1", true}}
	if len(got) != len(want) {
		t.Fatalf("acks: want %v, got %v", want, got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("acks: want %v, got %v", want, got)
		}
	}
	// The same batch delivered again (as after a resume) changes nothing.
	again := mustApply(t, s, mustDecode(t, batch))
	if len(again.Joined) != 0 || s.ActiveCount() != 2 || len(s.Steps[1].Answers) != 2 {
		t.Fatalf("a repeated batch changed the room: %+v", again)
	}
}

func mustDecode(t *testing.T, data []byte) *Event {
	t.Helper()
	ev, err := DecodeEvent(data)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
