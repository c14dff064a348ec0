package plan

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// head is a valid plan header; the first step starts on line 6.
const head = "id: test-plan\ntitle: Test\nlanguage: nb\nduration: 45m\nsteps:\n"

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // Problem.String() of every problem, in order
	}{
		{
			name: "missing plan title",
			yaml: "id: test-plan\nlanguage: nb\nduration: 45m\nsteps:\n  - kind: info\n    title: Hei\n",
			want: []string{"t.yaml:1:1: title: a plan needs a title"},
		},
		{
			name: "missing step title",
			yaml: head + "  - kind: info\n    title: Hei\n  - kind: info\n    body: Tekst\n",
			want: []string{"t.yaml:8:5: steps[1].title: a step needs a title"},
		},
		{
			name: "unknown kind",
			yaml: head + "  - kind: quiz\n    title: Hei\n",
			want: []string{`t.yaml:6:11: steps[0].kind: unknown kind "quiz": use one of info, scenario, poll, scale, open, wordcloud, breakout, plenary, actions, closing`},
		},
		{
			name: "missing kind",
			yaml: head + "  - title: Hei\n",
			want: []string{"t.yaml:6:5: steps[0].kind: a step needs a kind: one of info, scenario, poll, scale, open, wordcloud, breakout, plenary, actions, closing"},
		},
		{
			name: "unknown field with a suggestion",
			yaml: head + "  - kind: info\n    titel: Hei\n",
			want: []string{
				"t.yaml:6:5: steps[0].title: a step needs a title",
				`t.yaml:7:5: steps[0].titel: unknown field "titel" (did you mean title?)`,
			},
		},
		{
			name: "unknown top-level field",
			yaml: "id: test-plan\ntitle: Test\nlanguage: nb\nduration: 45m\ncolour: red\nsteps:\n  - kind: info\n    title: Hei\n",
			want: []string{`t.yaml:5:1: colour: unknown field "colour"`},
		},
		{
			name: "field of another kind",
			yaml: head + "  - kind: scale\n    title: Hvor enig?\n    min_label: Uenig\n    max_label: Enig\n    options: [a, b]\n",
			want: []string{"t.yaml:10:5: steps[0].options: field options is not used by a scale step"},
		},
		{
			name: "field of another kind, an-article",
			yaml: head + "  - kind: info\n    title: Hei\n    group_size: 3\n",
			want: []string{"t.yaml:8:5: steps[0].group_size: field group_size is not used by an info step"},
		},
		{
			name: "too few options",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n    options: [Ja]\n",
			want: []string{"t.yaml:8:14: steps[0].options: a poll needs at least 2 options"},
		},
		{
			name: "no options at all",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n",
			want: []string{"t.yaml:6:5: steps[0].options: a poll needs at least 2 options"},
		},
		{
			name: "duplicate option",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n    options:\n      - Ja\n      - Nei\n      - ja\n",
			want: []string{`t.yaml:11:9: steps[0].options[2]: option "ja" is listed twice`},
		},
		{
			name: "empty option",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n    options: [Ja, \"\", Nei]\n",
			want: []string{"t.yaml:8:19: steps[0].options[1]: an option cannot be empty"},
		},
		{
			name: "bad plan duration",
			yaml: "id: test-plan\ntitle: Test\nlanguage: nb\nduration: 45 minutes\nsteps:\n  - kind: info\n    title: Hei\n",
			want: []string{`t.yaml:4:11: duration: "45 minutes" is not a duration: write it like 10m, 90s or 1h30m`},
		},
		{
			name: "duration without unit",
			yaml: "id: test-plan\ntitle: Test\nlanguage: nb\nduration: 45\nsteps:\n  - kind: info\n    title: Hei\n",
			want: []string{`t.yaml:4:11: duration: duration "45" needs a unit: write it like 45m (minutes) or 45s (seconds)`},
		},
		{
			name: "step duration out of range",
			yaml: head + "  - kind: info\n    title: Hei\n    duration: 5s\n",
			want: []string{"t.yaml:8:15: steps[0].duration: a step's duration must be between 10s and 2h, not 5s"},
		},
		{
			name: "bad language",
			yaml: "id: test-plan\ntitle: Test\nlanguage: de\nduration: 45m\nsteps:\n  - kind: info\n    title: Hei\n",
			want: []string{`t.yaml:3:11: language: unknown language "de": use one of nb, nn, da, sv, en`},
		},
		{
			name: "group_size out of range",
			yaml: head + "  - kind: breakout\n    title: Grupper\n    group_size: 6\n    prompts:\n      - Hva tenker dere?\n",
			want: []string{"t.yaml:8:17: steps[0].group_size: group_size must be between 2 and 5, not 6"},
		},
		{
			name: "group_size not a number",
			yaml: head + "  - kind: breakout\n    title: Grupper\n    group_size: three\n    prompts:\n      - Hva tenker dere?\n",
			want: []string{`t.yaml:8:17: steps[0].group_size: group_size must be a whole number, not "three"`},
		},
		{
			name: "duplicate step id",
			yaml: head + "  - kind: info\n    id: start\n    title: Hei\n  - kind: info\n    id: start\n    title: Hei igjen\n",
			want: []string{`t.yaml:10:9: steps[1].id: step id "start" is already used by steps[0]`},
		},
		{
			name: "explicit id clashes with a default id",
			yaml: head + "  - kind: info\n    title: Hei\n  - kind: info\n    id: s1\n    title: Hei igjen\n",
			want: []string{`t.yaml:9:9: steps[1].id: step id "s1" is already used by steps[0] (a step without an id gets s1, s2, ... by its position)`},
		},
		{
			name: "duplicate field",
			yaml: head + "  - kind: info\n    title: Hei\n    title: Hallo\n",
			want: []string{"t.yaml:8:5: steps[0].title: field title is set twice (first on line 7)"},
		},
		{
			name: "YAML syntax error: bad indentation",
			yaml: head + "  - kind: info\n   title: Hei\n",
			want: []string{"t.yaml:7:4: YAML syntax error: value is not allowed in this context (check the indentation and the colons here and on the line above)"},
		},
		{
			name: "YAML syntax error: tab",
			yaml: "id: test-plan\n\ttitle: Test\n",
			want: []string{"t.yaml:2:1: YAML syntax error: found character a tab that cannot start any token (indent with spaces, not tabs)"},
		},
		{
			name: "YAML syntax error: unknown alias",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n    options: *valg\n",
			want: []string{`t.yaml:8:14: YAML syntax error: unknown anchor "valg": an alias (*valg) needs an anchor (&valg) before it`},
		},
		{
			name: "too deeply nested",
			yaml: head + "  - kind: info\n    title: " + strings.Repeat("[", 201) + "\n",
			want: []string{"t.yaml: the file nests more than 200 levels deep (counting indentation and brackets); a plan needs only a few"},
		},
		{
			name: "empty file",
			yaml: "# nothing yet\n",
			want: []string{"t.yaml: the file is empty; a plan starts with id:, title:, language:, duration: and steps:"},
		},
		{
			name: "not a mapping",
			yaml: "- kind: info\n",
			want: []string{"t.yaml:1:1: a plan must be a mapping of fields (id: ..., title: ..., steps: ...), not a list"},
		},
		{
			name: "two documents",
			yaml: head + "  - kind: info\n    title: Hei\n---\nid: other\n",
			want: []string{`t.yaml:8:1: a plan file holds one YAML document; remove the "---" line and what follows, or put it in a file of its own`},
		},
		{
			name: "step is not a mapping",
			yaml: head + "  - info\n",
			want: []string{`t.yaml:6:5: steps[0]: a step must be a mapping of fields (kind: ..., title: ...), not "info"`},
		},
		{
			name: "options is not a list",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n    options: Ja, Nei\n",
			want: []string{`t.yaml:8:14: steps[0].options: options must be a list (one "- item" per line, or [a, b]), not "Ja, Nei"`},
		},
		{
			name: "multiple is not a bool",
			yaml: head + "  - kind: poll\n    title: Ja eller nei?\n    options: [Ja, Nei]\n    multiple: yes\n",
			want: []string{`t.yaml:9:15: steps[0].multiple: multiple must be true or false, not "yes"`},
		},
		{
			name: "scale with too many points and no labels",
			yaml: head + "  - kind: scale\n    title: Hvor enig?\n    scale_min: 0\n    scale_max: 20\n",
			want: []string{
				"t.yaml:6:5: steps[0].min_label: a scale needs a min_label: what the lowest value means, such as \"Not at all\"",
				"t.yaml:6:5: steps[0].max_label: a scale needs a max_label: what the highest value means, such as \"Completely\"",
				"t.yaml:9:16: steps[0].scale_max: a scale can have at most 11 points; 0 to 20 has 21",
			},
		},
		{
			name: "image without alt, video over http",
			yaml: head + "  - kind: scenario\n    title: Situasjonen\n    image: /media/a.jpg\n    video: http://example.org/v\n",
			want: []string{
				"t.yaml:6:5: steps[0].alt: an image needs alt text: describe it in alt, for people who cannot see it",
				`t.yaml:9:12: steps[0].video: video must be an https:// address, not "http://example.org/v"`,
			},
		},
		{
			name: "protocol-relative image",
			yaml: head + "  - kind: scenario\n    title: Situasjonen\n    image: //evil.example/a.jpg\n    alt: Et bilde\n",
			want: []string{`t.yaml:8:12: steps[0].image: image must be an https:// address or a path starting with / (such as /media/situation-1.jpg), not "//evil.example/a.jpg"`},
		},
		{
			name: "HTML and a javascript link in a body",
			yaml: head + "  - kind: info\n    title: Hei\n    body: |\n      Les <b>dette</b>.\n\n      [Klikk](javascript:alert(1))\n",
			want: []string{
				`t.yaml:8:11: steps[0].body: HTML is not allowed in a body; use *emphasis*, **strong**, "- " lists and [links](https://...) (body line 1)`,
				`t.yaml:8:11: steps[0].body: link "javascript:alert(1" must point to an https:// address (body line 3)`,
			},
		},
		{
			name: "closing without prompt, follow_up of one",
			yaml: head + "  - kind: closing\n    title: Slutt\n    follow_up: [Mer opplæring]\n",
			want: []string{
				"t.yaml:6:5: steps[0].prompt: a closing step needs a prompt: what each person writes down to take with them",
				"t.yaml:8:16: steps[0].follow_up: follow_up needs at least 2 options, or none at all",
			},
		},
		{
			name: "help card: a line twice, too many lines, a help card on a poll",
			yaml: head + "  - kind: closing\n    title: Slutt\n    prompt: Hva?\n    help: [\"HR: 1\", \"hr: 1\", a, b, c, d, e, f, g, h, i]\n  - kind: poll\n    title: P\n    options: [A, B]\n    help: [x]\n",
			want: []string{
				"t.yaml:9:11: steps[0].help: at most 10 help lines are allowed; this list has 11",
				`t.yaml:9:21: steps[0].help[1]: help line "hr: 1" is listed twice`,
				"t.yaml:13:5: steps[1].help: field help is not used by a poll step",
			},
		},
		{
			name: "plenary layout",
			yaml: head + "  - kind: plenary\n    title: Plenum\n    layout: grid\n",
			want: []string{`t.yaml:8:13: steps[0].layout: layout must be "single" or "side-by-side", not "grid"`},
		},
		{
			name: "merge key",
			yaml: head + "  - kind: info\n    title: Hei\n    <<: {body: x}\n",
			want: []string{"t.yaml:8:5: steps[0].<<: merge keys (<<) are not supported; write the fields out"},
		},
		{
			name: "several problems at once",
			yaml: "id: Test Plan\ntitle: Test\nlanguage: english\nduration: 45m\nsteps:\n" +
				"  - kind: poll\n    title: Ja eller nei?\n    options: [Ja]\n" +
				"  - kind: breakout\n    title: Grupper\n    group_size: 1\n" +
				"  - kind: wordcloud\n    title: Ord\n    max_words: 5\n    colour: blue\n",
			want: []string{
				`t.yaml:1:5: id: "Test Plan" is not a valid plan id: use 3 to 64 characters of a-z, 0-9 and "-"`,
				`t.yaml:3:11: language: unknown language "english": use one of nb, nn, da, sv, en`,
				"t.yaml:8:14: steps[0].options: a poll needs at least 2 options",
				"t.yaml:9:5: steps[1].prompts: a breakout needs at least one prompt: a question for the groups to discuss",
				"t.yaml:11:17: steps[1].group_size: group_size must be between 2 and 5, not 1",
				"t.yaml:14:16: steps[2].max_words: max_words must be between 1 and 3, not 5",
				`t.yaml:15:5: steps[2].colour: unknown field "colour"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("t.yaml", []byte(tt.yaml))
			if p != nil {
				t.Errorf("Parse returned a plan along with problems")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse error = %v, want a *ValidationError", err)
			}
			got := make([]string, len(ve.Problems))
			for i, pr := range ve.Problems {
				got[i] = pr.String()
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if ve.Error() != strings.Join(got, "\n") {
				t.Errorf("Error() = %q, want the problems one per line", ve.Error())
			}
		})
	}
}

// TestParseQuestionMarkInAFlowList: a "?" at the end of an item in
// [...] is plain text in YAML 1.2, and a prompt is often a question.
func TestParseQuestionMarkInAFlowList(t *testing.T) {
	p, err := Parse("t.yaml", []byte(head+"  - kind: breakout\n    title: Grupper\n    prompts: [Hva tenker dere?, Hva nå?]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Steps[0].Prompts; len(got) != 2 || got[0] != "Hva tenker dere?" || got[1] != "Hva nå?" {
		t.Errorf("prompts = %q", got)
	}
}

func TestParseOversize(t *testing.T) {
	data := []byte(head + "  - kind: info\n    title: Hei\n    notes: |\n" +
		strings.Repeat("      "+strings.Repeat("x", 70)+"\n", 4000))
	_, err := Parse("big.yaml", data)
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 {
		t.Fatalf("Parse error = %v, want one problem", err)
	}
	want := Problem{File: "big.yaml", Message: fmt.Sprintf("the file is %d KiB; a plan file can be at most 256 KiB", (len(data)+1023)/1024)}
	if !reflect.DeepEqual(ve.Problems[0], want) {
		t.Errorf("problem = %#v, want %#v", ve.Problems[0], want)
	}
	if ve.Problems[0].Line != 0 || ve.Problems[0].String() != "big.yaml: "+want.Message {
		t.Errorf("String() = %q", ve.Problems[0].String())
	}
}

func TestParseTooManySteps(t *testing.T) {
	data := head + strings.Repeat("  - kind: info\n    title: Hei\n", MaxSteps+1)
	_, err := Parse("t.yaml", []byte(data))
	if err == nil || err.Error() != "t.yaml:6:3: steps: a plan can have at most 100 steps; this one has 101" {
		t.Errorf("err = %v", err)
	}
}

func TestParseDefaults(t *testing.T) {
	data := head + `  - kind: info
    title: Info
  - kind: scale
    title: Skala
    min_label: Lav
    max_label: Høy
  - kind: scale
    id: null-til-ti
    title: Skala fra null
    scale_min: 0
    scale_max: 10
    min_label: Lav
    max_label: Høy
  - kind: open
    title: Åpent
  - kind: wordcloud
    title: Ord
  - kind: breakout
    title: Grupper
    prompts:
      - Hva nå?
  - kind: plenary
    title: Plenum
  - kind: closing
    title: Slutt
    prompt: Hva tar du med deg?
  - kind: poll
    title: Aliaser
    options: &jnu [Ja, Nei, Usikker]
  - kind: poll
    title: Samme valg
    options: *jnu
`
	p, err := Parse("t.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{
		{ID: "s1", Kind: KindInfo, Title: "Info"},
		{ID: "s2", Kind: KindScale, Title: "Skala", ScaleMin: 1, ScaleMax: 5, MinLabel: "Lav", MaxLabel: "Høy"},
		{ID: "null-til-ti", Kind: KindScale, Title: "Skala fra null", ScaleMin: 0, ScaleMax: 10, MinLabel: "Lav", MaxLabel: "Høy"},
		{ID: "s4", Kind: KindOpen, Title: "Åpent", MaxLength: 500},
		{ID: "s5", Kind: KindWordcloud, Title: "Ord", MaxWords: 3, MaxWordLength: 30},
		{ID: "s6", Kind: KindBreakout, Title: "Grupper", GroupSize: 3, MaxLength: 3000, Prompts: []string{"Hva nå?"}},
		{ID: "s7", Kind: KindPlenary, Title: "Plenum", Layout: "single"},
		{ID: "s8", Kind: KindClosing, Title: "Slutt", Prompt: "Hva tar du med deg?", MaxLength: 500},
		{ID: "s9", Kind: KindPoll, Title: "Aliaser", Options: []string{"Ja", "Nei", "Usikker"}},
		{ID: "s10", Kind: KindPoll, Title: "Samme valg", Options: []string{"Ja", "Nei", "Usikker"}},
	}
	if len(p.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(p.Steps), len(want))
	}
	for i := range want {
		if got := fmt.Sprintf("%#v", p.Steps[i]); got != fmt.Sprintf("%#v", want[i]) {
			t.Errorf("step %d:\n got %s\nwant %#v", i, got, want[i])
		}
	}
	if string(p.Source) != data {
		t.Errorf("Source is not the input")
	}
	if s, ok := p.StepByID("null-til-ti"); !ok || s.ScaleMax != 10 {
		t.Errorf("StepByID = %v, %v", s, ok)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 12, Column: 5, Field: "steps[2].options", Message: "m"}, "a.yaml:12:5: steps[2].options: m"},
		{Problem{File: "a.yaml", Line: 3, Message: "m"}, "a.yaml:3: m"},
		{Problem{File: "a.yaml", Message: "m"}, "a.yaml: m"},
		{Problem{Field: "title", Message: "m"}, "title: m"},
		{Problem{Message: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
