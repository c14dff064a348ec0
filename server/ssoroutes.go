package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/stoppunkt/stoppunkt/server/accounts"
	"github.com/stoppunkt/stoppunkt/server/sso"
)

// handleSSOStart sends the browser to a provider to sign in:
// GET /auth/oidc/{provider}?next=/path. The state, nonce and PKCE verifier
// are kept in the pending bucket, so the callback may reach any instance.
func (s *Server) handleSSOStart(c *gin.Context) {
	id := c.Param("provider")
	if s.deps.SSO == nil {
		s.ssoFailed(c, "unknown")
		return
	}
	verifier := oauth2.GenerateVerifier()
	nonce := accounts.NewSecret()
	redirect := s.ownURL(c) + "/auth/oidc/" + url.PathEscape(id) + "/callback"
	state, err := s.deps.Accounts.StartPending(c.Request.Context(), accounts.Pending{
		Provider: id, Nonce: nonce, Verifier: verifier, Next: localPath(c.Query("next")), Redirect: redirect})
	if err != nil {
		s.ssoFailed(c, "unavailable")
		return
	}
	to, err := s.deps.SSO.Start(c.Request.Context(), id, redirect, state, nonce, verifier)
	if errors.Is(err, sso.ErrUnknownProvider) {
		s.ssoFailed(c, "unknown")
		return
	}
	if err != nil {
		s.deps.Logger.Warn("single sign-on: provider unreachable", "provider", id, "err", err)
		s.ssoFailed(c, "unavailable")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, to)
}

// handleSSOCallback takes the provider's answer: the state must be one
// this server started and not used before, the code is exchanged with the
// PKCE verifier, and the ID token verified with the nonce. The person is
// then signed in to their account, which is made when the provider's
// rules allow new people.
func (s *Server) handleSSOCallback(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("provider")
	p, err := s.deps.Accounts.TakePending(ctx, c.Query("state"))
	if err != nil || p.Provider != id {
		s.ssoFailed(c, "expired")
		return
	}
	if c.Query("error") != "" {
		s.ssoFailed(c, "cancelled")
		return
	}
	ident, err := s.deps.SSO.Finish(ctx, id, p.Redirect, c.Query("code"), p.Nonce, p.Verifier)
	if errors.Is(err, sso.ErrNotAllowed) {
		s.recordFailedSSO(c, id, ident)
		s.ssoFailed(c, "not_allowed")
		return
	}
	if err != nil {
		s.deps.Logger.Warn("single sign-on failed", "provider", id, "err", err)
		s.recordFailedSSO(c, id, nil)
		s.ssoFailed(c, "failed")
		return
	}
	u, err := s.ssoAccount(c, ident)
	if err != nil || u.Disabled {
		s.recordFailedSSO(c, id, ident)
		s.ssoFailed(c, "no_account")
		return
	}
	if si := s.who(c); si != nil {
		_ = s.deps.Accounts.RevokeSession(ctx, si.user.ID, si.ses.ID)
	}
	_, cookie, err := s.deps.Accounts.CreateSession(ctx, u, "oidc:"+id, agentOf(c.GetHeader("User-Agent")))
	if err != nil {
		s.ssoFailed(c, "unavailable")
		return
	}
	s.accountsExist.Store(true)
	s.auditAs(c, u, accounts.ActSignIn, "oidc:"+id)
	s.setSessionCookie(c, cookie)
	next := p.Next
	if next == "" {
		next = "/new"
	}
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, next)
}

// ssoAccount finds or makes the account of a provider's identity: by the
// provider's subject, else by e-mail address (an invited facilitator's
// first single sign-on ties the two), else a new facilitator when the
// provider admits new people.
func (s *Server) ssoAccount(c *gin.Context, ident *sso.Identity) (*accounts.User, error) {
	ctx := c.Request.Context()
	u, err := s.deps.Accounts.UserBySubject(ctx, ident.Provider, ident.Subject)
	if errors.Is(err, accounts.ErrNotFound) {
		u, err = s.deps.Accounts.UserByEmail(ctx, ident.Email)
		if err == nil {
			err = s.deps.Accounts.LinkSubject(ctx, u, ident.Provider, ident.Subject)
		}
	}
	if errors.Is(err, accounts.ErrNotFound) && s.deps.SSO.Open(ident.Provider) {
		role := accounts.RoleFacilitator
		if ident.Admin {
			role = accounts.RoleAdmin
		}
		name := strings.TrimSpace(ident.Name)
		if !accounts.ValidName(name) {
			name, _, _ = strings.Cut(ident.Email, "@")
		}
		u, err = s.deps.Accounts.CreateUser(ctx, accounts.NewUser{Email: ident.Email, Name: name, Role: role,
			Provider: ident.Provider, Subject: ident.Subject})
		if err == nil {
			s.auditAs(c, u, accounts.ActUserCreated, u.Email)
		}
	}
	if err != nil {
		return nil, err
	}
	if ident.Admin && u.Role != accounts.RoleAdmin {
		_ = s.deps.Accounts.UpdateUser(ctx, u.ID, func(x *accounts.User) error { x.Role = accounts.RoleAdmin; return nil })
		u.Role = accounts.RoleAdmin
	}
	return u, nil
}

func (s *Server) recordFailedSSO(c *gin.Context, provider string, ident *sso.Identity) {
	e := accounts.Entry{Action: accounts.ActSignInFailed, Target: "oidc:" + provider, Addr: c.ClientIP()}
	if ident != nil && ident.Email != "" {
		e.Target += " " + ident.Email
	}
	_ = s.deps.Accounts.Record(c.Request.Context(), e)
}

// ssoFailed sends the browser back to the sign-in page, which says what
// went wrong in the user's language.
func (s *Server) ssoFailed(c *gin.Context, reason string) {
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, "/signin#error="+reason)
}

// localPath keeps a "next" address only when it is a path on this server.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > 512 {
		return ""
	}
	return next
}
