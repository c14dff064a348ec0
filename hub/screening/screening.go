package screening

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind names what a Match found.
type Kind string

// The kinds of match. The first four are personal data; Disclosure is a
// possible personal disclosure.
const (
	NationalID Kind = "national_id" // Norwegian fødselsnummer or D-number
	CPR        Kind = "cpr"         // Danish CPR number
	Phone      Kind = "phone"       // Norwegian or Danish phone number
	Email      Kind = "email"       // e-mail address
	Disclosure Kind = "disclosure"  // possible disclosure (see the package doc)
)

// Kinds lists every kind, personal data first.
var Kinds = []Kind{NationalID, CPR, Phone, Email, Disclosure}

// Personal reports whether k is personal data, which Redact removes.
func (k Kind) Personal() bool {
	switch k {
	case NationalID, CPR, Phone, Email:
		return true
	}
	return false
}

// Match is one finding in a text.
type Match struct {
	Kind Kind
	// Start and End are byte offsets into the text: text[Start:End] is the
	// match. Both lie on rune boundaries.
	Start, End int
	// Note is set for disclosures only: the section of the term that
	// matched, a short key such as "violence", "sexual_abuse", "threats",
	// "neglect", "self_harm", or "other" for an organisation's own terms.
	Note string
}

// Check screens text for personal data and, with terms, for possible
// disclosures in the language lang (see Terms.Disclosures). The matches are
// sorted by Start and do not overlap; where a disclosure term overlaps
// personal data (a word inside an e-mail address), the personal data is
// kept. terms may be nil: then only personal data is screened.
func Check(terms *Terms, lang, text string) []Match {
	personal := PersonalData(text)
	disclosures := terms.Disclosures(lang, text)
	out := make([]Match, 0, len(personal)+len(disclosures))
	out = append(out, personal...)
	out = append(out, withoutOverlaps(disclosures, personal)...)
	sortMatches(out)
	return out
}

// Redact returns text with every personal-data span of matches replaced by
// mask (the caller's word for it in the room's language, such as
// "[fjernet]"). Disclosures are left alone. Spans that overlap or touch are
// masked once as one span. Matches outside the text or not on rune
// boundaries are ignored, so matches kept from an earlier version of a text
// cannot corrupt it.
func Redact(text string, matches []Match, mask string) string {
	spans := make([]Match, 0, len(matches))
	for _, m := range matches {
		if m.Kind.Personal() && validSpan(text, m.Start, m.End) {
			spans = append(spans, m)
		}
	}
	if len(spans) == 0 {
		return text
	}
	sortMatches(spans)
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].Start, spans[i].End
		for i++; i < len(spans) && spans[i].Start <= end; i++ {
			end = max(end, spans[i].End)
		}
		b.WriteString(text[pos:start])
		b.WriteString(mask)
		pos = end
	}
	b.WriteString(text[pos:])
	return b.String()
}

// validSpan reports whether text[start:end] is a non-empty slice that
// starts and ends on rune boundaries.
func validSpan(text string, start, end int) bool {
	if start < 0 || end > len(text) || start >= end {
		return false
	}
	return runeStart(text, start) && (end == len(text) || runeStart(text, end))
}

// runeStart reports whether decoding text from its start (as a for-range
// loop does) begins a rune at byte i, which is below len(text). Every byte
// that is not a continuation byte does; a continuation byte does only when
// it is stray, not covered by a valid sequence that starts before it.
func runeStart(text string, i int) bool {
	if text[i]&0xC0 != 0x80 {
		return true
	}
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		if text[j]&0xC0 != 0x80 {
			_, size := utf8.DecodeRuneInString(text[j:])
			return j+size <= i
		}
	}
	return true
}

// withoutOverlaps returns the matches of ms that overlap none of keep.
// Both are sorted by Start and keep's matches are disjoint, so one pass
// over each does.
func withoutOverlaps(ms, keep []Match) []Match {
	var out []Match
	j := 0
	for _, m := range ms {
		for j < len(keep) && keep[j].End <= m.Start {
			j++
		}
		if j < len(keep) && keep[j].Start < m.End {
			continue
		}
		out = append(out, m)
	}
	return out
}

// sortMatches orders matches by Start, then by End.
func sortMatches(ms []Match) {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Start != ms[j].Start {
			return ms[i].Start < ms[j].Start
		}
		return ms[i].End < ms[j].End
	})
}
