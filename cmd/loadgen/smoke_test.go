package main

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// spawnInProcess runs a worker in this process over pipes, so that tests
// exercise the coordinator–worker protocol without re-executing a binary.
func spawnInProcess(ctx context.Context, r *run, i int) (*workerConn, error) {
	fromWorker, workerOut := io.Pipe()
	workerIn, toWorker := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := runWorker(ctx, workerIn, workerOut, nil)
		workerOut.Close()
		done <- err
	}()
	stop := func() error {
		toWorker.Close()
		return <-done
	}
	return newWorkerConn(i, 0, fromWorker, toWorker, stop, r.barrier.deliver), nil
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// startInstance starts an in-process instance serving loadgen's plans.
func startInstance(t *testing.T) *instance.Instance {
	plans := filepath.Join(t.TempDir(), "plans")
	if err := writePlans(plans); err != nil {
		t.Fatal(err)
	}
	ns := instancetest.NATS(t)
	return instancetest.Start(t, ns.ClientURL(), instancetest.Options{Modify: func(c *instance.Config) {
		c.PlansDir = plans
	}})
}

// TestSmokeSession runs the smoke scenario, smaller, against an
// in-process instance: phones vote, change votes, write, submit, drop and
// come back; every check must pass.
func TestSmokeSession(t *testing.T) {
	in := startInstance(t)
	sc := presets["smoke"]
	sc.Name, sc.Rooms, sc.Phones = "smoke", 2, 24
	sc.Churn.Every = Duration(time.Second)
	sc.Churn.Share = 0.1
	opts := &Options{URLs: []string{in.URL()}, MaxPhones: 1000, PerWorker: 30, PhonesPerIP: 20,
		BaseDir: t.TempDir(), Log: testLog{t}, Spawn: spawnInProcess}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep := runScenario(ctx, opts, sc)
	if rep.Failed != "" {
		t.Fatalf("run failed: %s", rep.Failed)
	}
	var out strings.Builder
	rep.Print(&out)
	if !rep.Passed() || len(rep.Checks) < 5 {
		t.Fatalf("checks failed:\n%s", out.String())
	}
	if rep.Phones["joined"] != 48 || rep.Delivery["stoppunkt next/step"].Count == 0 || rep.Acks["stoppunkt ack answer"].Count == 0 {
		t.Fatalf("implausible report:\n%s", out.String())
	}
}

// TestFanoutAgainstBaselineInProcess runs a tiny keynote: Stoppunkt and
// the raw baseline (in this process) take turns, and the report has the
// ratios. CPU is this process's, so only the mechanics are checked.
func TestFanoutAgainstBaselineInProcess(t *testing.T) {
	in := startInstance(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hub := newBaselineHub()
	go hub.run(ctx)
	bl := httptest.NewServer(baselineHandler(hub))
	defer bl.Close()
	sc := presets["keynote"]
	sc.Name, sc.Phones, sc.StepChanges, sc.Rounds = "keynote", 20, 4, 2
	opts := &Options{URLs: []string{in.URL()}, ServerPIDs: []int{os.Getpid()}, BaselineURL: bl.URL, BaselinePID: os.Getpid(),
		MaxPhones: 1000, PerWorker: 25, PhonesPerIP: 20, BaseDir: t.TempDir(), Spawn: spawnInProcess}
	rep := runScenario(ctx, opts, sc)
	var out strings.Builder
	rep.Print(&out)
	if rep.Failed != "" || !rep.Passed() {
		t.Fatalf("run failed:\n%s", out.String())
	}
	if got := rep.Delivery["stoppunkt step-change/step"].Count; got != 80 {
		t.Fatalf("%d step deliveries, want 80:\n%s", got, out.String())
	}
	if got := rep.Delivery["baseline broadcast/step"].Count; got != 80 {
		t.Fatalf("%d baseline deliveries, want 80:\n%s", got, out.String())
	}
	if len(rep.Rounds) != 4 {
		t.Fatalf("rounds: %+v", rep.Rounds)
	}
	names := map[string]bool{}
	for _, res := range rep.Results {
		names[res.Name] = true
	}
	if !names["p99 ratio stoppunkt/baseline"] || !names["participant step frame size (baseline payload)"] {
		t.Fatalf("results lack the ratios:\n%s", out.String())
	}
}
