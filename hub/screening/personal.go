package screening

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PersonalData finds national identity numbers, CPR numbers, phone numbers
// and e-mail addresses in text, sorted by Start and not overlapping. The
// rules are in the package doc.
func PersonalData(text string) []Match {
	addresses := emails(text)
	out := append(addresses, withoutOverlaps(numbers(text), addresses)...)
	sortMatches(out)
	return out
}

// A separator class between two runs of digits in a group.
type sep byte

const (
	sepSpace  sep = ' '
	sepHyphen sep = '-'
	sepDot    sep = '.'
	sepComma  sep = ','
)

// run is a maximal run of ASCII digits, text[start:end].
type run struct{ start, end int }

func (r run) len() int { return r.end - r.start }

// group is a number as written: runs joined by single separators, with
// seps[i] between runs[i] and runs[i+1]. plus is set when a '+' stands
// right before the first run.
type group struct {
	runs     []run
	seps     []sep
	plus     bool
	attached bool // touches a letter or a symbol that makes it no number of ours
}

func (g group) start() int {
	if g.plus {
		return g.runs[0].start - 1
	}
	return g.runs[0].start
}

func (g group) end() int { return g.runs[len(g.runs)-1].end }

// digits returns the group's digits without separators.
func (g group) digits(text string) string {
	var b strings.Builder
	for _, r := range g.runs {
		b.WriteString(text[r.start:r.end])
	}
	return b.String()
}

// shape reports whether the group's runs have exactly the given lengths and
// every separator is s.
func (g group) shape(s sep, lens ...int) bool {
	if len(g.runs) != len(lens) {
		return false
	}
	for i, r := range g.runs {
		if r.len() != lens[i] {
			return false
		}
	}
	for _, x := range g.seps {
		if x != s {
			return false
		}
	}
	return true
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// separatorAt returns the class and width of a separator at text[i:], if
// one is there.
func separatorAt(text string, i int) (sep, int) {
	if i >= len(text) {
		return 0, 0
	}
	switch text[i] {
	case ' ':
		return sepSpace, 1
	case '-':
		return sepHyphen, 1
	case '.':
		return sepDot, 1
	case ',':
		return sepComma, 1
	}
	r, w := utf8.DecodeRuneInString(text[i:])
	switch r {
	case '\u00a0', '\u202f', '\u2009': // no-break, narrow no-break, thin space
		return sepSpace, w
	case '\u2010', '\u2011', '\u2013': // hyphen, non-breaking hyphen, en dash
		return sepHyphen, w
	}
	return 0, 0
}

// attachesBefore reports whether r, standing right before a number, makes
// it part of something else: a word, an identifier, an amount.
func attachesBefore(r rune) bool {
	switch r {
	case '_', '@', '#', '$', '€', '£', '&', '=':
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// attachesAfter is attachesBefore for the rune right after a number.
func attachesAfter(r rune) bool {
	switch r {
	case '_', '@', '%', '€', '$', '£':
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// groups splits text into its number groups.
func groups(text string) []group {
	var out []group
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		g := group{}
		start := i
		if start > 0 && text[start-1] == '+' {
			g.plus = true
			start--
		}
		if start > 0 {
			r, _ := utf8.DecodeLastRuneInString(text[:start])
			g.attached = attachesBefore(r)
		}
		for {
			j := i
			for j < len(text) && isDigit(text[j]) {
				j++
			}
			g.runs = append(g.runs, run{i, j})
			s, w := separatorAt(text, j)
			if w == 0 || j+w >= len(text) || !isDigit(text[j+w]) {
				i = j
				break
			}
			g.seps = append(g.seps, s)
			i = j + w
		}
		if i < len(text) {
			r, _ := utf8.DecodeRuneInString(text[i:])
			g.attached = g.attached || attachesAfter(r)
		}
		out = append(out, g)
	}
	return out
}

// numbers finds identity numbers, CPR numbers and phone numbers.
func numbers(text string) []Match {
	var out []Match
	for _, g := range groups(text) {
		if g.attached {
			continue
		}
		if m, ok := wholeGroup(text, g); ok {
			out = append(out, m)
			continue
		}
		out = append(out, loneRuns(text, g)...)
	}
	return out
}

// wholeGroup matches a group as a whole against the shapes of the package
// doc.
func wholeGroup(text string, g group) (Match, bool) {
	at := func(k Kind) (Match, bool) { return Match{Kind: k, Start: g.start(), End: g.end()}, true }
	d := g.digits(text)
	if g.plus {
		if phoneWithPrefix(g, d, "") || international(g, d) {
			return at(Phone)
		}
		return Match{}, false
	}
	switch {
	case g.shape(0, 11), g.shape(sepSpace, 6, 5):
		if validNationalID(d) {
			return at(NationalID)
		}
	case g.shape(sepHyphen, 6, 4), g.shape(sepSpace, 6, 4):
		if validCPR(d) {
			return at(CPR)
		}
	case g.shape(0, 10):
		if validCPR(d) && cprCue(text, g.start()) {
			return at(CPR)
		}
	}
	if phoneWithPrefix(g, d, "00") {
		return at(Phone)
	}
	if phoneShape(g) && phoneDigits(d) && phoneContext(text, g, d) {
		return at(Phone)
	}
	return Match{}, false
}

// phoneWithPrefix reports whether g is a phone number after a country
// code: "+47 ..." when lead is "" and g.plus is set, "0047 ..." when lead
// is "00".
func phoneWithPrefix(g group, d, lead string) bool {
	for _, cc := range []string{"47", "45"} {
		code := lead + cc
		if !strings.HasPrefix(d, code) {
			continue
		}
		first := g.runs[0].len()
		switch {
		case first == len(code) && len(g.runs) > 1:
			rest := group{runs: g.runs[1:], seps: g.seps[1:]}
			if g.seps[0] == sepSpace && phoneShape(rest) && phoneDigits(d[len(code):]) {
				return true
			}
		case first == len(code)+8 && len(g.runs) == 1:
			if phoneDigits(d[len(code):]) {
				return true
			}
		}
	}
	return false
}

// international reports whether a group after '+' is a phone number of
// another country: 8 to 15 digits in all (the country code included), in
// runs split by spaces or hyphens, not starting with 0. Numbers after +47
// and +45 follow phoneWithPrefix alone.
func international(g group, d string) bool {
	if d[0] == '0' || strings.HasPrefix(d, "47") || strings.HasPrefix(d, "45") {
		return false
	}
	for _, s := range g.seps {
		if s != sepSpace && s != sepHyphen {
			return false
		}
	}
	return len(d) >= 8 && len(d) <= 15
}

// phoneShape reports whether g is written as 12345678, 123 45 678,
// 12 34 56 78 or 1234 5678.
func phoneShape(g group) bool {
	return g.shape(0, 8) || g.shape(sepSpace, 3, 2, 3) ||
		g.shape(sepSpace, 2, 2, 2, 2) || g.shape(sepSpace, 4, 4)
}

// phoneDigits reports whether eight digits can be a subscriber's number:
// not starting with 0 or 1 (service codes), nor with 80 (free-phone
// numbers of services).
func phoneDigits(d string) bool {
	return len(d) == 8 && d[0] >= '2' && !strings.HasPrefix(d, "80")
}

// loneRuns tries the runs of 8 and 11 digits of a group that did not match
// whole, when spaces alone split them from their neighbours.
func loneRuns(text string, g group) []Match {
	var out []Match
	for i, r := range g.runs {
		if (i > 0 && g.seps[i-1] != sepSpace) || (i < len(g.seps) && g.seps[i] != sepSpace) {
			continue
		}
		d := text[r.start:r.end]
		lone := group{runs: []run{r}}
		switch {
		case r.len() == 11 && validNationalID(d):
			out = append(out, Match{Kind: NationalID, Start: r.start, End: r.end})
		case r.len() == 8 && phoneDigits(d) && phoneContext(text, lone, d):
			out = append(out, Match{Kind: Phone, Start: r.start, End: r.end})
		}
	}
	return out
}
