// Package helpcard puts together the help card a closing step shows on
// phones and the big screen: where to get help and advice after a session
// about violence and abuse. A card lists the plan's own lines, then the
// server's (an organisation's own services), then the national helplines of
// the plan's country, each place once. The numbers of the national lines
// were checked against the services' own pages; see docs/operations.md.
package helpcard

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// Countries with national helplines built in, and None for no national
// lines.
const (
	Norway  = "no"
	Denmark = "dk"
	None    = "none"
)

// Countries are the values a server's help country may take.
var Countries = []string{Norway, Denmark, None}

// national lines per country and language. A line is "name: number" or
// "name: https://address"; the part after the last ": " is what a phone
// links to.
var national = map[string]map[string][]string{
	Norway: {
		"nb": {
			"Akutt fare – ring politiet: 112",
			"Politiet når det ikke haster: 02800",
			"Vold- og overgrepslinjen, gratis og anonymt hele døgnet: 116 006",
			"Alarmtelefonen for barn og unge, gratis hele døgnet: 116 111",
		},
		"nn": {
			"Akutt fare – ring politiet: 112",
			"Politiet når det ikkje hastar: 02800",
			"Vald- og overgrepslinja, gratis og anonymt heile døgnet: 116 006",
			"Alarmtelefonen for barn og unge, gratis heile døgnet: 116 111",
		},
		"en": {
			"Emergency – call the police: 112",
			"The police when it is not urgent: 02800",
			"Helpline for violence and abuse (VO-linjen), free and anonymous day and night: 116 006",
			"Helpline for children and young people (Alarmtelefonen), free day and night: 116 111",
		},
	},
	Denmark: {
		"da": {
			"Akut fare – ring til politiet: 112",
			"Politiet, når det ikke haster: 114",
			"Lev Uden Vold, rådgivning om vold i nære relationer, gratis og anonymt hele døgnet: 1888",
			"BørneTelefonen for børn og unge, hele døgnet: 116 111",
		},
		"en": {
			"Emergency – call the police: 112",
			"The police when it is not urgent: 114",
			"Lev Uden Vold, advice on violence in close relationships, free and anonymous day and night: 1888",
			"BørneTelefonen for children and young people, day and night: 116 111",
		},
	},
}

// countryOf is the country whose helplines a plan in lang shows: the
// language's own, or the server's for languages of no one country here.
func countryOf(lang, fallback string) string {
	switch lang {
	case "nb", "nn":
		return Norway
	case "da":
		return Denmark
	}
	return fallback
}

// National returns the national helplines for a plan's language, in that
// language where it can (else in English); fallback is the country for
// languages that name none (en, sv).
func National(lang, fallback string) []string {
	byLang := national[countryOf(lang, fallback)]
	if byLang == nil {
		return nil
	}
	if lines, ok := byLang[lang]; ok {
		return lines
	}
	return byLang["en"]
}

// MaxLineLength is the longest help line, in characters.
const MaxLineLength = 200

// CheckLines checks an organisation's own lines: at most
// plan.MaxHelpLines, each one line of text of at most MaxLineLength
// characters. It returns the lines trimmed, without empty ones, and the
// number (from 1) of the first bad line with the error.
func CheckLines(lines []string) ([]string, int, error) {
	out := []string{}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if utf8.RuneCountInString(line) > MaxLineLength || !utf8.ValidString(line) || strings.ContainsFunc(line, unicode.IsControl) {
			return nil, i + 1, fmt.Errorf("line %d must be one line of text of at most %d characters", i+1, MaxLineLength)
		}
		out = append(out, line)
	}
	if len(out) > plan.MaxHelpLines {
		return nil, 0, fmt.Errorf("%d lines; at most %d fit a help card", len(out), plan.MaxHelpLines)
	}
	return out, 0, nil
}

// Card is the server's part of every help card.
type Card struct {
	// Lines are the organisation's own lines, shown after the plan's.
	Lines []string
	// Country names the national helplines for plans in a language of no
	// one country (Norway, Denmark or None).
	Country string
}

// Apply returns p with the help card set on every closing step: the
// step's own lines, then the card's, then the national ones, each number
// or address once. p itself is not changed.
func (c Card) Apply(p *plan.Plan) *plan.Plan {
	if !slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.Kind == plan.KindClosing }) {
		return p
	}
	out := *p
	out.Steps = slices.Clone(p.Steps)
	nat := National(p.Language, c.Country)
	for i := range out.Steps {
		s := &out.Steps[i]
		if s.Kind != plan.KindClosing {
			continue
		}
		s.Help = merge(s.Help, c.Lines, nat)
	}
	return &out
}

// merge joins the lists, dropping a line whose number or address (the
// part after its last ": ", or else its whole text) came earlier.
func merge(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range lists {
		for _, line := range list {
			line = strings.TrimSpace(line)
			key := strings.ToLower(line)
			if i := strings.LastIndex(key, ": "); i > 0 {
				key = strings.TrimSpace(key[i+2:])
			}
			if line == "" || seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, line)
		}
	}
	return out
}
