package screening

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestShippedListsParse(t *testing.T) {
	if _, err := loadFS(shippedFS, "terms"); err != nil {
		t.Fatal(err)
	}
	terms := Shipped()
	if got := terms.Languages(); !slices.Equal(got, []string{"da", "en", "nb"}) {
		t.Fatalf("languages %v, want da, en, nb", got)
	}
	for _, lang := range terms.Languages() {
		l := terms.lists[lang]
		sections := map[string]int{}
		for _, tm := range l.terms {
			sections[tm.section]++
		}
		for _, s := range []string{"violence", "sexual_abuse", "threats", "neglect", "self_harm"} {
			if sections[s] < 10 {
				t.Errorf("%s: %d terms in [%s], want at least 10", lang, sections[s], s)
			}
		}
		if len(sections) != 5 {
			t.Errorf("%s: sections %v, want the five categories", lang, sections)
		}
		if len(l.cues) == 0 || len(l.close) == 0 || len(l.possessive) == 0 || len(l.never) == 0 || len(l.idioms) == 0 {
			t.Errorf("%s: a section of cues, close persons, possessives, never-words or idioms is empty", lang)
		}
	}
}

// testTerms is a small list for testing the rule itself.
func testTerms() *Terms {
	return (*Terms)(nil).Extend("xx", []string{
		"# a comment",
		"[cues]", "meg", "jeg ble",
		"[close]", "stefar*", "mamma",
		"[possessive]", "min",
		"[never]", "aldri",
		"[idioms]", "det slo meg", "forteller meg",
		"[violence]", "slag", "slo", "voldtekt*", "æresvold*", "blå mærker",
		"[self_harm]", "!kutter meg",
	})
}

func TestDisclosureRule(t *testing.T) {
	terms := testTerms()
	cases := []struct {
		text string
		want []want // the terms found; Note checked below
	}{
		// Cues.
		{"Han slo meg.", []want{{Disclosure, "slo"}}},
		{"Jeg ble slo", []want{{Disclosure, "slo"}}},
		{"Han slo.", nil},
		{"Stefaren min slo.", []want{{Disclosure, "slo"}}},
		{"Min stefar slo.", []want{{Disclosure, "slo"}}},
		{"Stefaren slo.", nil},    // a close person without a possessive
		{"Min kollega slo.", nil}, // not a close person
		{"mamma min slo", []want{{Disclosure, "slo"}}},
		// The window: at most Window words between cue and term.
		{"meg a b c d slo", []want{{Disclosure, "slo"}}},
		{"meg a b c d e slo", nil},
		{"slo a b c d meg", []want{{Disclosure, "slo"}}},
		{"slo a b c d e meg", nil},
		// Sentences.
		{"Det var meg. Han slo.", nil},
		{"Det var meg; han slo", nil},
		{"Det var meg\nhan slo", nil},
		{"Det var meg, han slo", []want{{Disclosure, "slo"}}},
		// Never-words.
		{"Han har aldri slo meg", nil}, // before the term
		{"meg aldri slo", nil},         // between
		{"aldri a b slo meg", []want{{Disclosure, "slo"}}},
		// Idioms cancel terms and cues inside them.
		{"Det slo meg at", nil},
		{"Hvis en elev forteller meg at hun slo", nil},
		{"Hvis en elev forteller meg at hun slo meg", []want{{Disclosure, "slo"}}},
		// Terms that stand alone.
		{"Jeg kutter meg.", []want{{Disclosure, "kutter meg"}}},
		{"Jeg har aldri kutter meg.", nil},
		// Whole words and stems.
		{"Et slag mot meg", []want{{Disclosure, "slag"}}},
		{"Alle slags ting mot meg", nil},
		{"Et forslag til meg", nil},
		{"Jeg ble utsatt for voldtekten", []want{{Disclosure, "voldtekten"}}},
		{"Jeg ble voldtektsoffer", []want{{Disclosure, "voldtektsoffer"}}},
		{"JEG BLE VOLDTEKT", []want{{Disclosure, "VOLDTEKT"}}},
		{"ÆRESVOLDEN mot meg", []want{{Disclosure, "ÆRESVOLDEN"}}},
		{"Jeg ble blå mærker", []want{{Disclosure, "blå mærker"}}},
		{"Jeg ble blå. Mærker", nil},
		{"Jeg ble blå, mærker", []want{{Disclosure, "blå, mærker"}}},
	}
	for _, c := range cases {
		got := terms.Disclosures("xx", c.text)
		if g := spans(c.text, got); !slices.Equal(g, c.want) {
			t.Errorf("%q: got %v, want %v", c.text, g, c.want)
		}
		for _, m := range got {
			if m.Note != "violence" && m.Note != "self_harm" {
				t.Errorf("%q: note %q", c.text, m.Note)
			}
		}
	}
}

func TestShippedListsOnExamples(t *testing.T) {
	terms := Shipped()
	cases := []struct {
		lang, text string
		note       string // "" for no disclosure
	}{
		{"nb", "Jeg ble slått av faren min.", "violence"},
		{"nb", "Jeg ble slått av hvor godt kurset var.", ""},
		{"nb", "Vi snakket om vold og overgrep hele dagen, og jeg lærte mye.", ""},
		{"nb", "Jeg har tenkt på å ta livet mitt.", "self_harm"},
		{"nb", "Min stefar tok på meg.", "sexual_abuse"},
		{"nn", "Min stefar tok på meg.", "sexual_abuse"},
		{"nb", "Jeg tok på meg ansvaret for plakaten.", ""},
		{"nb", "Alle slags forslag er velkomne, sa jeg.", ""},
		{"da", "Min far slog mig.", "violence"},
		{"da", "Det slog mig, at det er så udbredt.", ""},
		{"en", "My stepdad hit me.", "violence"},
		{"en", "It hit me how common this is.", ""},
		{"en", "I have thought about suicide.", "self_harm"},
		{"en", "Have you thought about suicide, we should ask pupils.", ""},
		// The writer's view, not the story: a cue followed by a clause.
		{"nb", "Det gjorde inntrykk på meg at barn som blir slått ofte ikke forteller det.", ""},
		{"nb", "Det er viktig for meg at ingen blir truet på jobb.", ""},
		{"nb", "Jeg fikk vite at eleven ble slått.", ""},
		{"nb", "Faren min har i mange år slått moren min.", "violence"},
		{"da", "Det er vigtigt for mig, at ingen bliver truet på arbejdet.", ""},
		{"da", "Jeg fik at vide, at eleven blev slået.", ""},
		{"en", "It made an impression on me that children who are hit rarely tell.", ""},
		{"en", "It is important to me that nobody is threatened at work.", ""},
		{"en", "Let me say that hitting children is never ok.", ""},
		{"en", "My father hit my mother for years.", "violence"},
		// A language without lists of its own gets every list.
		{"sv", "My stepdad hit me.", "violence"},
		{"", "Min far slog mig.", "violence"},
	}
	for _, c := range cases {
		ms := terms.Disclosures(c.lang, c.text)
		var notes []string
		for _, m := range ms {
			notes = append(notes, m.Note)
		}
		if (c.note == "") != (len(ms) == 0) || (c.note != "" && !slices.Contains(notes, c.note)) {
			t.Errorf("%s %q: notes %v, want %q", c.lang, c.text, notes, c.note)
		}
	}
}

func TestExtend(t *testing.T) {
	base := Shipped()
	text := "Jeg ble utsatt for radikalisering av broren min."
	if ms := base.Disclosures("nb", text); len(ms) != 0 {
		t.Fatalf("shipped lists already find %v", spans(text, ms))
	}
	a := base.Extend("nb", []string{"radikaliser*", "", "# comment", "bad*term!", "[threats]", "hvervet"})
	b := base.Extend("nb", []string{"[violence]", "utsatt for radikalisering"})

	if got := spans(text, a.Disclosures("nb", text)); !slices.Equal(got, []want{{Disclosure, "radikalisering"}}) {
		t.Errorf("extended: got %v", got)
	}
	if ms := a.Disclosures("nb", text); len(ms) != 1 || ms[0].Note != OtherSection {
		t.Errorf("a term before any section line: note %v, want %q", ms, OtherSection)
	}
	if ms := a.Disclosures("nb", "Jeg ble hvervet."); len(ms) != 1 || ms[0].Note != "threats" {
		t.Errorf("a term after [threats]: %v", ms)
	}
	if ms := a.Disclosures("nb", "Jeg ble slått."); len(ms) != 1 {
		t.Errorf("the shipped terms are kept: %v", ms)
	}
	// Neither the base nor a sibling sees another's terms.
	if ms := base.Disclosures("nb", text); len(ms) != 0 {
		t.Errorf("Extend changed its receiver: %v", ms)
	}
	if got := spans(text, b.Disclosures("nb", text)); !slices.Equal(got, []want{{Disclosure, "utsatt for radikalisering"}}) {
		t.Errorf("b: got %v", got)
	}
	if ms := b.Disclosures("nb", "Jeg ble hvervet."); len(ms) != 0 {
		t.Errorf("b sees a's terms: %v", ms)
	}
	// Other languages are shared, not copied, and unchanged.
	if ms := a.Disclosures("da", "Min far slog mig."); len(ms) != 1 {
		t.Errorf("da after extending nb: %v", ms)
	}
	// A new language; "nn" extends nb.
	c := base.Extend("se", []string{"[cues]", "mun", "[violence]", "dearpan"})
	if ms := c.Disclosures("se", "mun dearpan"); len(ms) != 1 {
		t.Errorf("new language: %v", ms)
	}
	if ms := base.Extend("nn", []string{"radikaliser*"}).Disclosures("nb", text); len(ms) != 1 {
		t.Errorf("nn extends nb: %v", ms)
	}
	// Cues and idioms extend too.
	d := base.Extend("nb", []string{"[close]", "trener", "[idioms]", "slått av faren"})
	if ms := d.Disclosures("nb", "Jeg ble slått av faren min."); len(ms) != 0 {
		t.Errorf("an added idiom: %v", ms)
	}
}

// TestExtendWhileScreening: values are shared by rooms at once; extending
// one while others screen with it is safe (run with -race).
func TestExtendWhileScreening(t *testing.T) {
	base := Shipped()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t2 := base
			for j := range 50 {
				if i%2 == 0 {
					t2 = t2.Extend("nb", []string{fmt.Sprintf("ord%d", j)})
				}
				t2.Disclosures("nb", "Jeg ble slått av stefaren min ord3.")
			}
		}()
	}
	wg.Wait()
}

func TestCheckTerm(t *testing.T) {
	for _, ok := range []string{"", "# comment", "[violence]", "[my_list]", "slag", "voldtekt*", "!ta livet mitt", "self-harm", "i've been", "blå mærker", "  spaced  "} {
		if err := CheckTerm(ok); err != nil {
			t.Errorf("CheckTerm(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"[Violence]", "[no end", "[]", "slag!", "*", "!", "a*b", "vold.", "100%", "e@mail", "[" + strings.Repeat("a", 33) + "]"} {
		if err := CheckTerm(bad); err == nil {
			t.Errorf("CheckTerm(%q) = nil, want an error", bad)
		}
	}
	// Sections that take single words, and '!' only on terms.
	l := &list{}
	if errs := l.add([]string{"[possessive]", "min egen", "[never]", "!aldri", "[cues]", "!meg"}, ""); len(errs) != 3 {
		t.Errorf("got %v, want three errors", errs)
	}
	if errs := l.add([]string{"slag"}, ""); len(errs) != 1 {
		t.Errorf("a term before any section in a shipped list: %v", errs)
	}
}
