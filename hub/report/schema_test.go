package report

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/stoppunkt/stoppunkt/hub/report/reporttest"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// TestJSONMatchesSchema checks exports of rooms with every kind of step,
// above and below the threshold, with and without every text, against
// docs/report.schema.json.
func TestJSONMatchesSchema(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	states := []*room.State{build(t)}
	for _, n := range []int{1, 2, 3, 5} {
		s, _ := everyKind(t, "nb", n)
		states = append(states, s)
	}
	for i, s := range states {
		for _, all := range []bool{false, true} {
			var b bytes.Buffer
			if err := Build(s, Options{IncludeAll: all, Now: testNow, Location: oslo}).Write(&b, FormatJSON); err != nil {
				t.Fatal(err)
			}
			t.Logf("room %d, include all %v: %d bytes", i, all, b.Len())
			reporttest.CheckJSON(t, b.Bytes())
		}
	}
}

// TestSchemaRefusesBreakdownsOfTooFew: the schema is not a formality; it
// refuses a report that would break down a step too few answered.
func TestSchemaRefusesBreakdownsOfTooFew(t *testing.T) {
	r := Build(build(t), Options{Now: testNow})
	r.Steps[0].Texts = []Text{{Kind: room.ItemOpen, Text: "leak", Status: room.StatusApproved}}
	data, _ := json.Marshal(r)
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err := reporttest.Schema(t).Validate(inst); err == nil {
		t.Fatal("the schema accepts texts on a step with too few answers")
	}
}

// TestSchemaCoversEveryField keeps the schema and the structs in step:
// every JSON field is described, and the schema describes no other.
func TestSchemaCoversEveryField(t *testing.T) {
	src, err := os.ReadFile(reporttest.SchemaFile())
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(src, &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	props := func(obj any) []string {
		m := obj.(map[string]any)
		if m["additionalProperties"] != false {
			t.Errorf("a schema object allows other fields: %v", slices.Sorted(maps.Keys(m)))
		}
		return slices.Sorted(maps.Keys(m["properties"].(map[string]any)))
	}
	for name, typ := range map[string]reflect.Type{
		"": reflect.TypeOf(Report{}), "step": reflect.TypeOf(Step{}), "count": reflect.TypeOf(Count{}),
		"scale": reflect.TypeOf(Scale{}), "word": reflect.TypeOf(room.WordCount{}), "text": reflect.TypeOf(Text{}),
		"action": reflect.TypeOf(Action{}),
	} {
		obj := any(schema)
		if name != "" {
			obj = defs[name]
		}
		if got, want := props(obj), jsonTags(typ); !slices.Equal(got, want) {
			t.Errorf("schema %q has %v; the struct has %v", name, got, want)
		}
	}
}

func jsonTags(typ reflect.Type) []string {
	var out []string
	for i := 0; i < typ.NumField(); i++ {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	slices.Sort(out)
	return out
}
