package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The systems under test: stoppunkt instances (started here, or running
// ones given with -url), the NATS server they share, the raw baseline, and
// the worker processes that hold the phones.

// targetServers uses running servers given with -url (loopback, or hosts
// allowed by name).
func (r *run) targetServers() error {
	for i, u := range r.opts.URLs {
		if err := checkLoopbackURL(u, r.opts.AllowHosts); err != nil {
			return err
		}
		u = strings.TrimRight(u, "/")
		s := &server{name: "stoppunkt-" + strconv.Itoa(i+1), http: u, ws: "ws" + strings.TrimPrefix(u, "http") + "/ws"}
		if i < len(r.opts.ServerPIDs) {
			s.pid = r.opts.ServerPIDs[i]
			s.watch = newProcWatch(s.name, s.pid)
		}
		r.servers = append(r.servers, s)
	}
	if r.opts.NATSURL != "" {
		if err := checkLoopbackURL(r.opts.NATSURL, r.opts.AllowHosts); err != nil {
			return err
		}
		r.natsURL = r.opts.NATSURL
	}
	if r.sc.Instances > len(r.servers) {
		r.note("scenario asks for %d instances; %d given with -url", r.sc.Instances, len(r.servers))
	}
	return nil
}

// self is this binary, re-executed for workers, NATS and the baseline.
func (r *run) self() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own binary: %w", err)
	}
	return exe, nil
}

// startServers starts the scenario's NATS server (unless each instance
// embeds its own) and stoppunkt instances on free loopback ports, with
// loadgen's plans, high rate limits, and a pprof address when profiling,
// and waits until each is ready.
func (r *run) startServers(ctx context.Context) error {
	exe, err := r.self()
	if err != nil {
		return err
	}
	bin := absPath(r.opts.ServerBin)
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("stoppunkt binary %s: %w (build it: make build)", bin, err)
	}
	if r.sc.NATS == "own" {
		port, err := freePort()
		if err != nil {
			return err
		}
		args := []string{"nats-server", "-dir", filepath.Join(r.dir, "nats"), "-listen", "127.0.0.1:" + strconv.Itoa(port)}
		if r.opts.NATSNoSync {
			args = append(args, "-sync=false")
			r.note("NATS started WITHOUT fsync on every write (diagnosis; not the product's default)")
		}
		pprofAddr := ""
		if r.opts.Pprof {
			if pprofAddr, err = freeAddr(); err != nil {
				return err
			}
			args = append(args, "-pprof", pprofAddr)
		}
		c, line, err := startChild(ctx, "nats", exe, args, filepath.Join(r.dir, "nats.log"), true)
		if err != nil {
			return err
		}
		r.children = append(r.children, c)
		r.natsURL = strings.TrimPrefix(line, "listening ")
		r.nats = &server{name: "nats", pid: c.pid(), child: c, watch: newProcWatch("nats", c.pid()), pprof: pprofAddr}
		r.logf("NATS at %s (pid %d)", r.natsURL, c.pid())
	}
	rate := strconv.FormatFloat(r.opts.JoinRateCap, 'f', -1, 64)
	for i := 0; i < r.sc.Instances; i++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		name := "stoppunkt-" + strconv.Itoa(i+1)
		args := []string{"--addr", "127.0.0.1:" + strconv.Itoa(port), "--data", filepath.Join(r.dir, name),
			"--plans", r.plansDir, "--name", name, "--log-level", "warn", "--drain-timeout", "3s",
			"--join-rate", rate, "--message-rate", rate}
		if r.natsURL != "" {
			args = append(args, "--nats-url", r.natsURL)
		}
		pprofAddr := ""
		// A soak forces a collection before each quiet sample, through pprof.
		if r.opts.Pprof || r.sc.Kind == KindSoak {
			if pprofAddr, err = freeAddr(); err != nil {
				return err
			}
			args = append(args, "--pprof-addr", pprofAddr)
		}
		args = append(args, r.opts.ServerFlags...)
		args = append(args, r.sc.ServerFlags...)
		c, _, err := startChild(ctx, name, bin, args, filepath.Join(r.dir, name+".log"), false)
		if err != nil {
			return err
		}
		r.children = append(r.children, c)
		s := &server{name: name, http: "http://127.0.0.1:" + strconv.Itoa(port), ws: "ws://127.0.0.1:" + strconv.Itoa(port) + "/ws",
			pid: c.pid(), child: c, watch: newProcWatch(name, c.pid()), pprof: pprofAddr}
		if err := waitReady(ctx, s.http+"/readyz", c, 60*time.Second); err != nil {
			return err
		}
		r.servers = append(r.servers, s)
		r.logf("%s at %s (pid %d, pprof %q)", name, s.http, s.pid, pprofAddr)
	}
	return nil
}

func (r *run) targetOrStartBaseline(ctx context.Context) error {
	if u := r.opts.BaselineURL; u != "" {
		if err := checkLoopbackURL(u, r.opts.AllowHosts); err != nil {
			return err
		}
		u = strings.TrimRight(u, "/")
		r.baseline = &server{name: "baseline", http: u, ws: "ws" + strings.TrimPrefix(u, "http") + "/ws", pid: r.opts.BaselinePID}
		if r.baseline.pid == 0 {
			return errors.New("a target baseline server needs its pid (-baseline-pid) for its CPU")
		}
		r.baseline.watch = newProcWatch("baseline", r.baseline.pid)
		return nil
	}
	exe, err := r.self()
	if err != nil {
		return err
	}
	c, line, err := startChild(ctx, "baseline", exe, []string{"baseline-server", "-addr", "127.0.0.1:0"},
		filepath.Join(r.dir, "baseline.log"), true)
	if err != nil {
		return err
	}
	r.children = append(r.children, c)
	addr := strings.TrimPrefix(line, "listening ")
	r.baseline = &server{name: "baseline", http: "http://" + addr, ws: "ws://" + addr + "/ws",
		pid: c.pid(), child: c, watch: newProcWatch("baseline", c.pid())}
	r.logf("baseline at %s (pid %d)", addr, c.pid())
	return waitReady(ctx, r.baseline.http+"/healthz", c, 30*time.Second)
}

// spawnProcess is the default Spawn: this binary as "loadgen worker".
func spawnProcess(ctx context.Context, r *run, i int) (*workerConn, error) {
	exe, err := r.self()
	if err != nil {
		return nil, err
	}
	c, stdin, stdout, err := startWorkerProcess(exe, i, filepath.Join(r.dir, fmt.Sprintf("worker-%d.log", i)))
	if err != nil {
		return nil, err
	}
	r.children = append(r.children, c)
	stop := func() error {
		_ = stdin.Close()
		select {
		case <-c.done:
		case <-time.After(15 * time.Second):
			c.kill()
		}
		return nil
	}
	wc := newWorkerConn(i, c.pid(), stdout, stdin, stop, r.barrier.deliver)
	go func() {
		<-wc.done
		c.reap()
	}()
	return wc, nil
}
