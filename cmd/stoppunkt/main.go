// Command stoppunkt is the Stoppunkt server: facilitated group sessions in
// real time, with participants on their phones.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	// The zone database inside the binary: --time-zone must load in a
	// container that has no /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/publicurl"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		var quiet exitError
		if !errors.Is(err, flag.ErrHelp) && !errors.As(err, &quiet) {
			fmt.Fprintln(os.Stderr, "stoppunkt:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit code.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func exitCode(err error) int {
	var e exitError
	if errors.As(err, &e) {
		return e.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// machine is what run reads from the machine it runs on besides its
// settings; tests give their own.
type machine struct {
	// interfaces lists the network interfaces (publicurl.System).
	interfaces func() ([]publicurl.Interface, error)
}

// lan finds the addresses phones could reach a server listening on addr at.
func (m machine) lan(addr string) publicurl.Finder {
	return publicurl.Finder{Listen: addr, Interfaces: m.interfaces}
}

// run is the whole program; tests call it with their own arguments and
// environment and cancel ctx to stop it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runOn(ctx, machine{interfaces: publicurl.System}, args, getenv, stdout, stderr)
}

// runOn is run on a given machine.
func runOn(ctx context.Context, m machine, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "plan" {
		if code := runPlanCommand(args[1:], stdout, stderr); code != 0 {
			return exitError{code}
		}
		return nil
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(ctx, getenv, stdout)
	}
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintln(stdout, "stoppunkt", version)
		return nil
	}
	s := newSettings(stdout)
	opts := registerSettings(s)
	if err := s.parse(args, getenv); err != nil {
		return err
	}
	opts.getenv = getenv
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	lan := m.lan(cfg.Addr)
	cfg.Server.LAN = lan.Addrs
	logger := newLogger(stderr, *opts.logFormat, *opts.logLevel)
	if cfg.Name == "" {
		cfg.Name, _ = os.Hostname()
	}
	logger = logger.With("instance", cfg.Name)
	if cfg.Server.AccessCode == "" && !loopbackOnly(cfg.Addr) {
		logger.Warn("no --access-code set: rooms can be created only from this machine; set STOPPUNKT_ACCESS_CODE to let organizers elsewhere create rooms")
	}
	in, err := instance.Start(ctx, cfg, logger)
	if err != nil {
		return err
	}
	if *opts.pprofAddr != "" {
		go servePprof(*opts.pprofAddr, logger)
	}
	where := "embedded NATS, data in " + cfg.DataDir
	if !in.Embedded() {
		where = "external NATS"
	}
	fmt.Fprintf(stdout, "Stoppunkt %s is running (%s).\n", version, where)
	fmt.Fprint(stdout, startMessage(in.URL(), cfg.Addr, cfg.Server.PublicURL, lan.Addrs()))
	select {
	case <-ctx.Done():
		logger.Info("shutting down: draining connections")
		if err := in.Shutdown(context.Background()); err != nil {
			logger.Warn("drain did not finish in time", "err", err)
		}
		return nil
	case err := <-waitErr(in):
		in.Kill()
		return err
	}
}

func waitErr(in *instance.Instance) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- in.Wait() }()
	return ch
}

// startMessage says where the facilitator starts (/new) and where phones
// join, by the same rule as the join links (publicurl.Choose) for a page
// opened at the first address. listenURL is the server's own URL, listen
// its --addr, lan the machine's reachable addresses. When phones cannot
// reach the join address, it says why and what to do.
func startMessage(listenURL, listen, public string, lan []netip.Addr) string {
	dash := dashboardURL(listenURL, public)
	u, _ := url.Parse(dash)
	own, _ := url.Parse(listenURL)
	req := publicurl.Request{Scheme: u.Scheme, Host: u.Host, Port: own.Port()}
	join := publicurl.Choose(public, req, lan)
	var b strings.Builder
	fmt.Fprintf(&b, "Start a session: %s/new\n", dash)
	jh, _ := url.Parse(join)
	if !publicurl.Local(jh.Host) {
		fmt.Fprintf(&b, "Phones join at %s (the room code is on the big screen).\n", join)
		if public == "" && publicurl.Local(req.Host) && len(lan) > 1 {
			var others []string
			for _, a := range lan[1:min(len(lan), 4)] {
				others = append(others, publicurl.Choose("", req, []netip.Addr{a}))
			}
			fmt.Fprintf(&b, "If phones cannot open it, this machine also has %s.\n", strings.Join(others, ", "))
		}
		return b.String()
	}
	fmt.Fprintf(&b, "Phones join at %s, which only this machine can open.\n", join)
	if loopbackOnly(listen) {
		_, port, _ := net.SplitHostPort(listen)
		fmt.Fprintf(&b, "To let phones join, listen on every address (--addr :%s) or set --public-url to an address their phones reach.\n", port)
	} else {
		fmt.Fprintf(&b, "To let phones join, connect this machine to the participants' network (such as the venue's Wi-Fi), or set --public-url to an address their phones reach.\n")
	}
	return b.String()
}

// dashboardURL makes the listen address clickable: ":8080" becomes
// "http://localhost:8080".
func dashboardURL(listenURL, public string) string {
	if public != "" {
		return strings.TrimRight(public, "/")
	}
	for _, any := range []string{"://[::]:", "://0.0.0.0:"} {
		listenURL = strings.Replace(listenURL, any, "://localhost:", 1)
	}
	return listenURL
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	lv, _ := parseLevel(level)
	o := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

func parseLevel(s string) (slog.Level, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(s)); err != nil {
		return lv, configError("log-level", "%q must be debug, info, warn or error", s)
	}
	return lv, nil
}

func servePprof(addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if err := http.ListenAndServe(addr, mux); err != nil {
		logger.Warn("pprof server stopped", "err", err)
	}
}

// healthcheck asks the local server's /healthz; container images without a
// shell use it as their health check.
func healthcheck(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	addr := getenv("STOPPUNKT_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return configError("addr", "%q must be host:port", addr)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s", resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
