package screening

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lengths beyond which a candidate is not an address (RFC 5321 limits).
const (
	maxLocal  = 64
	maxDomain = 253
)

// emails finds e-mail addresses: a local part, '@', and a domain of at
// least two labels whose last label is letters only, two or more.
func emails(text string) []Match {
	var out []Match
	next := 0 // addresses do not overlap: skip what the last one covered
	for i := strings.IndexByte(text, '@'); i >= 0; {
		if i >= next {
			if start, end, ok := emailAround(text, i, next); ok {
				out = append(out, Match{Kind: Email, Start: start, End: end})
				next = end
			}
		}
		j := strings.IndexByte(text[i+1:], '@')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return out
}

func localRune(r rune) bool {
	switch r {
	case '.', '_', '%', '+', '-', '\'':
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func domainRune(r rune) bool {
	return r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// emailAround returns the address around the '@' at byte at, starting at
// or after byte from.
func emailAround(text string, at, from int) (start, end int, ok bool) {
	start = at
	for start > from {
		r, w := utf8.DecodeLastRuneInString(text[:start])
		if r == utf8.RuneError || !localRune(r) {
			break
		}
		start -= w
	}
	// A local part does not start with a dot or a quote, and the '.' of
	// "see:.ola@x.no" is punctuation.
	for start < at && (text[start] == '.' || text[start] == '\'') {
		start++
	}
	local := text[start:at]
	if local == "" || len(local) > maxLocal || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return 0, 0, false
	}

	// The domain: labels of letters, digits and hyphens split by single
	// dots. A dot not followed by a label ends the sentence, not the domain.
	end = at + 1
	labels := 0
	lastLabel := ""
	for {
		ls := end
		for end < len(text) {
			r, w := utf8.DecodeRuneInString(text[end:])
			if r == utf8.RuneError || !domainRune(r) {
				break
			}
			end += w
		}
		for end > ls && text[end-1] == '-' {
			end-- // "x.no-": the hyphen is punctuation
		}
		label := text[ls:end]
		if label == "" || label[0] == '-' {
			if labels == 0 {
				return 0, 0, false
			}
			end = ls - 1 // drop the dot before the empty or bad label
			break
		}
		labels++
		lastLabel = label
		if end+1 < len(text) && text[end] == '.' {
			r, _ := utf8.DecodeRuneInString(text[end+1:])
			if domainRune(r) && r != '-' {
				end++
				continue
			}
		}
		break
	}
	if labels < 2 || end-at-1 > maxDomain || !tld(lastLabel) {
		return 0, 0, false
	}
	return start, end, true
}

// tld reports whether a domain's last label can be a top-level domain:
// two or more letters.
func tld(label string) bool {
	n := 0
	for _, r := range label {
		if !unicode.IsLetter(r) {
			return false
		}
		n++
	}
	return n >= 2
}
