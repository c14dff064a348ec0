package helpcard

import (
	"slices"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

func closingPlan(lang string, own ...string) *plan.Plan {
	return &plan.Plan{ID: "help-test", Title: "T", Language: lang, Steps: []plan.Step{
		{Kind: plan.KindInfo, Title: "Start"},
		{Kind: plan.KindClosing, Title: "Slutt", Prompt: "Hva tar du med deg?", Help: own},
	}}
}

// TestApply: the plan's own lines come first, then the organisation's,
// then the national helplines of the plan's language; a number listed
// twice is shown once; the plan given is not changed; other steps get
// nothing.
func TestApply(t *testing.T) {
	card := Card{Lines: []string{"Bedriftshelsetjenesten: 22 00 00 00", "Politiet: 112"}, Country: Denmark}
	for _, c := range []struct {
		lang, first, national string
	}{
		{"nb", "Vår HMS-avdeling: 33 33 33 33", "Vold- og overgrepslinjen, gratis og anonymt hele døgnet: 116 006"},
		{"nn", "Vår HMS-avdeling: 33 33 33 33", "Vald- og overgrepslinja, gratis og anonymt heile døgnet: 116 006"},
		{"da", "Vores HR: 33 33 33 33", "Lev Uden Vold, rådgivning om vold i nære relationer, gratis og anonymt hele døgnet: 1888"},
		{"en", "Our HR: 33 33 33 33", "Lev Uden Vold, advice on violence in close relationships, free and anonymous day and night: 1888"},
	} {
		p := closingPlan(c.lang, c.first)
		got := card.Apply(p).Steps[1].Help
		if got[0] != c.first || got[1] != card.Lines[0] || !slices.Contains(got, c.national) {
			t.Errorf("%s: %q", c.lang, got)
		}
		n112 := 0
		for _, line := range got {
			if strings.HasSuffix(line, ": 112") {
				n112++
			}
		}
		if n112 != 1 {
			t.Errorf("%s: 112 listed %d times: %q", c.lang, n112, got)
		}
		if len(p.Steps[1].Help) != 1 || card.Apply(p).Steps[0].Help != nil {
			t.Errorf("%s: the plan given was changed, or a step that is not a closing got a card", c.lang)
		}
	}
	if got := (Card{Country: None}).Apply(closingPlan("en")).Steps[1].Help; len(got) != 0 {
		t.Errorf("country none, English plan: %q", got)
	}
	if got := (Card{Country: Norway}).Apply(closingPlan("en")).Steps[1].Help; !slices.Contains(got, "The police when it is not urgent: 02800") {
		t.Errorf("country no, English plan: %q", got)
	}
	noClosing := &plan.Plan{Language: "nb", Steps: []plan.Step{{Kind: plan.KindInfo}}}
	if (Card{Country: Norway}).Apply(noClosing) != noClosing {
		t.Error("a plan without a closing step is copied")
	}
}

// TestNationalLinesAreValidHelpLines: every built-in line fits the plan
// format's rules for help lines and ends in a number to call.
func TestNationalLinesAreValidHelpLines(t *testing.T) {
	for country, byLang := range national {
		for lang, lines := range byLang {
			p := closingPlan("nb", lines...)
			p.Duration = plan.Duration(600e9)
			p.ApplyDefaults()
			for _, pr := range p.Validate() {
				t.Errorf("%s/%s: %s: %s", country, lang, pr.Field, pr.Message)
			}
			for _, line := range lines {
				i := strings.LastIndex(line, ": ")
				if i < 0 || strings.Trim(line[i+2:], "0123456789 ") != "" {
					t.Errorf("%s/%s: %q does not end in a number", country, lang, line)
				}
			}
		}
	}
}
