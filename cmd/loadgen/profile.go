package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fetchProfile saves a pprof endpoint's answer to path.
func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("save profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("save profile: %w", err)
	}
	return f.Close()
}

// startCPUProfiles starts a CPU profile of every instance with a pprof
// address, for the profile length; wait returns when all are saved.
func (r *run) startCPUProfiles(ctx context.Context, name string) (wait func()) {
	if r.opts.ProfileDir == "" {
		return func() {}
	}
	secs := max(r.opts.ProfileSecs, 1)
	var wg sync.WaitGroup
	targets := append([]*server(nil), r.servers...)
	if r.nats != nil {
		targets = append(targets, r.nats)
	}
	for _, s := range targets {
		if s.pprof == "" {
			continue
		}
		path := fmt.Sprintf("%s/%s-%s-cpu.pprof", r.opts.ProfileDir, name, s.name)
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprof, secs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, time.Duration(secs+30)*time.Second)
			defer cancel()
			if err := fetchProfile(pctx, url, path); err != nil {
				r.note("cpu profile of %s: %v", s.name, err)
				return
			}
			r.note("cpu profile (%ds): %s", secs, path)
		}()
	}
	return wg.Wait
}

// runtimeMetrics are the Go runtime figures from a server's /metrics that
// explain its RSS: live heap, stacks, goroutines.
var runtimeMetrics = []string{
	"go_goroutines", "go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes",
	"go_memstats_heap_released_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes",
}

// scrapeRuntime reads runtimeMetrics from a Prometheus text endpoint.
func scrapeRuntime(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(runtimeMetrics, name) {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			out[name] = v
		}
	}
	return out, nil
}
