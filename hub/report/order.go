package report

import (
	"crypto/hmac"
	"crypto/sha256"
	"sort"
	"strconv"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// The order of rows and texts in a report never follows when or by whom
// they were submitted: the same people answering two steps in the same
// order must not come out lined up. Answer values (a poll's option, a
// scale's number) are sorted alphabetically in the report's language.
// Free texts and measures are sorted by a keyed hash of their content
// (HMAC-SHA-256 with a secret of the room): an order that is the same
// every time the room's report is made, tells nothing of who wrote what,
// and differs from one step to the next even when texts look alike.

// sortStrings sorts answer values.
func (l *lang) sortStrings(v []string) {
	c := l.collator()
	sort.SliceStable(v, func(i, j int) bool {
		if d := c.CompareString(v[i], v[j]); d != 0 {
			return d < 0
		}
		return v[i] < v[j]
	})
}

// shuffler orders texts by a keyed hash of their content.
type shuffler struct{ key []byte }

func newShuffler(secret string) shuffler {
	return shuffler{key: []byte("stoppunkt report order\x00" + secret)}
}

func (s shuffler) sum(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return string(m.Sum(nil))
}

// sortTexts puts a step's texts in keyed-hash order.
func (s shuffler) sortTexts(step int, ts []Text) {
	keyedSort(ts, func(t Text) string {
		return s.sum(strconv.Itoa(step), t.Kind, t.Text, strconv.Itoa(t.Group), t.Status)
	})
}

// sortActions puts the action list in keyed-hash order.
func (s shuffler) sortActions(as []Action) {
	keyedSort(as, func(a Action) string {
		return s.sum(strconv.Itoa(a.Step), a.What, a.Who, a.When, strconv.Itoa(a.Group), a.Status)
	})
}

// keyedSort sorts items by the key each has; equal keys (equal items) keep
// their order, which then cannot tell them apart.
func keyedSort[T any](items []T, key func(T) string) {
	type keyed struct {
		k  string
		it T
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		ks[i] = keyed{key(it), it}
	}
	sort.SliceStable(ks, func(a, b int) bool { return ks[a].k < ks[b].k })
	for i := range ks {
		items[i] = ks[i].it
	}
}

func sortWordCounts(words []room.WordCount) {
	sort.Slice(words, func(i, j int) bool {
		if words[i].Count != words[j].Count {
			return words[i].Count > words[j].Count
		}
		return words[i].Word < words[j].Word
	})
}

// oneLine folds a text onto one line for table cells.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// splitMeasure splits an action's text into the measure (its first line)
// and a description (the lines after it), the two columns of an action
// table.
func splitMeasure(what string) (measure, description string) {
	what = strings.TrimSpace(what)
	first, rest, _ := strings.Cut(what, "\n")
	return strings.TrimSpace(first), strings.TrimSpace(rest)
}
