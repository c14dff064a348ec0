// Command loadgen is Stoppunkt's load generator and benchmark harness.
// Simulated phones speak the real protocol: they join by code, follow the
// steps, vote and change votes, write open answers and shared reflections,
// go quiet, drop and reconnect with their last sequence; facilitators drive
// plans. It measures, on one clock, the time from a facilitator's command to
// each phone having the event, acknowledgement times, errors by kind, and
// the servers' CPU and RSS, and compares Stoppunkt with a raw websocket
// fan-out and raw JetStream publishing in the same run.
//
//	loadgen -scenario keynote [-json out.json]     run built-in scenarios
//	loadgen -file my.yaml                          run a scenario file
//	loadgen baseline-server -addr 127.0.0.1:9000  the raw fan-out baseline
//	loadgen nats-server -dir D -listen 127.0.0.1:4222
//	loadgen plans -out DIR                         the scenarios' plans
//
// It starts the servers it measures (stoppunkt instances, a NATS server,
// the baseline), or targets running ones given with -url; only loopback
// addresses unless a host is named with -allow-host. Every run is bounded
// by -deadline and -max-phones. Phones are spread over worker processes
// (re-executions of this binary) and over source addresses 127.0.0.x.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, errChecksFailed) && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "loadgen:", err)
		}
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "worker":
			return workerMain(ctx, args[1:])
		case "baseline-server":
			return baselineServerMain(ctx, args[1:])
		case "nats-server":
			return natsServerMain(ctx, args[1:])
		case "plans":
			return plansMain(args[1:])
		}
	}
	return runMain(ctx, args)
}

func workerMain(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.Int("index", 0, "worker number (for its log)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return runWorker(ctx, os.Stdin, os.Stdout, func() {
		fmt.Fprintln(stderr, "loadgen worker: past the run's deadline; exiting")
		os.Exit(3)
	})
}

func plansMain(args []string) error {
	fs := flag.NewFlagSet("plans", flag.ContinueOnError)
	out := fs.String("out", "", "folder to write the plans to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("plans: -out is required")
	}
	return writePlans(*out)
}

// runFlags are the flags of a run.
type runFlags struct {
	scenario, file, jsonPath, urls, pids  string
	phones, rooms, instances, stepChanges int
	rounds                                int
	joinRate                              float64
	hold, soakFor                         time.Duration
	serverFlags                           multiFlag
	allowHosts                            multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runMain parses the run's flags and runs the scenarios.
func runMain(ctx context.Context, args []string) error {
	opts := &Options{Log: stderr, Spawn: spawnProcess}
	var f runFlags
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.scenario, "scenario", "", "scenarios to run, comma-separated: "+strings.Join(presetNames(), ", ")+", or all")
	fs.StringVar(&f.file, "file", "", "scenario file (YAML or JSON) laid over -scenario (or over its own \"base\")")
	fs.StringVar(&f.jsonPath, "json", "", "write the report as JSON to this file")
	fs.StringVar(&opts.ServerBin, "server-bin", "bin/stoppunkt", "stoppunkt binary to start")
	fs.StringVar(&f.urls, "url", "", "target running servers (http://host:port, comma-separated) instead of starting them")
	fs.StringVar(&f.pids, "server-pid", "", "pids of the -url servers, comma-separated, to read their CPU and RSS")
	fs.StringVar(&opts.NATSURL, "nats-url", "", "NATS of the -url servers (vote burst yardstick and log counts)")
	fs.StringVar(&opts.BaselineURL, "baseline-url", "", "target a running baseline-server (http://host:port) instead of starting one")
	fs.IntVar(&opts.BaselinePID, "baseline-pid", 0, "pid of the -baseline-url server")
	fs.Var(&f.allowHosts, "allow-host", "allow a non-loopback host for -url and -nats-url (repeatable)")
	fs.IntVar(&f.phones, "phones", 0, "phones per room (overrides the scenario)")
	fs.IntVar(&f.rooms, "rooms", 0, "rooms (overrides the scenario)")
	fs.IntVar(&f.instances, "instances", 0, "stoppunkt instances to start (overrides the scenario)")
	fs.IntVar(&f.stepChanges, "step-changes", 0, "measured step changes (overrides the scenario)")
	fs.IntVar(&f.rounds, "rounds", 0, "alternating rounds (overrides the scenario)")
	fs.Float64Var(&f.joinRate, "join-rate", -1, "new phones per second (overrides the scenario)")
	fs.DurationVar(&f.hold, "hold", -1, "how long idle phones stay (overrides the scenario)")
	fs.DurationVar(&opts.Deadline, "deadline", 20*time.Minute, "hard limit for the whole invocation")
	fs.IntVar(&opts.MaxPhones, "max-phones", 30000, "refuse scenarios with more phones than this")
	fs.IntVar(&opts.PerWorker, "per-worker", 7500, "most phones (sockets) in one worker process")
	fs.IntVar(&opts.PhonesPerIP, "phones-per-ip", 20, "phones sharing one 127.0.0.x source address")
	fs.Float64Var(&opts.JoinRateCap, "server-rate", 100000, "--join-rate and --message-rate of the servers loadgen starts")
	fs.StringVar(&opts.ProfileDir, "profile-dir", "", "save CPU and heap profiles of the instances here (turns on --pprof-addr)")
	fs.IntVar(&opts.ProfileSecs, "profile-seconds", 30, "length of CPU profiles")
	fs.Var(&f.serverFlags, "server-flag", "extra flag for the stoppunkt instances (repeatable)")
	fs.StringVar(&opts.BaseDir, "dir", os.TempDir(), "where run folders (data, logs) go")
	fs.BoolVar(&opts.Keep, "keep", false, "keep run folders (they are kept anyway when a run fails)")
	fs.BoolVar(&opts.Series, "series", false, "include per-second server samples in the JSON")
	fs.DurationVar(&f.soakFor, "for", 0, "how long a soak starts new generations of rooms (overrides the scenario)")
	fs.StringVar(&opts.PlotPath, "plot", "", "write a soak's samples as an SVG plot to this file")
	fs.BoolVar(&opts.NATSNoSync, "nats-nosync", false, "diagnosis: start loadgen's NATS without fsync on every write")
	fs.Float64Var(&opts.QuietCPU, "quiet-cpu", 0, "before each scenario, wait (up to 10 minutes) until the machine's CPUs are less busy than this share, e.g. 0.15 (0: do not wait)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quiet {
		opts.Log = nil
	}
	opts.ServerFlags = f.serverFlags
	opts.AllowHosts = f.allowHosts
	if f.urls != "" {
		opts.URLs = strings.Split(f.urls, ",")
	}
	for _, p := range splitList(f.pids) {
		pid, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("-server-pid %q: %w", p, err)
		}
		opts.ServerPIDs = append(opts.ServerPIDs, pid)
	}
	if opts.ProfileDir != "" {
		if err := os.MkdirAll(opts.ProfileDir, 0o755); err != nil {
			return err
		}
		opts.Pprof = true
	}
	scenarios, err := f.scenarios(opts.MaxPhones)
	if err != nil {
		return err
	}
	for _, sc := range scenarios {
		if sc.Kind == KindSoak && sc.For.D()+5*time.Minute > opts.Deadline {
			return fmt.Errorf("scenario %s runs for %s: raise -deadline (%s) to at least 5 minutes more", sc.Name, sc.For, opts.Deadline)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Deadline)
	defer cancel()
	return runAll(ctx, opts, scenarios, f.jsonPath)
}

// scenarios resolves -scenario and -file and applies the overriding flags.
func (f *runFlags) scenarios(maxPhones int) ([]Scenario, error) {
	names := splitList(f.scenario)
	if len(names) == 1 && names[0] == "all" {
		names = []string{"keynote", "idle", "vote-burst", "join-storm", "bigroom", "conference", "event"}
	}
	if len(names) == 0 {
		if f.file == "" {
			return nil, errors.New("name a -scenario or a -file (see -help)")
		}
		names = []string{""}
	}
	var out []Scenario
	for _, name := range names {
		sc, err := loadScenario(name, f.file)
		if err != nil {
			return nil, err
		}
		if sc.Name == "" {
			sc.Name = "custom"
		}
		f.override(&sc)
		if err := sc.Validate(maxPhones); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// override applies the flags that change a scenario.
func (f *runFlags) override(sc *Scenario) {
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&sc.Phones, f.phones)
	set(&sc.Rooms, f.rooms)
	set(&sc.Instances, f.instances)
	set(&sc.StepChanges, f.stepChanges)
	set(&sc.Rounds, f.rounds)
	if f.joinRate >= 0 {
		sc.JoinRate = f.joinRate
	}
	if f.hold >= 0 {
		sc.Hold = Duration(f.hold)
	}
	if f.soakFor > 0 {
		sc.For = Duration(f.soakFor)
	}
	if sc.Instances > 1 && sc.NATS == "embedded" {
		sc.NATS = "own"
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// runAll runs the scenarios in turn, prints each report, writes the JSON,
// and fails if a run failed or a scenario's checks failed.
func runAll(ctx context.Context, opts *Options, scenarios []Scenario, jsonPath string) error {
	var reps []*Report
	failed := false
	for _, sc := range scenarios {
		if ctx.Err() != nil {
			break
		}
		if opts.QuietCPU > 0 {
			waitQuiet(ctx, opts.QuietCPU, 10*time.Minute, opts.Log)
		}
		rep := runScenario(ctx, opts, sc)
		rep.Print(stdout)
		reps = append(reps, rep)
		if rep.Failed != "" || (sc.Checks && !rep.Passed()) {
			failed = true
		}
	}
	cmp := comparisons(reps)
	for _, c := range cmp {
		fmt.Fprintf(stdout, "\n%s: %.2f%s (target %s)\n", c.Name, c.Value, c.Unit, c.Target)
	}
	if jsonPath != "" {
		b, err := json.MarshalIndent(map[string]any{"runs": reps, "comparisons": cmp}, "", "  ")
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("stopped: %w", ctx.Err())
	}
	if failed {
		fmt.Fprintln(stderr, "loadgen: a run failed or its checks failed")
		return errChecksFailed
	}
	return nil
}

// waitQuiet waits until the machine's CPUs are less than limit (0..1)
// busy: the machine is shared, and numbers taken while something else runs
// are disturbed. (The load average is no guide here: kernel threads keep it
// high on an idle machine.)
func waitQuiet(ctx context.Context, limit float64, most time.Duration, log io.Writer) {
	deadline := time.Now().Add(most)
	for busy := cpuBusy(ctx, 5*time.Second); busy >= limit; busy = cpuBusy(ctx, 5*time.Second) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			if log != nil {
				fmt.Fprintf(log, "loadgen: CPUs still %.0f%% busy; running anyway\n", busy*100)
			}
			return
		}
		if log != nil {
			fmt.Fprintf(log, "loadgen: CPUs %.0f%% busy, waiting for less than %.0f%%\n", busy*100, limit*100)
		}
		sleepCtx(ctx, 10*time.Second)
	}
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
