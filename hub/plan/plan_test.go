package plan

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestBuiltinPlans(t *testing.T) {
	plans := Builtin()
	wantIDs := []string{
		"avvergingsplikten-45",
		"exit-arbeid-case",
		"handlingsplan-vold-naere-relasjoner",
		"overgreb-mod-boern",
		"vold-og-trusler-skole",
	}
	var ids []string
	for _, p := range plans {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("built-in ids = %v, want %v (sorted, unique)", ids, wantIDs)
	}
	for _, p := range plans {
		t.Run(p.ID, func(t *testing.T) {
			if problems := p.Validate(); len(problems) > 0 {
				t.Errorf("Validate: %v", problems)
			}
			again, err := Parse(p.ID+".yaml", p.Source)
			if err != nil {
				t.Fatalf("Parse(Source): %v", err)
			}
			if !reflect.DeepEqual(again, p) {
				t.Errorf("parsing Source again gives a different plan")
			}
			wantLang := "nb"
			if p.ID == "overgreb-mod-boern" {
				wantLang = "da"
			}
			if p.Language != wantLang {
				t.Errorf("language = %s, want %s", p.Language, wantLang)
			}
			var sum Duration
			kinds := map[Kind]bool{}
			for _, s := range p.Steps {
				sum += s.Duration
				kinds[s.Kind] = true
				if strings.TrimSpace(s.Notes) == "" {
					t.Errorf("step %s has no facilitator notes", s.ID)
				}
				if s.Duration == 0 {
					t.Errorf("step %s has no duration", s.ID)
				}
			}
			if diff := sum - p.Duration; diff < -p.Duration/10 || diff > p.Duration/10 {
				t.Errorf("step durations add up to %s, plan says %s", sum, p.Duration)
			}
			if len(kinds) < 6 {
				t.Errorf("only %d kinds of step; a built-in plan should mix at least 6", len(kinds))
			}
			for _, k := range []Kind{KindInfo, KindBreakout, KindPlenary, KindClosing} {
				if !kinds[k] {
					t.Errorf("no %s step", k)
				}
			}
			if p.Audience == "" || p.Description == "" {
				t.Errorf("audience or description missing")
			}
		})
	}
}

func TestBuiltinDutyToAvert(t *testing.T) {
	var p *Plan
	for _, b := range Builtin() {
		if b.ID == "avvergingsplikten-45" {
			p = b
		}
	}
	if p == nil {
		t.Fatal("avvergingsplikten-45 missing")
	}
	if p.Duration != Duration(45*time.Minute) {
		t.Errorf("duration = %s, want 45m", p.Duration)
	}
	scenarios, dutyPolls := 0, 0
	for _, s := range p.Steps {
		if s.Kind == KindScenario {
			scenarios++
		}
		if s.Kind == KindPoll && slices.Equal(s.Options, []string{"Ja", "Nei", "Usikker"}) {
			dutyPolls++
		}
	}
	if scenarios < 2 || dutyPolls < 2 {
		t.Errorf("%d scenarios and %d Ja/Nei/Usikker polls, want at least 2 of each", scenarios, dutyPolls)
	}
	if !strings.Contains(string(p.Source), "§ 196") {
		t.Errorf("the plan does not mention straffeloven § 196")
	}
}

func TestBuiltinActionLists(t *testing.T) {
	for _, p := range Builtin() {
		switch p.ID {
		case "vold-og-trusler-skole", "handlingsplan-vold-naere-relasjoner":
			n := len(p.Steps)
			if p.Steps[n-2].Kind != KindActions || p.Steps[n-1].Kind != KindClosing {
				t.Errorf("%s should end with an actions step and a closing step", p.ID)
			}
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"45m", 45 * time.Minute, "45m"},
		{"90s", 90 * time.Second, "1m30s"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"2h", 2 * time.Hour, "2h"},
		{" 10m ", 10 * time.Minute, "10m"},
		{"1h0m5s", time.Hour + 5*time.Second, "1h5s"},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if err != nil || d.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, d, err, tt.want)
		}
		if d.String() != tt.str {
			t.Errorf("%v.String() = %q, want %q", tt.want, d.String(), tt.str)
		}
		j, err := json.Marshal(d)
		if err != nil || string(j) != j2s(tt.want) {
			t.Errorf("json.Marshal(%v) = %s, %v", tt.want, j, err)
		}
		var back Duration
		if err := json.Unmarshal(j, &back); err != nil || back != d {
			t.Errorf("JSON round trip of %v = %v, %v", d, back, err)
		}
		y, err := yaml.Marshal(d)
		if err != nil || strings.TrimSpace(string(y)) != tt.str {
			t.Errorf("yaml.Marshal(%v) = %q, %v", d, y, err)
		}
		var yback Duration
		if err := yaml.Unmarshal(y, &yback); err != nil || yback != d {
			t.Errorf("YAML round trip of %v = %v, %v", d, yback, err)
		}
	}
	if Duration(0).String() != "0s" || Duration(-90*time.Second).String() != "-1m30s" {
		t.Errorf("zero or negative String wrong")
	}
	for _, bad := range []string{"", "45", "ten minutes", "5 m"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", bad)
		}
	}
	for _, bad := range []string{`"10m"`, `1.5`, `-3`, `{}`} {
		var d Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("json.Unmarshal(%s) into Duration succeeded", bad)
		}
	}
	var y Duration
	if err := yaml.Unmarshal([]byte("[10m]"), &y); err == nil {
		t.Errorf("yaml.Unmarshal of a list into Duration succeeded")
	}
}

func j2s(d time.Duration) string {
	b, _ := json.Marshal(int64(d / time.Second))
	return string(b)
}

func TestPlanJSONRoundTrip(t *testing.T) {
	for _, p := range Builtin() {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		var back Plan
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		want := *p
		want.Source = nil
		if !reflect.DeepEqual(&back, &want) {
			t.Errorf("%s: Plan -> JSON -> Plan differs:\n%s", p.ID, data)
		}
		if problems := back.Validate(); len(problems) > 0 {
			t.Errorf("%s: decoded plan does not validate: %v", p.ID, problems)
		}
	}
}

func TestPlanYAMLRoundTrip(t *testing.T) {
	for _, p := range Builtin() {
		data, err := yaml.Marshal(p)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		back, err := Parse("marshalled.yaml", data)
		if err != nil {
			t.Fatalf("%s: marshalled plan does not parse: %v\n%s", p.ID, err, data)
		}
		back.Source = p.Source
		if !reflect.DeepEqual(back, p) {
			t.Errorf("%s: Plan -> YAML -> Plan differs", p.ID)
		}
	}
}

func TestStepJSON(t *testing.T) {
	s := Step{ID: "s1", Kind: KindScale, Title: "Hvor enig?", ScaleMin: 0, ScaleMax: 10,
		MinLabel: "Uenig", MaxLabel: "Enig", Duration: Duration(90 * time.Second)}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"kind":"scale","id":"s1","title":"Hvor enig?","duration":90,"scale_min":0,"scale_max":10,"min_label":"Uenig","max_label":"Enig"}`
	if string(data) != want {
		t.Errorf("json.Marshal = %s\nwant %s", data, want)
	}

	// Absent fields get their kind's defaults; unknown fields are refused.
	var d Step
	if err := json.Unmarshal([]byte(`{"kind":"breakout","title":"G","prompts":["Hva nå?"]}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.GroupSize != 3 || d.MaxLength != 3000 {
		t.Errorf("defaults not applied: %+v", d)
	}
	if err := json.Unmarshal([]byte(`{"kind":"info","title":"x","colour":"red"}`), &d); err == nil ||
		!strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown JSON field: err = %v", err)
	}
	var p Plan
	if err := json.Unmarshal([]byte(`{"id":"abc","title":"T","language":"nb","duration":600,"steps":[{"kind":"info","title":"x"}],"extra":1}`), &p); err == nil {
		t.Errorf("unknown plan field accepted")
	}
	if err := json.Unmarshal([]byte(`{"id":"abc","title":"T","language":"nb","duration":600,"steps":[{"kind":"info","title":"x"}]}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Steps[0].ID != "s1" || len(p.Validate()) != 0 {
		t.Errorf("decoded plan: %+v, problems %v", p, p.Validate())
	}
}

func TestValidateBuiltInGo(t *testing.T) {
	p := &Plan{ID: "go-plan", Title: "Go", Language: "en", Duration: Duration(time.Hour), Steps: []Step{
		{Kind: KindScale, Title: "How sure?", MinLabel: "Not at all", MaxLabel: "Completely"},
		{Kind: KindOpen, Title: "Why?"},
		{Kind: KindPoll, Title: "Yes or no?", Options: []string{"Yes", "No"}, GroupSize: 3},
	}}
	got := p.Validate()
	want := []Problem{
		{Field: "steps[0].id", Code: "required", Message: "a step needs an id (a plan file gives s1, s2, ... by position)"},
		{Field: "steps[0].scale_max", Code: "scale_order", Message: "scale_max (0) must be greater than scale_min (0)"},
		{Field: "steps[1].id", Code: "required", Message: "a step needs an id (a plan file gives s1, s2, ... by position)"},
		{Field: "steps[1].max_length", Code: "range", Params: map[string]any{"min": 10, "max": 2000}, Message: "max_length must be between 10 and 2000, not 0"},
		{Field: "steps[2].id", Code: "required", Message: "a step needs an id (a plan file gives s1, s2, ... by position)"},
		{Field: "steps[2].group_size", Code: "not_used", Message: "field group_size is not used by a poll step"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Validate:\n got %v\nwant %v", got, want)
	}
	p.Steps[2].GroupSize = 0
	p.ApplyDefaults()
	if got := p.Validate(); len(got) != 0 {
		t.Errorf("after ApplyDefaults: %v", got)
	}
	if p.Steps[0].ScaleMin != 1 || p.Steps[0].ScaleMax != 5 || p.Steps[1].MaxLength != 500 || p.Steps[2].ID != "s3" {
		t.Errorf("ApplyDefaults: %+v", p.Steps)
	}
	if got := (&Plan{}).Validate()[0]; got.Field != "id" || got.Code != "required" ||
		got.Message != `a plan needs an id: 3 to 64 characters of a-z, 0-9 and "-", such as vold-i-skolen` {
		t.Errorf("empty plan: %v", (&Plan{}).Validate())
	}
}

func TestSummary(t *testing.T) {
	p := Builtin()[0]
	s := p.Summary()
	if s.ID != p.ID || s.Title != p.Title || s.Language != p.Language || s.Duration != p.Duration ||
		s.Steps != len(p.Steps) || s.Source != "" {
		t.Errorf("Summary = %+v", s)
	}
	data, _ := json.Marshal(s)
	if !strings.Contains(string(data), `"duration":`+j2s(p.Duration.Std())) {
		t.Errorf("Summary JSON = %s", data)
	}
}

func TestFieldsMatchStructTags(t *testing.T) {
	var names []string
	for i := range stepFields {
		names = append(names, stepFields[i].name)
	}
	tags := yamlTags(reflect.TypeOf(Step{}))
	slices.Sort(names)
	slices.Sort(tags)
	if !slices.Equal(names, tags) {
		t.Errorf("stepFields %v\nstruct tags %v", names, tags)
	}
	st := reflect.TypeOf(Step{})
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		y, j := strings.Split(f.Tag.Get("yaml"), ",")[0], strings.Split(f.Tag.Get("json"), ",")[0]
		if y != j {
			t.Errorf("field %s: yaml tag %q, json tag %q", f.Name, y, j)
		}
	}
	if got := yamlTags(reflect.TypeOf(Plan{})); !slices.Equal(got, planFields) {
		t.Errorf("Plan tags %v, planFields %v", got, planFields)
	}
	if got := FieldsOf(KindPoll); !slices.Equal(got, []string{"options", "multiple"}) {
		t.Errorf("FieldsOf(poll) = %v", got)
	}
}

// yamlTags returns the names in a struct type's yaml tags, except "-".
func yamlTags(t reflect.Type) []string {
	var tags []string
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if name != "" && name != "-" {
			tags = append(tags, name)
		}
	}
	return tags
}

// A step's timer field: manual or auto, and auto needs a duration.
func TestTimerField(t *testing.T) {
	base := "id: t-plan\ntitle: T\nlanguage: en\nduration: 10m\nsteps:\n  - kind: info\n    title: A\n"
	for src, want := range map[string]string{
		base + "    duration: 1m\n    timer: auto\n":  "",
		base + "    timer: manual\n":                  "",
		base + "    timer: auto\n":                    "give the step a duration",
		base + "    duration: 1m\n    timer: later\n": `timer must be "manual" or "auto"`,
	} {
		_, err := Parse("t.yaml", []byte(src))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
