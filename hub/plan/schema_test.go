package plan

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

const schemaFile = "../../docs/plan.schema.json"

// loadSchema reads docs/plan.schema.json.
func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("%s is not valid JSON: %v", schemaFile, err)
	}
	return schema
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func TestSchemaIsValidJSON(t *testing.T) {
	schema := loadSchema(t)
	if schema["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", schema["$schema"])
	}
}

// TestSchemaCoversEveryField keeps the schema and the code from drifting:
// every yaml tag is in the schema, and each kind's definition allows exactly
// the fields the parser allows for that kind.
func TestSchemaCoversEveryField(t *testing.T) {
	schema := loadSchema(t)
	defs := obj(schema["$defs"])

	planProps := slices.Sorted(maps.Keys(obj(schema["properties"])))
	if want := slices.Sorted(slices.Values(yamlTags(reflect.TypeOf(Plan{})))); !slices.Equal(planProps, want) {
		t.Errorf("schema plan properties %v, struct tags %v", planProps, want)
	}

	common := obj(obj(defs["common"])["properties"])
	inSchema := map[string]bool{}
	for _, k := range Kinds {
		def := obj(defs[string(k)])
		if def == nil {
			t.Errorf("schema has no $defs/%s", k)
			continue
		}
		got := slices.Collect(maps.Keys(common))
		got = append(got, slices.Collect(maps.Keys(obj(def["properties"])))...)
		var want []string
		for i := range stepFields {
			if stepFields[i].usedBy(k) {
				want = append(want, stepFields[i].name)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("schema fields of %s: %v, parser: %v", k, got, want)
		}
		for _, name := range got {
			inSchema[name] = true
		}
		if def["unevaluatedProperties"] != false {
			t.Errorf("$defs/%s does not refuse other fields", k)
		}
	}
	for _, tag := range yamlTags(reflect.TypeOf(Step{})) {
		if !inSchema[tag] {
			t.Errorf("step field %s is not in the schema", tag)
		}
	}
	var enum []string
	for _, v := range obj(obj(obj(defs["step"])["properties"])["kind"])["enum"].([]any) {
		enum = append(enum, v.(string))
	}
	for i, k := range Kinds {
		if i >= len(enum) || enum[i] != string(k) {
			t.Errorf("schema kind enum %v, Kinds %v", enum, Kinds)
			break
		}
	}
}

// TestSchemaDefaults checks every "default" in the schema against what Parse
// fills in for a step that leaves the field out.
func TestSchemaDefaults(t *testing.T) {
	defs := obj(loadSchema(t)["$defs"])
	minimal := map[Kind]string{
		KindPoll:     "    options: [a, b]\n",
		KindScale:    "    min_label: a\n    max_label: b\n",
		KindBreakout: "    prompts: [a]\n",
		KindClosing:  "    prompt: a\n",
	}
	n := 0
	for _, k := range Kinds {
		p, err := Parse("t.yaml", []byte(head+"  - kind: "+string(k)+"\n    title: T\n"+minimal[k]))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		got, _ := json.Marshal(p.Steps[0])
		var fields map[string]any
		if err := json.Unmarshal(got, &fields); err != nil {
			t.Fatal(err)
		}
		for name, prop := range obj(obj(defs[string(k)])["properties"]) {
			def, ok := obj(prop)["default"]
			if !ok {
				continue
			}
			n++
			if !reflect.DeepEqual(fields[name], def) {
				t.Errorf("%s.%s: schema default %v, parser gives %v", k, name, def, fields[name])
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d defaults checked", n)
	}
}

func TestSchemaAcceptsBuiltins(t *testing.T) {
	schema := loadSchema(t)
	for _, p := range Builtin() {
		doc := yamlDoc(t, p.Source)
		if errs := (&schemaCheck{root: schema}).check(schema, doc, p.ID); len(errs) > 0 {
			t.Errorf("%s does not match the schema:\n%s", p.ID, strings.Join(errs, "\n"))
		}
	}
}

func TestSchemaRejects(t *testing.T) {
	schema := loadSchema(t)
	tests := map[string]string{
		"a field of another kind": head + "  - kind: scale\n    title: T\n    min_label: a\n    max_label: b\n    options: [a, b]\n",
		"missing options":         head + "  - kind: poll\n    title: T\n",
		"one option":              head + "  - kind: poll\n    title: T\n    options: [a]\n",
		"bad language":            "id: abc\ntitle: T\nlanguage: de\nduration: 10m\nsteps:\n  - kind: info\n    title: T\n",
		"bad duration":            "id: abc\ntitle: T\nlanguage: nb\nduration: 10 min\nsteps:\n  - kind: info\n    title: T\n",
		"unknown plan field":      head + "  - kind: info\n    title: T\ncolour: red\n",
		"group_size 6":            head + "  - kind: breakout\n    title: T\n    prompts: [a]\n    group_size: 6\n",
		"unknown kind":            head + "  - kind: quiz\n    title: T\n",
		"image without alt":       head + "  - kind: scenario\n    title: T\n    image: /a.png\n",
		"bad layout":              head + "  - kind: plenary\n    title: T\n    layout: grid\n",
		"no steps":                "id: abc\ntitle: T\nlanguage: nb\nduration: 10m\nsteps: []\n",
	}
	for name, src := range tests {
		doc := yamlDoc(t, []byte(src))
		if errs := (&schemaCheck{root: schema}).check(schema, doc, ""); len(errs) == 0 {
			t.Errorf("%s: the schema accepts it", name)
		}
		if _, err := Parse("t.yaml", []byte(src)); err == nil {
			t.Errorf("%s: Parse accepts it", name)
		}
	}
}

// schemaCheck is a small JSON Schema validator for the keywords the plan
// schema uses; enough to test the schema against real plans.
type schemaCheck struct {
	root map[string]any
}

// check validates v against s and returns the errors.
func (c *schemaCheck) check(s map[string]any, v any, at string) []string {
	errs, _ := c.eval(s, v, at)
	return errs
}

// eval validates v against s and also returns the object properties that s
// evaluated, for unevaluatedProperties.
func (c *schemaCheck) eval(s map[string]any, v any, at string) (errs []string, evaluated map[string]bool) {
	evaluated = map[string]bool{}
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	merge := func(sub map[string]any) bool {
		e, ev := c.eval(sub, v, at)
		errs = append(errs, e...)
		if len(e) == 0 {
			maps.Copy(evaluated, ev)
		}
		return len(e) == 0
	}
	if ref, ok := s["$ref"].(string); ok {
		merge(obj(obj(c.root["$defs"])[strings.TrimPrefix(ref, "#/$defs/")]))
	}
	for _, sub := range asList(s["allOf"]) {
		merge(obj(sub))
	}
	if cond := obj(s["if"]); cond != nil {
		if e, _ := c.eval(cond, v, at); len(e) == 0 && s["then"] != nil {
			merge(obj(s["then"]))
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(v, typ) {
		fail("want %s, got %T", typ, v)
		return errs, evaluated
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		fail("%v is not one of %v", v, enum)
	}
	if cst, ok := s["const"]; ok && fmt.Sprint(cst) != fmt.Sprint(v) {
		fail("%v is not %v", v, cst)
	}
	switch v := v.(type) {
	case string:
		n := utf8.RuneCountInString(v)
		if m, ok := s["minLength"].(float64); ok && n < int(m) {
			fail("shorter than %v", m)
		}
		if m, ok := s["maxLength"].(float64); ok && n > int(m) {
			fail("longer than %v", m)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			fail("%q does not match %s", v, p)
		}
	case int:
		if m, ok := s["minimum"].(float64); ok && float64(v) < m {
			fail("%d is less than %v", v, m)
		}
		if m, ok := s["maximum"].(float64); ok && float64(v) > m {
			fail("%d is more than %v", v, m)
		}
	case []any:
		if m, ok := s["minItems"].(float64); ok && len(v) < int(m) {
			fail("fewer than %v items", m)
		}
		if m, ok := s["maxItems"].(float64); ok && len(v) > int(m) {
			fail("more than %v items", m)
		}
		seen := map[string]bool{}
		for i, item := range v {
			if s["uniqueItems"] == true && seen[fmt.Sprint(item)] {
				fail("item %v is not unique", item)
			}
			seen[fmt.Sprint(item)] = true
			if items := obj(s["items"]); items != nil {
				errs = append(errs, c.check(items, item, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		for _, r := range asList(s["required"]) {
			if _, ok := v[r.(string)]; !ok {
				fail("missing %s", r)
			}
		}
		for name, deps := range obj(s["dependentRequired"]) {
			if _, ok := v[name]; ok {
				for _, d := range asList(deps) {
					if _, ok := v[d.(string)]; !ok {
						fail("%s needs %s", name, d)
					}
				}
			}
		}
		props := obj(s["properties"])
		for name, val := range v {
			if sub := obj(props[name]); sub != nil {
				evaluated[name] = true
				errs = append(errs, c.check(sub, val, at+"."+name)...)
			} else if s["additionalProperties"] == false {
				fail("unknown field %s", name)
			}
		}
		if s["unevaluatedProperties"] == false {
			for name := range v {
				if !evaluated[name] {
					fail("field %s is not allowed here", name)
				}
			}
		}
	}
	return errs, evaluated
}

func asList(v any) []any { l, _ := v.([]any); return l }

// yamlDoc decodes a YAML document for the schema check, with whole
// numbers as int (the YAML decoder gives int64 or uint64).
func yamlDoc(t *testing.T, src []byte) any {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	var norm func(v any) any
	norm = func(v any) any {
		switch v := v.(type) {
		case uint64:
			return int(v)
		case int64:
			return int(v)
		case []any:
			for i := range v {
				v[i] = norm(v[i])
			}
		case map[string]any:
			for k := range v {
				v[k] = norm(v[k])
			}
		}
		return v
	}
	return norm(doc)
}

func hasType(v any, typ string) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		_, ok := v.(int)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return false
}

// TestDocsExamples parses every plan in docs/plans.md (the ```yaml blocks
// that start with "id:") and checks it against the schema, so the
// documentation cannot drift from the code.
func TestDocsExamples(t *testing.T) {
	data, err := os.ReadFile("../../docs/plans.md")
	if err != nil {
		t.Fatal(err)
	}
	schema := loadSchema(t)
	blocks := regexp.MustCompile("(?s)```yaml\n(id: .*?)```").FindAllStringSubmatch(string(data), -1)
	if len(blocks) < 2 {
		t.Fatalf("found %d example plans in docs/plans.md", len(blocks))
	}
	for i, b := range blocks {
		p, err := Parse(fmt.Sprintf("docs example %d", i+1), []byte(b[1]))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		doc := yamlDoc(t, []byte(b[1]))
		if errs := (&schemaCheck{root: schema}).check(schema, doc, p.ID); len(errs) > 0 {
			t.Errorf("%s does not match the schema:\n%s", p.ID, strings.Join(errs, "\n"))
		}
		if p.ID != "threats-at-work" {
			continue
		}
		kinds := map[Kind]bool{}
		var sum Duration
		for _, s := range p.Steps {
			kinds[s.Kind] = true
			sum += s.Duration
		}
		if len(kinds) != len(Kinds) || sum != p.Duration {
			t.Errorf("the complete example uses %d of %d kinds; steps add up to %s of %s", len(kinds), len(Kinds), sum, p.Duration)
		}
	}
}
