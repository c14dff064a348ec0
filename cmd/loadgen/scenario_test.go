package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

func TestPresetsAreValid(t *testing.T) {
	for _, name := range presetNames() {
		sc, err := loadScenario(name, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.Validate(30000); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		// The largest scenario is 15,000 phones, run next to the
		// raw broadcast with as many.
		if sc.Phones*sc.Rooms > 15000 {
			t.Errorf("%s: %d phones is more than the issue's largest scenario", name, sc.Phones*sc.Rooms)
		}
	}
}

func TestScenarioFileOverlays(t *testing.T) {
	dir := t.TempDir()
	yamlFile := filepath.Join(dir, "s.yaml")
	os.WriteFile(yamlFile, []byte("base: conference\nname: soak\nrooms: 10\nchurn:\n  every: 5s\n  share: 0.1\n  offline: 1s\nbehavior:\n  act: true\n  window: 2s\n"), 0o600)
	sc, err := loadScenario("", yamlFile)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "soak" || sc.Kind != KindSession || sc.Rooms != 10 || sc.Phones != 25 || sc.Instances != 3 {
		t.Errorf("overlay: %+v", sc)
	}
	if sc.Churn.Every.D() != 5*time.Second || sc.Behavior.Window.D() != 2*time.Second || sc.Behavior.Edits != 3 {
		// Fields the file leaves out keep the base's values.
		t.Errorf("nested fields: %+v %+v", sc.Churn, sc.Behavior)
	}

	jsonFile := filepath.Join(dir, "s.json")
	os.WriteFile(jsonFile, []byte(`{"phones": 40, "gap": "250ms"}`), 0o600)
	sc, err = loadScenario("smoke", jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "smoke" || sc.Phones != 40 || sc.Gap.D() != 250*time.Millisecond || sc.Rooms != 3 {
		t.Errorf("json overlay: %+v", sc)
	}

	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("phonez: 3\n"), 0o600)
	if _, err := loadScenario("smoke", bad); err == nil || !strings.Contains(err.Error(), "phonez") {
		t.Errorf("unknown field: %v", err)
	}
	os.WriteFile(bad, []byte("hold: 5\n"), 0o600)
	if _, err := loadScenario("smoke", bad); err == nil {
		t.Error("a duration without a unit must be refused")
	}
	if _, err := loadScenario("nope", ""); err == nil {
		t.Error("an unknown scenario must be refused")
	}
}

func TestValidateRefusesBadScenarios(t *testing.T) {
	base := presets["keynote"]
	cases := map[string]func(*Scenario){
		"too many phones":        func(s *Scenario) { s.Phones = 19000 },
		"embedded nats, 3 inst.": func(s *Scenario) { s.Instances = 3 },
		"unknown kind":           func(s *Scenario) { s.Kind = "chaos" },
		"share above one":        func(s *Scenario) { s.Churn.Share = 2 },
		"fanout of two rooms":    func(s *Scenario) { s.Rooms = 2 },
		"no plan":                func(s *Scenario) { s.Plan = "" },
	}
	for name, mutate := range cases {
		sc := base
		sc.Name = name
		mutate(&sc)
		if err := sc.Validate(20000); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFlagOverrides(t *testing.T) {
	f := runFlags{scenario: "keynote,bigroom", phones: 100, instances: 2, joinRate: -1, hold: -1}
	scs, err := f.scenarios(20000)
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) != 2 || scs[0].Phones != 100 || scs[0].Instances != 2 || scs[0].NATS != "own" || scs[1].Instances != 2 {
		t.Fatalf("%+v", scs)
	}
}

func TestPlansAreValid(t *testing.T) {
	srcs, err := planSources()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for name, src := range srcs {
		p, err := plan.Parse(name, []byte(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ids[p.ID] = true
	}
	for _, sc := range presets {
		if !ids[sc.Plan] {
			t.Errorf("plan %s of a scenario is not shipped", sc.Plan)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "ws://localhost/ws", "http://[::1]:80", "nats://127.3.4.5:4222"} {
		if err := checkLoopbackURL(ok, nil); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "http://example.com", "ftp://127.0.0.1", "http://0.0.0.0:80"} {
		if err := checkLoopbackURL(bad, nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if err := checkLoopbackURL("http://lab-box:8080", []string{"lab-box"}); err != nil {
		t.Errorf("an explicitly allowed host was refused: %v", err)
	}
}

func TestSourceAddrs(t *testing.T) {
	seen := map[string]int{}
	for g := 0; g < 15000; g++ {
		seen[sourceAddr(g, 20)]++
	}
	if len(seen) != 750 {
		t.Fatalf("%d addresses for 15000 phones at 20 each", len(seen))
	}
	for a, n := range seen {
		if n != 20 || !strings.HasPrefix(a, "127.") || strings.HasSuffix(a, ".0") || strings.HasSuffix(a, ".1") || strings.HasSuffix(a, ".255") {
			t.Fatalf("%s used %d times", a, n)
		}
	}
}
