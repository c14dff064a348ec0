package plan

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of single fields, beyond the exported ones.
const (
	maxAudienceLength    = 500
	maxDescriptionLength = 2000
	maxOptionLength      = 200
	maxPromptLength      = 500
	maxLabelLength       = 100
	maxAltLength         = 500
	maxScalePoints       = 11
	minPlanDuration      = 5 * time.Minute
	maxPlanDuration      = 8 * time.Hour
	minStepDuration      = 10 * time.Second
	maxStepDuration      = 2 * time.Hour
)

var (
	slugRE      = regexp.MustCompile(`^[a-z0-9-]+$`)
	defaultIDRE = regexp.MustCompile(`^s[0-9]+$`)
)

// kindList and langList are for messages.
var (
	kindList = func() string {
		s := make([]string, len(Kinds))
		for i, k := range Kinds {
			s[i] = string(k)
		}
		return strings.Join(s, ", ")
	}()
	langList = strings.Join(Languages, ", ")
)

// Validate checks p against every rule of the format and returns the
// problems found, each with its Field set; Line and Column are zero, since a
// Plan built in Go or decoded from JSON has no lines. Parse applies the same
// rules and adds the positions. Defaults are not applied here: a field that
// has a default must hold a valid value (see ApplyDefaults).
func (p *Plan) Validate() []Problem {
	v := &validator{}
	v.plan(p)
	return v.problems
}

type validator struct {
	problems []Problem
}

// addc adds a problem with its code and parameters, which an editor
// words in its reader's language (Problem.Code).
func (v *validator) addc(field, code string, params map[string]any, format string, args ...any) {
	v.problems = append(v.problems, Problem{Field: field, Code: code, Params: params, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) plan(p *Plan) {
	switch {
	case p.ID == "":
		v.addc("id", "required", nil, `a plan needs an id: 3 to 64 characters of a-z, 0-9 and "-", such as vold-i-skolen`)
	case !validSlug(p.ID, 3, 64):
		v.addc("id", "plan_id", nil, `%q is not a valid plan id: use 3 to 64 characters of a-z, 0-9 and "-"`, p.ID)
	}
	v.text("title", "title", p.Title, "a plan needs a title", MaxTitleLength, true)
	switch {
	case p.Language == "":
		v.addc("language", "required", nil, "a plan needs a language: one of %s", langList)
	case !slices.Contains(Languages, p.Language):
		v.addc("language", "language", nil, "unknown language %q: use one of %s", p.Language, langList)
	}
	if p.Duration == 0 {
		v.addc("duration", "required", nil, "a plan needs a duration: the expected total, such as 45m")
	} else {
		v.duration("duration", "the plan's duration", p.Duration, minPlanDuration, maxPlanDuration)
	}
	v.text("audience", "audience", p.Audience, "", maxAudienceLength, false)
	v.text("description", "description", p.Description, "", maxDescriptionLength, false)

	switch {
	case len(p.Steps) == 0:
		v.addc("steps", "no_steps", nil, "a plan needs at least one step")
	case len(p.Steps) > MaxSteps:
		v.addc("steps", "too_many", map[string]any{"max": MaxSteps}, "a plan can have at most %d steps; this one has %d", MaxSteps, len(p.Steps))
	}
	first := make(map[string]int, len(p.Steps))
	for i := range p.Steps {
		s := &p.Steps[i]
		path := fmt.Sprintf("steps[%d]", i)
		v.step(path, s)
		if s.ID == "" {
			continue
		}
		j, dup := first[s.ID]
		if !dup {
			first[s.ID] = i
			continue
		}
		hint := ""
		if defaultIDRE.MatchString(s.ID) {
			hint = " (a step without an id gets s1, s2, ... by its position)"
		}
		v.addc(path+".id", "duplicate_id", map[string]any{"n": j + 1}, "step id %q is already used by steps[%d]%s", s.ID, j, hint)
	}
}

func (v *validator) step(path string, s *Step) {
	field := func(name string) string { return path + "." + name }
	switch {
	case s.Kind == "":
		v.addc(field("kind"), "required", nil, "a step needs a kind: one of %s", kindList)
	case !s.Kind.Valid():
		v.addc(field("kind"), "kind", nil, "unknown kind %q: use one of %s", s.Kind, kindList)
	}
	switch {
	case s.ID == "":
		v.addc(field("id"), "required", nil, "a step needs an id (a plan file gives s1, s2, ... by position)")
	case !validSlug(s.ID, 1, 64):
		v.addc(field("id"), "step_id", nil, `%q is not a valid step id: use 1 to 64 characters of a-z, 0-9 and "-"`, s.ID)
	}
	v.text(field("title"), "title", s.Title, "a step needs a title", MaxTitleLength, true)
	if v.text(field("body"), "body", s.Body, "", MaxBodyLength, false) {
		for _, msg := range checkBody(s.Body) {
			v.addc(field("body"), "markdown", nil, "%s", msg)
		}
	}
	v.text(field("notes"), "notes", s.Notes, "", MaxNotesLength, false)
	if s.Duration != 0 {
		v.duration(field("duration"), "a step's duration", s.Duration, minStepDuration, maxStepDuration)
	}
	switch {
	case s.Timer != "" && !slices.Contains(TimerStarts, s.Timer):
		v.addc(field("timer"), "choice", nil, `timer must be "manual" or "auto", not %q`, s.Timer)
	case s.Timer == TimerAuto && s.Duration == 0:
		v.addc(field("timer"), "timer_duration", nil, `timer "auto" starts the step's countdown when the step opens; give the step a duration too`)
	}
	if !s.Kind.Valid() {
		return
	}
	for i := range stepFields {
		if f := &stepFields[i]; !f.usedBy(s.Kind) && !f.isZero(s) {
			v.addc(field(f.name), "not_used", nil, "%s", notUsedMessage(f.name, s.Kind))
		}
	}

	switch s.Kind {
	case KindScenario:
		if s.Image != "" && !validImage(s.Image) {
			v.addc(field("image"), "image", nil, "image must be an https:// address or a path starting with / (such as /media/situation-1.jpg), not %q", s.Image)
		}
		if s.Video != "" && !httpsURL(s.Video) {
			v.addc(field("video"), "video", nil, "video must be an https:// address, not %q", s.Video)
		}
		switch {
		case s.Image != "" && strings.TrimSpace(s.Alt) == "":
			v.addc(field("alt"), "required", nil, "an image needs alt text: describe it in alt, for people who cannot see it")
		case s.Image == "" && s.Alt != "":
			v.addc(field("alt"), "alt_without_image", nil, "alt describes an image, but this step has no image")
		default:
			v.text(field("alt"), "alt", s.Alt, "", maxAltLength, false)
		}
	case KindPoll:
		v.list(field("options"), "option", s.Options, 2, 10, maxOptionLength, "a poll needs at least 2 options")
	case KindScale:
		switch {
		case s.ScaleMax <= s.ScaleMin:
			v.addc(field("scale_max"), "scale_order", nil, "scale_max (%d) must be greater than scale_min (%d)", s.ScaleMax, s.ScaleMin)
		case s.ScaleMax-s.ScaleMin+1 > maxScalePoints:
			v.addc(field("scale_max"), "scale_points", map[string]any{"max": maxScalePoints}, "a scale can have at most %d points; %d to %d has %d",
				maxScalePoints, s.ScaleMin, s.ScaleMax, s.ScaleMax-s.ScaleMin+1)
		}
		v.text(field("min_label"), "min_label", s.MinLabel,
			"a scale needs a min_label: what the lowest value means, such as \"Not at all\"", maxLabelLength, true)
		v.text(field("max_label"), "max_label", s.MaxLabel,
			"a scale needs a max_label: what the highest value means, such as \"Completely\"", maxLabelLength, true)
	case KindOpen:
		v.between(field("max_length"), "max_length", s.MaxLength, 10, 2000)
	case KindWordcloud:
		v.between(field("max_words"), "max_words", s.MaxWords, 1, 3)
		v.between(field("max_word_length"), "max_word_length", s.MaxWordLength, 2, 60)
	case KindBreakout:
		v.between(field("group_size"), "group_size", s.GroupSize, 2, 5)
		v.list(field("prompts"), "prompt", s.Prompts, 1, 10, maxPromptLength,
			"a breakout needs at least one prompt: a question for the groups to discuss")
		v.between(field("max_length"), "max_length", s.MaxLength, 10, 10000)
	case KindPlenary:
		if !slices.Contains(Layouts, s.Layout) {
			v.addc(field("layout"), "choice", nil, `layout must be "single" or "side-by-side", not %q`, s.Layout)
		}
	case KindActions:
		v.list(field("prompts"), "prompt", s.Prompts, 0, 10, maxPromptLength, "")
	case KindClosing:
		v.text(field("prompt"), "prompt", s.Prompt,
			"a closing step needs a prompt: what each person writes down to take with them", maxPromptLength, false)
		if len(s.FollowUp) > 0 {
			v.list(field("follow_up"), "follow-up option", s.FollowUp, 2, 10, maxOptionLength,
				"follow_up needs at least 2 options, or none at all")
		}
		v.list(field("help"), "help line", s.Help, 0, MaxHelpLines, maxOptionLength, "")
		v.between(field("max_length"), "max_length", s.MaxLength, 10, 2000)
	}
}

// notUsedMessage is the problem with a field that s's kind does not have.
func notUsedMessage(name string, k Kind) string {
	return fmt.Sprintf("field %s is not used by %s %s step", name, article(k), k)
}

func article(k Kind) string {
	switch k {
	case KindInfo, KindOpen, KindActions:
		return "an"
	}
	return "a"
}

// text checks a text field's presence, length and line count; it reports
// whether the value is within its length limit.
func (v *validator) text(field, name, value, requiredMsg string, max int, oneLine bool) bool {
	if strings.TrimSpace(value) == "" {
		if requiredMsg != "" {
			v.addc(field, "required", nil, "%s", requiredMsg)
		}
		return true
	}
	if n := utf8.RuneCountInString(value); n > max {
		v.addc(field, "too_long", map[string]any{"max": max}, "%s is %d characters long; at most %d are allowed", name, n, max)
		return false
	}
	if oneLine && strings.ContainsAny(value, "\r\n") {
		v.addc(field, "one_line", nil, "%s must be one line", name)
	}
	return true
}

func (v *validator) between(field, name string, n, min, max int) {
	if n < min || n > max {
		v.addc(field, "range", map[string]any{"min": min, "max": max}, "%s must be between %d and %d, not %d", name, min, max, n)
	}
}

func (v *validator) duration(field, what string, d Duration, min, max time.Duration) {
	switch {
	case time.Duration(d)%time.Second != 0:
		v.addc(field, "whole_seconds", nil, "%s is counted in whole seconds, not %s", what, time.Duration(d))
	case time.Duration(d) < min || time.Duration(d) > max:
		v.addc(field, "duration_range", map[string]any{"min": int(min / time.Second), "max": int(max / time.Second)},
			"%s must be between %s and %s, not %s", what, Duration(min), Duration(max), d)
	}
}

// list checks a list of short texts: its length, and each item's presence,
// length, line count and uniqueness (ignoring case and surrounding space).
func (v *validator) list(field, noun string, items []string, min, max, itemMax int, tooFew string) {
	switch {
	case len(items) < min:
		v.addc(field, "too_few", map[string]any{"min": min}, "%s", tooFew)
	case len(items) > max:
		v.addc(field, "too_many", map[string]any{"max": max}, "at most %d %ss are allowed; this list has %d", max, noun, len(items))
	}
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !v.text(f, noun, item, withArticle(noun)+" cannot be empty", itemMax, true) {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(item))
		if key != "" && seen[key] {
			v.addc(f, "listed_twice", map[string]any{"item": item}, "%s %q is listed twice", noun, item)
		}
		seen[key] = true
	}
}

// withArticle puts "a" or "an" before a noun.
func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func validSlug(s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && slugRE.MatchString(s)
}

// validImage reports whether s is an https address or an absolute path on
// this server (not "//host/...", which is another server).
func validImage(s string) bool {
	if httpsURL(s) {
		return true
	}
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") ||
		strings.ContainsAny(s, " \t\r\n\"'<>\\") || slices.Contains(strings.Split(s, "/"), "..") {
		return false
	}
	_, err := url.Parse(s)
	return err == nil
}
