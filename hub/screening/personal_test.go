package screening

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The identity numbers in these tests are made here, by a check-digit
// computation written apart from the package's, with dates of birth in the
// 2030s unless a test is about the century rules: fiction, not anyone's.

// fnrCheckDigits computes the two check digits of the first nine digits of
// a fødselsnummer, or ok=false when either would be 10 (no such number).
func fnrCheckDigits(nine string) (k1, k2 int, ok bool) {
	digit := func(s string, i int) int { return int(s[i] - '0') }
	w1 := []int{3, 7, 6, 1, 8, 9, 4, 5, 2}
	w2 := []int{5, 4, 3, 2, 7, 6, 5, 4, 3, 2}
	s := 0
	for i, w := range w1 {
		s += w * digit(nine, i)
	}
	k1 = (11 - s%11) % 11
	s = k1 * w2[9]
	for i := 0; i < 9; i++ {
		s += w2[i] * digit(nine, i)
	}
	k2 = (11 - s%11) % 11
	return k1, k2, k1 != 10 && k2 != 10
}

// fnr returns a number with valid check digits for ddmmyy and the first
// individual number from individual upwards that has them.
func fnr(t testing.TB, ddmmyy string, individual int) string {
	t.Helper()
	for i := individual; i < individual+100 && i < 1000; i++ {
		nine := fmt.Sprintf("%s%03d", ddmmyy, i)
		if k1, k2, ok := fnrCheckDigits(nine); ok {
			return fmt.Sprintf("%s%d%d", nine, k1, k2)
		}
	}
	t.Fatalf("no individual number from %d has check digits for %s", individual, ddmmyy)
	return ""
}

// randomFnr returns a valid fictional number born in the 2030s, a D-number
// when d is set.
func randomFnr(t testing.TB, r *rand.Rand, d bool) string {
	day := 1 + r.IntN(28)
	if d {
		day += 40
	}
	return fnr(t, fmt.Sprintf("%02d%02d%02d", day, 1+r.IntN(12), 30+r.IntN(10)), 500+r.IntN(400))
}

func TestNationalIDRules(t *testing.T) {
	cases := []struct {
		name       string
		ddmmyy     string
		individual int
		want       bool
	}{
		{"born 2035", "140335", 500, true},
		{"born 1935, individual 000-499", "140335", 100, true},
		{"born 1875, individual 500-749", "140375", 500, true},
		{"individual 500-749 with year 40-53 has no century", "140345", 500, false},
		{"individual 750-899 with year 54-99 has no century", "140375", 760, false},
		{"born 1945, individual 900-999", "140345", 900, true},
		{"D-number: day plus 40", "540335", 500, true},
		{"D-number past day 71", "720335", 500, false},
		{"day 32", "320335", 500, false},
		{"day 00", "000335", 500, false},
		{"month 13", "141335", 500, false},
		{"29 February 2032, a leap year", "290232", 500, true},
		{"29 February 2033", "290233", 500, false},
		{"29 February 2000", "290200", 500, true},
		{"29 February 1900 (individual below 500)", "290200", 100, false},
		{"31 April", "310435", 500, false},
	}
	for _, c := range cases {
		n := fnr(t, c.ddmmyy, c.individual)
		if got := validNationalID(n); got != c.want {
			t.Errorf("%s: validNationalID(%s) = %v, want %v", c.name, n, got, c.want)
		}
		bad := n[:10] + string('0'+(n[10]-'0'+1)%10)
		if validNationalID(bad) {
			t.Errorf("%s: %s with a wrong last check digit is valid", c.name, bad)
		}
	}
}

// TestRandomElevenDigitsAreNotIdentityNumbers: 100,000 random 11-digit
// strings whose check digits are wrong (by this file's own computation)
// give no national_id match, alone, after a label, split 6+5, or in a
// sentence; and, standing alone, no match of any kind.
func TestRandomElevenDigitsAreNotIdentityNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 196))
	terms := Shipped()
	tested := 0
	for tested < 100_000 {
		var b [11]byte
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		s := string(b[:])
		if k1, k2, ok := fnrCheckDigits(s[:9]); ok && int(s[9]-'0') == k1 && int(s[10]-'0') == k2 {
			continue // valid check digits: not what this test is about
		}
		tested++
		if ms := Check(terms, "nb", s); len(ms) != 0 {
			t.Fatalf("%s: got %v, want nothing", s, ms)
		}
		for _, text := range []string{"fnr " + s + ".", s[:6] + " " + s[6:], "Fødselsnummeret er " + s + ", ring meg."} {
			for _, m := range Check(terms, "nb", text) {
				if m.Kind == NationalID {
					t.Fatalf("%q: national_id %q", text, text[m.Start:m.End])
				}
			}
		}
	}
}

// TestValidNumbersAreFound: the other side of the test above; valid
// fictional numbers are found, whole, in every written form.
func TestValidNumbersAreFound(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for i := 0; i < 5_000; i++ {
		n := randomFnr(t, r, i%5 == 0)
		for _, form := range []string{n, n[:6] + " " + n[6:], n[:6] + "\u00a0" + n[6:]} {
			text := "Nummeret er " + form + "."
			want := []Match{{Kind: NationalID, Start: 12, End: 12 + len(form)}}
			if got := PersonalData(text); !slices.Equal(got, want) {
				t.Fatalf("%q: got %v, want %v", text, got, want)
			}
		}
	}
}

func TestCPRRules(t *testing.T) {
	cases := []struct {
		d    string
		want bool
	}{
		{"0103351234", true},  // 7th digit 1: 1935
		{"2902004123", true},  // 7th digit 4, year 00: 2000, a leap year
		{"2902001123", false}, // 7th digit 1: 1900, not a leap year
		{"2902005123", true},  // 7th digit 5, year 00: 2000
		{"2902585123", false}, // 7th digit 5, year 58: 1858, no 29 February
		{"2902964123", true},  // 1996
		{"2902374123", false}, // 7th digit 4, year 37: 1937
		{"3204351234", false}, // day 32
		{"0113351234", false}, // month 13
		{"3104351234", false}, // 31 April
	}
	for _, c := range cases {
		if got := validCPR(c.d); got != c.want {
			t.Errorf("validCPR(%s) = %v, want %v", c.d, got, c.want)
		}
	}
}

// want is a match by kind and the text it covers.
type want struct {
	kind Kind
	text string
}

func spans(text string, ms []Match) []want {
	var out []want
	for _, m := range ms {
		out = append(out, want{m.Kind, text[m.Start:m.End]})
	}
	return out
}

func TestPersonalData(t *testing.T) {
	id := fnr(t, "140335", 500)
	d := fnr(t, "540335", 600)
	cases := []struct {
		text string
		want []want
	}{
		// National identity numbers.
		{"fnr " + id, []want{{NationalID, id}}},
		{"fnr " + id[:6] + " " + id[6:] + ".", []want{{NationalID, id[:6] + " " + id[6:]}}},
		{"D-nummer " + d, []want{{NationalID, d}}},
		{"i 2023 " + id + " og", []want{{NationalID, id}}},
		{"x" + id, nil},
		{id + "x", nil},
		{id[:6] + "-" + id[6:], nil},
		{"1" + id, nil},
		// CPR.
		{"CPR 010335-1234", []want{{CPR, "010335-1234"}}},
		{"010335 1234", []want{{CPR, "010335 1234"}}},
		{"010335\u20131234", []want{{CPR, "010335\u20131234"}}},
		{"cpr-nr 0103351234", []want{{CPR, "0103351234"}}},
		{"personnummer: 0103351234", []want{{CPR, "0103351234"}}},
		{"løpenummer 0103351234", nil},
		{"0103351234", nil},
		{"CPR 320335-1234", nil},
		// Phone numbers.
		{"ring 41234567", []want{{Phone, "41234567"}}},
		{"ring 412 34 567", []want{{Phone, "412 34 567"}}},
		{"ring 41 23 45 67", []want{{Phone, "41 23 45 67"}}},
		{"ring 4123 4567", []want{{Phone, "4123 4567"}}},
		{"ring +47 41234567", []want{{Phone, "+47 41234567"}}},
		{"ring +4741234567", []want{{Phone, "+4741234567"}}},
		{"ring +45 41 23 45 67", []want{{Phone, "+45 41 23 45 67"}}},
		{"ring 0047 412 34 567", []want{{Phone, "0047 412 34 567"}}},
		{"ring 004541234567", []want{{Phone, "004541234567"}}},
		{"ring 41\u00a023\u00a045\u00a067", []want{{Phone, "41\u00a023\u00a045\u00a067"}}},
		{"41234567/51234567", []want{{Phone, "41234567"}, {Phone, "51234567"}}},
		{"i 2023 41234567", []want{{Phone, "41234567"}}},
		{"12345678", nil},      // starts with 1
		{"ring 80012345", nil}, // free-phone
		{"ring +46 70 123 45 67", []want{{Phone, "+46 70 123 45 67"}}}, // international
		{"+1 234", nil},                                          // too short for a phone number
		{"412 345 67", nil},                                      // not a way phone numbers are written
		{"41 23 45 67 89", nil},                                  // ten digits
		{"kr 41234567", nil},                                     // an amount
		{"41234567 kroner", nil},                                 // an amount
		{"41234567,- i året", nil},                               // an amount
		{"41234567,50", nil},                                     // a decimal number
		{"sak 41234567", nil},                                    // a case
		{"ordrenummer 41234567", nil},                            // an order
		{"medlemsnummer 41234567", nil},                          // a compound ending in -nummer
		{"tlf saksnummer 41234567", []want{{Phone, "41234567"}}}, // a phone word wins
		{"20240115", nil},                                        // a date
		{"15012024", nil},                                        // a date
		{"ring 20240115", []want{{Phone, "20240115"}}},
		{"2019 2020", nil},   // two years
		{"kl 14.30", nil},    // a time
		{"12.03.2026", nil},  // a date
		{"#41234567", nil},   // a reference
		{"$41234567", nil},   // an amount
		{"41234567%", nil},   // a share
		{"abc41234567", nil}, // part of a word
		{"4123.4567", nil},   // not a phone's shape
		{"41-23-45-67", nil}, // hyphens are not a phone's shape here
		// E-mail addresses.
		{"kari@example.no.", []want{{Email, "kari@example.no"}}},
		{"(kari.n+x@sub.example.no)", []want{{Email, "kari.n+x@sub.example.no"}}},
		{"ørjan@eksempel.no", []want{{Email, "ørjan@eksempel.no"}}},
		{"a@b.no@c.no", []want{{Email, "a@b.no"}}},
		{"kari@example", nil},
		{"kari@example.n0", nil},
		{"@kollega", nil},
		{"kari@.no", nil},
		{".kari@example.no", []want{{Email, "kari@example.no"}}},
		{"kari.@example.no", nil},
		{"kari@example.no-", []want{{Email, "kari@example.no"}}},
		{"41234567@example.no", []want{{Email, "41234567@example.no"}}},
		// Several at once, in order.
		{"Ring 41234567 eller skriv til kari@example.no, fnr " + id, []want{{Phone, "41234567"}, {Email, "kari@example.no"}, {NationalID, id}}},
	}
	for _, c := range cases {
		if got := spans(c.text, PersonalData(c.text)); !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.text, got, c.want)
		}
	}
}

// TestTestdataNumbersAreFictional: every identity number in the test sets
// has a date of birth in the 2030s, so none can be a living person's.
func TestTestdataNumbersAreFictional(t *testing.T) {
	for _, lang := range setLanguages {
		for _, path := range setPaths(lang) {
			for _, s := range loadSet(t, path) {
				for _, m := range PersonalData(s.text) {
					var digits string
					for _, c := range s.text[m.Start:m.End] {
						if '0' <= c && c <= '9' {
							digits += string(c)
						}
					}
					var yy string
					switch m.Kind {
					case NationalID:
						yy = digits[4:6]
						if digits[6] < '5' {
							yy = "19" + yy
						}
					case CPR:
						yy = digits[4:6]
						if !strings.ContainsRune("45678", rune(digits[6])) && digits[6] != '9' {
							yy = "19" + yy
						}
					default:
						continue
					}
					if len(yy) != 2 || yy[0] != '3' {
						t.Errorf("%s:%d: %s %s is not born in the 2030s", path, s.line, m.Kind, digits)
					}
				}
			}
		}
	}
}
