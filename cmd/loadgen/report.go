package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one scenario's outcome, printed as a table and written as JSON.
type Report struct {
	Scenario string    `json:"scenario"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Machine  Machine   `json:"machine"`
	// LoadAvg is the machine's 1-minute load average at the start and the
	// end: the machine is shared, and a high figure means disturbed numbers.
	LoadAvg [2]float64 `json:"load_avg"`
	// OtherCPUSeconds is the CPU time the machine spent on processes other
	// than those of the run (servers, workers, this one): well above a few
	// seconds means the numbers were disturbed by someone else's work.
	OtherCPUSeconds float64  `json:"other_cpu_s"`
	Config          Scenario `json:"config"`
	// Results are the headline numbers, with their targets where issue 5
	// sets one.
	Results []Result `json:"results"`
	Checks  []Check  `json:"checks"`
	// Phones: planned, joined, failed joins, reconnects.
	Phones map[string]int64 `json:"phones"`
	// Errors by kind: dial, hello:<code>, error:<code>, close:<code>,
	// missing_event, duplicate_ack, unacked, ...
	Errors map[string]int64 `json:"errors"`
	// Delivery is the time from a facilitator's command (or the baseline's
	// trigger) to each phone having the event, per "system command/frame".
	Delivery map[string]LatencySummary `json:"delivery"`
	// Acks is the time from sending a submission to its ack.
	Acks map[string]LatencySummary `json:"acks"`
	// Joins is the time from dialling to the welcome.
	Joins map[string]LatencySummary `json:"joins"`
	// Commands is the facilitator's command-to-ack time.
	Commands map[string]LatencySummary `json:"commands"`
	Rounds   []Round                   `json:"rounds,omitempty"`
	Servers  []ServerUsage             `json:"servers"`
	Extra    map[string]any            `json:"extra,omitempty"`
	Notes    []string                  `json:"notes,omitempty"`
	Dir      string                    `json:"dir,omitempty"`
	Failed   string                    `json:"failed,omitempty"`

	// Overview is what the organizer's overview of a conference event
	// cost and how far behind the rooms it was (event runs).
	Overview *OverviewReport `json:"overview,omitempty"`
}

// Result is one measured figure.
type Result struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Met    *bool   `json:"met,omitempty"`
}

// Check is a correctness check.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Round is one measured round of a system under test.
type Round struct {
	System     string  `json:"system"`
	N          int     `json:"round"`
	Step       int     `json:"step,omitempty"` // the poll of a vote round
	Events     int     `json:"events"`
	Deliveries int     `json:"deliveries"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_s"`
	// CPUPerDeliveryUs is server CPU per phone per event.
	CPUPerDeliveryUs float64 `json:"cpu_per_delivery_us"`
	P99ms            float64 `json:"p99_ms"`
	Throughput       float64 `json:"throughput,omitempty"`
}

// ServerUsage is one process's resource use over the run.
type ServerUsage struct {
	Name       string       `json:"name"`
	PID        int          `json:"pid"`
	CPUSeconds float64      `json:"cpu_s"`
	RSSStartMB float64      `json:"rss_start_mb"`
	RSSEndMB   float64      `json:"rss_end_mb"`
	RSSMaxMB   float64      `json:"rss_max_mb"`
	Threads    int          `json:"threads"`
	OpenFDs    int          `json:"open_fds"`
	Series     []ProcSample `json:"series,omitempty"`
}

// Machine says where the numbers were taken.
type Machine struct {
	CPUs     int    `json:"cpus"`
	Model    string `json:"model"`
	MemoryGB int    `json:"memory_gb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
}

// loadAvg is the 1-minute load average.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	_, _ = fmt.Sscanf(string(b), "%f", &l)
	return l
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.MemoryGB = int(math.Round(float64(kb) / (1 << 20)))
		}
	}
	return m
}

// infoCounters are worker counters that are not errors. Late input
// refused as stale or not_open ("refused:*") is reported with the errors
// but is not one: see isError.
var infoCounters = map[string]bool{
	"phones": true, "joined": true, "reconnect": true, "reconnect_recovered": true,
	"reconnect_snapshot": true, "dropped": true, "ack_after_retry": true, "forgotten_phones": true,
	"announcement_live": true, "announcement_replayed": true, "announcement_snapshot": true,
}

// isError reports whether a counter counts a failure.
func isError(key string) bool {
	return !infoCounters[key] && !strings.HasPrefix(key, "refused:")
}

var roundTag = regexp.MustCompile(`#r\d+`)

// histogram names: "system#rN cmd/type" for marked events, with the round
// tag dropped in the report's totals.
func totalName(key string) string { return roundTag.ReplaceAllString(key, "") }

// buildReport turns what the run and its workers measured into a Report.
func (r *run) buildReport(wr *WorkerReport) *Report {
	rep := &Report{Scenario: r.sc.Name, Started: r.t0, Seconds: time.Since(r.t0).Seconds(), Machine: machine(),
		LoadAvg: [2]float64{r.loadStart, loadAvg()},
		Config:  r.sc, Phones: map[string]int64{}, Errors: map[string]int64{}, Delivery: map[string]LatencySummary{},
		Acks: map[string]LatencySummary{}, Joins: map[string]LatencySummary{}, Commands: map[string]LatencySummary{},
		Results: []Result{}, Checks: []Check{}, Servers: []ServerUsage{}}
	if wr != nil {
		for k, v := range wr.Counters {
			switch {
			case infoCounters[k]:
				rep.Phones[k] = v
			case v != 0:
				rep.Errors[k] = v
			}
		}
		totals := Histograms{}
		for k, h := range wr.Hists {
			totals.Get(totalName(k)).Merge(h)
		}
		for k, h := range totals {
			switch {
			case strings.Contains(k, " ack "):
				rep.Acks[k] = h.Summary()
			case strings.HasSuffix(k, " join") || strings.HasSuffix(k, " connect"):
				rep.Joins[k] = h.Summary()
			default:
				rep.Delivery[k] = h.Summary()
			}
		}
	}
	r.mu.Lock()
	for k, h := range r.facHist {
		rep.Commands[k] = h.Summary()
	}
	for k, v := range r.counts {
		rep.Errors[k] += v
	}
	rep.Results = append(rep.Results, r.results...)
	rep.Checks = append(rep.Checks, r.checks...)
	rep.Rounds = append(rep.Rounds, r.rounds...)
	rep.Notes = append(rep.Notes, r.notes...)
	rep.Extra = r.extra
	rep.Overview = r.overview
	r.mu.Unlock()
	if r.event != nil && r.event.ov != nil {
		for k, n := range r.event.ov.errorCounts() {
			rep.Errors[k] += int64(n)
		}
	}
	for _, rm := range r.rooms {
		if rm.fac == nil {
			continue
		}
		for code, n := range rm.fac.errorCounts() {
			rep.Errors["facilitator:"+code] += int64(n)
		}
	}
	ours := 0.0
	for _, s := range r.watched() {
		u := usage(s, r.opts.Series)
		rep.Servers = append(rep.Servers, u)
		ours += u.CPUSeconds
	}
	if self, err := ReadProc(os.Getpid()); err == nil {
		ours += self.CPUSecs - r.selfCPUStart
	}
	if busy, _, err := machineCPU(); err == nil && r.busyStart > 0 {
		rep.OtherCPUSeconds = round2(math.Max(float64(busy-r.busyStart)/clockTicks-ours, 0))
	}
	return rep
}

func usage(s *server, series bool) ServerUsage {
	u := ServerUsage{Name: s.name, PID: s.pid}
	ss := s.watch.Series()
	if len(ss) == 0 {
		return u
	}
	first, last := ss[0], ss[len(ss)-1]
	u.CPUSeconds = round2(last.CPUSecs - first.CPUSecs)
	u.RSSStartMB, u.RSSEndMB = mb(first.RSSKB), mb(last.RSSKB)
	u.RSSMaxMB = mb(s.watch.MaxRSSKB())
	u.Threads, u.OpenFDs = last.Threads, last.OpenFDs
	if series {
		u.Series = ss
	}
	return u
}

func mb(kb uint64) float64 { return round2(float64(kb) / 1024) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

// Passed reports whether every check passed.
func (rep *Report) Passed() bool {
	for _, c := range rep.Checks {
		if !c.OK {
			return false
		}
	}
	return rep.Failed == ""
}

// Print writes the report as readable tables.
func (rep *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s (%s, %d phones per room x %d rooms, %d instance(s)) — %.0fs; CPU used by others meanwhile: %.1fs\n",
		rep.Scenario, rep.Config.Kind, rep.Config.Phones, rep.Config.Rooms, rep.Config.Instances, rep.Seconds, rep.OtherCPUSeconds)
	if rep.Failed != "" {
		fmt.Fprintf(w, "RUN FAILED: %s\n", rep.Failed)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	if len(rep.Results) > 0 {
		fmt.Fprintln(tw, "\nresult\tvalue\ttarget\tmet")
		for _, r := range rep.Results {
			met := ""
			if r.Met != nil {
				met = map[bool]string{true: "yes", false: "NO"}[*r.Met]
			}
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\n", r.Name, fmtNum(r.Value), r.Unit, r.Target, met)
		}
	}
	printLatencies(tw, "delivery (command sent → phone has it)", rep.Delivery)
	printLatencies(tw, "submission acks", rep.Acks)
	printLatencies(tw, "joins", rep.Joins)
	printLatencies(tw, "facilitator commands (sent → ack)", rep.Commands)
	rep.Overview.print(tw)
	if len(rep.Rounds) > 0 {
		fmt.Fprintln(tw, "\nround\tsystem\tevents\tdeliveries\tseconds\tcpu s\tcpu/delivery µs\tp99 ms\tthroughput/s")
		for _, r := range rep.Rounds {
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%.3f\t%.2f\t%.2f\t%.2f\t%s\n", r.N, r.System, r.Events, r.Deliveries,
				r.Seconds, r.CPUSeconds, r.CPUPerDeliveryUs, r.P99ms, fmtNum(r.Throughput))
		}
	}
	fmt.Fprintln(tw, "\nprocess\tpid\tcpu s\trss start MB\trss end MB\trss max MB\tthreads\tfds")
	for _, s := range rep.Servers {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.1f\t%.1f\t%.1f\t%d\t%d\n", s.Name, s.PID, s.CPUSeconds, s.RSSStartMB, s.RSSEndMB, s.RSSMaxMB, s.Threads, s.OpenFDs)
	}
	fmt.Fprintln(tw, "\nphones\tcount")
	for _, k := range sortedKeys(rep.Phones) {
		fmt.Fprintf(tw, "%s\t%d\n", k, rep.Phones[k])
	}
	fmt.Fprintln(tw, "\nerrors\tcount")
	if len(rep.Errors) == 0 {
		fmt.Fprintln(tw, "(none)\t0")
	}
	for _, k := range sortedKeys(rep.Errors) {
		fmt.Fprintf(tw, "%s\t%d\n", k, rep.Errors[k])
	}
	if len(rep.Checks) > 0 {
		fmt.Fprintln(tw, "\ncheck\tok\tdetail")
		for _, c := range rep.Checks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, map[bool]string{true: "ok", false: "FAILED"}[c.OK], c.Detail)
		}
	}
	tw.Flush()
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if rep.Dir != "" {
		fmt.Fprintf(w, "logs: %s\n", rep.Dir)
	}
}

func printLatencies(tw io.Writer, title string, m map[string]LatencySummary) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(tw, "\n%s\tcount\tp50 ms\tp90 ms\tp99 ms\tmax ms\n", title)
	for _, k := range sortedKeys(m) {
		s := m[k]
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n", k, s.Count, s.P50ms, s.P90ms, s.P99ms, s.MaxMs)
	}
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// result adds a headline figure; target is checked with met when given.
func (r *run) result(name string, value float64, unit, target string, met func(float64) bool) {
	res := Result{Name: name, Value: round2(value), Unit: unit, Target: target}
	if met != nil {
		ok := met(value)
		res.Met = &ok
	}
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

// check records a correctness check.
func (r *run) check(name string, ok bool, format string, args ...any) {
	r.mu.Lock()
	r.checks = append(r.checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	r.mu.Unlock()
}

func (r *run) setExtra(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.extra == nil {
		r.extra = map[string]any{}
	}
	r.extra[key] = v
}
