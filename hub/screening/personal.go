// Package screening looks through a participant's text before it can
// reach the big screen or a report, for two things a facilitator must see
// first:
//
//   - Personal data: a Norwegian national identity number (fødselsnummer or
//     D-number: 11 digits, a valid date, both check digits right), a
//     Danish CPR number (a valid date and four digits, written with a
//     hyphen or a space, or run together right after the word "CPR"), a
//     Norwegian or Danish phone number (8 digits, alone or in the usual
//     groups, with or without +47/+45), or an e-mail address.
//   - A possible disclosure: the writer, or someone close to them,
//     subjected to violence, abuse or threats, or the writer hurting
//     themselves. These sessions are about violence and abuse, so the
//     words alone ("vold", "overgrep") are in almost every text and flag
//     nothing. A text is flagged when a first-person or close-person cue
//     (jeg, meg, min mor, my stepfather, …) stands within a few words of
//     a term for what was done (slo, truet, misbrukt, …) in the same
//     sentence, or when it holds one of a few phrases that need no cue
//     ("ta livet mitt", "kill myself").
//
// Matching is case-insensitive and on word starts: a term matches a word
// that begins with it, so a stem covers its inflections, and never the
// inside of a word ("slag" does not match "forslag"). Offsets are bytes
// into the text, on rune boundaries.
package screening

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Kind is what a match found.
type Kind string

// Kinds of match.
const (
	NationalID Kind = "national_id"
	CPR        Kind = "cpr"
	Phone      Kind = "phone"
	Email      Kind = "email"
	Disclosure Kind = "disclosure"
)

// Match is one finding in a text. Note is set for disclosures only: the
// category of the term ("violence", "sexual_abuse", "self_harm", "threat",
// "neglect").
type Match struct {
	Kind       Kind   `json:"kind"`
	Start, End int    `json:"-"`
	Note       string `json:"note,omitempty"`
}

// Personal reports whether the match is personal data (not a disclosure).
func (m Match) Personal() bool { return m.Kind != Disclosure }

var (
	// Eleven digits, maybe as 6+5 with one space, not inside a longer run.
	nationalRe = regexp.MustCompile(`(^|[^0-9])([0-9]{6}) ?([0-9]{5})($|[^0-9])`)
	// Ten digits as 6-4 (hyphen or space), or run together.
	cprRe = regexp.MustCompile(`(^|[^0-9])([0-9]{6})([- ]?)([0-9]{4})($|[^0-9])`)
	// Eight digits, alone or as 3-2-3, 2-2-2-2 or 4-4, with an optional
	// country code, not inside a longer run.
	phoneRe = regexp.MustCompile(`(^|[^0-9+])((?:(?:\+|00) ?(?:47|45) ?)?(?:[0-9]{8}|[0-9]{3} [0-9]{2} [0-9]{3}|[0-9]{2} [0-9]{2} [0-9]{2} [0-9]{2}|[0-9]{4} [0-9]{4}))($|[^0-9])`)
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// Words that make a number an amount, a paragraph or a reference.
	amountBefore = regexp.MustCompile(`(?i)(kr\.?|nok|dkk|§|paragraf|saksnr\.?|journalnr\.?|kontonr\.?|reg\.?nr\.?|org\.? ?nr\.?|cvr(-nr\.?)?)\s*:?\s*$`)
	// Words a little before a number that make it a reference, not a phone.
	referenceBefore = regexp.MustCompile(`(?i)(ordre|order|faktura|invoice|kunde|customer|konto|account|saks|case|journal|organisasjons|organisations|reference|referanse)[ -]?(nummer|number|nr)`)
	amountAfter     = regexp.MustCompile(`(?i)^\s*(kr\b|kroner|nok\b|dkk\b|,-)`)
	cprBefore       = regexp.MustCompile(`(?i)cpr[- ]?(nr\.?|nummer|number)?[\s:.]*$`)
)

// PersonalData finds personal data in text, in order, without overlaps.
func PersonalData(text string) []Match {
	var out []Match
	taken := func(s, e int) bool {
		for _, m := range out {
			if s < m.End && m.Start < e {
				return true
			}
		}
		return false
	}
	for _, ix := range scan(nationalRe, text, 7) {
		s, e := ix[4], ix[7]
		digits := text[ix[4]:ix[5]] + text[ix[6]:ix[7]]
		if validNationalID(digits) {
			out = append(out, Match{Kind: NationalID, Start: s, End: e})
		}
	}
	for _, ix := range scan(cprRe, text, 9) {
		s, e := ix[4], ix[9]
		sep := text[ix[6]:ix[7]]
		if taken(s, e) || !validCPRDate(text[ix[4]:ix[5]]) {
			continue
		}
		if sep == "" && !cprBefore.MatchString(text[:s]) {
			continue // ten bare digits are a CPR number only when called one
		}
		out = append(out, Match{Kind: CPR, Start: s, End: e})
	}
	for _, ix := range scan(phoneRe, text, 5) {
		s, e := ix[4], ix[5]
		if taken(s, e) || !phoneLike(text, s, e) {
			continue
		}
		out = append(out, Match{Kind: Phone, Start: s, End: e})
	}
	for _, ix := range emailRe.FindAllStringIndex(text, -1) {
		if !taken(ix[0], ix[1]) {
			out = append(out, Match{Kind: Email, Start: ix[0], End: ix[1]})
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return a.Start - b.Start })
	return out
}

// scan finds every match of re in text whose number ends at submatch
// index end, going on right after each number: the boundary after one
// number can be the boundary before the next.
func scan(re *regexp.Regexp, text string, end int) [][]int {
	var out [][]int
	for pos := 0; pos < len(text); {
		ix := re.FindStringSubmatchIndex(text[pos:])
		if ix == nil {
			break
		}
		for i := range ix {
			if ix[i] >= 0 {
				ix[i] += pos
			}
		}
		out = append(out, ix)
		pos = ix[end]
	}
	return out
}

// phoneLike rules out numbers that are amounts, references or dates.
func phoneLike(text string, s, e int) bool {
	if amountBefore.MatchString(text[:s]) || amountAfter.MatchString(text[e:]) {
		return false
	}
	if ref := referenceBefore.FindAllStringIndex(text[:s], -1); len(ref) > 0 && s-ref[len(ref)-1][1] <= 30 {
		return false // "the order number for the material is 55512345"
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, text[s:e])
	local := digits[len(digits)-8:]
	if local[0] == '0' || local[0] == '1' {
		return false // no Norwegian or Danish subscriber number starts so
	}
	if e-s == 8 && looksLikeDate(local) {
		return false // 20240312, written as one run, is a date
	}
	return true
}

// looksLikeDate: eight digits that read as YYYYMMDD or DDMMYYYY.
func looksLikeDate(d string) bool {
	valid := func(y, m, dd string) bool {
		_, err := time.Parse("20060102", y+m+dd)
		return err == nil && (y[:2] == "19" || y[:2] == "20")
	}
	return valid(d[:4], d[4:6], d[6:]) || valid(d[4:], d[2:4], d[:2])
}

// validNationalID checks a Norwegian fødselsnummer or D-number: a valid
// date (day plus 40 for a D-number) and both mod-11 check digits.
func validNationalID(d string) bool {
	n := make([]int, 11)
	for i := range d {
		n[i] = int(d[i] - '0')
	}
	day := n[0]*10 + n[1]
	if day > 40 {
		day -= 40
	}
	month := n[2]*10 + n[3]
	if day < 1 || day > 31 || month < 1 || month > 12 {
		return false
	}
	check := func(weights []int) int {
		sum := 0
		for i, w := range weights {
			sum += w * n[i]
		}
		k := 11 - sum%11
		if k == 11 {
			k = 0
		}
		return k
	}
	k1 := check([]int{3, 7, 6, 1, 8, 9, 4, 5, 2})
	if k1 == 10 || k1 != n[9] {
		return false
	}
	k2 := check([]int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2})
	return k2 != 10 && k2 == n[10]
}

// validCPRDate checks the DDMMYY of a CPR number.
func validCPRDate(d string) bool {
	_, err := time.Parse("020106", d)
	return err == nil
}
