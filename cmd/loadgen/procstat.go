package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcSample is one reading of a process's resource use.
type ProcSample struct {
	At       time.Time     `json:"-"`
	CPU      time.Duration `json:"-"` // user + system since start
	RSSKB    uint64        `json:"rss_kb"`
	HWMKB    uint64        `json:"hwm_kb"`
	Threads  int           `json:"threads"`
	OpenFDs  int           `json:"open_fds"`
	CPUSecs  float64       `json:"cpu_s"`
	UnixSecs float64       `json:"t"`
}

// ReadProc reads /proc/PID/stat and /proc/PID/status (and counts /proc/PID/fd).
func ReadProc(pid int) (ProcSample, error) {
	var s ProcSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("read stat of %d: %w", pid, err)
	}
	ut, st, err := parseStat(stat)
	if err != nil {
		return s, fmt.Errorf("stat of %d: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("read status of %d: %w", pid, err)
	}
	s.RSSKB, s.HWMKB, s.Threads = parseStatus(status)
	if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.OpenFDs = len(fds)
	}
	s.At = time.Now()
	s.CPU = time.Duration(ut+st) * time.Second / clockTicks
	s.CPUSecs = s.CPU.Seconds()
	s.UnixSecs = float64(s.At.UnixMilli()) / 1000
	return s, nil
}

// parseStat returns utime and stime (clock ticks) from /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStat(b []byte) (utime, stime uint64, err error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, 0, errors.New("no ')' after the command name")
	}
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	const first = 3
	if len(fields) < 15-first+1 {
		return 0, 0, fmt.Errorf("only %d fields", len(fields)+first-1)
	}
	if utime, err = strconv.ParseUint(string(fields[14-first]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("utime: %w", err)
	}
	if stime, err = strconv.ParseUint(string(fields[15-first]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("stime: %w", err)
	}
	return utime, stime, nil
}

// parseStatus returns VmRSS and VmHWM (kB) and Threads from /proc/PID/status.
func parseStatus(b []byte) (rssKB, hwmKB uint64, threads int) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		key, val, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		f := bytes.Fields(val)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			continue
		}
		switch string(key) {
		case "VmRSS":
			rssKB = n
		case "VmHWM":
			hwmKB = n
		case "Threads":
			threads = int(n)
		}
	}
	return rssKB, hwmKB, threads
}

// procWatch samples a process every interval and keeps the series, so that
// a run can report CPU over a window and the peak and final RSS (and a soak
// run can plot them).
type procWatch struct {
	Name string
	PID  int

	mu     sync.Mutex
	series []ProcSample
	err    error
}

func newProcWatch(name string, pid int) *procWatch { return &procWatch{Name: name, PID: pid} }

// run samples until ctx ends.
func (w *procWatch) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		w.Sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample takes one reading now and returns it.
func (w *procWatch) Sample() ProcSample {
	s, err := ReadProc(w.PID)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.err = err
		if n := len(w.series); n > 0 {
			return w.series[n-1]
		}
		return s
	}
	w.series = append(w.series, s)
	return s
}

// Series returns a copy of the samples so far.
func (w *procWatch) Series() []ProcSample {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]ProcSample(nil), w.series...)
}

// MaxRSSKB is the largest RSS sampled.
func (w *procWatch) MaxRSSKB() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	var m uint64
	for _, s := range w.series {
		m = max(m, s.RSSKB)
	}
	return m
}

// machineCPU reads the first line of /proc/stat: the CPU time of the whole
// machine, busy and in total, in clock ticks.
func machineCPU() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	return parseMachineCPU(b)
}

// parseMachineCPU parses "cpu  user nice system idle iowait irq softirq
// steal ...": idle and iowait are not busy.
func parseMachineCPU(b []byte) (busy, total uint64, err error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return 0, 0, errors.New("no cpu line in /proc/stat")
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat field %d: %w", i+1, err)
		}
		if i >= 8 { // guest time is already counted in user time
			break
		}
		total += n
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return busy, total, nil
}

// cpuBusy is the share (0..1) of all CPUs that were busy over d.
func cpuBusy(ctx context.Context, d time.Duration) float64 {
	b0, t0, err := machineCPU()
	if err != nil {
		return 0
	}
	sleepCtx(ctx, d)
	b1, t1, err := machineCPU()
	if err != nil || t1 <= t0 {
		return 0
	}
	return float64(b1-b0) / float64(t1-t0)
}
