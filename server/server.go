// Package server is Stoppunkt's HTTP face: the REST API, the websocket
// upgrade, the embedded web screens, health and metrics. Every route is in
// routes.go; handlers live in files named for what they serve.
package server

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoppunkt/stoppunkt/client"
	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/server/accounts"
	"github.com/stoppunkt/stoppunkt/server/passkeys"
	"github.com/stoppunkt/stoppunkt/server/sso"
)

// Config is the server's part of the configuration, filled in by cmd.
type Config struct {
	// PublicURL is the address people reach this server at; join links and
	// QR codes point there. Empty: chosen per request by publicurl.Choose,
	// from the request's host and LAN.
	PublicURL string
	// LAN lists the addresses of this machine that phones on its network
	// could reach the server at, best first (publicurl.Finder.Addrs, set in
	// cmd). Join links made for a page opened on localhost use the first.
	// Nil: none known; such links keep the request's host.
	LAN func() []netip.Addr
	// AllowedOrigins are extra origins (scheme://host[:port]) allowed to
	// open websockets, besides the server's own host and PublicURL.
	AllowedOrigins []string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	// Empty: none; the socket's peer address is the client address.
	TrustedProxies []string
	// AccessCode, when set, must be given (Authorization: Bearer) to create
	// rooms.
	AccessCode string
	// Conn sets websocket connection limits.
	Conn client.Config
	// AccessibilityContact is the operator's contact line on the
	// accessibility statement (/accessibility): an e-mail or web address,
	// or a short text. Empty: the page says to ask whoever runs the server.
	AccessibilityContact string
	// TimeZone dates reports; nil is UTC.
	TimeZone *time.Location
}

// Deps are what the server serves from.
type Deps struct {
	Hub   *hub.Hub
	Plans *plan.Catalog
	// PlanStore keeps uploaded plans where every instance sees them.
	PlanStore PlanStore
	// PlanRevisions keeps every saved version of uploaded and edited plans.
	PlanRevisions PlanRevisions
	// Media keeps the images plans show.
	Media   MediaStore
	Ready   func(ctx context.Context) error
	Metrics prometheus.Gatherer
	Logger  *slog.Logger
	// Web is the static front end (index.html and friends at its root).
	Web fs.FS
	// Accounts keeps users, sign-in sessions and the audit log.
	Accounts *accounts.Store
	// SSO are the OpenID Connect providers; nil or empty: none.
	SSO *sso.Set
}

// PlanStore stores uploaded plans' sources. Every instance watches the
// store and adds what appears to its catalog.
type PlanStore interface {
	Save(ctx context.Context, id string, source []byte) error
	// Delete removes a stored plan.
	Delete(ctx context.Context, id string) error
}

// PlanRevisions stores plan versions (natslog.Revisions).
type PlanRevisions interface {
	Head(ctx context.Context, id string) (*natslog.Revision, uint64, error)
	Save(ctx context.Context, id string, base uint64, rev natslog.Revision) (*natslog.Revision, uint64, error)
	List(ctx context.Context, id string) ([]natslog.Revision, error)
	Get(ctx context.Context, id string, n int) (*natslog.Revision, error)
	Delete(ctx context.Context, id string) error
}

// Server is the HTTP handler with its dependencies.
type Server struct {
	cfg     Config
	deps    Deps
	engine  *gin.Engine
	origins map[string]bool
	// baseCtx bounds websocket connections, which outlive their requests.
	baseCtx context.Context
	// accountsExist is set once the server has an account (hasAccounts).
	accountsExist atomic.Bool
	// passkeys signs in with passkeys; nil without accounts.
	passkeys *passkeys.Service
}

// New returns the HTTP handler for the whole API and front end.
func New(cfg Config, deps Deps) (*Server, error) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg, deps: deps, engine: gin.New(), origins: map[string]bool{}, baseCtx: context.Background()}
	if deps.Accounts != nil {
		s.passkeys = passkeys.New(deps.Accounts, "Stoppunkt")
	}
	for _, o := range cfg.AllowedOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			s.origins[strings.ToLower(o)] = true
		}
	}
	if cfg.PublicURL != "" {
		if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
			s.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
		}
	}
	if err := s.engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	if len(cfg.TrustedProxies) == 0 {
		s.engine.ForwardedByClientIP = false
	}
	s.routes()
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }
