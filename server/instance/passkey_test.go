package instance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// passkeyCall sends a JSON request as a page at origin would: with its
// Origin header and the Host it was reached at.
func (b *browser) passkeyCall(in *instance.Instance, origin, method, path string, body any) (int, map[string]any) {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			raw, _ = json.Marshal(body)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, in.URL()+path, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if u, err := url.Parse(origin); err == nil {
		req.Host = u.Host
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	// The page's cookie, sent by hand: the jar would not send it to a
	// request whose Host differs from its address.
	if ck := b.cookie(in); ck != "" {
		req.Header.Set("Cookie", ck)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestPasskeyCeremoniesRefuseBadInput: what the passkey endpoints do with
// everything but a real authenticator's answer (which the browser test
// TestScreensPasskeys gives them): the options name this site and ask for
// a discoverable, verified passkey; a forged answer, a ceremony used
// twice, a registration's ceremony offered as a sign-in, an IP address
// or a missing Origin, no sign-in, a name too long, an oversized body and
// an unknown passkey each get their clear error; failed passkey sign-ins
// count against the address like password failures.
func TestPasskeyCeremoniesRefuseBadInput(t *testing.T) {
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL(), instancetest.Options{Modify: func(c *instance.Config) {
		c.Accounts.Limits.PerAddress = 6
	}})
	port := in.URL()[strings.LastIndex(in.URL(), ":"):]
	site := "http://localhost" + port
	b := newBrowser(t)
	if code, body := b.call("POST", in.URL()+"/api/auth/setup", map[string]string{"email": "kari@skole.example", "name": "Kari", "password": "long enough password"}, false); code != 200 {
		t.Fatalf("setup: %d %s", code, body)
	}
	b.me(in)

	code, begun := b.passkeyCall(in, site, "POST", "/api/auth/passkeys/begin", map[string]any{})
	if code != 200 {
		t.Fatalf("begin: %d %v", code, begun)
	}
	pk, _ := begun["options"].(map[string]any)["publicKey"].(map[string]any)
	rp, _ := pk["rp"].(map[string]any)
	sel, _ := pk["authenticatorSelection"].(map[string]any)
	if rp["id"] != "localhost" || sel["residentKey"] != "required" || sel["userVerification"] != "required" || pk["challenge"] == "" {
		t.Fatalf("registration options: %v", pk)
	}
	ceremony, _ := begun["ceremony"].(string)
	forged := map[string]any{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": map[string]any{"clientDataJSON": "e30", "attestationObject": "oA"}}
	if code, out := b.passkeyCall(in, site, "POST", "/api/auth/passkeys/finish", map[string]any{"ceremony": ceremony, "name": strings.Repeat("x", 61), "credential": forged}); code != 400 || out["code"] != "invalid" {
		t.Errorf("a name of 61 characters: %d %v", code, out)
	}
	if code, out := b.passkeyCall(in, site, "POST", "/api/auth/passkeys/finish", map[string]any{"ceremony": ceremony, "name": "Jobb-PC", "credential": forged}); code != 401 || out["code"] != "unauthorized" {
		t.Errorf("a forged new passkey: %d %v", code, out)
	}
	if code, out := b.passkeyCall(in, site, "POST", "/api/auth/passkeys/finish", map[string]any{"ceremony": ceremony, "name": "Jobb-PC", "credential": forged}); code != 401 {
		t.Errorf("a ceremony used twice: %d %v", code, out)
	}
	if code, out := b.passkeyCall(in, "http://127.0.0.1"+port, "POST", "/api/auth/passkeys/begin", map[string]any{}); code != 403 || out["code"] != "not_allowed" {
		t.Errorf("at an IP address: %d %v", code, out)
	}
	if code, out := b.passkeyCall(in, site, "POST", "/api/auth/passkeys/finish", bytes.Repeat([]byte(" "), 70<<10)); code != 400 {
		t.Errorf("a body of 70 KB: %d %v", code, out)
	}
	if code, out := b.passkeyCall(in, site, "DELETE", "/api/auth/passkeys/0123456789abcdef0123456789abcdef", nil); code != 404 || out["code"] != "not_found" {
		t.Errorf("an unknown passkey: %d %v", code, out)
	}
	if code, out := b.passkeyCall(in, site, "GET", "/api/auth/passkeys", nil); code != 200 || len(out["passkeys"].([]any)) != 0 {
		t.Errorf("the list: %d %v", code, out)
	}
	// A registration's ceremony is not a sign-in's.
	_, again := b.passkeyCall(in, site, "POST", "/api/auth/passkeys/begin", map[string]any{})
	anon := newBrowser(t)
	if code, out := anon.passkeyCall(in, site, "POST", "/api/auth/passkeys/begin", map[string]any{}); code != 401 {
		t.Errorf("adding a passkey without signing in: %d %v", code, out)
	}
	assertion := map[string]any{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": map[string]any{"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA", "userHandle": "AA"}}
	if code, out := anon.passkeyCall(in, site, "POST", "/api/auth/passkey/finish", map[string]any{"ceremony": again["ceremony"], "credential": assertion}); code != 401 {
		t.Errorf("a registration's ceremony as a sign-in: %d %v", code, out)
	}
	code, signIn := anon.passkeyCall(in, site, "POST", "/api/auth/passkey/begin", map[string]any{})
	if code != 200 {
		t.Fatalf("sign-in begin: %d %v", code, signIn)
	}
	req, _ := signIn["options"].(map[string]any)["publicKey"].(map[string]any)
	if req["rpId"] != "localhost" || req["userVerification"] != "required" || req["allowCredentials"] != nil {
		t.Errorf("sign-in options name no account and ask for verification: %v", req)
	}
	if code, out := anon.passkeyCall(in, site, "POST", "/api/auth/passkey/finish", map[string]any{"ceremony": signIn["ceremony"], "credential": assertion}); code != 401 {
		t.Errorf("a forged sign-in: %d %v", code, out)
	}
	if code, _ := anon.passkeyCall(in, "", "POST", "/api/auth/passkey/begin", map[string]any{}); code != 403 {
		t.Errorf("a sign-in without an Origin: %d", code)
	}
	if m := anon.me(in); m.SignedIn {
		t.Fatal("signed in by a forged passkey")
	}
	// Failures from one address pause passkey sign-in from it (here after 6).
	for i := 0; i < 6; i++ {
		_, s := anon.passkeyCall(in, site, "POST", "/api/auth/passkey/begin", map[string]any{})
		anon.passkeyCall(in, site, "POST", "/api/auth/passkey/finish", map[string]any{"ceremony": s["ceremony"], "credential": assertion})
	}
	if code, out := anon.passkeyCall(in, site, "POST", "/api/auth/passkey/begin", map[string]any{}); code != 429 || out["code"] != "rate_limited" {
		t.Errorf("after the address's failures: %d %v", code, out)
	}
	if _, body := b.call("GET", in.URL()+"/api/admin/audit", nil, false); !strings.Contains(string(body), `"target":"passkey"`) {
		t.Errorf("the audit log has no failed passkey sign-in: %s", body)
	}
}
