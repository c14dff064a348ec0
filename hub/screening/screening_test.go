package screening

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

type sample struct {
	labels []Kind
	text   string
}

func loadSet(t testing.TB, set string) []sample {
	t.Helper()
	f, err := os.Open("testdata/" + set + ".tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		labels, text, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: bad line %q", set, line)
		}
		s := sample{text: text}
		for _, l := range strings.Split(labels, ",") {
			if l != "none" {
				s.labels = append(s.labels, Kind(l))
			}
		}
		out = append(out, s)
	}
	return out
}

// score is precision and recall of one kind over a test set, counted per
// text: a text is a true positive when it is labelled with the kind and
// the check finds the kind in it.
type score struct{ tp, fp, fn int }

func (s score) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s score) recall() float64    { return ratio(s.tp, s.tp+s.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// personalKinds are measured together as "personal data" and one by one.
var personalKinds = []Kind{NationalID, CPR, Phone, Email}

func measure(t testing.TB, set, lang string) (map[Kind]*score, []string) {
	terms := Default()
	scores := map[Kind]*score{}
	for _, k := range append(slices.Clone(personalKinds), Disclosure, "personal") {
		scores[k] = &score{}
	}
	var misses []string
	for _, s := range loadSet(t, set) {
		found := map[Kind]bool{}
		for _, m := range Check(terms, lang, s.text) {
			found[m.Kind] = true
			if m.Personal() {
				found["personal"] = true
			}
		}
		want := map[Kind]bool{}
		for _, l := range s.labels {
			want[l] = true
			if l != Disclosure {
				want["personal"] = true
			}
		}
		for k, sc := range scores {
			switch {
			case want[k] && found[k]:
				sc.tp++
			case want[k]:
				sc.fn++
				misses = append(misses, fmt.Sprintf("missed %s: %s", k, s.text))
			case found[k]:
				sc.fp++
				misses = append(misses, fmt.Sprintf("wrongly %s: %s", k, s.text))
			}
		}
	}
	return scores, misses
}

// The thresholds are what the shipped lists reach on the test sets, a
// little below the measured numbers (docs/reliability.md has them).
var thresholds = map[Kind][2]float64{ // precision, recall
	"personal": {0.95, 0.95},
	Disclosure: {0.9, 0.9},
}

// TestScreeningPrecisionAndRecall measures both checks on the labelled
// test sets of at least 200 texts per language.
func TestScreeningPrecisionAndRecall(t *testing.T) {
	for _, lang := range Languages {
		if n := len(loadSet(t, lang)); n < 200 {
			t.Errorf("%s: %d texts in the test set, want at least 200", lang, n)
		}
		scores, misses := measure(t, lang, lang)
		for k, th := range thresholds {
			sc := scores[k]
			if sc.precision() < th[0] || sc.recall() < th[1] {
				t.Errorf("%s %s: precision %.3f (want %.2f), recall %.3f (want %.2f)", lang, k, sc.precision(), th[0], sc.recall(), th[1])
			}
		}
		for _, m := range misses {
			t.Logf("%s: %s", lang, m)
		}
	}
}

// TestScreeningReport prints the tables of docs/reliability.md: the
// test sets the lists were made with, and the held-out sets written after
// them and never tuned on.
// go test ./hub/screening -run TestScreeningReport -v
func TestScreeningReport(t *testing.T) {
	for _, set := range []string{"", "holdout/"} {
		t.Logf("%s sets:", map[string]string{"": "test", "holdout/": "held-out"}[set])
		t.Log("| language | check | texts | with it | precision | recall |")
		t.Log("|---|---|---|---|---|---|")
		for _, lang := range Languages {
			n := len(loadSet(t, set+lang))
			scores, misses := measure(t, set+lang, lang)
			for _, k := range []Kind{"personal", NationalID, CPR, Phone, Email, Disclosure} {
				sc := scores[k]
				if sc.tp+sc.fn == 0 && sc.fp == 0 {
					continue
				}
				t.Logf("| %s | %s | %d | %d | %.3f | %.3f |", lang, k, n, sc.tp+sc.fn, sc.precision(), sc.recall())
			}
			if set != "" {
				for _, m := range misses {
					t.Logf("  %s held out: %s", lang, m)
				}
			}
		}
	}
}

// TestNoIdentityNumberWithBadCheckDigits: 100,000 random 11-digit
// strings whose check digits are wrong are never taken for a
// fødselsnummer (every tenth also written in a sentence and split 6+5).
func TestNoIdentityNumberWithBadCheckDigits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tried := 0
	for tried < 100_000 {
		b := make([]byte, 11)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		d := string(b)
		if validNationalID(d) {
			continue // only strings with invalid check digits count here
		}
		tried++
		texts := []string{d}
		if tried%10 == 0 { // every tenth also in a sentence and split 6+5
			texts = append(texts, "Nummeret "+d+" sto der.", d[:6]+" "+d[6:])
		}
		for _, text := range texts {
			for _, m := range PersonalData(text) {
				if m.Kind == NationalID {
					t.Fatalf("%q taken for an identity number", text)
				}
			}
		}
	}
}

func TestKnownIdentityNumbers(t *testing.T) {
	for _, d := range []string{"01010000110", "41010000104"} { // made up; valid by the check digits
		if !validNationalID(d) {
			t.Errorf("%s should be valid", d)
		}
	}
	if ms := PersonalData("Fødselsnummer 010100 00110."); len(ms) != 1 || ms[0].Kind != NationalID {
		t.Errorf("6+5 with a space: %+v", ms)
	}
}

func TestRedact(t *testing.T) {
	text := "Ring Kari på 912 34 567 eller kari@example.no, faren min slo meg."
	ms := Check(Default(), "nb", text)
	got := Redact(text, ms, "[fjernet]")
	want := "Ring Kari på [fjernet] eller [fjernet], faren min slo meg."
	if got != want {
		t.Errorf("Redact = %q, want %q (matches %+v)", got, want, ms)
	}
	if !slices.ContainsFunc(ms, func(m Match) bool { return m.Kind == Disclosure && text[m.Start:m.End] == "slo" }) {
		t.Errorf("the disclosure is not found: %+v", ms)
	}
}

func TestExtend(t *testing.T) {
	base := Default()
	text := "Sjefen min mobbet meg hele våren."
	if len(base.Disclosures("nb", text)) != 0 {
		t.Fatal("mobbet is not in the shipped list")
	}
	ext := base.Extend("nb", []string{"violence: mobbet*"})
	if ms := ext.Disclosures("nb", text); len(ms) != 1 || ms[0].Note != "violence" {
		t.Errorf("extended: %+v", ms)
	}
	if len(base.Disclosures("nb", text)) != 0 {
		t.Error("Extend changed the shipped list")
	}
	if len(ext.Disclosures("da", "Min far slog mig.")) != 1 {
		t.Error("Extend lost another language")
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"Ring 912 34 567", "jeg ble slått", "01010000122", "a@b.no", "æøå\u200b jeg ble slått", "+47 912 34 567 +45 22 33 44 55"} {
		f.Add(s)
	}
	terms := Default()
	f.Fuzz(func(t *testing.T, text string) {
		for _, lang := range Languages {
			ms := Check(terms, lang, text)
			for i, m := range ms {
				if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
					t.Fatalf("bad span %+v in %q", m, text)
				}
				if utf8.ValidString(text) && (!utf8.RuneStart(text[m.Start]) || (m.End < len(text) && !utf8.RuneStart(text[m.End]))) {
					t.Fatalf("span %+v not on rune boundaries in %q", m, text)
				}
				if i > 0 && ms[i-1].End > m.Start {
					t.Fatalf("overlap %+v %+v in %q", ms[i-1], m, text)
				}
			}
			_ = Redact(text, ms, "[x]")
		}
	})
}
