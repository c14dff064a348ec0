package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// runPlan runs `stoppunkt plan args...` and returns its exit code and output.
func runPlan(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("STOPPUNKT_PLANS", "")
	var out, errOut bytes.Buffer
	code = runPlanCommand(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writePlanFile writes content to name in dir and returns its path.
func writePlanFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const okPlanYAML = `id: min-plan
title: Min plan
language: nb
duration: 30m
steps:
  - kind: info
    title: Velkommen
  - kind: poll
    title: Ja eller nei?
    options: [Ja, Nei]
`

const badPlanYAML = `id: feil-plan
title: Feil
language: de
duration: 30m
steps:
  - kind: poll
    title: Ja eller nei?
    options: [Ja]
  - kind: scale
    title: Hvor enig?
    options: [a, b]
    min_label: Uenig
    max_label: Enig
`

func TestPlanValidate(t *testing.T) {
	dir := t.TempDir()
	good := writePlanFile(t, dir, "good.yaml", okPlanYAML)
	bad := writePlanFile(t, dir, "bad.yaml", badPlanYAML)

	code, out, errOut := runPlan(t, "validate", good)
	if code != 0 || out != good+": ok (2 steps)\n" || errOut != "" {
		t.Errorf("validate good: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, out, errOut = runPlan(t, "validate", good, bad)
	want := good + ": ok (2 steps)\n" +
		bad + `:3:11: language: unknown language "de": use one of nb, nn, da, sv, en` + "\n" +
		bad + ":8:14: steps[0].options: a poll needs at least 2 options\n" +
		bad + ":11:5: steps[1].options: field options is not used by a scale step\n"
	if code != 1 || out != want {
		t.Errorf("validate good bad: code %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
	if errOut != "3 problems in 1 file of 2 files\n" {
		t.Errorf("stderr = %q", errOut)
	}

	// A folder stands for its plan files; "plan" before the subcommand is skipped.
	code, out, _ = runPlan(t, "plan", "validate", dir)
	if code != 1 || !strings.HasPrefix(out, bad+":3:11:") || !strings.HasSuffix(out, good+": ok (2 steps)\n") {
		t.Errorf("validate dir: code %d, stdout:\n%s", code, out)
	}

	// A copy of a built-in plan must get an id of its own.
	builtin := plan.Builtin()[0]
	copyPath := writePlanFile(t, dir, "copy.yaml", string(builtin.Source))
	code, out, _ = runPlan(t, "validate", copyPath)
	if code != 1 || !strings.Contains(out, `id: "`+builtin.ID+`" is the id of a built-in plan`) {
		t.Errorf("validate copy of built-in: code %d, stdout %q", code, out)
	}

	// Two files with one id.
	other := writePlanFile(t, dir, "other.yml", okPlanYAML)
	code, out, _ = runPlan(t, "validate", good, other)
	if code != 1 || !strings.Contains(out, other+`:1:1: id: plan id "min-plan" is already used by `+good) {
		t.Errorf("validate duplicate ids: code %d, stdout %q", code, out)
	}

	code, out, _ = runPlan(t, "validate", filepath.Join(dir, "missing.yaml"))
	if code != 1 || !strings.Contains(out, "missing.yaml: cannot read the file") {
		t.Errorf("validate missing: code %d, stdout %q", code, out)
	}
}

func TestPlanList(t *testing.T) {
	code, out, errOut := runPlan(t, "list")
	if code != 0 || errOut != "" {
		t.Fatalf("list: code %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(plan.Builtin())+1 {
		t.Fatalf("list printed %d lines:\n%s", len(lines), out)
	}
	if fields := strings.Fields(lines[0]); strings.Join(fields, " ") != "ID LANG DURATION STEPS TITLE" {
		t.Errorf("header = %q", lines[0])
	}
	if !strings.Contains(out, "avvergingsplikten-45") || !regexpMatch(`(?m)^avvergingsplikten-45\s+nb\s+45m\s+14\s+Avvergingsplikten`, out) {
		t.Errorf("list lacks the avvergingsplikten row:\n%s", out)
	}
	if !regexpMatch(`(?m)^overgreb-mod-boern\s+da\s+1h\s+`, out) {
		t.Errorf("list lacks the Danish plan:\n%s", out)
	}

	dir := t.TempDir()
	writePlanFile(t, dir, "good.yaml", okPlanYAML)
	code, out, errOut = runPlan(t, "list", "--plans", dir)
	if code != 0 || errOut != "" || !regexpMatch(`(?m)^min-plan\s+nb\s+30m\s+2\s+Min plan$`, out) {
		t.Errorf("list --plans: code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	// The folder's plans come after the built-in ones.
	if lines := strings.Split(strings.TrimSpace(out), "\n"); !strings.HasPrefix(lines[len(lines)-1], "min-plan") {
		t.Errorf("folder plan is not last:\n%s", out)
	}

	writePlanFile(t, dir, "bad.yaml", badPlanYAML)
	code, out, errOut = runPlan(t, "list", "--plans="+dir)
	if code != 1 || !strings.Contains(out, "min-plan") || !strings.Contains(errOut, "bad.yaml:3:11: language:") {
		t.Errorf("list with a bad file: code %d, stderr %q", code, errOut)
	}

	// $STOPPUNKT_PLANS is the default folder.
	t.Setenv("STOPPUNKT_PLANS", dir)
	var o, e bytes.Buffer
	if code := runPlanCommand([]string{"list"}, &o, &e); code != 1 || !strings.Contains(o.String(), "min-plan") {
		t.Errorf("list with $STOPPUNKT_PLANS: code %d, stdout:\n%s", code, o.String())
	}
}

func TestPlanShow(t *testing.T) {
	for _, p := range plan.Builtin() {
		code, out, errOut := runPlan(t, "show", p.ID)
		if code != 0 || out != string(p.Source) || errOut != "" {
			t.Errorf("show %s: code %d, stderr %q, output differs from the source: %v", p.ID, code, errOut, out != string(p.Source))
		}
	}
	dir := t.TempDir()
	writePlanFile(t, dir, "good.yaml", okPlanYAML)
	if code, out, _ := runPlan(t, "show", "min-plan", "--plans", dir); code != 0 || out != okPlanYAML {
		t.Errorf("show min-plan --plans: code %d, stdout %q", code, out)
	}
	if code, out, _ := runPlan(t, "show", "--plans", dir, "min-plan"); code != 0 || out != okPlanYAML {
		t.Errorf("show --plans DIR min-plan: code %d, stdout %q", code, out)
	}
	code, out, errOut := runPlan(t, "show", "no-such-plan")
	if code != 1 || out != "" || !strings.Contains(errOut, `no plan has the id "no-such-plan"`) {
		t.Errorf("show missing: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestPlanUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"validate"}, 2},
		{[]string{"validate", "--plans", "x", "a.yaml"}, 2},
		{[]string{"list", "extra"}, 2},
		{[]string{"list", "--plans"}, 2},
		{[]string{"list", "--verbose"}, 2},
		{[]string{"show"}, 2},
		{[]string{"show", "a", "b"}, 2},
		{[]string{"help"}, 0},
		{[]string{"show", "--help"}, 0},
	}
	for _, tt := range tests {
		code, out, errOut := runPlan(t, tt.args...)
		if code != tt.code {
			t.Errorf("plan %v: code %d, want %d", tt.args, code, tt.code)
		}
		usage := errOut
		if tt.code == 0 {
			usage = out
		}
		if !strings.Contains(usage, "stoppunkt plan validate FILE|DIR...") {
			t.Errorf("plan %v: no usage printed (stdout %q, stderr %q)", tt.args, out, errOut)
		}
	}
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}
