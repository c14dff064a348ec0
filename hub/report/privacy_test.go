package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// renderAll writes a report in every format and returns each as text: the
// workbook as its cells, sheet after sheet and row after row.
func renderAll(t *testing.T, r *Report) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := r.Write(&b, f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f == FormatXLSX {
			out[f] = workbookText(t, b.Bytes())
			continue
		}
		out[f] = b.String()
	}
	return out
}

// workbookText reads a workbook back and lists every cell, one row a line.
func workbookText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	var b strings.Builder
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "## sheet %s\n", name)
		for _, row := range rows {
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return b.String()
}

const everyKindPlan = `id: every-kind
title: Every kind
language: nb
duration: 10m
steps:
  - kind: poll
    title: Poll
    options: ["Pollalpha", "Pollbeta"]
  - kind: scale
    title: Scale
    min_label: Scalelow
    max_label: Scalehigh
  - kind: open
    title: Open
  - kind: wordcloud
    title: Cloud
  - kind: closing
    title: Closing
    prompt: What do you take with you?
    follow_up: ["Followalpha", "Followbeta"]
  - kind: breakout
    title: Breakout
    group_size: 5
    prompts: ["Talk"]
  - kind: actions
    title: Actions
`

// everyKind runs a room where n people answer every kind of step; every
// text, word and option they can give carries a marker, and the
// facilitator approves every text but the closing takeaways.
func everyKind(t *testing.T, lang string, n int) (*room.State, []string) {
	d := newDriver(t, strings.Replace(everyKindPlan, "language: nb", "language: "+lang, 1), n)
	var markers []string
	for i, p := range d.people {
		d.do(p, "answer", "a", map[string]any{"step": 0, "choices": []int{i % 2}})
	}
	markers = append(markers, "Pollalpha", "Pollbeta")
	d.next()
	for i, p := range d.people {
		d.do(p, "answer", "b", map[string]any{"step": 1, "value": 1 + i%5})
	}
	markers = append(markers, "Scalelow", "Scalehigh")
	d.next()
	for i, p := range d.people {
		text := fmt.Sprintf("Opensecret%d", i)
		d.do(p, "answer", "c", map[string]any{"step": 2, "text": text})
		markers = append(markers, text)
	}
	d.approveStep(2)
	d.next()
	for i, p := range d.people {
		word := fmt.Sprintf("cloudsecret%d", i)
		d.do(p, "answer", "d", map[string]any{"step": 3, "words": []string{word}})
		markers = append(markers, word)
	}
	d.next()
	for i, p := range d.people {
		text := fmt.Sprintf("Closingsecret%d", i)
		d.do(p, "answer", "e", map[string]any{"step": 4, "text": text, "follow_up": []int{i % 2}})
		markers = append(markers, text)
	}
	markers = append(markers, "Followalpha", "Followbeta")
	d.next()
	for i, p := range d.people {
		text := fmt.Sprintf("Groupsecret%d", i)
		d.do(p, "entry", "f", map[string]any{"step": 5, "entry": "x", "ver": 1, "text": text})
		markers = append(markers, text)
	}
	d.do(d.people[0], "submit", "g", map[string]any{"step": 5})
	d.approveStep(5)
	d.next()
	for i, p := range d.people {
		text := fmt.Sprintf("Actionsecret%d", i)
		d.do(p, "entry", "h", map[string]any{"step": 6, "entry": "x", "ver": 1, "text": text, "who": "Whosecret", "when": "Whensecret"})
		markers = append(markers, text)
	}
	d.do(d.people[0], "submit", "i", map[string]any{"step": 6})
	d.approveStep(6)
	return d.s, append(markers, "Whosecret", "Whensecret")
}

// TestFewerThanThreeShowsNothing: a step two people answered has no
// breakdown, no rows and no texts, whatever its kind, in every format,
// with or without the texts the facilitator did not approve. With three
// people everything is there, so the test would see a leak.
func TestFewerThanThreeShowsNothing(t *testing.T) {
	for _, n := range []int{2, 3} {
		s, markers := everyKind(t, "nb", n)
		for _, all := range []bool{false, true} {
			r := Build(s, Options{IncludeAll: all, Now: testNow})
			for i, st := range r.Steps {
				if st.TooFew != (n < 3) {
					t.Errorf("%d people, step %d (%s): too few %v", n, i, st.Kind, st.TooFew)
				}
			}
			for format, text := range renderAll(t, r) {
				for _, m := range markers {
					if n >= 3 && format == FormatCSV && strings.HasPrefix(m, "Scale") {
						continue // the CSV has a scale's values, not its end labels
					}
					if got := strings.Contains(text, m); got != (n >= 3) {
						t.Errorf("%d people answered, include all %v, %s: %q shown: %v", n, all, format, m, got)
					}
				}
				if n < 3 && format == FormatCSV {
					if lines := strings.Count(strings.TrimSpace(text), "\n"); lines != 0 {
						t.Errorf("%d people: the CSV has %d rows besides the header:\n%s", n, lines, text)
					}
				}
			}
		}
	}
}

const orderPlan = `id: order
title: Order
language: en
duration: 10m
steps:
  - kind: open
    title: First
  - kind: open
    title: Second
  - kind: closing
    title: Third
    prompt: What do you take with you?
`

// TestTextsDoNotLineUpAcrossSteps: six people answer three steps, always
// in the same order, with texts that sort alike. In no format do the
// texts of two steps come out in the same order of people, nor in the
// order they were submitted.
func TestTextsDoNotLineUpAcrossSteps(t *testing.T) {
	const n = 6
	d := newDriver(t, orderPlan, 0)
	d.s.KeyHash = "a-room-secret"
	for i := 0; i < n; i++ {
		pid := fmt.Sprintf("p%d", i)
		d.apply(&room.Event{Type: room.EvJoined, PID: pid, Joined: &room.Joined{TokenHash: pid}})
		d.people = append(d.people, room.Actor{Role: wire.RoleParticipant, PID: pid})
	}
	texts := func(step int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("answer %d to step %d", i, step))
		}
		return out
	}
	for step := 0; step < 3; step++ {
		if step > 0 {
			d.next()
		}
		for i, p := range d.people {
			d.do(p, "answer", fmt.Sprint("a", step), map[string]any{"step": step, "text": texts(step)[i]})
		}
		d.approveStep(step)
	}
	identity := []int{0, 1, 2, 3, 4, 5}
	for format, out := range renderAll(t, Build(d.s, Options{Now: testNow})) {
		var orders [][]int
		for step := 0; step < 3; step++ {
			seats := seatsInOrder(out, texts(step))
			if len(seats) != n {
				t.Fatalf("%s: step %d shows %d of %d texts", format, step, len(seats), n)
			}
			if slices.Equal(seats, identity) {
				t.Errorf("%s: step %d lists its texts in the order they were submitted", format, step)
			}
			orders = append(orders, seats)
		}
		for a := 0; a < 3; a++ {
			for b := a + 1; b < 3; b++ {
				if slices.Equal(orders[a], orders[b]) {
					t.Errorf("%s: steps %d and %d list the same people in the same order: %v", format, a+1, b+1, orders[a])
				}
			}
		}
	}
	// The order is the same every time the report is made.
	again := Build(d.s, Options{Now: testNow})
	first := Build(d.s, Options{Now: testNow})
	if fmt.Sprint(first.Steps[0].Texts) != fmt.Sprint(again.Steps[0].Texts) {
		t.Fatal("two reports of the same room order texts differently")
	}
}

// seatsInOrder returns, for texts written by seats 0..n-1, the seats in
// the order their texts appear in out.
func seatsInOrder(out string, texts []string) []int {
	type at struct{ pos, seat int }
	var found []at
	for seat, text := range texts {
		if i := strings.Index(out, text); i >= 0 {
			found = append(found, at{i, seat})
		}
	}
	slices.SortFunc(found, func(a, b at) int { return a.pos - b.pos })
	seats := make([]int, len(found))
	for i, f := range found {
		seats[i] = f.seat
	}
	return seats
}
