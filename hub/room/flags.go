package room

import (
	"unicode/utf8"

	"github.com/stoppunkt/stoppunkt/hub/screening"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Screening of queue items: personal data and possible disclosures are
// flagged for the facilitator (see hub/screening). An item with personal
// data cannot go on the big screen, nor into the default report, until
// the facilitator redacts it (the matches are replaced, and the redacted
// text is the one kept) or explicitly overrides. Flags are worked out from
// the item's text whenever they are needed, by the screening the hub
// sets; they are not part of the room's log.

// Screener finds personal data and possible disclosures in a text of the
// given plan language.
type Screener func(lang, text string) []screening.Match

// SetScreener sets how this state screens texts; nil screens nothing.
func (s *State) SetScreener(fn Screener) { s.screener = fn }

// FlagView is one finding in an item's text, as staff see it. Start and
// End count UTF-16 code units, as JavaScript strings do; a finding in who
// or when (an action's fields) has Field set and no span.
type FlagView struct {
	Kind  string `json:"kind"`
	Start int    `json:"start,omitempty"`
	End   int    `json:"end,omitempty"`
	Field string `json:"field,omitempty"`
	Note  string `json:"note,omitempty"`
}

// redactMask replaces personal data, in the plan's language.
func redactMask(lang string) string {
	switch lang {
	case "nb", "nn", "da":
		return "[fjernet]"
	case "sv":
		return "[borttaget]"
	}
	return "[removed]"
}

// ItemFlags lists what the screening finds in an item.
func (s *State) ItemFlags(it *Item) []FlagView {
	if s.screener == nil || it == nil {
		return nil
	}
	lang := s.Plan.Language
	var out []FlagView
	for _, m := range s.screener(lang, it.Text) {
		out = append(out, FlagView{Kind: string(m.Kind), Start: utf16Len(it.Text[:m.Start]), End: utf16Len(it.Text[:m.End]), Note: m.Note})
	}
	for field, v := range map[string]string{"who": it.Who, "when": it.When} {
		for _, m := range screening.PersonalData(v) {
			out = append(out, FlagView{Kind: string(m.Kind), Field: field})
		}
	}
	return out
}

// Unresolved reports whether an item holds personal data the facilitator
// has neither redacted nor let through.
func (s *State) Unresolved(it *Item) bool {
	if it.Override {
		return false
	}
	for _, f := range s.ItemFlags(it) {
		if f.Kind != string(screening.Disclosure) {
			return true
		}
	}
	return false
}

// Flagged reports whether the screening found anything in an item.
func (s *State) Flagged(it *Item) bool { return len(s.ItemFlags(it)) > 0 }

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// RedactChange is the item's text with its personal data replaced, as
// decided: applying it needs no screening.
type RedactChange struct {
	Text string `json:"text"`
	Who  string `json:"who,omitempty"`
	When string `json:"when,omitempty"`
}

// decideRedact works out the redacted text of an item.
func (s *State) decideRedact(it *Item) (*RedactChange, error) {
	if s.screener == nil {
		return nil, wire.Errorf(wire.CodeInvalid, "this server does not screen texts")
	}
	mask := redactMask(s.Plan.Language)
	r := &RedactChange{
		Text: screening.Redact(it.Text, s.screener(s.Plan.Language, it.Text), mask),
		Who:  screening.Redact(it.Who, screening.PersonalData(it.Who), mask),
		When: screening.Redact(it.When, screening.PersonalData(it.When), mask),
	}
	if r.Text == it.Text && r.Who == it.Who && r.When == it.When {
		return nil, ErrNoChange
	}
	if !utf8.ValidString(r.Text) {
		return nil, wire.Errorf(wire.CodeInvalid, "the text cannot be redacted")
	}
	return r, nil
}

// checkShowScreening refuses to show items with personal data left in.
func (s *State) checkShowScreening(ids []string) *wire.Error {
	for _, id := range ids {
		if it := s.itemByID[id]; it != nil && s.Unresolved(it) {
			return wire.Errorf(wire.CodeNotAllowed, "item %s holds personal data: remove it, or let it through, before showing it", truncate(id, 16))
		}
	}
	return nil
}
