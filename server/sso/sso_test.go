package sso_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/stoppunkt/stoppunkt/server/sso"
	"github.com/stoppunkt/stoppunkt/server/sso/ssotest"
)

const redirect = "http://127.0.0.1:1/callback"

// tokenFor runs the code flow for clientID through the provider's login
// page and returns what Finish made of it, or its error.
func flow(t *testing.T, set *sso.Set, p *ssotest.Provider, id, username string, finishNonce string) (*sso.Identity, error) {
	t.Helper()
	ctx := context.Background()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: ssotest.StopAt(redirect), Timeout: 10 * time.Second}
	verifier, nonce, state := "verifier-"+strings.Repeat("x", 40), "nonce-1", "state-1"
	to, err := set.Start(ctx, id, redirect, state, nonce, verifier)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ssotest.LogIn(ctx, client, resp, username, "secret-password")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("code") == "" || back.Query().Get("state") != state {
		t.Fatalf("no code in the redirect %q (%s)", resp.Header.Get("Location"), resp.Status)
	}
	if finishNonce == "" {
		finishNonce = nonce
	}
	return set.Finish(ctx, id, redirect, back.Query().Get("code"), finishNonce, verifier)
}

func provider(t *testing.T) *ssotest.Provider {
	p := ssotest.Start(t,
		ssotest.User{ID: "u1", Username: "kari", Password: "secret-password", Email: "kari@skole.example", FirstName: "Kari", LastName: "Nordmann"},
		ssotest.User{ID: "u2", Username: "eve", Password: "secret-password", Email: "eve@elsewhere.example", FirstName: "Eve", LastName: "Outside"})
	p.Serve(t, ssotest.Client{ID: "stoppunkt-" + t.Name(), Secret: "s3cret", Redirects: []string{redirect}},
		ssotest.Client{ID: "other-" + t.Name(), Secret: "other", Redirects: []string{redirect}})
	return p
}

func TestSignInThroughARealProvider(t *testing.T) {
	p := provider(t)
	set, err := sso.NewSet([]sso.Provider{p.Config("test", "stoppunkt-"+t.Name(), "s3cret", "skole.example")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := flow(t, set, p, "test", "kari", "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Email != "kari@skole.example" || id.Subject != "u1" || id.Name != "Kari Nordmann" {
		t.Fatalf("identity = %+v", id)
	}
	if _, err := flow(t, set, p, "test", "eve", ""); !errors.Is(err, sso.ErrNotAllowed) {
		t.Fatalf("a person outside the allowed domains: %v, want ErrNotAllowed", err)
	}
	if _, err := flow(t, set, p, "test", "kari", "another-nonce"); err == nil || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("a token for another nonce: %v", err)
	}
}

func TestExpiredTokensAreRefused(t *testing.T) {
	p := provider(t)
	set, err := sso.NewSet([]sso.Provider{p.Config("test", "stoppunkt-"+t.Name(), "s3cret", "skole.example")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Within the tolerated skew a token is still good...
	set.Now = func() time.Time { return time.Now().Add(time.Minute) }
	if _, err := flow(t, set, p, "test", "kari", ""); err != nil {
		t.Fatalf("a minute of clock difference: %v", err)
	}
	// ...but not an hour past its expiry.
	set.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := flow(t, set, p, "test", "kari", ""); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired token: %v", err)
	}
}

func TestTokenForAnotherClientIsRefused(t *testing.T) {
	p := provider(t)
	// The provider's other client signs kari in; that ID token is handed
	// to a server configured for this client: wrong audience.
	other, err := sso.NewSet([]sso.Provider{p.Config("test", "other-"+t.Name(), "other", "skole.example")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw := captureToken(t, other, p)
	mine, err := sso.NewSet([]sso.Provider{p.Config("test", "stoppunkt-"+t.Name(), "s3cret", "skole.example")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sso.VerifyForTest(context.Background(), mine, "test", raw, "nonce-1"); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Fatalf("a token for another client: %v", err)
	}
	// The same token passes for its own client (the ID token carries no
	// e-mail address, which Finish reads from the user info endpoint, so
	// the check ends at the rules: ErrNotAllowed).
	if _, err := sso.VerifyForTest(context.Background(), other, "test", raw, "nonce-1"); err != nil && !errors.Is(err, sso.ErrNotAllowed) {
		t.Fatalf("the same token for its own client: %v", err)
	}
	// A forged token: the same claims, signed with a key that is not the
	// provider's (under the provider's key id).
	forged := resign(t, raw)
	if _, err := sso.VerifyForTest(context.Background(), other, "test", forged, "nonce-1"); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("a forged token: %v", err)
	}
	// A token whose claims were changed after signing.
	parts := strings.Split(raw, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	claims = []byte(strings.Replace(string(claims), `"sub":"u1"`, `"sub":"u2"`, 1))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(claims) + "." + parts[2]
	if _, err := sso.VerifyForTest(context.Background(), other, "test", tampered, "nonce-1"); err == nil {
		t.Fatal("a token with changed claims was accepted")
	}
}

// captureToken signs kari in with set's client and returns the raw ID token.
func captureToken(t *testing.T, set *sso.Set, p *ssotest.Provider) string {
	t.Helper()
	var raw string
	sso.CaptureForTest(set, func(token string) { raw = token })
	if _, err := flow(t, set, p, "test", "kari", ""); err != nil {
		t.Fatal(err)
	}
	if raw == "" {
		t.Fatal("no ID token captured")
	}
	return raw
}

// resign signs a token's header and claims with a new RSA key.
func resign(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(hb, &hdr)
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithHeader("kid", hdr.Kid).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sig.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
