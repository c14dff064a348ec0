package screening

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	terms := Shipped()
	text := "Stefaren min slår meg. Skriv til slo.meg@example.no eller ring 41 23 45 67."
	got := Check(terms, "nb", text)
	expect := []want{{Disclosure, "slår"}, {Email, "slo.meg@example.no"}, {Phone, "41 23 45 67"}}
	if g := spans(text, got); !slices.Equal(g, expect) {
		t.Fatalf("got %v, want %v", g, expect)
	}
	if got[0].Note != "violence" || got[1].Note != "" || got[2].Note != "" {
		t.Errorf("notes %q %q %q", got[0].Note, got[1].Note, got[2].Note)
	}
	// Without terms, only personal data.
	if g := spans(text, Check(nil, "nb", text)); !slices.Equal(g, expect[1:]) {
		t.Errorf("nil terms: got %v", g)
	}
	// A term inside an e-mail address (with a cue right before it) gives
	// way to the address.
	text = "meg: slo@example.no"
	if g := spans(text, Check(terms, "nb", text)); !slices.Equal(g, []want{{Email, "slo@example.no"}}) {
		t.Errorf("%q: got %v", text, g)
	}
	if got := Check(terms, "nb", ""); len(got) != 0 {
		t.Errorf("empty text: %v", got)
	}
}

func TestRedact(t *testing.T) {
	terms := Shipped()
	text := "Jeg ble slått. Ring 41 23 45 67 eller skriv til kari@example.no, fnr " + fnr(t, "140335", 500) + "."
	got := Redact(text, Check(terms, "nb", text), "[fjernet]")
	want := "Jeg ble slått. Ring [fjernet] eller skriv til [fjernet], fnr [fjernet]."
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if ms := PersonalData(got); len(ms) != 0 {
		t.Errorf("personal data left after redaction: %v", ms)
	}

	cases := []struct {
		name    string
		text    string
		matches []Match
		want    string
	}{
		{"no matches", "abc", nil, "abc"},
		{"disclosures stay", "a slo b", []Match{{Kind: Disclosure, Start: 2, End: 5, Note: "violence"}}, "a slo b"},
		{"unsorted", "a 1 b 2", []Match{{Kind: Phone, Start: 6, End: 7}, {Kind: Email, Start: 2, End: 3}}, "a X b X"},
		{"overlapping merge", "abcdef", []Match{{Kind: Phone, Start: 1, End: 3}, {Kind: Email, Start: 2, End: 5}}, "aXf"},
		{"touching merge", "abcdef", []Match{{Kind: Phone, Start: 1, End: 3}, {Kind: CPR, Start: 3, End: 5}}, "aXf"},
		{"contained", "abcdef", []Match{{Kind: Phone, Start: 1, End: 5}, {Kind: CPR, Start: 2, End: 3}}, "aXf"},
		{"whole text", "abc", []Match{{Kind: NationalID, Start: 0, End: 3}}, "X"},
		{"out of range", "abc", []Match{{Kind: Phone, Start: 1, End: 9}, {Kind: Phone, Start: -1, End: 2}}, "abc"},
		{"empty or reversed", "abc", []Match{{Kind: Phone, Start: 1, End: 1}, {Kind: Phone, Start: 2, End: 1}}, "abc"},
		{"inside a rune", "æøå", []Match{{Kind: Phone, Start: 1, End: 4}, {Kind: Phone, Start: 2, End: 3}}, "æøå"},
		{"on rune boundaries", "æøå", []Match{{Kind: Phone, Start: 2, End: 4}}, "æXå"},
		{"unknown kind", "abc", []Match{{Kind: "name", Start: 0, End: 1}}, "abc"},
	}
	for _, c := range cases {
		if got := Redact(c.text, c.matches, "X"); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	if got := Redact("ring 41234567", PersonalData("ring 41234567"), ""); got != "ring " {
		t.Errorf("empty mask: %q", got)
	}
}

// boundaries returns the byte offsets where a for-range loop over text
// starts a rune, and len(text).
func boundaries(text string) map[int]bool {
	out := map[int]bool{len(text): true}
	for i := range text {
		out[i] = true
	}
	return out
}

func TestRuneStart(t *testing.T) {
	for _, text := range []string{"", "abc", "æøå€😀", "a\x80b", "\xc3", "\xc3a", "\xe2\x82", "\xe2\x82\xac\x80", "\xf0\x9f\x98\x80\x80\x80", "\x80\x80\x80\x80\x80"} {
		b := boundaries(text)
		for i := 0; i < len(text); i++ {
			if runeStart(text, i) != b[i] {
				t.Errorf("%q: runeStart(%d) = %v, want %v", text, i, runeStart(text, i), b[i])
			}
		}
	}
}

// checkInvariants fails t unless ms are valid matches of text: in bounds,
// on rune boundaries, sorted, disjoint, a known kind, a note only on
// disclosures.
func checkInvariants(t *testing.T, text string, ms []Match) {
	t.Helper()
	b := boundaries(text)
	for i, m := range ms {
		if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
			t.Fatalf("%q: match %v out of bounds", text, m)
		}
		if !b[m.Start] || !b[m.End] {
			t.Fatalf("%q: match %v not on rune boundaries", text, m)
		}
		if i > 0 && ms[i-1].End > m.Start {
			t.Fatalf("%q: matches %v and %v overlap or are out of order", text, ms[i-1], m)
		}
		if !slices.Contains(Kinds, m.Kind) || (m.Kind == Disclosure) != (m.Note != "") {
			t.Fatalf("%q: match %v has a bad kind or note", text, m)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, lang := range setLanguages {
		for _, path := range setPaths(lang) {
			for _, s := range loadSet(f, path) {
				f.Add(lang, s.text)
			}
		}
	}
	for _, s := range []string{"", "+", "+47", "0047 ", "@", "a@b.", "x@y.zz\x80", "41234567\xc3", "\xff41234567\xff",
		"meg\u00a0slo", "’", "I’ve been hit", "1-2-3-4-5-6-7-8-9-0-1", "010335–1234", "+46 70-123-45-67"} {
		f.Add("nb", s)
	}
	terms := Shipped().Extend("nb", []string{"[violence]", "x*", "!a b c"})
	f.Fuzz(func(t *testing.T, lang, text string) {
		ms := Check(terms, lang, text)
		checkInvariants(t, text, ms)
		checkInvariants(t, text, PersonalData(text))
		checkInvariants(t, text, terms.Disclosures(lang, text))
		redacted := Redact(text, ms, "[fjernet]")
		personal := 0
		for _, m := range ms {
			if m.Kind.Personal() {
				personal += m.End - m.Start
			} else if !strings.Contains(redacted, text[m.Start:m.End]) {
				t.Fatalf("%q: the disclosure %q is gone after redaction", text, text[m.Start:m.End])
			}
		}
		if personal == 0 && redacted != text {
			t.Fatalf("%q: redacted with no personal data: %q", text, redacted)
		}
		if utf8.ValidString(text) && !utf8.ValidString(redacted) {
			t.Fatalf("%q: redaction made invalid UTF-8: %q", text, redacted)
		}
	})
}
