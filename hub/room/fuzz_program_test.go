package room

import (
	"fmt"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// The fuzzers below build a room from a built-in plan and then read the
// fuzz input as a program: one byte picks the plan, then each operation is
// a byte that moves the clock, an opcode byte, and a length byte followed
// by that many bytes for the operation's fields (fields past the end read
// as zero, and zero is always the plain choice: the current step, a valid
// answer to it, a fresh id). FuzzApply turns operations into room log
// events of every kind, with fields in and out of range, and applies them
// as the log would deliver them; FuzzDecide turns them into client frames
// from facilitators, presenters and participants, decides them and
// applies what is decided. Neither may panic; after every event the
// state must hold the invariants in checkState and the privacy rules of
// the results, and at the end it must render for every audience and role.

// maxFuzzOps bounds a program, so that an execution stays cheap: a whole
// session of a built-in plan takes about 200 operations.
const maxFuzzOps = 256

// fuzzOp encodes one operation of a program, one clock tick after the
// one before.
func fuzzOp(code byte, fields ...byte) []byte {
	return append([]byte{1, code, byte(len(fields))}, fields...)
}

// fuzzProgram reads a fuzz input, or one operation's fields.
type fuzzProgram struct {
	b     []byte
	s     *State
	fresh *int // counts fresh ids, shared by a program and its operations
}

func (f *fuzzProgram) more() bool { return len(f.b) > 0 }

func (f *fuzzProgram) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

// op reads an operation: its opcode and a reader of its fields.
func (f *fuzzProgram) op() (byte, *fuzzProgram) {
	code := f.byte()
	return code, &fuzzProgram{b: f.bytes(), s: f.s, fresh: f.fresh}
}

// small reads an int from -128 to 127: in range and out of it.
func (f *fuzzProgram) small() int { return int(int8(f.byte())) }

// yes reads a bool that is true when zero.
func (f *fuzzProgram) yes() bool { return f.byte()%2 == 0 }

// bytes reads a length byte and that many bytes.
func (f *fuzzProgram) bytes() []byte {
	n := min(int(f.byte()), len(f.b))
	out := f.b[:n]
	f.b = f.b[n:]
	return out
}

// step reads a step index: the current one, the next or the previous,
// any other, or one out of range.
func (f *fuzzProgram) step() int {
	n := len(f.s.Steps)
	switch k := int(f.byte()) % (n + 5); k {
	case 0:
		return f.s.Step
	case 1:
		return f.s.Step + 1
	case 2:
		return f.s.Step - 1
	case 3:
		return -1
	case 4:
		return n
	default:
		return k - 5
	}
}

// pid is one of a few participant ids, none, or a stranger's.
func (f *fuzzProgram) pid() string {
	switch n := f.byte() % 10; n {
	case 8:
		return ""
	case 9:
		return "stranger"
	default:
		return fmt.Sprintf("p%d", n)
	}
}

// id is a fresh submission id, one of a few used again, or none.
func (f *fuzzProgram) id() string {
	switch n := f.byte() % 18; n {
	case 0:
		*f.fresh++
		return fmt.Sprintf("f%d", *f.fresh)
	case 17:
		return ""
	default:
		return fmt.Sprintf("s%d", n)
	}
}

// item is the newest queue item, the oldest, or one of a few ids.
func (f *fuzzProgram) item() string {
	items := f.s.Items
	switch n := f.byte() % 12; {
	case n == 0 && len(items) > 0:
		return items[len(items)-1].ID
	case n == 1 && len(items) > 0:
		return items[0].ID
	default:
		return fmt.Sprintf("i%d", n)
	}
}

func (f *fuzzProgram) items() []string {
	n := int(f.byte() % 6)
	if n == 0 {
		return []string{f.item()}
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = f.item()
	}
	return out
}

// group is the first group, a new one (0), or a group id in or out of use.
func (f *fuzzProgram) group() int {
	switch n := int(f.byte() % 11); {
	case n == 0 && len(f.s.Groups) > 0:
		return f.s.Groups[0].ID
	case n == 0 || n == 1:
		return 0
	default:
		return n - 3
	}
}

// groups is every group (up to three), or a list of group ids.
func (f *fuzzProgram) groups() []int {
	n := int(f.byte() % 5)
	if n == 0 {
		var out []int
		for _, g := range f.s.Groups[:min(3, len(f.s.Groups))] {
			out = append(out, g.ID)
		}
		return out
	}
	out := make([]int, n-1)
	for i := range out {
		out[i] = f.group()
	}
	return out
}

// ints reads a list of ints, each one by each.
func (f *fuzzProgram) ints(each func() int) []int {
	out := make([]int, f.byte()%5)
	for i := range out {
		out[i] = each()
	}
	return out
}

// fuzzTexts are texts in and out of every limit; the first is plain.
var fuzzTexts = []string{"Trygghet", "", " ", "ANSVAR  og   TILLIT", "Snakke med lederen min",
	strings.Repeat("lang tekst ", 400), "linje\nlinje", "a\u202eb", "null\x00byte", "\u200b", "æøå ÆØÅ"}

func (f *fuzzProgram) text() string { return fuzzTexts[int(f.byte())%len(fuzzTexts)] }

func (f *fuzzProgram) texts() []string {
	out := make([]string, f.byte()%4)
	for i := range out {
		out[i] = f.text()
	}
	return out
}

func (f *fuzzProgram) pick(options ...string) string { return options[int(f.byte())%len(options)] }

// answer reads an answer: one that fits the current step (zero), or one
// with any fields.
func (f *fuzzProgram) answer() *AnswerValue {
	a := &AnswerValue{Step: f.step()}
	if f.byte() != 0 || !f.s.Exists() {
		a.Choices, a.Text, a.Words, a.FollowUp = f.ints(f.small), f.text(), f.texts(), f.ints(f.small)
		if f.yes() {
			v := f.small()
			a.Value = &v
		}
		return a
	}
	step := f.s.Current()
	choice := func(n int) []int { return []int{int(f.byte()) % max(n, 1)} }
	switch step.Kind {
	case plan.KindPoll:
		a.Choices = choice(len(step.Options))
	case plan.KindScale:
		v := step.ScaleMin + int(f.byte())%max(step.ScaleMax-step.ScaleMin+1, 1)
		a.Value = &v
	case plan.KindWordcloud:
		a.Words = []string{f.text()}
	case plan.KindClosing:
		a.Text = f.text()
		if len(step.FollowUp) > 0 {
			a.FollowUp = choice(len(step.FollowUp))
		}
	default:
		a.Text = f.text()
	}
	return a
}
