package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
	"github.com/stoppunkt/stoppunkt/server/sso"
)

// meResponse is GET /api/auth/me: who is signed in, and how one can sign in.
type meResponse struct {
	SignedIn bool           `json:"signed_in"`
	User     *accounts.User `json:"user,omitempty"`
	// CSRF goes in the X-CSRF-Token header of every state-changing call.
	CSRF    string `json:"csrf,omitempty"`
	Expires string `json:"expires,omitempty"`
	// KeepAlive: seconds between the asks of a page in use, which keep a
	// signed-in session from ending as idle.
	KeepAlive int `json:"keep_alive,omitempty"`
	// Accounts: the server has accounts, so creating rooms needs sign-in
	// (or the access code).
	Accounts bool `json:"accounts"`
	// Setup: no account exists yet and this request may create the first
	// administrator (it comes from the server's own machine).
	Setup     bool           `json:"setup"`
	Providers []sso.Provider `json:"providers"`
	// Passwords: local accounts can sign in with a password.
	Passwords bool `json:"passwords"`
	// Passkeys: passkeys work at the address this page was reached at
	// (https, or localhost), where accounts can add and use them.
	Passkeys bool `json:"passkeys"`
	// Org is the organisation's name, when its administrators gave one.
	Org string `json:"org,omitempty"`
}

func (s *Server) handleMe(c *gin.Context) {
	ctx := c.Request.Context()
	out := meResponse{Accounts: s.hasAccounts(ctx), Providers: s.deps.SSO.List(), Passwords: true}
	if out.Providers == nil {
		out.Providers = []sso.Provider{}
	}
	out.Setup = !out.Accounts && s.local(c)
	out.Passkeys = s.passkeysHere(c)
	if o, err := s.deps.Accounts.Org(ctx); err == nil {
		out.Org = o.Name
	}
	if si := s.who(c); si != nil {
		s.signedInAs(&out, si.user, si.ses)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// signedInAs fills the signed-in part of the "me" answer.
func (s *Server) signedInAs(out *meResponse, u *accounts.User, ses *accounts.Session) {
	pub := u.Public()
	out.SignedIn, out.User, out.CSRF = true, &pub, ses.CSRF
	out.Expires = ses.Expires.Format(time.RFC3339)
	out.KeepAlive = max(1, int(s.deps.Accounts.KeepAlive()/time.Second))
}

// decodeJSON reads a small JSON body into v, refusing unknown fields.
func (s *Server) decodeJSON(c *gin.Context, v any, what string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object with %s", what))
		return false
	}
	return true
}

type setupRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// checkNewAccount checks what a new local account is made of.
func checkNewAccount(email, name, password string) error {
	switch {
	case email != "" && !accounts.ValidEmail(accounts.NormaliseEmail(email)):
		return wire.Errorf(wire.CodeInvalid, "the e-mail address is not valid")
	case !accounts.ValidName(strings.TrimSpace(name)):
		return wire.Errorf(wire.CodeInvalid, "the name must be 1 to 100 characters on one line")
	case len([]rune(password)) < accounts.MinPasswordLength:
		return wire.Errorf(wire.CodeInvalid, "the password must be at least %d characters", accounts.MinPasswordLength)
	case len(password) > accounts.MaxPasswordLength:
		return wire.Errorf(wire.CodeInvalid, "the password may be at most %d characters", accounts.MaxPasswordLength)
	}
	return nil
}

// handleSetup creates the first administrator: only while no account
// exists, and only from the server's own machine.
func (s *Server) handleSetup(c *gin.Context) {
	if s.hasAccounts(c.Request.Context()) {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "this server has its first administrator already; sign in"))
		return
	}
	if !s.local(c) {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "the first administrator can only be created from the server's own machine"))
		return
	}
	var req setupRequest
	if !s.decodeJSON(c, &req, "email, name and password") {
		return
	}
	if req.Email == "" {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the e-mail address is not valid"))
		return
	}
	if err := checkNewAccount(req.Email, req.Name, req.Password); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.deps.Accounts.CreateFirstAdmin(c.Request.Context(), accounts.NewUser{Email: req.Email, Name: req.Name, Password: req.Password})
	if errors.Is(err, accounts.ErrSetupDone) || errors.Is(err, accounts.ErrExists) {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "this server has its first administrator already; sign in"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.accountsExist.Store(true)
	s.auditAs(c, u, accounts.ActSetup, u.Email)
	s.startSession(c, u, "password")
}

// startSession signs u in on this browser: a new session (any session the
// browser had is ended), its cookie, and the "me" answer.
func (s *Server) startSession(c *gin.Context, u *accounts.User, method string) {
	ctx := c.Request.Context()
	if si := s.who(c); si != nil {
		_ = s.deps.Accounts.RevokeSession(ctx, si.user.ID, si.ses.ID)
	}
	ses, cookie, err := s.deps.Accounts.CreateSession(ctx, u, method, agentOf(c.GetHeader("User-Agent")))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.setSessionCookie(c, cookie)
	out := meResponse{Accounts: true, Providers: s.deps.SSO.List(), Passwords: true, Passkeys: s.passkeysHere(c)}
	s.signedInAs(&out, u, ses)
	c.JSON(http.StatusOK, out)
}

// auditAs records an entry for a user who is not (yet) the request's
// signed-in user: at sign-in.
func (s *Server) auditAs(c *gin.Context, u *accounts.User, action, target string) {
	e := accounts.Entry{Action: action, Actor: u.ID, ActorEmail: u.Email, Target: target}
	if action == accounts.ActSignIn {
		e.Addr = c.ClientIP()
	}
	if err := s.deps.Accounts.Record(c.Request.Context(), e); err != nil {
		s.deps.Logger.Warn("audit log not written", "action", action, "err", err)
	}
}

type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

var errWrongPassword = wire.Errorf(wire.CodeUnauthorized, "the e-mail address or the password is wrong")

// handleSignIn signs in with a local account's password. Failures are
// counted per account and per address (accounts.Limits); past either,
// sign-in is paused for the window without checking the password.
func (s *Server) handleSignIn(c *gin.Context) {
	var req signInRequest
	if !s.decodeJSON(c, &req, "email and password") {
		return
	}
	ctx := c.Request.Context()
	email, addr := accounts.NormaliseEmail(req.Email), c.ClientIP()
	if email == "" || len(email) > 254 || len(req.Password) > accounts.MaxPasswordLength {
		s.fail(c, errWrongPassword)
		return
	}
	ok, err := s.deps.Accounts.SignInAllowed(ctx, email, addr)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again"))
		return
	}
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeRateLimited, "too many failed sign-ins; wait a quarter of an hour, or sign in another way"))
		return
	}
	u, err := s.deps.Accounts.UserByEmail(ctx, email)
	hash := ""
	if err == nil {
		hash = u.PasswordHash
	}
	if !accounts.CheckPasswordOrDummy(hash, req.Password) || u == nil || u.Disabled {
		_ = s.deps.Accounts.SignInFailed(ctx, email, addr)
		_ = s.deps.Accounts.Record(ctx, accounts.Entry{Action: accounts.ActSignInFailed, Target: email, Addr: addr})
		s.fail(c, errWrongPassword)
		return
	}
	s.deps.Accounts.SignInSucceeded(ctx, email)
	s.auditAs(c, u, accounts.ActSignIn, "password")
	s.startSession(c, u, "password")
}

// handleSignOut ends this browser's session.
func (s *Server) handleSignOut(c *gin.Context) {
	if si := s.who(c); si != nil {
		_ = s.deps.Accounts.RevokeSession(c.Request.Context(), si.user.ID, si.ses.ID)
		s.audit(c, accounts.ActSignOut, "")
	}
	s.clearSessionCookie(c)
	c.Status(http.StatusNoContent)
}

// signedInOr401 returns the signed-in user or answers 401.
func (s *Server) signedInOr401(c *gin.Context) *signedIn {
	si := s.who(c)
	if si == nil {
		s.fail(c, wire.Errorf(wire.CodeUnauthorized, "sign in first"))
	}
	return si
}

// handleSessions lists the signed-in user's sessions; "current" marks
// this one.
func (s *Server) handleSessions(c *gin.Context) {
	si := s.signedInOr401(c)
	if si == nil {
		return
	}
	list, err := s.deps.Accounts.Sessions(c.Request.Context(), si.user.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	type row struct {
		accounts.Session
		Current bool `json:"current"`
	}
	out := make([]row, 0, len(list))
	for _, ses := range list {
		out = append(out, row{Session: ses, Current: ses.ID == si.ses.ID})
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"sessions": out})
}

// handleSessionRevoke ends one of the signed-in user's sessions.
func (s *Server) handleSessionRevoke(c *gin.Context) {
	si := s.signedInOr401(c)
	if si == nil {
		return
	}
	if err := s.deps.Accounts.RevokeSession(c.Request.Context(), si.user.ID, c.Param("id")); err != nil {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such session"))
		return
	}
	s.audit(c, accounts.ActSessionRevoke, "")
	if c.Param("id") == si.ses.ID {
		s.clearSessionCookie(c)
	}
	c.Status(http.StatusNoContent)
}

// handleInvitePeek tells the invitation page whose invitation a token is.
func (s *Server) handleInvitePeek(c *gin.Context) {
	inv, err := s.deps.Accounts.PeekInvite(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "this invitation has been used or has expired; ask for a new one"))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"email": inv.Email, "role": inv.Role, "expires": inv.Expires})
}

type acceptRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// handleInviteAccept makes the invited account and signs it in. The
// invitation works once, on whichever instance.
func (s *Server) handleInviteAccept(c *gin.Context) {
	var req acceptRequest
	if !s.decodeJSON(c, &req, "token, name and password") {
		return
	}
	if err := checkNewAccount("", req.Name, req.Password); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.deps.Accounts.AcceptInvite(c.Request.Context(), req.Token, req.Name, req.Password)
	switch {
	case errors.Is(err, accounts.ErrNotFound), errors.Is(err, accounts.ErrUsed):
		s.fail(c, wire.Errorf(wire.CodeNotFound, "this invitation has been used or has expired; ask for a new one"))
		return
	case errors.Is(err, accounts.ErrExists):
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "that e-mail address has an account already; sign in"))
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	s.accountsExist.Store(true)
	s.auditAs(c, u, accounts.ActUserCreated, u.Email)
	s.startSession(c, u, "password")
}

// agentOf shortens a User-Agent to the browser and system, for the
// sessions list.
func agentOf(ua string) string {
	browser := ""
	for _, b := range []string{"Edg/", "Firefox/", "Chrome/", "Safari/"} {
		if strings.Contains(ua, b) {
			browser = map[string]string{"Edg/": "Edge", "Firefox/": "Firefox", "Chrome/": "Chrome", "Safari/": "Safari"}[b]
			break
		}
	}
	system := ""
	for _, o := range []string{"Windows", "Android", "iPhone", "iPad", "Mac OS X", "Linux", "CrOS"} {
		if strings.Contains(ua, o) {
			system = map[string]string{"Mac OS X": "macOS", "CrOS": "ChromeOS"}[o]
			if system == "" {
				system = o
			}
			break
		}
	}
	return strings.TrimSpace(strings.Join([]string{browser, system}, " "))
}
