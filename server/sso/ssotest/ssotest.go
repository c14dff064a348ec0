// Package ssotest runs a real OpenID Connect provider in-process for
// tests: zitadel/oidc's op package with its example storage and login
// page, on a loopback port. Tests sign in through it exactly as a browser
// would, with the authorization code flow and PKCE.
package ssotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/stoppunkt/stoppunkt/server/sso"
)

// User is a person the provider knows.
type User struct {
	ID, Username, Password, Email, FirstName, LastName string
}

// Provider is the running provider.
type Provider struct {
	// Issuer is the provider's issuer URL.
	Issuer string
	ln     net.Listener
	users  []User
	once   sync.Once
}

// registerMu serialises the example storage's client registry, a package
// variable.
var registerMu sync.Mutex

// Start listens on a loopback port, so that the issuer is known before
// the server under test starts; Serve starts answering.
func Start(t testing.TB, users ...User) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return &Provider{Issuer: "http://" + ln.Addr().String(), ln: ln, users: users}
}

// Config is a provider entry for the server under test, for the client id
// and secret given to Serve.
func (p *Provider) Config(id, clientID, secret string, domains ...string) sso.Provider {
	return sso.Provider{ID: id, Label: "Test " + id, Issuer: p.Issuer, ClientID: clientID, ClientSecret: secret,
		Scopes: []string{"openid", "email", "profile"}, AllowedDomains: domains}
}

// Client is a client registered with the provider.
type Client struct {
	ID, Secret string
	Redirects  []string
}

// Serve registers the clients and starts answering; it stops at the end
// of the test.
func (p *Provider) Serve(t testing.TB, clients ...Client) {
	t.Helper()
	p.once.Do(func() {
		registerMu.Lock()
		for _, c := range clients {
			storage.RegisterClients(storage.WebClient(c.ID, c.Secret, c.Redirects...))
		}
		registerMu.Unlock()
		users := map[string]map[string]any{}
		for _, u := range p.users {
			users[u.ID] = map[string]any{"ID": u.ID, "Username": u.Username, "Password": u.Password, "Email": u.Email,
				"EmailVerified": true, "FirstName": u.FirstName, "LastName": u.LastName, "PreferredLanguage": "nb"}
		}
		b, _ := json.Marshal(users)
		file := filepath.Join(t.TempDir(), "users.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		us, err := storage.StoreFromFile(file)
		if err != nil {
			t.Fatal(err)
		}
		router := exampleop.SetupServer(p.Issuer, storage.NewStorage(us), nil, false)
		srv := &http.Server{Handler: router, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(p.ln) }()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
		})
	})
}

var formID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// LogIn answers the provider's login page that resp shows (the end of
// the redirects from the server's /auth/oidc/{provider}) with a username
// and password, and returns the response at the end of the redirects that
// follow, with the client's own redirect policy.
func LogIn(ctx context.Context, client *http.Client, resp *http.Response, username, password string) (*http.Response, error) {
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formID.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("ssotest: no login form at %s (%s)", resp.Request.URL, resp.Status)
	}
	login := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	form := url.Values{"id": {string(m[1])}, "username": {username}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, login.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return client.Do(req)
}

// StopAt is a CheckRedirect that stops before a redirect to a URL
// starting with prefix, so that a test can look at (or replay) it.
func StopAt(prefix string) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), prefix) {
			return http.ErrUseLastResponse
		}
		if len(via) > 20 {
			return errors.New("too many redirects")
		}
		return nil
	}
}
