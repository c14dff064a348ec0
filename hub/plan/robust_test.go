package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestParseHostileInput feeds Parse input meant to exhaust it: deep nesting,
// alias bombs, thousands of problems. Each must fail fast with problems.
func TestParseHostileInput(t *testing.T) {
	var indented strings.Builder
	for i := 0; i < 700; i++ {
		indented.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	indented.WriteString("\tx\n")
	var bomb strings.Builder
	bomb.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1)
	}
	bomb.WriteString(head + "  - kind: poll\n    title: *a29\n    options: [*a29, *a29]\n")
	inputs := map[string]string{
		"brackets":        strings.Repeat("[", 250000),
		"dashes":          strings.Repeat("- ", 120000),
		"braces":          strings.Repeat("{a: ", 60000),
		"recursive alias": "a: " + strings.Repeat("&a [*a, ", 30000),
		"indentation":     indented.String(),
		"alias bomb":      bomb.String(),
		"many fields":     strings.Repeat("unknown: 1\n", 20000),
		"many documents":  strings.Repeat("a\n---\n", 40000),
		"many steps":      head + strings.Repeat("  - kind: nope\n", 20000),
		"binary":          "\x00\x01\x02\xff\xfe",
	}
	// A hang would be caught by the test timeout; no timing is asserted,
	// because timings are not reliable on shared machines.
	for name, in := range inputs {
		p, err := Parse("hostile.yaml", []byte(in))
		var ve *ValidationError
		if p != nil || !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Errorf("%s: Parse = %v, %v", name, p, err)
			continue
		}
		if len(ve.Problems) > maxProblems+1 {
			t.Errorf("%s: %d problems reported", name, len(ve.Problems))
		}
	}
}

// TestParseRefusesShapesNoPlanHas: a file that nests deeper, has more
// fields in one mapping or more documents than any plan is refused before
// it is parsed, at the line where it went past the limit; the lines of a
// block scalar are text, not fields.
func TestParseRefusesShapesNoPlanHas(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"fields": {strings.Repeat("unknown: 1\n", 300),
			"t.yaml:201:1: more than 200 fields in one mapping; a plan's steps have a few dozen at most"},
		"fields of a step": {head + "  - kind: info\n" + strings.Repeat("    title: x\n", 250),
			"t.yaml:206:5: more than 200 fields in one mapping; a plan's steps have a few dozen at most"},
		"documents": {strings.Repeat("---\na: 1\n", 5),
			`t.yaml:7:1: a plan file holds one YAML document; remove the "---" line and what follows, or put it in a file of its own`},
		"nesting": {strings.Repeat(" ", 201) + "a: 1\n",
			"t.yaml: the file nests more than 200 levels deep (counting indentation and brackets); a plan needs only a few"},
	}
	for name, tt := range tests {
		_, err := Parse("t.yaml", []byte(tt.yaml))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v\nwant %s", name, err, tt.want)
		}
	}
	// 300 lines of "word: text" in a body are text.
	body := head + "  - kind: info\n    title: Hei\n    body: |\n" + strings.Repeat("      Merk: dette\n", 300) +
		"  - kind: info\n    title: Hei igjen\n"
	if _, err := Parse("t.yaml", []byte(body)); err != nil {
		t.Errorf("a body with 300 lines of the form key: value: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range Builtin() {
		f.Add(p.Source)
	}
	f.Add([]byte(head + "  - kind: poll\n    title: x\n    options: [a, b]\n"))
	f.Add([]byte("id: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err == nil {
			if problems := p.Validate(); len(problems) > 0 {
				t.Fatalf("Parse accepted a plan that Validate refuses: %v", problems)
			}
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("Parse error %v is not a ValidationError with problems", err)
		}
	})
}
