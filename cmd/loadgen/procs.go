package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a process loadgen started: a stoppunkt instance, its NATS
// server, the baseline server or a worker. Children get SIGKILL if loadgen
// dies (Pdeathsig), and loadgen stops them by their pid only.
type child struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// startChild starts path with args, its output going to logPath. If
// firstLine is true it returns the first line of the child's stdout (the
// address it listens on) and sends the rest to the log.
func startChild(ctx context.Context, name, path string, args []string, logPath string, firstLine bool) (*child, string, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("start %s: log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = childEnv()
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out io.ReadCloser
	if firstLine {
		if out, err = cmd.StdoutPipe(); err != nil {
			lf.Close()
			return nil, "", fmt.Errorf("start %s: %w", name, err)
		}
	} else {
		cmd.Stdout = lf
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: lf, done: make(chan struct{})}
	// The child is reaped once its output has been read to the end: Wait
	// closes the pipe, and what was not read by then would be lost.
	copied := make(chan struct{})
	lines := make(chan string, 1)
	if firstLine {
		go func() {
			defer close(copied)
			br := bufio.NewReader(out)
			l, _ := br.ReadString('\n')
			lines <- strings.TrimSpace(l)
			_, _ = io.Copy(lf, br)
		}()
	} else {
		close(copied)
	}
	go func() {
		<-copied
		c.err = cmd.Wait()
		close(c.done)
		lf.Close()
	}()
	line := ""
	if firstLine {
		select {
		case line = <-lines:
		case <-time.After(60 * time.Second):
		case <-ctx.Done():
		}
		if line == "" {
			c.kill()
			return nil, "", fmt.Errorf("start %s: no address on its first line (see %s)", name, logPath)
		}
	}
	return c, line, nil
}

// childEnv is this process's environment without STOPPUNKT_* settings, so
// that only the flags loadgen passes configure the servers it starts.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STOPPUNKT_") {
			env = append(env, kv)
		}
	}
	return env
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace before SIGKILL.
func (c *child) stop(grace time.Duration) {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		c.kill()
	}
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freeAddr returns a free 127.0.0.1:port.
func freeAddr() (string, error) {
	p, err := freePort()
	return "127.0.0.1:" + strconv.Itoa(p), err
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string, c *child, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if c != nil && c.exited() {
			return fmt.Errorf("%s exited before it was ready: %v", c.name, c.err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w", url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkLoopbackURL accepts http(s) and ws(s) URLs whose host is a
// loopback address, or one of the explicitly allowed hosts.
func checkLoopbackURL(raw string, allowed []string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss", "nats":
	default:
		return fmt.Errorf("url %q: scheme must be http, https, ws, wss or nats", raw)
	}
	return checkHost(u.Hostname(), allowed)
}

// checkLoopbackHostPort is checkLoopbackURL for a host:port.
func checkLoopbackHostPort(hp string) error {
	host, _, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("address %q: %w", hp, err)
	}
	return checkHost(host, nil)
}

func checkHost(host string, allowed []string) error {
	for _, a := range allowed {
		if strings.EqualFold(a, host) {
			return nil
		}
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address; name it with -allow-host to target it", host)
	}
	return nil
}

// runDir makes the folder for one scenario's data and logs.
func runDir(base, name string) (string, error) {
	dir, err := os.MkdirTemp(base, "loadgen-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("run folder: %w", err)
	}
	return dir, nil
}

// absPath resolves a binary path relative to the working directory.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// startWorkerProcess starts "loadgen worker" with pipes to its stdin and
// stdout; its stderr goes to logPath.
func startWorkerProcess(exe string, i int, logPath string) (*child, io.WriteCloser, io.ReadCloser, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, nil, nil, err
	}
	cmd := exec.Command(exe, "worker", "-index", strconv.Itoa(i))
	cmd.Env = childEnv()
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		lf.Close()
		return nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		lf.Close()
		return nil, nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, nil, nil, err
	}
	// The caller reaps the process (reap) once it has read stdout to the
	// end: Wait closes the pipe, and what was not read yet would be lost.
	c := &child{name: "worker-" + strconv.Itoa(i), cmd: cmd, log: lf, done: make(chan struct{})}
	return c, stdin, stdout, nil
}

// reap waits for a child whose output was read to the end.
func (c *child) reap() {
	c.err = c.cmd.Wait()
	close(c.done)
	c.log.Close()
}
