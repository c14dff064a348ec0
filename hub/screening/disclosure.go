package screening

import "slices"

// Disclosures finds possible personal disclosures in text by the lists of
// lang, by the rule of the package doc. A language without lists of its own
// (Swedish, say) is screened with every list t has. The matches cover the
// terms, carry the term's section in Note, are sorted by Start and do not
// overlap. A nil t finds nothing.
func (t *Terms) Disclosures(lang, text string) []Match {
	if t == nil || len(t.lists) == 0 {
		return nil
	}
	toks := tokenize(text)
	if len(toks) == 0 {
		return nil
	}
	var out []Match
	if l := t.lists[baseLanguage(lang)]; l != nil {
		out = l.disclosures(text, toks)
	} else {
		for _, lang := range t.Languages() {
			out = append(out, t.lists[lang].disclosures(text, toks)...)
		}
	}
	return disjoint(out)
}

// disclosures applies one language's lists to the tokens of text.
func (l *list) disclosures(text string, toks []token) []Match {
	idioms := l.idiomSet.spans(toks)
	var cues []span
	var out []Match
	l.termSet.find(toks, func(sp span, k int) {
		if inside(sp, idioms) || l.neverBefore(toks, sp.from) {
			return
		}
		tm := l.terms[k]
		if !tm.alone {
			if cues == nil {
				cues = []span{} // not nil: look for cues once
				for _, c := range l.cueSet.spans(toks) {
					if !inside(c, idioms) {
						cues = append(cues, c)
					}
				}
			}
			if !l.cued(toks, sp, cues) {
				return
			}
		}
		out = append(out, Match{Kind: Disclosure, Start: toks[sp.from].start, End: toks[sp.to-1].end, Note: tm.section})
	})
	return out
}

// cued reports whether a cue stands close enough to the term at sp: same
// sentence, not overlapping, at most Window words between, no [never]
// word between. cues are sorted by from (find reports them in token
// order), so only the cues near sp are looked at.
func (l *list) cued(toks []token, sp span, cues []span) bool {
	first, _ := slices.BinarySearchFunc(cues, sp.from-Window-l.longestCue, func(c span, from int) int { return c.from - from })
	for _, c := range cues[first:] {
		if c.from > sp.to+Window {
			break
		}
		if toks[c.from].sentence != toks[sp.from].sentence {
			continue
		}
		var from, to int // the words between cue and term
		switch {
		case c.to <= sp.from:
			from, to = c.to, sp.from
		case sp.to <= c.from:
			from, to = sp.to, c.from
		default:
			continue // overlapping
		}
		if to-from <= Window && !l.neverIn(toks, from, to) {
			return true
		}
	}
	return false
}

// neverBefore reports whether a [never] word stands among the NeverWindow
// words before token i in its sentence.
func (l *list) neverBefore(toks []token, i int) bool {
	from := max(0, i-NeverWindow)
	for from < i && toks[from].sentence != toks[i].sentence {
		from++
	}
	return l.neverIn(toks, from, i)
}

// neverIn reports whether a [never] word is among toks[from:to].
func (l *list) neverIn(toks []token, from, to int) bool {
	for _, t := range toks[from:to] {
		for _, p := range l.neverSet {
			if p.matches(t.lower) {
				return true
			}
		}
	}
	return false
}

// inside reports whether sp lies within one of spans.
func inside(sp span, spans []span) bool {
	for _, o := range spans {
		if o.from <= sp.from && sp.to <= o.to {
			return true
		}
	}
	return false
}

// disjoint sorts matches by Start, longer first at the same Start, and
// drops every match that overlaps one kept before it.
func disjoint(ms []Match) []Match {
	slices.SortStableFunc(ms, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := ms[:0]
	for _, m := range ms {
		if len(out) == 0 || m.Start >= out[len(out)-1].End {
			out = append(out, m)
		}
	}
	return out
}
