// Package plan reads, validates and catalogues session plans.
//
// A plan is a YAML file a facilitator can read, version and share: an id, a
// title, a language, an expected duration, an audience, a description and an
// ordered list of steps. Every step has a kind (info, scenario, poll, scale,
// open, wordcloud, breakout, plenary, actions, closing), a title, optional body
// text in a small Markdown subset, facilitator notes, an optional duration and
// the fields of its kind. The format is documented in docs/plans.md and
// described by docs/plan.schema.json.
//
// Parse turns YAML into a Plan with every default filled in, so consumers never
// apply defaults themselves, and reports every problem it finds with the file,
// line, column and field. Plan.Validate applies the same rules to a Plan that
// was built some other way (for example decoded from JSON).
package plan

import (
	"fmt"
	"strings"
)

// Kind is the kind of a step; it decides which fields the step has and how the
// room behaves while the step is open.
type Kind string

// The step kinds.
const (
	// KindInfo shows text on the big screen and the phones.
	KindInfo Kind = "info"
	// KindScenario shows a situation, optionally with an image or a video link.
	KindScenario Kind = "scenario"
	// KindPoll asks a single- or multiple-choice question.
	KindPoll Kind = "poll"
	// KindScale asks for a value on a labelled scale (Likert style).
	KindScale Kind = "scale"
	// KindOpen asks every participant for free text.
	KindOpen Kind = "open"
	// KindWordcloud asks every participant for one to three short words.
	KindWordcloud Kind = "wordcloud"
	// KindBreakout splits the room into groups that write one shared text.
	KindBreakout Kind = "breakout"
	// KindPlenary shows reflections the facilitator approved on the big screen.
	KindPlenary Kind = "plenary"
	// KindActions collects proposed measures: what, who is responsible, by when.
	KindActions Kind = "actions"
	// KindClosing asks what each person takes with them, and follow-up needs.
	KindClosing Kind = "closing"
)

// Kinds lists every step kind in the order the documentation presents them.
var Kinds = []Kind{KindInfo, KindScenario, KindPoll, KindScale, KindOpen,
	KindWordcloud, KindBreakout, KindPlenary, KindActions, KindClosing}

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// Languages are the plan languages the product supports: Norwegian bokmål,
// Norwegian nynorsk, Danish, Swedish and English.
var Languages = []string{"nb", "nn", "da", "sv", "en"}

// Layouts are the values of a plenary step's layout field.
var Layouts = []string{"single", "side-by-side"}

// When a step timer starts: TimerManual (the default) when the facilitator
// starts it, TimerAuto as soon as the room enters the step.
const (
	TimerManual = "manual"
	TimerAuto   = "auto"
)

// TimerStarts are the values of a step's timer field.
var TimerStarts = []string{TimerManual, TimerAuto}

// Sources of a plan in a Catalog.
const (
	// SourceBuiltin marks a plan embedded in the binary.
	SourceBuiltin = "builtin"
	// SourceDir marks a plan loaded from a plans folder (--plans DIR).
	SourceDir = "dir"
	// SourceUpload marks a plan a facilitator uploaded on the dashboard.
	SourceUpload = "upload"
)

// Limits of the format. They are part of the documented format.
const (
	// MaxFileSize is the largest plan file Parse accepts, in bytes.
	MaxFileSize = 256 << 10
	// MaxSteps is the largest number of steps in a plan.
	MaxSteps = 100
	// MaxTitleLength is the longest plan or step title, in characters.
	MaxTitleLength = 200
	// MaxBodyLength is the longest step body, in characters.
	MaxBodyLength = 10000
	// MaxNotesLength is the longest block of facilitator notes, in characters.
	MaxNotesLength = 10000
	// MaxHelpLines is the most lines a closing step's help card may list.
	MaxHelpLines = 10
)

// Plan is a parsed session plan. Plans returned by Parse, Builtin and LoadDir
// have every default filled in and are shared: treat them as read-only.
type Plan struct {
	// ID is the plan's slug: 3 to 64 characters of a-z, 0-9 and "-".
	ID string `yaml:"id" json:"id"`
	// Title is shown in plan lists and on the dashboard.
	Title string `yaml:"title" json:"title"`
	// Language is one of Languages.
	Language string `yaml:"language" json:"language"`
	// Duration is the expected length of the whole session.
	Duration Duration `yaml:"duration" json:"duration"`
	// Audience says whom the plan is written for.
	Audience string `yaml:"audience,omitempty" json:"audience,omitempty"`
	// Description says what the session is about, for the facilitator.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Questions opens the question box for the whole session:
	// participants ask anonymous questions at any step and vote for
	// others' approved ones.
	Questions bool `yaml:"questions,omitempty" json:"questions,omitempty"`
	// Steps are run in order; there is at least one.
	Steps []Step `yaml:"steps" json:"steps"`
	// Source is the YAML the plan was parsed from, byte for byte, so that
	// `stoppunkt plan show` can print it as written. Empty for plans that were
	// not parsed from YAML.
	Source []byte `yaml:"-" json:"-"`
}

// Step is one step of a plan. Only the common fields and the fields of the
// step's kind are set; every other field is zero. The JSON form of a step
// (MarshalJSON) carries exactly those fields.
type Step struct {
	// ID identifies the step within its plan; it defaults to "s1", "s2", ...
	// by position.
	ID string `yaml:"id" json:"id"`
	// Kind decides the step's behaviour and fields.
	Kind Kind `yaml:"kind" json:"kind"`
	// Title is shown on every screen.
	Title string `yaml:"title" json:"title"`
	// Body is optional text in the Markdown subset of docs/plans.md (see
	// markdown.go).
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// Notes are for the facilitator only and never reach a phone or the big
	// screen.
	Notes string `yaml:"notes,omitempty" json:"notes,omitempty"`
	// Duration, if set, drives the step timer (10s to 2h).
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// Timer says when the step timer starts: "manual" (the default: when
	// the facilitator starts it) or "auto" (as soon as the room enters the
	// step). "auto" needs a duration.
	Timer string `yaml:"timer,omitempty" json:"timer,omitempty"`

	// Image is a scenario's picture: an https URL or an absolute path "/...".
	Image string `yaml:"image,omitempty" json:"image,omitempty"`
	// Video is a scenario's video link (https).
	Video string `yaml:"video,omitempty" json:"video,omitempty"`
	// Alt describes a scenario's image; required when Image is set.
	Alt string `yaml:"alt,omitempty" json:"alt,omitempty"`

	// Options are a poll's choices (2 to 10, unique).
	Options []string `yaml:"options,omitempty" json:"options,omitempty"`
	// Multiple lets a poll take several choices per person.
	Multiple bool `yaml:"multiple,omitempty" json:"multiple,omitempty"`

	// ScaleMin is a scale's lowest value (default 1).
	ScaleMin int `yaml:"scale_min,omitempty" json:"scale_min,omitempty"`
	// ScaleMax is a scale's highest value (default 5); 2 to 11 points in all.
	ScaleMax int `yaml:"scale_max,omitempty" json:"scale_max,omitempty"`
	// MinLabel says what a scale's lowest value means.
	MinLabel string `yaml:"min_label,omitempty" json:"min_label,omitempty"`
	// MaxLabel says what a scale's highest value means.
	MaxLabel string `yaml:"max_label,omitempty" json:"max_label,omitempty"`

	// MaxLength limits an open answer (default 500), a breakout group's
	// shared text (default 3000) or a closing answer (default 500), in
	// characters.
	MaxLength int `yaml:"max_length,omitempty" json:"max_length,omitempty"`
	// MaxWords is how many words a person may give a word cloud (1 to 3,
	// default 3).
	MaxWords int `yaml:"max_words,omitempty" json:"max_words,omitempty"`
	// MaxWordLength limits one word of a word cloud (default 30).
	MaxWordLength int `yaml:"max_word_length,omitempty" json:"max_word_length,omitempty"`
	// GroupSize is a breakout's target group size (2 to 5, default 3).
	GroupSize int `yaml:"group_size,omitempty" json:"group_size,omitempty"`
	// Prompts are a breakout's questions (1 to 10) or an actions step's
	// guiding questions (0 to 10).
	Prompts []string `yaml:"prompts,omitempty" json:"prompts,omitempty"`
	// Layout is how a plenary shows approved reflections: "single" (default)
	// or "side-by-side".
	Layout string `yaml:"layout,omitempty" json:"layout,omitempty"`
	// Prompt is a closing step's question: what each person takes with them.
	Prompt string `yaml:"prompt,omitempty" json:"prompt,omitempty"`
	// FollowUp, if set, are the 2 to 10 choices of a closing step's
	// multiple-choice poll on follow-up needs.
	FollowUp []string `yaml:"follow_up,omitempty" json:"follow_up,omitempty"`
	// Help are the lines of a closing step's help card: where to get help
	// and advice, one place per line ("Name: 116 006"). A room shows them
	// before the server's own lines and the national helplines.
	Help []string `yaml:"help,omitempty" json:"help,omitempty"`
}

// Summary is what a plan list shows.
type Summary struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Language string   `json:"language"`
	Duration Duration `json:"duration"`
	// Steps is the number of steps.
	Steps int `json:"steps"`
	// Source is SourceBuiltin, SourceDir or SourceUpload; Catalog.List sets
	// it, Plan.Summary leaves it empty.
	Source string `json:"source,omitempty"`
	// Mine: the plan was uploaded by the account that asked; Shared: an
	// uploaded plan its owner shared with the organisation.
	Mine   bool `json:"mine,omitempty"`
	Shared bool `json:"shared,omitempty"`
	// Revision is the saved version of an uploaded or edited plan.
	Revision int `json:"revision,omitempty"`
}

// Summary returns the plan's list entry. Its Source is empty: a plan does not
// know where it came from; Catalog.List fills it in.
func (p *Plan) Summary() Summary {
	return Summary{ID: p.ID, Title: p.Title, Language: p.Language,
		Duration: p.Duration, Steps: len(p.Steps)}
}

// StepByID returns the step with the given id.
func (p *Plan) StepByID(id string) (*Step, bool) {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i], true
		}
	}
	return nil, false
}

// Problem is one thing wrong with a plan, located as precisely as possible.
type Problem struct {
	// File is the file name given to Parse; may be empty.
	File string `json:"file,omitempty"`
	// Line and Column are 1-based; 0 when unknown.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
	// Field is the path of the field, such as "steps[2].options"; step
	// indexes count from 0. Empty for problems with the file as a whole.
	Field string `json:"field,omitempty"`
	// Message is an English sentence a facilitator can act on.
	Message string `json:"message"`
	// Code names the rule broken, for an editor to word in its reader's
	// language with Params (such as "too_long" with {"max": 200}); empty
	// for problems that only have a Message (a YAML syntax error).
	Code   string         `json:"code,omitempty"`
	Params map[string]any `json:"params,omitempty"`
}

// String formats the problem as "file:line:col: field: message", leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteString(":")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, "%d:", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError holds every problem found in one or more plans.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
