package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
	"github.com/stoppunkt/stoppunkt/server/passkeys"
)

// maxPasskeyName bounds a passkey's name ("Work laptop").
const maxPasskeyName = 60

// passkeySite is where the request's page is, from its Origin header (the
// guard has refused other sites' pages for every state-changing call).
func (s *Server) passkeySite(c *gin.Context) (passkeys.Site, bool) {
	site := passkeys.Site{Origin: c.GetHeader("Origin")}
	if s.passkeys == nil {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "this server has no accounts"))
		return site, false
	}
	if site.Origin == "" || !passkeys.Available(site) {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "passkeys work only on https, or on localhost; this page's address cannot have them"))
		return site, false
	}
	return site, true
}

// signedInAt is the signed-in account and the page's site, for the calls
// that add a passkey; false when it answered already.
func (s *Server) signedInAt(c *gin.Context) (*signedIn, passkeys.Site, bool) {
	si := s.signedInOr401(c)
	if si == nil {
		return nil, passkeys.Site{}, false
	}
	site, ok := s.passkeySite(c)
	return si, site, ok
}

// passkeyFailed answers a passkey error: a refused ceremony as 401, the
// rest by its kind.
func (s *Server) passkeyFailed(c *gin.Context, err error) {
	switch {
	case errors.Is(err, passkeys.ErrRefused):
		s.fail(c, wire.Errorf(wire.CodeUnauthorized, "the passkey was not accepted; try again"))
	case errors.Is(err, passkeys.ErrUnavailable):
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "passkeys work only on https, or on localhost"))
	case errors.Is(err, accounts.ErrTooMany):
		s.fail(c, wire.Errorf(wire.CodeInvalid, "an account may have %d passkeys; remove one first", accounts.MaxPasskeys))
	case errors.Is(err, accounts.ErrExists):
		s.fail(c, wire.Errorf(wire.CodeInvalid, "this passkey is on the account already"))
	default:
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again"))
	}
}

// handlePasskeys lists the signed-in account's passkeys.
func (s *Server) handlePasskeys(c *gin.Context) {
	si := s.signedInOr401(c)
	if si == nil {
		return
	}
	list, err := s.deps.Accounts.Passkeys(c.Request.Context(), si.user.ID)
	if err != nil {
		s.passkeyFailed(c, err)
		return
	}
	for i := range list {
		list[i].Data = nil
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"passkeys": list})
}

// handlePasskeyAddBegin starts adding a passkey to the signed-in account.
func (s *Server) handlePasskeyAddBegin(c *gin.Context) {
	si, site, ok := s.signedInAt(c)
	if !ok {
		return
	}
	cer, err := s.passkeys.BeginRegistration(c.Request.Context(), site, si.user)
	if err != nil {
		s.passkeyFailed(c, err)
		return
	}
	c.JSON(http.StatusOK, cer)
}

type passkeyAnswer struct {
	Ceremony   string          `json:"ceremony"`
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// handlePasskeyAddFinish checks the browser's new passkey and keeps it.
func (s *Server) handlePasskeyAddFinish(c *gin.Context) {
	si, site, ok := s.signedInAt(c)
	if !ok {
		return
	}
	var req passkeyAnswer
	if !s.decodeJSON(c, &req, "ceremony, name and credential") {
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || utf8.RuneCountInString(name) > maxPasskeyName {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "a passkey needs a name of 1 to %d characters", maxPasskeyName))
		return
	}
	pk, err := s.passkeys.FinishRegistration(c.Request.Context(), site, si.user, req.Ceremony, name, req.Credential)
	if err != nil {
		s.passkeyFailed(c, err)
		return
	}
	s.audit(c, accounts.ActPasskeyAdded, "")
	c.JSON(http.StatusCreated, pk)
}

// handlePasskeyRemove deletes one of the signed-in account's passkeys.
func (s *Server) handlePasskeyRemove(c *gin.Context) {
	si := s.signedInOr401(c)
	if si == nil {
		return
	}
	if err := s.deps.Accounts.RemovePasskey(c.Request.Context(), si.user.ID, c.Param("id")); err != nil {
		if errors.Is(err, accounts.ErrNotFound) {
			s.fail(c, wire.Errorf(wire.CodeNotFound, "this account has no such passkey"))
			return
		}
		s.passkeyFailed(c, err)
		return
	}
	s.audit(c, accounts.ActPasskeyRemoved, "")
	c.Status(http.StatusNoContent)
}

// handlePasskeySignInBegin starts a sign-in with a passkey.
func (s *Server) handlePasskeySignInBegin(c *gin.Context) {
	site, ok := s.passkeySite(c)
	if !ok {
		return
	}
	if !s.passkeyAddressAllowed(c) {
		return
	}
	cer, err := s.passkeys.BeginSignIn(c.Request.Context(), site)
	if err != nil {
		s.passkeyFailed(c, err)
		return
	}
	c.JSON(http.StatusOK, cer)
}

// handlePasskeySignInFinish signs in the account whose passkey answered.
// Failures count against the address, as password failures do.
func (s *Server) handlePasskeySignInFinish(c *gin.Context) {
	site, ok := s.passkeySite(c)
	if !ok {
		return
	}
	if !s.passkeyAddressAllowed(c) {
		return
	}
	var req passkeyAnswer
	if !s.decodeJSON(c, &req, "ceremony and credential") {
		return
	}
	ctx := c.Request.Context()
	u, err := s.passkeys.FinishSignIn(ctx, site, req.Ceremony, req.Credential)
	if err != nil {
		if errors.Is(err, passkeys.ErrRefused) {
			_ = s.deps.Accounts.AddressFailed(ctx, c.ClientIP())
			_ = s.deps.Accounts.Record(ctx, accounts.Entry{Action: accounts.ActSignInFailed, Target: "passkey", Addr: c.ClientIP()})
		}
		s.passkeyFailed(c, err)
		return
	}
	s.auditAs(c, u, accounts.ActSignIn, "passkey")
	s.startSession(c, u, "passkey")
}

func (s *Server) passkeyAddressAllowed(c *gin.Context) bool {
	ok, err := s.deps.Accounts.AddressAllowed(c.Request.Context(), c.ClientIP())
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again"))
		return false
	}
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeRateLimited, "too many failed sign-ins from this address; wait a quarter of an hour"))
		return false
	}
	return true
}

// passkeysHere tells whether passkeys work at the address the request
// reached this server at.
func (s *Server) passkeysHere(c *gin.Context) bool {
	if s.passkeys == nil {
		return false
	}
	scheme := "http"
	if s.secure(c) {
		scheme = "https"
	}
	return passkeys.Available(passkeys.Site{Origin: scheme + "://" + c.Request.Host})
}
