package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestEventInProcess runs a tiny conference event against an in-process
// instance: the rooms are one event, the organizer's overview is open all
// along, the organizer announces mid-run, and the event's report is
// checked and the event closed. Correctness only; no timing is checked.
func TestEventInProcess(t *testing.T) {
	in := startInstance(t)
	sc := presets["event"]
	sc.Name, sc.Plan, sc.Rooms, sc.Phones, sc.Instances, sc.NATS = "event", planSmoke, 4, 5, 1, "embedded"
	sc.Timers, sc.JoinRate, sc.Gap = false, 200, Duration(100*time.Millisecond)
	sc.StartSpread, sc.AnnounceAfter = Duration(time.Second), Duration(time.Second)
	sc.Behavior.Window = Duration(time.Second)
	sc.Churn = Churn{Every: Duration(time.Second), Share: 0.1, Offline: Duration(300 * time.Millisecond)}
	if err := sc.Validate(1000); err != nil {
		t.Fatal(err)
	}
	opts := &Options{URLs: []string{in.URL()}, MaxPhones: 1000, PerWorker: 12, PhonesPerIP: 20,
		BaseDir: t.TempDir(), Log: testLog{t}, Spawn: spawnInProcess}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep := runScenario(ctx, opts, sc)
	var out strings.Builder
	rep.Print(&out)
	if rep.Failed != "" || !rep.Passed() {
		t.Fatalf("run failed:\n%s", out.String())
	}
	checks := map[string]bool{}
	for _, c := range rep.Checks {
		checks[c.Name] = true
	}
	for _, name := range []string{"the overview agrees with the rooms", "the overview showed every step change",
		"every phone got the announcement exactly once", "the event's report counts every acknowledged answer",
		"the event closes", "every phone got every event"} {
		if !checks[name] {
			t.Errorf("no check %q:\n%s", name, out.String())
		}
	}
	// The smoke plan has 6 steps: 5 "next" per room, each timed in the
	// overview.
	if ov := rep.Overview; ov == nil || ov.Lag.Count != 4*5 || ov.Frames == 0 || ov.SizeMax == 0 {
		t.Fatalf("overview figures: %+v\n%s", rep.Overview, out.String())
	}
	got := rep.Phones["announcement_live"] + rep.Phones["announcement_replayed"] + rep.Phones["announcement_snapshot"]
	if got != rep.Phones["joined"] || got != 20 {
		t.Fatalf("%d phones got the announcement, %d joined:\n%s", got, rep.Phones["joined"], out.String())
	}
	if rep.Delivery["stoppunkt announce/announcement"].Count == 0 {
		t.Fatalf("no announcement delivery times:\n%s", out.String())
	}
}
