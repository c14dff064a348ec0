// Package sso signs facilitators in with OpenID Connect providers (Feide,
// Microsoft Entra ID, Keycloak and any other): the authorization code flow
// with PKCE, state and nonce, the ID token verified against the
// provider's published keys. Which accounts it makes is decided by each
// provider's allowed e-mail domains and groups.
package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Provider is one OpenID Connect provider, as configured.
type Provider struct {
	// ID names the provider in URLs (/auth/oidc/<id>/...): a-z, 0-9, -.
	ID string `yaml:"id" json:"id"`
	// Label is the sign-in button's text ("Feide", "Microsoft").
	Label        string `yaml:"label" json:"label"`
	Issuer       string `yaml:"issuer" json:"-"`
	ClientID     string `yaml:"client_id" json:"-"`
	ClientSecret string `yaml:"client_secret" json:"-"`
	// ClientSecretEnv names an environment variable holding the secret,
	// so that the file can be kept without it.
	ClientSecretEnv string   `yaml:"client_secret_env" json:"-"`
	Scopes          []string `yaml:"scopes" json:"-"`
	// AllowedDomains: e-mail domains whose people may sign in. Empty
	// with no AllowedGroups: only people with an account already (invited
	// by e-mail) may sign in.
	AllowedDomains []string `yaml:"allowed_domains" json:"-"`
	// GroupClaim names the claim that lists a person's groups (ID token
	// or user info); AllowedGroups are the groups that may sign in and
	// AdminGroups those made administrators.
	GroupClaim    string   `yaml:"group_claim" json:"-"`
	AllowedGroups []string `yaml:"allowed_groups" json:"-"`
	AdminGroups   []string `yaml:"admin_groups" json:"-"`
	// EmailClaim is the claim with the e-mail address (default "email";
	// Entra ID without e-mail: "preferred_username").
	EmailClaim string `yaml:"email_claim" json:"-"`
}

// Identity is who a provider says signed in.
type Identity struct {
	Provider string
	Subject  string
	Email    string
	Name     string
	Groups   []string
	// Admin is set when the person is in one of the provider's AdminGroups.
	Admin bool
}

// Errors the sign-in page tells apart.
var (
	// ErrNotAllowed: the provider vouched for the person, but the
	// configuration does not let them in.
	ErrNotAllowed = errors.New("sso: not allowed on this server")
	// ErrUnknownProvider: no provider with that id.
	ErrUnknownProvider = errors.New("sso: no such provider")
)

// Set is the configured providers, each discovered on first use.
type Set struct {
	list   []*entry
	client *http.Client
	// Skew is the clock difference tolerated in ID tokens.
	Skew time.Duration
	// Now is the clock ID tokens are checked against (tests move it).
	Now func() time.Time
	// capture, set by tests, sees every raw ID token Finish gets.
	capture func(raw string)
}

type entry struct {
	cfg Provider
	mu  sync.Mutex
	p   *oidc.Provider
}

// NewSet checks the providers and returns the set; client makes the
// calls to the providers (nil: a client with a 10-second timeout).
func NewSet(providers []Provider, client *http.Client) (*Set, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Set{client: client, Skew: 2 * time.Minute, Now: time.Now}
	seen := map[string]bool{}
	for _, p := range providers {
		if err := p.check(); err != nil {
			return nil, err
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("sso: two providers have the id %q", p.ID)
		}
		seen[p.ID] = true
		if p.EmailClaim == "" {
			p.EmailClaim = "email"
		}
		if len(p.Scopes) == 0 {
			p.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
		}
		if !slices.Contains(p.Scopes, oidc.ScopeOpenID) {
			p.Scopes = append([]string{oidc.ScopeOpenID}, p.Scopes...)
		}
		s.list = append(s.list, &entry{cfg: p})
	}
	return s, nil
}

func (p Provider) check() error {
	if p.ID == "" || len(p.ID) > 32 || strings.Trim(p.ID, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return fmt.Errorf("sso: provider id %q must be 1 to 32 of a-z, 0-9 and -", p.ID)
	}
	if p.Label == "" {
		return fmt.Errorf("sso: provider %s needs a label (the sign-in button's text)", p.ID)
	}
	if !strings.HasPrefix(p.Issuer, "https://") && !strings.HasPrefix(p.Issuer, "http://") {
		return fmt.Errorf("sso: provider %s needs an issuer URL", p.ID)
	}
	if p.ClientID == "" {
		return fmt.Errorf("sso: provider %s needs a client_id", p.ID)
	}
	return nil
}

// List returns the providers, for the sign-in buttons.
func (s *Set) List() []Provider {
	if s == nil {
		return nil
	}
	out := make([]Provider, len(s.list))
	for i, e := range s.list {
		out[i] = Provider{ID: e.cfg.ID, Label: e.cfg.Label}
	}
	return out
}

func (s *Set) find(id string) (*entry, error) {
	if s != nil {
		for _, e := range s.list {
			if e.cfg.ID == id {
				return e, nil
			}
		}
	}
	return nil, ErrUnknownProvider
}

// provider discovers the provider the first time it is needed, and again
// after a failure, so that a provider that is down when the server starts
// does not keep it from starting.
func (s *Set) provider(ctx context.Context, e *entry) (*oidc.Provider, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.p != nil {
		return e.p, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.client), e.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("sso: discover %s: %w", e.cfg.ID, err)
	}
	e.p = p
	return p, nil
}

func (s *Set) oauth(p *oidc.Provider, e *entry, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: e.cfg.ClientID, ClientSecret: e.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: e.cfg.Scopes}
}

// Start returns the provider's authorization URL for a sign-in with the
// given state, nonce and PKCE verifier, coming back to redirect.
func (s *Set) Start(ctx context.Context, id, redirect, state, nonce, verifier string) (string, error) {
	e, err := s.find(id)
	if err != nil {
		return "", err
	}
	p, err := s.provider(ctx, e)
	if err != nil {
		return "", err
	}
	return s.oauth(p, e, redirect).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Finish exchanges the code for tokens, verifies the ID token (signature
// against the provider's keys, issuer, audience, expiry with Skew, and
// nonce) and returns the identity, if the provider's rules let it in.
func (s *Set) Finish(ctx context.Context, id, redirect, code, nonce, verifier string) (*Identity, error) {
	e, err := s.find(id)
	if err != nil {
		return nil, err
	}
	p, err := s.provider(ctx, e)
	if err != nil {
		return nil, err
	}
	cctx := oidc.ClientContext(ctx, s.client)
	tok, err := s.oauth(p, e, redirect).Exchange(cctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("sso: %s: exchange code: %w", id, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return nil, fmt.Errorf("sso: %s: no ID token in the answer", id)
	}
	if s.capture != nil {
		s.capture(raw)
	}
	return s.verify(cctx, e, p, raw, nonce, oauth2.StaticTokenSource(tok))
}

// verify checks a raw ID token and reads the identity from it and, for
// what it lacks, from the user info endpoint.
func (s *Set) verify(ctx context.Context, e *entry, p *oidc.Provider, raw, nonce string, ts oauth2.TokenSource) (*Identity, error) {
	// An ID token is accepted up to Skew past its expiry, for a server
	// whose clock runs ahead of the provider's; go-oidc already accepts
	// a not-before up to five minutes ahead.
	skew, now := s.Skew, s.Now
	v := p.Verifier(&oidc.Config{ClientID: e.cfg.ClientID, Now: func() time.Time { return now().Add(-skew) }})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("sso: %s: ID token: %w", e.cfg.ID, err)
	}
	if idt.Nonce == "" || idt.Nonce != nonce {
		return nil, fmt.Errorf("sso: %s: ID token nonce does not match", e.cfg.ID)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("sso: %s: ID token claims: %w", e.cfg.ID, err)
	}
	if _, ok := claims[e.cfg.EmailClaim]; !ok && ts != nil {
		if ui, err := p.UserInfo(ctx, ts); err == nil && ui.Subject == idt.Subject {
			more := map[string]any{}
			if ui.Claims(&more) == nil {
				for k, v := range more {
					if _, have := claims[k]; !have {
						claims[k] = v
					}
				}
			}
		}
	}
	id := identityOf(e.cfg, idt.Subject, claims)
	if err := allowed(e.cfg, id); err != nil {
		return id, err
	}
	return id, nil
}
