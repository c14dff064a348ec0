package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// Cookie and header names.
const (
	sessionCookie = "sp_session"
	csrfHeader    = "X-CSRF-Token"
	// ctxSignedIn is where guard leaves a request's signed-in user.
	ctxSignedIn = "signed_in"
)

// signedIn is a request's signed-in user and session.
type signedIn struct {
	ses  *accounts.Session
	user *accounts.User
}

// guard runs before every API call. It refuses state-changing calls from
// another site's page (Origin), finds the signed-in user of the session
// cookie, and for a state-changing call that the cookie would authorise
// requires the session's CSRF token in X-CSRF-Token. Calls authorised by
// a key in the Authorization header carry no ambient authority and need
// no token.
func (s *Server) guard() gin.HandlerFunc {
	return func(c *gin.Context) {
		unsafe := c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead && c.Request.Method != http.MethodOptions
		if unsafe && !s.checkOrigin(c.Request) {
			s.fail(c, wire.Errorf(wire.CodeNotAllowed, "requests from other sites are refused"))
			return
		}
		cookie, err := c.Cookie(sessionCookie)
		if err != nil || cookie == "" || s.deps.Accounts == nil {
			c.Next()
			return
		}
		ses, user, err := s.deps.Accounts.CheckSession(c.Request.Context(), cookie)
		if errors.Is(err, accounts.ErrSignedOut) {
			s.clearSessionCookie(c)
			c.Next()
			return
		}
		if err != nil {
			s.fail(c, wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again"))
			return
		}
		if unsafe && bearer(c) == "" && !ses.CheckCSRF(c.GetHeader(csrfHeader)) {
			s.fail(c, wire.Errorf(wire.CodeNotAllowed, "the request lacks this page's CSRF token; reload the page and try again"))
			return
		}
		c.Set(ctxSignedIn, &signedIn{ses: ses, user: user})
		c.Next()
	}
}

// who returns the request's signed-in user, or nil.
func (s *Server) who(c *gin.Context) *signedIn {
	v, _ := c.Get(ctxSignedIn)
	si, _ := v.(*signedIn)
	return si
}

// secure reports whether the browser reached this server over TLS: served
// with TLS, behind a trusted proxy that says so, or a public URL that is
// https.
func (s *Server) secure(c *gin.Context) bool {
	if c.Request.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://") {
		return true
	}
	return len(s.cfg.TrustedProxies) > 0 && strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
}

func (s *Server) setSessionCookie(c *gin.Context, value string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true,
		Secure: s.secure(c), SameSite: http.SameSiteLaxMode, MaxAge: int(s.deps.Accounts.Config().SessionLifetime / time.Second)})
}

func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure(c), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// hasAccounts reports whether the server has any account; once it has,
// the answer is kept, since accounts are never all removed.
func (s *Server) hasAccounts(ctx context.Context) bool {
	if s.deps.Accounts == nil {
		return false
	}
	if s.accountsExist.Load() {
		return true
	}
	has, err := s.deps.Accounts.HasUsers(ctx)
	if err != nil {
		// Unknown: be strict, as if accounts existed.
		return true
	}
	if has {
		s.accountsExist.Store(true)
	}
	return has
}

// local reports whether a request comes from this machine and not
// through an untrusted proxy.
func (s *Server) local(c *gin.Context) bool {
	if len(s.cfg.TrustedProxies) == 0 && (c.GetHeader("X-Forwarded-For") != "" || c.GetHeader("Forwarded") != "") {
		return false
	}
	ip := net.ParseIP(c.ClientIP())
	return ip != nil && ip.IsLoopback()
}

// audit records an entry, never failing the request it belongs to.
func (s *Server) audit(c *gin.Context, action, target string) {
	s.auditEntry(c, accounts.Entry{Action: action, Target: target})
}

// auditEntry records e as done by the request's signed-in user.
func (s *Server) auditEntry(c *gin.Context, e accounts.Entry) {
	if s.deps.Accounts == nil {
		return
	}
	if si := s.who(c); si != nil {
		e.Actor, e.ActorEmail = si.user.ID, si.user.Email
	}
	if err := s.deps.Accounts.Record(c.Request.Context(), e); err != nil {
		s.deps.Logger.Warn("audit log not written", "action", e.Action, "err", err)
	}
}

// roomAccess is what the request may do in a room: with a key in the
// Authorization header, the hub checks the key (ctx unchanged); signed
// in, the user's part decides, and a part that may act (or, when run is
// false, watch) gets a context the hub accepts without a key.
func (s *Server) roomAccess(c *gin.Context, kind, id string, run bool) (context.Context, *accounts.Link) {
	ctx := c.Request.Context()
	si := s.who(c)
	if bearer(c) != "" || si == nil {
		return ctx, nil
	}
	l, err := s.deps.Accounts.LinkOf(ctx, si.user.ID, kind, id)
	if err != nil || (run && !l.Part.Runs()) {
		return ctx, nil
	}
	return hub.Granted(ctx, id), l
}

// eventAccessFor is the websocket's EventAccessFunc for a session
// cookie: the events the signed-in user owns.
func (s *Server) eventAccessFor(cookie string) hub.EventAccessFunc {
	return func(ctx context.Context, eventID string) bool {
		_, user, err := s.deps.Accounts.CheckSession(ctx, cookie)
		if err != nil {
			return false
		}
		l, err := s.deps.Accounts.LinkOf(ctx, user.ID, accounts.KindEvent, eventID)
		return err == nil && l.Part == accounts.PartOwner
	}
}

// accessFor is the websocket's AccessFunc for a session cookie: the
// session is checked at each hello, so a revoked one no longer opens
// rooms.
func (s *Server) accessFor(cookie string) hub.AccessFunc {
	return func(ctx context.Context, roomID string) hub.Access {
		_, user, err := s.deps.Accounts.CheckSession(ctx, cookie)
		if err != nil {
			return hub.Access{}
		}
		l, err := s.deps.Accounts.LinkOf(ctx, user.ID, accounts.KindRoom, roomID)
		if err != nil {
			return hub.Access{}
		}
		a := hub.Access{Observe: true, Care: l.Part.SeesSignals(), User: user.ID}
		if l.Part.Runs() {
			a.Run, a.PresenterKey = true, l.PresenterKey
		}
		return a
	}
}
