package plan

import (
	"bytes"
	"encoding/json"
	"fmt"

	goyaml "github.com/goccy/go-yaml"
)

// valueType is the type of a field's value in a plan file.
type valueType int

const (
	typeString valueType = iota
	typeInt
	typeBool
	typeDuration
	typeList
)

// fieldSpec describes one step field. stepFields is the single source of truth
// for which fields exist, which kinds use them, their order in output and how
// they are read; the tests check it against the struct tags and the schema.
type fieldSpec struct {
	name  string
	typ   valueType
	kinds []Kind // nil: every kind has the field
	ptr   func(*Step) any
}

// stepFields lists every step field in the order they are written out.
var stepFields = []fieldSpec{
	{"kind", typeString, nil, func(s *Step) any { return (*string)(&s.Kind) }},
	{"id", typeString, nil, func(s *Step) any { return &s.ID }},
	{"title", typeString, nil, func(s *Step) any { return &s.Title }},
	{"body", typeString, nil, func(s *Step) any { return &s.Body }},
	{"notes", typeString, nil, func(s *Step) any { return &s.Notes }},
	{"duration", typeDuration, nil, func(s *Step) any { return &s.Duration }},
	{"timer", typeString, nil, func(s *Step) any { return &s.Timer }},
	{"image", typeString, []Kind{KindScenario}, func(s *Step) any { return &s.Image }},
	{"video", typeString, []Kind{KindScenario}, func(s *Step) any { return &s.Video }},
	{"alt", typeString, []Kind{KindScenario}, func(s *Step) any { return &s.Alt }},
	{"options", typeList, []Kind{KindPoll}, func(s *Step) any { return &s.Options }},
	{"multiple", typeBool, []Kind{KindPoll}, func(s *Step) any { return &s.Multiple }},
	{"scale_min", typeInt, []Kind{KindScale}, func(s *Step) any { return &s.ScaleMin }},
	{"scale_max", typeInt, []Kind{KindScale}, func(s *Step) any { return &s.ScaleMax }},
	{"min_label", typeString, []Kind{KindScale}, func(s *Step) any { return &s.MinLabel }},
	{"max_label", typeString, []Kind{KindScale}, func(s *Step) any { return &s.MaxLabel }},
	{"max_words", typeInt, []Kind{KindWordcloud}, func(s *Step) any { return &s.MaxWords }},
	{"max_word_length", typeInt, []Kind{KindWordcloud}, func(s *Step) any { return &s.MaxWordLength }},
	{"group_size", typeInt, []Kind{KindBreakout}, func(s *Step) any { return &s.GroupSize }},
	{"prompts", typeList, []Kind{KindBreakout, KindActions}, func(s *Step) any { return &s.Prompts }},
	{"layout", typeString, []Kind{KindPlenary}, func(s *Step) any { return &s.Layout }},
	{"prompt", typeString, []Kind{KindClosing}, func(s *Step) any { return &s.Prompt }},
	{"follow_up", typeList, []Kind{KindClosing}, func(s *Step) any { return &s.FollowUp }},
	{"help", typeList, []Kind{KindClosing}, func(s *Step) any { return &s.Help }},
	{"max_length", typeInt, []Kind{KindOpen, KindBreakout, KindClosing}, func(s *Step) any { return &s.MaxLength }},
}

// FieldInfo describes a step field for an editor: its name in the plan
// file, its type ("text", "int", "bool", "duration" or "list") and the
// kinds of step that have it (none: every kind).
type FieldInfo struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Kinds []Kind `json:"kinds,omitempty"`
}

// StepFields lists every step field in the order a plan file has them.
func StepFields() []FieldInfo {
	names := map[valueType]string{typeString: "text", typeInt: "int", typeBool: "bool", typeDuration: "duration", typeList: "list"}
	out := make([]FieldInfo, len(stepFields))
	for i, f := range stepFields {
		out[i] = FieldInfo{Name: f.name, Type: names[f.typ], Kinds: f.kinds}
	}
	return out
}

// planFields are the top-level fields of a plan file, in order.
var planFields = []string{"id", "title", "language", "duration", "audience", "description", "questions", "steps"}

var stepFieldByName = func() map[string]*fieldSpec {
	m := make(map[string]*fieldSpec, len(stepFields))
	for i := range stepFields {
		m[stepFields[i].name] = &stepFields[i]
	}
	return m
}()

// common reports whether every kind has the field.
func (f *fieldSpec) common() bool { return f.kinds == nil }

// usedBy reports whether a step of kind k has the field.
func (f *fieldSpec) usedBy(k Kind) bool {
	if f.kinds == nil {
		return true
	}
	for _, fk := range f.kinds {
		if fk == k {
			return true
		}
	}
	return false
}

// isZero reports whether the field is unset in s.
func (f *fieldSpec) isZero(s *Step) bool {
	switch v := f.ptr(s).(type) {
	case *string:
		return *v == ""
	case *int:
		return *v == 0
	case *bool:
		return !*v
	case *Duration:
		return *v == 0
	case *[]string:
		return len(*v) == 0
	}
	panic(fmt.Sprintf("plan: field %s has an unknown type", f.name))
}

// written reports whether the field belongs in the JSON or YAML form of s:
// the common fields when set (kind, id and title always), and the fields of
// the step's kind: numbers and booleans always, since zero can be meaningful
// there, text and lists when set.
func (f *fieldSpec) written(s *Step) bool {
	switch f.name {
	case "kind", "id", "title":
		return true
	}
	if !f.usedBy(s.Kind) {
		return false
	}
	if !f.common() && (f.typ == typeInt || f.typ == typeBool) {
		return true
	}
	return !f.isZero(s)
}

// FieldsOf returns the names of the fields a step of kind k has beyond the
// common ones (kind, id, title, body, notes, duration).
func FieldsOf(k Kind) []string {
	var names []string
	for i := range stepFields {
		if f := &stepFields[i]; !f.common() && f.usedBy(k) {
			names = append(names, f.name)
		}
	}
	return names
}

// applyDefaults fills in the defaults of s's kind for every field that
// was not given; has reports whether a field was given.
func (s *Step) applyDefaults(has func(name string) bool) {
	set := func(name string, p *int, v int) {
		if !has(name) {
			*p = v
		}
	}
	switch s.Kind {
	case KindScale:
		set("scale_min", &s.ScaleMin, 1)
		set("scale_max", &s.ScaleMax, 5)
	case KindOpen, KindClosing:
		set("max_length", &s.MaxLength, 500)
	case KindWordcloud:
		set("max_words", &s.MaxWords, 3)
		set("max_word_length", &s.MaxWordLength, 30)
	case KindBreakout:
		set("group_size", &s.GroupSize, 3)
		set("max_length", &s.MaxLength, 3000)
	case KindPlenary:
		if !has("layout") || s.Layout == "" {
			s.Layout = "single"
		}
	}
}

// defaultStepID is the id of the step at index i when it has none.
func defaultStepID(i int) string { return fmt.Sprintf("s%d", i+1) }

// ApplyDefaults fills in the defaults of a plan built in Go, where an unset
// field is a zero value: step ids by position, and every zero-valued field
// of a step's kind that has a default. A scale's scale_min stays 0 when
// scale_max is set. Parse and JSON decoding apply defaults themselves, by
// whether a field was written, so their results need no call.
func (p *Plan) ApplyDefaults() {
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.ID == "" {
			s.ID = defaultStepID(i)
		}
		s.applyDefaults(func(name string) bool {
			if name == "scale_min" {
				return s.ScaleMin != 0 || s.ScaleMax != 0
			}
			return !stepFieldByName[name].isZero(s)
		})
	}
}

// MarshalJSON writes the common fields and the fields of the step's kind,
// in the documented order, and nothing else.
func (s Step) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range stepFields {
		f := &stepFields[i]
		if !f.written(&s) {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		v, err := json.Marshal(f.ptr(&s))
		if err != nil {
			return nil, fmt.Errorf("plan: step field %s: %w", f.name, err)
		}
		fmt.Fprintf(&b, "%q:", f.name)
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a step strictly (unknown fields are an error) and fills
// in the defaults of its kind for the fields that are absent.
func (s *Step) UnmarshalJSON(data []byte) error {
	var present map[string]json.RawMessage
	if err := json.Unmarshal(data, &present); err != nil {
		return fmt.Errorf("plan: step: %w", err)
	}
	type plain Step // no methods, so no recursion
	var v plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("plan: step: %w", err)
	}
	*s = Step(v)
	s.applyDefaults(func(name string) bool { _, ok := present[name]; return ok })
	return nil
}

// UnmarshalJSON reads a plan strictly (unknown fields are an error) and fills
// in default step ids. It does not validate: call Validate.
func (p *Plan) UnmarshalJSON(data []byte) error {
	type plain Plan
	var v plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	*p = Plan(v)
	for i := range p.Steps {
		if p.Steps[i].ID == "" {
			p.Steps[i].ID = defaultStepID(i)
		}
	}
	return nil
}

// MarshalYAML writes the same fields as MarshalJSON, with durations as
// strings, so that yaml.Marshal of a Plan gives a valid plan file.
func (s Step) MarshalYAML() (any, error) {
	var m goyaml.MapSlice
	for i := range stepFields {
		f := &stepFields[i]
		if f.written(&s) {
			m = append(m, goyaml.MapItem{Key: f.name, Value: f.ptr(&s)})
		}
	}
	return m, nil
}
