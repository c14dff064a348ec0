// Package passkeys signs facilitators in with passkeys (WebAuthn) through
// github.com/go-webauthn/webauthn: an account adds passkeys once signed in,
// and signs in with one later without typing an e-mail address or a
// password. Credentials and ceremonies in progress are kept by the
// accounts store in JetStream, so any instance may take any request.
//
// A passkey belongs to one site: the relying party id is the host name
// people reach the server at (the public URL's, else the request's). A
// browser offers passkeys only on https or on localhost, and never for an
// IP address; Available tells whether a request's host can have them.
package passkeys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// MaxResponse bounds the size of a browser's answer to a ceremony.
const MaxResponse = 64 << 10

// Errors callers tell apart.
var (
	// ErrUnavailable: this host cannot have passkeys (an IP address, or
	// plain http on anything but localhost).
	ErrUnavailable = errors.New("passkeys: not available at this address")
	// ErrRefused: the browser's answer does not prove the passkey (a
	// wrong, replayed or expired ceremony, an unknown passkey, a bad
	// signature, a disabled account).
	ErrRefused = errors.New("passkeys: refused")
)

// Service runs passkey ceremonies for one server.
type Service struct {
	store *accounts.Store
	name  string
}

// New returns a Service that keeps its data in store and shows name
// (the server's or organisation's) in the browser's passkey dialog.
func New(store *accounts.Store, name string) *Service {
	if name == "" {
		name = "Stoppunkt"
	}
	return &Service{store: store, name: name}
}

// Site is where a ceremony happens: the origin of the page
// (scheme://host[:port]) as the browser reports it.
type Site struct {
	Origin string
}

// rpID is the site's relying party id: its host name, without port.
func (s Site) rpID() (string, error) {
	u, err := url.Parse(s.Origin)
	if err != nil || u.Hostname() == "" {
		return "", ErrUnavailable
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return "", ErrUnavailable
	}
	if u.Scheme != "https" && host != "localhost" && !strings.HasSuffix(host, ".localhost") {
		return "", ErrUnavailable
	}
	return host, nil
}

// Available tells whether passkeys work at site.
func Available(site Site) bool {
	_, err := site.rpID()
	return err == nil
}

func (s *Service) relyingParty(site Site) (*webauthn.WebAuthn, error) {
	id, err := site.rpID()
	if err != nil {
		return nil, err
	}
	w, err := webauthn.New(&webauthn.Config{RPID: id, RPDisplayName: s.name, RPOrigins: []string{site.Origin}})
	if err != nil {
		return nil, fmt.Errorf("passkeys: relying party %s: %w", id, err)
	}
	return w, nil
}

// user is an account with its passkeys, as the library sees it. The user
// handle is the account id, so that a sign-in finds the account from the
// passkey alone.
type user struct {
	u     *accounts.User
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return []byte(u.u.ID) }
func (u *user) WebAuthnName() string                       { return u.u.Email }
func (u *user) WebAuthnDisplayName() string                { return u.u.Name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (s *Service) load(ctx context.Context, u *accounts.User) (*user, error) {
	keys, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := &user{u: u}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal(k.Data, &c); err != nil {
			return nil, fmt.Errorf("passkeys: read credential %s: %w", k.ID, err)
		}
		out.creds = append(out.creds, c)
	}
	return out, nil
}

// Ceremony is what the browser needs for one: the options for
// navigator.credentials.create or .get, and the id of the ceremony to
// send back with its answer.
type Ceremony struct {
	Options any    `json:"options"`
	ID      string `json:"ceremony"`
}

// BeginRegistration starts adding a passkey to u's account.
func (s *Service) BeginRegistration(ctx context.Context, site Site, u *accounts.User) (*Ceremony, error) {
	w, err := s.relyingParty(site)
	if err != nil {
		return nil, err
	}
	usr, err := s.load(ctx, u)
	if err != nil {
		return nil, err
	}
	if len(usr.creds) >= accounts.MaxPasskeys {
		return nil, accounts.ErrTooMany
	}
	opts, data, err := w.BeginRegistration(usr,
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithExclusions(webauthn.Credentials(usr.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationRequired,
		}))
	if err != nil {
		return nil, fmt.Errorf("passkeys: begin registration: %w", err)
	}
	return s.keep(ctx, u.ID, opts, data)
}

// FinishRegistration checks the browser's answer and stores the new
// passkey under name.
func (s *Service) FinishRegistration(ctx context.Context, site Site, u *accounts.User, ceremony, name string, answer []byte) (*accounts.Passkey, error) {
	w, err := s.relyingParty(site)
	if err != nil {
		return nil, err
	}
	data, err := s.take(ctx, ceremony, u.ID)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	usr, err := s.load(ctx, u)
	if err != nil {
		return nil, err
	}
	cred, err := w.CreateCredential(usr, *data, parsed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	pk := accounts.Passkey{ID: accounts.PasskeyID(cred.ID), Name: name, Data: raw}
	if err := s.store.AddPasskey(ctx, u.ID, pk); err != nil {
		return nil, err
	}
	pk.Data = nil
	return &pk, nil
}

// BeginSignIn starts a sign-in with any passkey of this site.
func (s *Service) BeginSignIn(ctx context.Context, site Site) (*Ceremony, error) {
	w, err := s.relyingParty(site)
	if err != nil {
		return nil, err
	}
	opts, data, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("passkeys: begin sign-in: %w", err)
	}
	return s.keep(ctx, "", opts, data)
}

// FinishSignIn checks the browser's answer and returns the account whose
// passkey signed it. A disabled account is refused.
func (s *Service) FinishSignIn(ctx context.Context, site Site, ceremony string, answer []byte) (*accounts.User, error) {
	w, err := s.relyingParty(site)
	if err != nil {
		return nil, err
	}
	data, err := s.take(ctx, ceremony, "")
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	var found *user
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		u, err := s.store.User(ctx, string(handle))
		if err != nil {
			return nil, err
		}
		if u.Disabled {
			return nil, ErrRefused
		}
		found, err = s.load(ctx, u)
		return found, err
	}
	_, cred, err := w.ValidatePasskeyLogin(handler, *data, parsed)
	if err != nil || found == nil {
		return nil, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return nil, err
	}
	// The stored id is derived from the credential's: the library found
	// the credential among the account's, so it is there.
	if err := s.store.UsedPasskey(ctx, found.u.ID, accounts.PasskeyID(cred.ID), raw); err != nil {
		if errors.Is(err, accounts.ErrNotFound) {
			return nil, ErrRefused
		}
		return nil, err
	}
	return found.u, nil
}

// keep stores a ceremony's session data for its second request.
func (s *Service) keep(ctx context.Context, userID string, opts any, data *webauthn.SessionData) (*Ceremony, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	id, err := s.store.StartCeremony(ctx, userID, raw)
	if err != nil {
		return nil, err
	}
	return &Ceremony{Options: opts, ID: id}, nil
}

// take uses a ceremony once.
func (s *Service) take(ctx context.Context, id, userID string) (*webauthn.SessionData, error) {
	raw, err := s.store.TakeCeremony(ctx, id, userID)
	if errors.Is(err, accounts.ErrNotFound) || errors.Is(err, accounts.ErrUsed) {
		return nil, fmt.Errorf("%w: no such ceremony, or used already", ErrRefused)
	}
	if err != nil {
		return nil, err
	}
	var data webauthn.SessionData
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("passkeys: read ceremony: %w", err)
	}
	return &data, nil
}
