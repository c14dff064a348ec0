package screening

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The words around a number that decide whether 8 digits are a phone
// number. Words are compared lower-cased; a word ending in '*' is a stem.
var (
	// phoneWords before a number make it a phone number whatever else
	// stands around it.
	phoneWords = newWordSet("tlf*", "tel", "telefon*", "telephone*", "mob", "mobil*",
		"ring*", "sms*", "whatsapp", "phone*", "call*", "cell*", "text", "texts", "mobile*")
	// caseWords before a number make it something other than a phone
	// number: a case, order, invoice, account, reference or amount.
	caseWords = newWordSet("sak", "saken", "saks", "saksnr*", "saksnummer*", "sag", "sagen",
		"sags", "sagsnr*", "sagsnummer*", "ordre*", "order*", "faktura*", "invoice*",
		"konto*", "account*", "kunde*", "customer*", "referanse*", "reference*", "ref",
		"journal*", "arkiv*", "bestilling*", "ticket*", "case", "kid", "id", "org",
		"orgnr", "cvr", "kr", "nok", "dkk", "eur", "euro*", "kron*", "beløp*", "beløb*",
		"sum", "budsjett*", "budget*", "pris*", "price*", "amount*", "lønn*", "løn*",
		"salary", "postnummer")
	// caseSuffixes end compound words that name a number other than a
	// phone's ("medlemsnummer", "løpenr", "lønbudgettet"); the bare words
	// ("nummer", "nr") do not count.
	caseSuffixes = []string{"nummer", "nummeret", "numre", "nr", "number", "budsjett",
		"budsjettet", "budget", "budgettet"}
	// currencyWords after a number make it an amount.
	currencyWords = newWordSet("kr", "kroner", "krone", "nok", "dkk", "eur", "euro*",
		"dollar*", "usd", "mill*", "mio", "mrd", "milliard*", "billion*", "prosent",
		"procent", "percent")
	// cprWords before a 10-digit run make it a CPR number.
	cprWords = newWordSet("cpr*", "personnummer*", "personnr", "fødselsnummer*", "fnr")
)

// A wordSet holds exact words and stems.
type wordSet struct {
	exact map[string]bool
	stems []string
}

func newWordSet(words ...string) wordSet {
	s := wordSet{exact: map[string]bool{}}
	for _, w := range words {
		if stem, ok := strings.CutSuffix(w, "*"); ok {
			s.stems = append(s.stems, stem)
		} else {
			s.exact[w] = true
		}
	}
	return s
}

func (s wordSet) has(word string) bool {
	if s.exact[word] {
		return true
	}
	for _, stem := range s.stems {
		if strings.HasPrefix(word, stem) {
			return true
		}
	}
	return false
}

func (s wordSet) any(words []string) bool {
	for _, w := range words {
		if s.has(w) {
			return true
		}
	}
	return false
}

// phoneContext decides an unprefixed phone-shaped group with digits d by
// the words around it (see the package doc).
func phoneContext(text string, g group, d string) bool {
	before := wordsBefore(text, g.start(), 3)
	if phoneWords.any(before) {
		return true
	}
	if caseWords.any(before) || caseCompound(before) || currencyWords.any(wordsAfter(text, g.end(), 1)) {
		return false
	}
	if strings.HasPrefix(text[g.end():], ",-") {
		return false // "12345678,-" is an amount
	}
	if len(g.runs) == 1 && dateShaped(d) {
		return false
	}
	if g.shape(sepSpace, 4, 4) && isYear(d[:4]) && isYear(d[4:]) {
		return false
	}
	return true
}

// caseCompound reports whether a word is a compound ending in one of
// caseSuffixes.
func caseCompound(words []string) bool {
	for _, w := range words {
		for _, suffix := range caseSuffixes {
			if len(w) > len(suffix) && strings.HasSuffix(w, suffix) {
				return true
			}
		}
	}
	return false
}

func isYear(s string) bool { return s[:2] == "19" || s[:2] == "20" }

// cprCue reports whether a word for a CPR number stands among the three
// words before start.
func cprCue(text string, start int) bool {
	return cprWords.any(wordsBefore(text, start, 3))
}

// wordsBefore returns up to n lower-cased words (runs of letters) that end
// before byte i, nearest first. It stops at a digit, a line break, '!' or
// '?', which end the number's context.
func wordsBefore(text string, i, n int) []string {
	var out []string
	end := -1
	for i > 0 && len(out) < n {
		r, w := utf8.DecodeLastRuneInString(text[:i])
		letter := unicode.IsLetter(r)
		switch {
		case letter && end < 0:
			end = i
		case !letter && end >= 0:
			out = append(out, strings.ToLower(text[i:end]))
			end = -1
		}
		if !letter && stopsContext(r) {
			return out
		}
		i -= w
	}
	if end >= 0 && len(out) < n {
		out = append(out, strings.ToLower(text[:end]))
	}
	return out
}

// wordsAfter returns up to n lower-cased words that start at or after byte
// i, nearest first, with the same stops as wordsBefore.
func wordsAfter(text string, i, n int) []string {
	var out []string
	start := -1
	for i < len(text) && len(out) < n {
		r, w := utf8.DecodeRuneInString(text[i:])
		letter := unicode.IsLetter(r)
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			out = append(out, strings.ToLower(text[start:i]))
			start = -1
		}
		if !letter && stopsContext(r) {
			return out
		}
		i += w
	}
	if start >= 0 && len(out) < n {
		out = append(out, strings.ToLower(text[start:]))
	}
	return out
}

func stopsContext(r rune) bool {
	return ('0' <= r && r <= '9') || r == '\n' || r == '!' || r == '?'
}
