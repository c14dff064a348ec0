package screening

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
)

// Window is the most words that may stand between a cue and a term for the
// term to count (see the package doc).
const Window = 4

// NeverWindow is how many words before a term a [never] word cancels it
// from, cue or no cue ("har aldri slått meg").
const NeverWindow = 2

// OtherSection is the section of an organisation's terms that come before
// any "[section]" line.
const OtherSection = "other"

// The sections of a list that are not categories of terms.
const (
	sectionCues       = "cues"
	sectionClose      = "close"
	sectionPossessive = "possessive"
	sectionNever      = "never"
	sectionIdioms     = "idioms"
)

//go:embed terms/*.txt
var shippedFS embed.FS

// Terms holds the word lists of each language. A Terms is never changed
// after it is made, so one value can serve every room at once.
type Terms struct {
	lists map[string]*list
}

// list is the word lists of one language.
type list struct {
	cues, close, possessive, never, idioms []phrase
	terms                                  []term

	// Built from the above by index.
	cueSet, idiomSet, termSet *phraseSet
	neverSet                  phrase // single-word patterns
	longestCue                int    // words in the longest cue
}

// term is one entry of a category section.
type term struct {
	words   phrase
	alone   bool // flags without a cue
	section string
}

// Shipped returns the lists shipped with the binary for nb, da and en. They
// are parsed once and shared.
func Shipped() *Terms { return shipped() }

var shipped = sync.OnceValue(func() *Terms {
	t, err := loadFS(shippedFS, "terms")
	if err != nil {
		// The tests parse every shipped list; a released binary cannot
		// get here.
		panic(fmt.Sprintf("screening: a shipped term list is invalid: %v", err))
	}
	return t
})

func loadFS(fsys fs.FS, dir string) (*Terms, error) {
	files, err := fs.Glob(fsys, dir+"/*.txt")
	if err != nil {
		return nil, fmt.Errorf("list term files: %w", err)
	}
	t := &Terms{lists: map[string]*list{}}
	var errs []error
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		l := &list{}
		for _, e := range l.add(strings.Split(string(data), "\n"), "") {
			errs = append(errs, fmt.Errorf("%s:%w", f, e))
		}
		l.index()
		t.lists[strings.TrimSuffix(path.Base(f), ".txt")] = l
	}
	return t, errors.Join(errs...)
}

// Languages returns the languages t has lists for, sorted.
func (t *Terms) Languages() []string {
	if t == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(t.lists))
}

// Extend returns a copy of t whose lists for lang have the entries of extra
// added: an organisation's own terms, in the syntax of the shipped lists
// (see the package doc). Entries before any "[section]" line are terms of
// the section "other". An entry that CheckTerm refuses is left out. t
// itself does not change. A language t has no list for gets one with only
// the extra entries.
func (t *Terms) Extend(lang string, extra []string) *Terms {
	out := &Terms{lists: map[string]*list{}}
	if t != nil {
		maps.Copy(out.lists, t.lists)
	}
	lang = baseLanguage(lang)
	l := &list{}
	if old := out.lists[lang]; old != nil {
		*l = *old
		// Full slice expressions: appending must copy, never write into
		// the arrays t shares with other values.
		l.cues, l.close, l.possessive = l.cues[:len(l.cues):len(l.cues)], l.close[:len(l.close):len(l.close)], l.possessive[:len(l.possessive):len(l.possessive)]
		l.never, l.idioms, l.terms = l.never[:len(l.never):len(l.never)], l.idioms[:len(l.idioms):len(l.idioms)], l.terms[:len(l.terms):len(l.terms)]
	}
	l.add(extra, OtherSection)
	l.index()
	out.lists[lang] = l
	return out
}

// CheckTerm says what is wrong with one entry of a term list, or nil when
// it is a valid term, section line, comment or blank line. It is how to
// check an organisation's list before it is saved.
func CheckTerm(entry string) error {
	l := &list{}
	errs := l.add([]string{entry}, OtherSection)
	return errors.Join(errs...)
}

// baseLanguage maps a room's language code to the code of its list:
// nb, nn and no (and nb-NO and the like) to nb.
func baseLanguage(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	switch lang {
	case "nn", "no":
		return "nb"
	}
	return lang
}

// add parses lines into l, starting in section, and returns the problems
// as errors naming the line; lines with problems are left out.
func (l *list) add(lines []string, section string) []error {
	var errs []error
	for n, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, ok := strings.CutPrefix(line, "["); ok {
			name, ok = strings.CutSuffix(name, "]")
			if !ok || !sectionName(name) {
				errs = append(errs, fmt.Errorf("%d: %q is not a section line: want [name], name of a-z and _", n+1, line))
				continue
			}
			section = name
			continue
		}
		if err := l.addEntry(line, section); err != nil {
			errs = append(errs, fmt.Errorf("%d: %w", n+1, err))
		}
	}
	return errs
}

func sectionName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// addEntry adds one entry line to section.
func (l *list) addEntry(line, section string) error {
	if section == "" {
		return fmt.Errorf("%q comes before any [section] line", line)
	}
	alone := false
	if rest, ok := strings.CutPrefix(line, "!"); ok {
		alone, line = true, rest
	}
	p, err := parsePhrase(line)
	if err != nil {
		return err
	}
	single := func(dst *[]phrase) error {
		if len(p) != 1 || alone {
			return fmt.Errorf("%q: the section [%s] takes single words", line, section)
		}
		*dst = append(*dst, p)
		return nil
	}
	plain := func(dst *[]phrase) error {
		if alone {
			return fmt.Errorf("%q: '!' marks terms, not entries of [%s]", line, section)
		}
		*dst = append(*dst, p)
		return nil
	}
	switch section {
	case sectionCues:
		return plain(&l.cues)
	case sectionClose:
		return plain(&l.close)
	case sectionIdioms:
		return plain(&l.idioms)
	case sectionPossessive:
		return single(&l.possessive)
	case sectionNever:
		return single(&l.never)
	}
	l.terms = append(l.terms, term{words: p, alone: alone, section: section})
	return nil
}

// parsePhrase reads the words of an entry: split at spaces and hyphens,
// each a whole word that may end in '*'.
func parsePhrase(s string) (phrase, error) {
	var p phrase
	for _, f := range strings.Fields(strings.ReplaceAll(s, "-", " ")) {
		word, stem := strings.CutSuffix(f, "*")
		word = fold(word)
		toks := tokenize(word)
		if len(toks) != 1 || toks[0].start != 0 || toks[0].end != len(word) {
			return nil, fmt.Errorf("%q: %q is not one word of letters and digits", s, f)
		}
		p = append(p, pattern{word: word, stem: stem})
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("%q has no words", s)
	}
	return p, nil
}

// index builds the phrase sets: the cues are the [cues] entries and every
// [close] entry with a [possessive] word right before or after it.
func (l *list) index() {
	cues := slices.Clone(l.cues)
	for _, c := range l.close {
		for _, p := range l.possessive {
			cues = append(cues, append(slices.Clone(p), c...), append(slices.Clone(c), p...))
		}
	}
	l.cueSet = newPhraseSet(cues)
	l.longestCue = 0
	for _, c := range cues {
		l.longestCue = max(l.longestCue, len(c))
	}
	l.idiomSet = newPhraseSet(l.idioms)
	words := make([]phrase, len(l.terms))
	for i, t := range l.terms {
		words[i] = t.words
	}
	l.termSet = newPhraseSet(words)
	l.neverSet = nil
	for _, p := range l.never {
		l.neverSet = append(l.neverSet, p[0])
	}
}
