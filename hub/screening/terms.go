package screening

import (
	"bufio"
	"embed"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed terms/*.txt
var termFiles embed.FS

// Languages with shipped term lists.
var Languages = []string{"nb", "da", "en"}

// cue and term lines of a term list.
const (
	lineSubject    = "subject"    // the writer: jeg, I
	linePassive    = "passive"    // between the writer and what was done: ble, was
	lineObject     = "object"     // the writer as object after what was done: meg, me
	linePossessive = "possessive" // min, my: makes a close person the writer's
	lineClose      = "close"      // a close person, with a possessive next to it
	lineFamily     = "family"     // a close person on their own: mamma, dad
	lineAlone      = "alone"      // phrases that flag without a cue
)

// Categories of what was done.
var Categories = []string{"violence", "sexual_abuse", "threat", "neglect", "self_harm"}

// word is a word of a term list: whole, or a stem (written with a * at
// its end) that matches words beginning with it.
type word struct {
	text string
	stem bool
}

func (w word) matches(token string) bool {
	if w.stem {
		return strings.HasPrefix(token, w.text)
	}
	return token == w.text
}

// list is one language's terms.
type list struct {
	cues  map[string][]word // by cue line
	terms []term            // what was done, by category
	alone [][]string        // phrases, as words
}

type term struct {
	w        word
	category string
}

// Terms are the term lists of every language. A Terms is never changed
// once made: Extend returns a new one.
type Terms struct {
	byLang map[string]*list
}

// Default returns the shipped term lists.
func Default() *Terms {
	t := &Terms{byLang: map[string]*list{}}
	for _, lang := range Languages {
		data, err := termFiles.ReadFile("terms/" + lang + ".txt")
		if err != nil {
			panic(fmt.Sprintf("screening: %v", err))
		}
		l, err := parseList(string(data))
		if err != nil {
			panic(fmt.Sprintf("screening: terms/%s.txt: %v", lang, err))
		}
		t.byLang[lang] = l
	}
	return t
}

// parseList reads a term list: "line: word word stem* ..." per line.
func parseList(src string) (*list, error) {
	l := &list{cues: map[string][]word{}}
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want \"name: words\"", n)
		}
		name = strings.TrimSpace(name)
		switch {
		case name == lineAlone:
			for _, p := range strings.Split(rest, "|") {
				if ws := tokens(p); len(ws) > 0 {
					l.alone = append(l.alone, texts(ws))
				}
			}
		case slices.Contains(Categories, name):
			for _, f := range strings.Fields(rest) {
				l.terms = append(l.terms, term{w: parseWord(f), category: name})
			}
		case slices.Contains([]string{lineSubject, linePassive, lineObject, linePossessive, lineClose, lineFamily}, name):
			for _, f := range strings.Fields(rest) {
				l.cues[name] = append(l.cues[name], parseWord(f))
			}
		default:
			return nil, fmt.Errorf("line %d: unknown line %q", n, name)
		}
	}
	return l, sc.Err()
}

func parseWord(f string) word {
	f = strings.ToLower(f)
	if strings.HasSuffix(f, "*") {
		return word{text: strings.TrimSuffix(f, "*"), stem: true}
	}
	return word{text: f}
}

// Extend returns Terms with an organisation's own terms added to a
// language's list of what was done (category "violence" unless the line
// is written "category: term"). The shipped lists are not changed.
func (t *Terms) Extend(lang string, extra []string) *Terms {
	out := &Terms{byLang: map[string]*list{}}
	for k, v := range t.byLang {
		out.byLang[k] = v
	}
	base := t.byLang[lang]
	l := &list{cues: map[string][]word{}}
	if base != nil {
		l.cues, l.alone = base.cues, base.alone
		l.terms = slices.Clone(base.terms)
	}
	for _, e := range extra {
		cat, w, ok := strings.Cut(e, ":")
		if !ok || !slices.Contains(Categories, strings.TrimSpace(cat)) {
			cat, w = "violence", e
		}
		for _, f := range strings.Fields(w) {
			l.terms = append(l.terms, term{w: parseWord(f), category: strings.TrimSpace(cat)})
		}
	}
	out.byLang[lang] = l
	return out
}

// token is a word of a text with its byte offsets.
type token struct {
	text       string
	start, end int
	sentence   int
}

// tokens splits text into lower-case words (letters, digits, apostrophes
// inside words), numbering sentences at . ! ? and line breaks.
func tokens(text string) []token {
	var out []token
	sentence, start := 0, -1
	flush := func(end int) {
		if start >= 0 {
			out = append(out, token{text: strings.ToLower(text[start:end]), start: start, end: end, sentence: sentence})
			start = -1
		}
	}
	for i, r := range text {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || (r == '\'' || r == '’') && start >= 0
		switch {
		case inWord && start < 0:
			start = i
		case !inWord:
			flush(i)
			if r == '.' || r == '!' || r == '?' || r == '\n' {
				sentence++
			}
		}
	}
	flush(len(text))
	return out
}

func texts(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.text
	}
	return out
}

// Disclosures finds possible disclosures in text, by the rule in the
// package comment. lang picks the list; other languages find nothing.
func (t *Terms) Disclosures(lang, text string) []Match {
	l := t.byLang[lang]
	if l == nil || !utf8.ValidString(text) {
		return nil
	}
	ts := tokens(text)
	var out []Match
	add := func(m Match) {
		for _, o := range out {
			if m.Start < o.End && o.Start < m.End {
				return
			}
		}
		out = append(out, m)
	}
	for i := range ts {
		for _, p := range l.alone {
			if i+len(p) <= len(ts) && phraseAt(ts, i, p) {
				add(Match{Kind: Disclosure, Start: ts[i].start, End: ts[i+len(p)-1].end, Note: "self_harm"})
			}
		}
	}
	for k, tok := range ts {
		for _, tm := range l.terms {
			if tm.w.matches(tok.text) && l.cued(ts, k) {
				add(Match{Kind: Disclosure, Start: tok.start, End: tok.end, Note: tm.category})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return a.Start - b.Start })
	return out
}

func phraseAt(ts []token, i int, p []string) bool {
	for j, w := range p {
		if ts[i+j].text != w {
			return false
		}
	}
	return true
}

// cued reports whether the term at k refers to the writer or someone close
// to them: the writer as object right after it ("slo meg"), the writer as
// subject with a passive before it ("jeg ble slått"), or a close person of
// theirs within four words, in the same sentence.
func (l *list) cued(ts []token, k int) bool {
	is := func(i int, line string) bool {
		if i < 0 || i >= len(ts) || ts[i].sentence != ts[k].sentence {
			return false
		}
		return slices.ContainsFunc(l.cues[line], func(w word) bool { return w.matches(ts[i].text) })
	}
	for d := 1; d <= 2; d++ {
		if is(k+d, lineObject) {
			return true
		}
	}
	for j := k - 1; j >= k-2; j-- {
		if is(j, linePassive) {
			for i := j - 1; i >= j-2; i-- {
				if is(i, lineSubject) {
					return true
				}
			}
		}
	}
	for d := -4; d <= 4; d++ {
		i := k + d
		if d == 0 {
			continue
		}
		if is(i, lineFamily) {
			return true
		}
		if is(i, lineClose) && (is(i-1, linePossessive) || is(i+1, linePossessive)) {
			return true
		}
	}
	return false
}

// Check finds personal data and possible disclosures in text, in order and
// without overlaps: personal data wins where the two meet.
func Check(t *Terms, lang, text string) []Match {
	out := PersonalData(text)
	if t != nil {
		for _, d := range t.Disclosures(lang, text) {
			if !slices.ContainsFunc(out, func(m Match) bool { return d.Start < m.End && m.Start < d.End }) {
				out = append(out, d)
			}
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return a.Start - b.Start })
	return out
}

// Redact replaces every personal-data match in text with mask, leaving
// disclosures as they are (they are for the facilitator to weigh, not to
// blank out).
func Redact(text string, ms []Match, mask string) string {
	var b strings.Builder
	pos := 0
	for _, m := range ms {
		if !m.Personal() || m.Start < pos || m.End > len(text) {
			continue
		}
		b.WriteString(text[pos:m.Start])
		b.WriteString(mask)
		pos = m.End
	}
	b.WriteString(text[pos:])
	return b.String()
}
