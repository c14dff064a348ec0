package screening

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text: text[start:end], lower-cased in lower, in
// the sentence numbered sentence.
type token struct {
	start, end int
	lower      string
	sentence   int
}

// wordRune reports whether r belongs to a word: letters, digits and
// combining marks.
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
}

// endsSentence reports whether r between two words ends a sentence.
func endsSentence(r rune) bool {
	switch r {
	case '.', '!', '?', ';', '\n', '…':
		return true
	}
	return false
}

func apostrophe(r rune) bool { return r == '\'' || r == '’' }

// tokenize splits text into words (see the package doc): runs of word
// runes, with an apostrophe between two letters kept inside the word.
func tokenize(text string) []token {
	var out []token
	sentence := 0
	start := -1
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && w == 1 {
			r = ' ' // invalid UTF-8 separates words and nothing else
		}
		switch {
		case wordRune(r):
			if start < 0 {
				start = i
			}
		case start >= 0 && apostrophe(r) && letterBefore(text, i) && letterAt(text, i+w):
			// "I've", "dad's": the apostrophe stays in the word.
		default:
			if start >= 0 {
				out = append(out, newToken(text, start, i, sentence))
				start = -1
			}
			if endsSentence(r) {
				sentence++
			}
		}
		i += w
	}
	if start >= 0 {
		out = append(out, newToken(text, start, len(text), sentence))
	}
	return out
}

func newToken(text string, start, end, sentence int) token {
	return token{start: start, end: end, lower: fold(text[start:end]), sentence: sentence}
}

// fold lower-cases a word and writes its apostrophes one way.
func fold(word string) string {
	return strings.ReplaceAll(strings.ToLower(word), "’", "'")
}

func letterBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsLetter(r)
}

func letterAt(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsLetter(r)
}

// pattern is one word of a phrase in a list: the word itself, or a stem
// that any word starting with it matches.
type pattern struct {
	word string
	stem bool
}

func (p pattern) matches(lower string) bool {
	if p.stem {
		return strings.HasPrefix(lower, p.word)
	}
	return lower == p.word
}

// phrase is a sequence of patterns matched against consecutive words of
// one sentence.
type phrase []pattern

// span is an occurrence of a phrase: tokens [from, to).
type span struct{ from, to int }

// matchAt reports whether p matches the tokens starting at i.
func (p phrase) matchAt(toks []token, i int) bool {
	if i+len(p) > len(toks) {
		return false
	}
	for k, pat := range p {
		t := toks[i+k]
		if t.sentence != toks[i].sentence || !pat.matches(t.lower) {
			return false
		}
	}
	return true
}

// phraseSet is a list of phrases with an index by first word.
type phraseSet struct {
	phrases []phrase
	byFirst map[string][]int // phrases whose first pattern is an exact word
	stemmed map[byte][]int   // phrases whose first pattern is a stem, by its first byte
}

func newPhraseSet(phrases []phrase) *phraseSet {
	s := &phraseSet{phrases: phrases, byFirst: map[string][]int{}, stemmed: map[byte][]int{}}
	for i, p := range phrases {
		if p[0].stem {
			b := p[0].word[0]
			s.stemmed[b] = append(s.stemmed[b], i)
		} else {
			s.byFirst[p[0].word] = append(s.byFirst[p[0].word], i)
		}
	}
	return s
}

// find calls yield for every occurrence of every phrase in toks, with the
// phrase's index.
func (s *phraseSet) find(toks []token, yield func(sp span, phrase int)) {
	for i, t := range toks {
		for _, k := range s.byFirst[t.lower] {
			if s.phrases[k].matchAt(toks, i) {
				yield(span{i, i + len(s.phrases[k])}, k)
			}
		}
		for _, k := range s.stemmed[t.lower[0]] {
			if s.phrases[k].matchAt(toks, i) {
				yield(span{i, i + len(s.phrases[k])}, k)
			}
		}
	}
}

// spans returns every occurrence of every phrase in toks.
func (s *phraseSet) spans(toks []token) []span {
	var out []span
	s.find(toks, func(sp span, _ int) { out = append(out, sp) })
	return out
}
