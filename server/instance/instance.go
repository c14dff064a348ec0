// Package instance wires one Stoppunkt server together: NATS (embedded or
// external), the JetStream store, the hub, the HTTP server. cmd/stoppunkt
// fills a Config from flags and environment; tests start instances on
// port 0 with the same code.
package instance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/natsembed"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/server"
	"github.com/stoppunkt/stoppunkt/server/accounts"
	"github.com/stoppunkt/stoppunkt/server/sso"
	"github.com/stoppunkt/stoppunkt/web"
)

// Config is everything an instance needs. cmd/stoppunkt documents each
// setting's flag and environment variable.
type Config struct {
	Addr    string // listen address, e.g. ":8080" or "127.0.0.1:0"
	DataDir string // embedded NATS keeps JetStream here
	NATSURL string // external NATS; empty embeds one
	// NATSListen makes the embedded NATS also accept connections (from
	// other instances) on this address; empty: in-process only.
	NATSListen string
	// NATSCreds is a credentials file (JWT and NKey seed) for the external
	// NATS; NATSCA verifies its TLS certificate; NATSCert and NATSKey are
	// a client certificate for TLS. Empty: not used.
	NATSCreds, NATSCA, NATSCert, NATSKey string
	Replicas                             int    // JetStream replicas (external cluster: 3)
	PlansDir                             string // extra plans
	Name                                 string // instance name (default: hostname)
	Retention                            time.Duration
	// DrainTimeout bounds the graceful shutdown.
	DrainTimeout time.Duration
	// ShutdownDelay is how long readiness reports 503 before connections
	// are told to go, so a load balancer stops sending new ones first.
	ShutdownDelay time.Duration
	TLSCert       string
	TLSKey        string
	// Release returns free heap to the system after connections stop
	// arriving (a join storm); its zero value turns that off.
	Release ReleaseConfig

	Server server.Config
	Hub    hub.Config
	// Accounts sets sign-in session lifetimes and limits; its Replicas
	// and Retention are taken from this Config.
	Accounts accounts.Config
	// SSO are the OpenID Connect providers facilitators sign in with.
	SSO []sso.Provider
}

// Instance is a running server.
type Instance struct {
	cfg       Config
	logger    *slog.Logger
	embedded  *natsembed.Server
	nc        *nats.Conn
	store     *natslog.Store
	hub       *hub.Hub
	http      *http.Server
	listener  net.Listener
	conns     *connSet
	served    chan error
	registry  *prometheus.Registry
	stopWatch context.CancelFunc
	// stopRelease ends the releaser and waits for it; nil without one.
	stopRelease func()
	closeOnce   sync.Once
}

// uploaded adds (or removes) a plan that appeared in the plan store.
func (in *Instance) uploaded(plans *plan.Catalog, id string, src []byte) {
	if src == nil {
		_ = plans.Remove(id)
		return
	}
	st, err := plan.DecodeStored(src)
	if err != nil {
		in.logger.Warn("stored plan is not readable; skipping it", "plan", id, "err", err)
		return
	}
	p, err := plan.Parse(id+".yaml", []byte(st.Source))
	if err != nil {
		in.logger.Warn("stored plan is not valid; skipping it", "plan", id, "err", err)
		return
	}
	if err := plans.AddOwned(p, plan.SourceUpload, st.Owner, st.Shared); err == nil {
		plans.SetRevision(id, st.Revision)
	} else {
		in.logger.Warn("stored plan not added", "plan", id, "err", err)
	}
}

// Start starts an instance and returns once it is listening.
func Start(ctx context.Context, cfg Config, logger *slog.Logger) (*Instance, error) {
	if cfg.Name == "" {
		cfg.Name, _ = os.Hostname()
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 20 * time.Second
	}
	in := &Instance{cfg: cfg, logger: logger, served: make(chan error, 1), conns: &connSet{m: map[net.Conn]struct{}{}}}
	ok := false
	defer func() {
		if !ok {
			in.closeBackends()
		}
	}()
	in.registry = prometheus.NewRegistry()
	in.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reconnects := prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_nats_reconnects_total", Help: "Reconnections to NATS."})
	in.registry.MustRegister(reconnects)

	if err := in.connectNATS(reconnects); err != nil {
		return nil, err
	}
	store, err := openStore(ctx, in.nc, natslog.Config{Replicas: cfg.Replicas, Retention: cfg.Retention}, logger)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	in.store = store

	plans := plan.NewCatalog()
	for _, p := range plan.Builtin() {
		if err := plans.Add(p, plan.SourceBuiltin); err != nil {
			return nil, fmt.Errorf("builtin plans: %w", err)
		}
	}
	if cfg.PlansDir != "" {
		dirPlans, err := plan.LoadDir(cfg.PlansDir)
		if err != nil {
			return nil, fmt.Errorf("plans folder %s: %w", cfg.PlansDir, err)
		}
		for _, p := range dirPlans {
			if err := plans.Add(p, plan.SourceDir); err != nil {
				return nil, fmt.Errorf("plans folder %s: %w", cfg.PlansDir, err)
			}
		}
	}

	planStore, err := natslog.OpenPlans(ctx, store, cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("open plan store: %w", err)
	}
	revisions, err := natslog.OpenRevisions(ctx, store, cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("open plan versions: %w", err)
	}
	media, err := natslog.OpenMedia(ctx, store, cfg.Replicas)
	if err != nil {
		return nil, fmt.Errorf("open plan images: %w", err)
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	in.stopWatch = stopWatch
	if err := planStore.Watch(watchCtx, func(id string, src []byte) {
		in.uploaded(plans, id, src)
	}); err != nil {
		return nil, err
	}

	acfg := cfg.Accounts
	acfg.Replicas, acfg.Retention = cfg.Replicas, cfg.Retention
	acc, err := accounts.Open(ctx, store.JetStream(), acfg)
	if err != nil {
		return nil, err
	}
	providers, err := sso.NewSet(cfg.SSO, nil)
	if err != nil {
		return nil, err
	}

	hcfg := cfg.Hub
	hcfg.Instance = cfg.Name
	hcfg.Retention = cfg.Retention
	if hcfg.OnEnded == nil {
		hcfg.OnEnded = func(roomID, user string) {
			// The audit log names the account that ended a room; a key
			// holder's end is not an account's action.
			if user == "" {
				return
			}
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				e := accounts.Entry{Action: accounts.ActRoomEnded, Actor: user}
				if u, err := acc.User(ctx, user); err == nil {
					e.ActorEmail = u.Email
				}
				if l, err := acc.LinkOf(ctx, user, accounts.KindRoom, roomID); err == nil {
					e.Target = l.Code
				}
				_ = acc.Record(ctx, e)
			}()
		}
	}
	in.hub = hub.New(hcfg, store, store, store, hub.NewMetrics(in.registry), logger)

	srv, err := server.New(cfg.Server, server.Deps{
		Hub: in.hub, Plans: plans, PlanStore: planStore, PlanRevisions: revisions, Media: media, Ready: func(ctx context.Context) error {
			if err := store.Ready(ctx); err != nil {
				return err
			}
			return in.hub.FeedHealth()
		}, Metrics: in.registry, Logger: logger, Web: web.Files, Accounts: acc, SSO: providers,
	})
	if err != nil {
		return nil, fmt.Errorf("http server: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	in.listener = &trackingListener{Listener: ln, conns: in.conns}
	// Its counters are there (at 0) when releasing is off, too.
	rel := newReleaser(cfg.Release, &in.conns.accepted, in.registry, logger)
	if cfg.Release.Every > 0 {
		relCtx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); rel.run(relCtx) }()
		in.stopRelease = func() { stop(); <-done }
	}
	in.http = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		in.listener = tls.NewListener(in.listener, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	go func() { in.served <- in.http.Serve(in.listener) }()
	ok = true
	return in, nil
}

func (in *Instance) connectNATS(reconnects prometheus.Counter) error {
	opts := []nats.Option{
		nats.Name("stoppunkt " + in.cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		// No silent buffering while disconnected: appends fail at once with
		// a retryable error instead.
		nats.ReconnectBufSize(-1),
		nats.ReconnectHandler(func(*nats.Conn) { reconnects.Inc(); in.logger.Info("reconnected to NATS") }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { in.logger.Warn("disconnected from NATS", "err", err) }),
	}
	opts = append(opts, natsAuthOptions(in.cfg)...)
	url := in.cfg.NATSURL
	if url == "" {
		dir := filepath.Join(in.cfg.DataDir, "nats")
		ns, err := natsembed.Start(natsembed.Options{Dir: dir, NoListen: in.cfg.NATSListen == "", Listen: in.cfg.NATSListen,
			SyncAlways: true, ServerName: "stoppunkt-embedded"})
		if err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		in.embedded = ns
		opts = append(opts, ns.InProcess())
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("connect to NATS %s: %w", redactURL(url), err)
	}
	in.nc = nc
	return nil
}

// URL is the instance's base URL.
func (in *Instance) URL() string {
	scheme := "http"
	if in.cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + in.listener.Addr().String()
}

// Addr is the address the instance listens on.
func (in *Instance) Addr() net.Addr { return in.listener.Addr() }

// Hub is the instance's hub.
func (in *Instance) Hub() *hub.Hub { return in.hub }

// Embedded reports whether NATS runs in this process.
func (in *Instance) Embedded() bool { return in.embedded != nil }

// Wait returns when the HTTP server stops.
func (in *Instance) Wait() error {
	err := <-in.served
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown drains and stops: readiness turns false, new connections are
// refused, clients are told to reconnect elsewhere, in-flight appends
// finish, then NATS is closed (and the embedded server shut down).
func (in *Instance) Shutdown(ctx context.Context) error {
	in.hub.BeginDrain()
	select {
	case <-time.After(in.cfg.ShutdownDelay):
	case <-ctx.Done():
	}
	ctx, cancel := context.WithTimeout(ctx, in.cfg.DrainTimeout)
	defer cancel()
	drainErr := in.hub.Drain(ctx)
	_ = in.http.Shutdown(ctx)
	in.conns.closeAll() // hijacked websockets are not closed by Shutdown
	in.closeBackends()
	return drainErr
}

// CutConnections closes the listener and every connection at once, without
// a goodbye, as a crash looks from outside; the rest stops with Kill.
func (in *Instance) CutConnections() {
	_ = in.listener.Close()
	in.conns.closeAll()
}

// Kill stops the instance abruptly, as a crash would look to its clients:
// the listener and every connection close without a goodbye.
func (in *Instance) Kill() {
	in.CutConnections()
	_ = in.http.Close()
	in.closeBackends()
}

func (in *Instance) closeBackends() {
	in.closeOnce.Do(in.closeBackendsOnce)
}

func (in *Instance) closeBackendsOnce() {
	if in.stopWatch != nil {
		in.stopWatch()
	}
	if in.stopRelease != nil {
		in.stopRelease()
	}
	if in.hub != nil {
		in.hub.Close()
	}
	if in.nc != nil {
		in.nc.Close()
	}
	if in.embedded != nil {
		in.embedded.Shutdown()
	}
}

// connSet tracks accepted connections, including hijacked websockets.
type connSet struct {
	mu sync.Mutex
	m  map[net.Conn]struct{}
	// accepted counts the connections accepted so far.
	accepted atomic.Uint64
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	conns := s.m
	s.m = map[net.Conn]struct{}{}
	s.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

type trackingListener struct {
	net.Listener
	conns *connSet
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.conns.accepted.Add(1)
	tc := &trackedConn{Conn: c, set: l.conns}
	l.conns.mu.Lock()
	l.conns.m[tc] = struct{}{}
	l.conns.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	set  *connSet
	once sync.Once
}

// SyscallConn is the socket's, so that a websocket's reader can wait on it
// directly (client.Serve); it fails for a connection that has none.
func (c *trackedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errNoSyscallConn
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("syscall conn: %w", err)
	}
	return rc, nil
}

var errNoSyscallConn = errors.New("instance: connection has no socket")

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.set.mu.Lock()
		delete(c.set.m, c)
		c.set.mu.Unlock()
	})
	return c.Conn.Close()
}

// storeWait is how long startup waits for JetStream to answer: a cluster
// that is starting too needs a few seconds to elect its leader.
const storeWait = 60 * time.Second

func openStore(ctx context.Context, nc *nats.Conn, cfg natslog.Config, logger *slog.Logger) (*natslog.Store, error) {
	deadline := time.Now().Add(storeWait)
	for wait := 100 * time.Millisecond; ; wait = min(wait*2, 2*time.Second) {
		attempt, cancel := context.WithTimeout(ctx, 10*time.Second)
		store, err := natslog.Open(attempt, nc, cfg)
		cancel()
		if err == nil {
			return store, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		logger.Info("waiting for JetStream", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// natsAuthOptions are the credentials and TLS settings for an external NATS.
func natsAuthOptions(cfg Config) []nats.Option {
	var opts []nats.Option
	if cfg.NATSCreds != "" {
		opts = append(opts, nats.UserCredentials(cfg.NATSCreds))
	}
	if cfg.NATSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.NATSCA))
	}
	if cfg.NATSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.NATSCert, cfg.NATSKey))
	}
	return opts
}
