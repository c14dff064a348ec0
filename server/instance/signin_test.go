package instance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
	"github.com/stoppunkt/stoppunkt/server/sso/ssotest"
)

// browser is an HTTP client with cookies that sends the CSRF token it
// was given, as the web pages do.
type browser struct {
	t    *testing.T
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// call sends a JSON request; withCSRF adds the token.
func (b *browser) call(method, u string, body any, withCSRF bool) (int, []byte) {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if withCSRF && b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type meAnswer struct {
	SignedIn bool   `json:"signed_in"`
	CSRF     string `json:"csrf"`
	Accounts bool   `json:"accounts"`
	Setup    bool   `json:"setup"`
	User     struct {
		ID, Email, Role string
	} `json:"user"`
}

// me asks who is signed in and keeps the CSRF token.
func (b *browser) me(in *instance.Instance) meAnswer {
	b.t.Helper()
	code, body := b.call("GET", in.URL()+"/api/auth/me", nil, false)
	if code != 200 {
		b.t.Fatalf("me: %d %s", code, body)
	}
	var m meAnswer
	_ = json.Unmarshal(body, &m)
	b.csrf = m.CSRF
	return m
}

// cookie is the session cookie the browser holds for an instance.
func (b *browser) cookie(in *instance.Instance) string {
	u, _ := url.Parse(in.URL())
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "sp_session" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// signInSSO signs in through the provider from instance in.
func (b *browser) signInSSO(in *instance.Instance, username string) *http.Response {
	b.t.Helper()
	resp, err := b.c.Get(in.URL() + "/auth/oidc/test?next=/new")
	if err != nil {
		b.t.Fatal(err)
	}
	resp, err = ssotest.LogIn(context.Background(), b.c, resp, username, "secret-password")
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func createRoomAs(t *testing.T, b *browser, in *instance.Instance, planID string) instancetest.Room {
	t.Helper()
	code, body := b.call("POST", in.URL()+"/api/rooms", map[string]string{"plan": planID}, true)
	if code != http.StatusCreated {
		t.Fatalf("create room: %d %s", code, body)
	}
	var r instancetest.Room
	_ = json.Unmarshal(body, &r)
	return r
}

func TestFirstRunAdministratorAndCSRF(t *testing.T) {
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL())
	b := newBrowser(t)
	if m := b.me(in); m.Accounts || !m.Setup || m.SignedIn {
		t.Fatalf("fresh server: %+v, want no accounts and setup offered", m)
	}
	// Until an account exists, this machine creates rooms as before.
	instancetest.CreateRoom(t, in, "test-plan")

	for _, bad := range []map[string]string{
		{"email": "admin@example.org", "name": "Admin", "password": "short"},
		{"email": "not an address", "name": "Admin", "password": "long enough password"},
		{"email": "admin@example.org", "name": "", "password": "long enough password"},
	} {
		if code, body := b.call("POST", in.URL()+"/api/auth/setup", bad, false); code != http.StatusBadRequest {
			t.Fatalf("setup with %v: %d %s", bad, code, body)
		}
	}
	code, body := b.call("POST", in.URL()+"/api/auth/setup", map[string]string{"email": "Admin@Example.org", "name": "Admin", "password": "long enough password"}, false)
	if code != 200 {
		t.Fatalf("setup: %d %s", code, body)
	}
	m := b.me(in)
	if !m.SignedIn || m.User.Role != "admin" || m.User.Email != "admin@example.org" || m.CSRF == "" {
		t.Fatalf("after setup: %+v", m)
	}
	// Setup is done: nobody makes a second first administrator.
	other := newBrowser(t)
	if code, _ := other.call("POST", in.URL()+"/api/auth/setup", map[string]string{"email": "x@example.org", "name": "X", "password": "long enough password"}, false); code != http.StatusForbidden {
		t.Fatalf("second setup: %d", code)
	}
	// Now rooms need an account, even from this machine.
	if code, body := other.call("POST", in.URL()+"/api/rooms", map[string]string{"plan": "test-plan"}, false); code != http.StatusUnauthorized || !strings.Contains(string(body), "sign in") {
		t.Fatalf("room without sign-in: %d %s", code, body)
	}
	// The cookie alone does not do: without the CSRF token, refused.
	if code, body := b.call("POST", in.URL()+"/api/rooms", map[string]string{"plan": "test-plan"}, false); code != http.StatusForbidden || !strings.Contains(string(body), "CSRF") {
		t.Fatalf("room without CSRF token: %d %s", code, body)
	}
	// Nor from another site's page.
	req, _ := http.NewRequest("POST", in.URL()+"/api/rooms", strings.NewReader(`{"plan":"test-plan"}`))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("X-CSRF-Token", b.csrf)
	if resp, err := b.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("room from another origin: %v %v", resp.Status, err)
	}
	r := createRoomAs(t, b, in, "test-plan")
	if code, body := b.call("GET", in.URL()+"/api/my/rooms", nil, false); code != 200 || !strings.Contains(string(body), r.Room) {
		t.Fatalf("my rooms: %d %s", code, body)
	}
	// Signing out ends the session.
	if code, _ := b.call("POST", in.URL()+"/api/auth/signout", nil, true); code != http.StatusNoContent {
		t.Fatalf("sign out: %d", code)
	}
	if m := b.me(in); m.SignedIn {
		t.Fatal("still signed in after signing out")
	}
}

func TestInvitationOnceAndPasswordGuessing(t *testing.T) {
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL())
	admin := newBrowser(t)
	admin.call("POST", in.URL()+"/api/auth/setup", map[string]string{"email": "admin@example.org", "name": "Admin", "password": "long enough password"}, false)
	admin.me(in)
	code, body := admin.call("POST", in.URL()+"/api/admin/invites", map[string]string{"email": "kari@example.org", "role": "facilitator"}, true)
	if code != http.StatusCreated {
		t.Fatalf("invite: %d %s", code, body)
	}
	var inv struct{ URL string }
	_ = json.Unmarshal(body, &inv)
	_, token, _ := strings.Cut(inv.URL, "#invite=")
	kari := newBrowser(t)
	if code, body := kari.call("GET", in.URL()+"/api/auth/invite/"+token, nil, false); code != 200 || !strings.Contains(string(body), "kari@example.org") {
		t.Fatalf("peek: %d %s", code, body)
	}
	accept := map[string]string{"token": token, "name": "Kari", "password": "kari's long password"}
	if code, body := kari.call("POST", in.URL()+"/api/auth/invite", accept, false); code != 200 {
		t.Fatalf("accept: %d %s", code, body)
	}
	if code, _ := newBrowser(t).call("POST", in.URL()+"/api/auth/invite", accept, false); code != http.StatusNotFound {
		t.Fatalf("the invitation used twice: %d, want 404", code)
	}
	// A facilitator is not an administrator.
	kari.me(in)
	if code, _ := kari.call("GET", in.URL()+"/api/admin/users", nil, false); code != http.StatusForbidden {
		t.Fatalf("facilitator reads users: %d", code)
	}

	// 1,000 guesses at kari's password: ten are checked, the rest are
	// refused without checking, and then even the right one waits.
	guesser := newBrowser(t)
	counts := map[int]int{}
	start := time.Now()
	for i := 0; i < 1000; i++ {
		code, _ := guesser.call("POST", in.URL()+"/api/auth/signin", map[string]string{"email": "kari@example.org", "password": fmt.Sprintf("guess %d", i)}, false)
		counts[code]++
	}
	t.Logf("1000 guesses in %v: %v", time.Since(start).Round(time.Millisecond), counts)
	if counts[http.StatusUnauthorized] != 10 || counts[http.StatusTooManyRequests] != 990 {
		t.Fatalf("answers to 1000 guesses: %v, want 10 x 401 and 990 x 429", counts)
	}
	if code, _ := guesser.call("POST", in.URL()+"/api/auth/signin", map[string]string{"email": "kari@example.org", "password": "kari's long password"}, false); code != http.StatusTooManyRequests {
		t.Fatalf("the right password during the pause: %d", code)
	}
	// The administrator, behind the same address, still signs in.
	if code, body := newBrowser(t).call("POST", in.URL()+"/api/auth/signin", map[string]string{"email": "admin@example.org", "password": "long enough password"}, false); code != 200 {
		t.Fatalf("a colleague behind the same address: %d %s", code, body)
	}
	// The audit log has the sign-ins and failures, and no password.
	code, body = admin.call("GET", in.URL()+"/api/admin/audit?limit=500", nil, false)
	if code != 200 || !strings.Contains(string(body), `"sign_in_failed"`) || !strings.Contains(string(body), `"user_created"`) || strings.Contains(string(body), "guess") {
		t.Fatalf("audit: %d %.300s", code, body)
	}
}

// ssoCluster starts n instances on one NATS, each with the provider, and
// has the provider accept every instance's callback.
func ssoCluster(t *testing.T, n int) ([]*instance.Instance, *ssotest.Provider) {
	p := ssotest.Start(t,
		ssotest.User{ID: "kari", Username: "kari", Password: "secret-password", Email: "kari@skole.example", FirstName: "Kari", LastName: "Lærer"},
		ssotest.User{ID: "ola", Username: "ola", Password: "secret-password", Email: "ola@skole.example", FirstName: "Ola", LastName: "Rektor"},
		ssotest.User{ID: "siv", Username: "siv", Password: "secret-password", Email: "siv@skole.example", FirstName: "Siv", LastName: "Helsesykepleier"},
		ssotest.User{ID: "eve", Username: "eve", Password: "secret-password", Email: "eve@elsewhere.example", FirstName: "Eve", LastName: "Outside"})
	clientID := "stoppunkt-" + strings.ReplaceAll(t.Name(), "/", "-")
	ns := instancetest.NATS(t)
	var ins []*instance.Instance
	var redirects []string
	for i := 0; i < n; i++ {
		in := instancetest.Start(t, ns.ClientURL(), instancetest.Options{Modify: func(c *instance.Config) {
			c.SSO = append(c.SSO, p.Config("test", clientID, "s3cret", "skole.example"))
		}})
		ins = append(ins, in)
		redirects = append(redirects, in.URL()+"/auth/oidc/test/callback")
	}
	p.Serve(t, ssotest.Client{ID: clientID, Secret: "s3cret", Redirects: redirects})
	return ins, p
}

func TestSingleSignOnAcrossThreeInstances(t *testing.T) {
	ins, _ := ssoCluster(t, 3)
	a, b, c := ins[0], ins[1], ins[2]

	kari := newBrowser(t)
	start := time.Now()
	resp := kari.signInSSO(a, "kari")
	t.Logf("sign-in round trip through the provider: %v", time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/new" {
		t.Fatalf("after sign-in: %s at %s", resp.Status, resp.Request.URL)
	}
	// The session made on A holds on B and C.
	if m := kari.me(b); !m.SignedIn || m.User.Email != "kari@skole.example" || m.User.Role != "facilitator" {
		t.Fatalf("me on B: %+v", m)
	}
	r := createRoomAs(t, kari, b, "test-plan")
	if code, body := kari.call("GET", c.URL()+"/api/my/rooms", nil, false); code != 200 || !strings.Contains(string(body), r.Code) {
		t.Fatalf("my rooms on C: %d %s", code, body)
	}
	// Kari opens the dashboard on C without the key: by her account.
	w := dialWithCookie(t, c, kari.cookie(c), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room})
	if w.err != nil || w.welcome.PresenterKey == "" || w.welcome.Access != "" {
		t.Fatalf("facilitator by account: %+v %v", w.welcome, w.err)
	}
	if code, _ := kari.call("GET", a.URL()+"/api/rooms/"+r.Room+"/report?format=json", nil, false); code != 200 {
		t.Fatalf("owner's report: %d", code)
	}

	// Someone outside the allowed domains is turned away.
	eve := newBrowser(t)
	if resp := eve.signInSSO(a, "eve"); resp.Request.URL.Path != "/signin" || resp.Request.URL.Fragment != "error=not_allowed" || eve.me(a).SignedIn {
		t.Fatalf("eve: ended at %s", resp.Request.URL)
	}

	// Another facilitator of the same school sees neither Kari's room nor
	// her private plan.
	ola := newBrowser(t)
	ola.signInSSO(c, "ola")
	ola.me(c)
	if code, _ := ola.call("GET", a.URL()+"/api/rooms/"+r.Room+"/report?format=json", nil, false); code != http.StatusUnauthorized {
		t.Fatalf("another facilitator's report: %d", code)
	}
	if w := dialWithCookie(t, a, ola.cookie(a), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room}); w.err == nil {
		t.Fatal("another facilitator opened the room's dashboard")
	}
	plan := strings.Replace(instancetest.TestPlan, "id: test-plan", "id: karis-plan", 1)
	req, _ := http.NewRequest("POST", a.URL()+"/api/plans", strings.NewReader(plan))
	req.Header.Set("X-CSRF-Token", kari.csrf)
	if resp, err := kari.c.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %v %v", resp.Status, err)
	}
	time.Sleep(300 * time.Millisecond) // the plan store's watch reaches B and C
	if _, body := ola.call("GET", b.URL()+"/api/plans", nil, false); strings.Contains(string(body), "karis-plan") {
		t.Fatal("another facilitator's plan list shows a private plan")
	}
	if code, _ := ola.call("GET", b.URL()+"/api/plans/karis-plan", nil, false); code != http.StatusNotFound {
		t.Fatalf("another facilitator reads a private plan: %d", code)
	}
	if code, _ := ola.call("POST", b.URL()+"/api/rooms", map[string]string{"plan": "karis-plan"}, true); code != http.StatusNotFound {
		t.Fatalf("another facilitator starts a private plan: %d", code)
	}
	if _, body := kari.call("GET", c.URL()+"/api/plans", nil, false); !strings.Contains(string(body), "karis-plan") {
		t.Fatal("the owner's plan list lacks her plan")
	}
	for _, try := range []struct{ method, path string }{{"GET", "/edit"}, {"GET", "/revisions"}, {"GET", "/yaml"}, {"POST", "/revisions"}, {"DELETE", ""}, {"POST", "/images"}} {
		if code, _ := ola.call(try.method, b.URL()+"/api/plans/karis-plan"+try.path, map[string]any{"base": 0}, true); code != http.StatusNotFound {
			t.Errorf("another facilitator: %s %s on a private plan: %d, want 404", try.method, try.path, code)
		}
	}
	if code, _ := kari.call("GET", b.URL()+"/api/plans/karis-plan/edit", nil, false); code != 200 {
		t.Errorf("the owner opens her plan in the editor: %d", code)
	}

	// Shared as observer: Ola watches and cannot act or export.
	if code, body := kari.call("POST", a.URL()+"/api/rooms/"+r.Room+"/members", map[string]string{"email": "ola@skole.example", "part": "observer"}, true); code != http.StatusNoContent {
		t.Fatalf("share: %d %s", code, body)
	}
	obs := dialWithCookie(t, b, ola.cookie(b), wire.Hello{Role: wire.RoleFacilitator, Room: r.Room})
	if obs.err != nil || obs.welcome.Access != wire.AccessObserver || obs.welcome.PresenterKey != "" {
		t.Fatalf("observer: %+v %v", obs.welcome, obs.err)
	}
	ctx := instancetest.Ctx(t, 10*time.Second)
	if _, err := obs.phone.Command(ctx, wire.TypeGoto, map[string]int{"step": 1}); wire.AsError(err).Code != wire.CodeNotAllowed {
		t.Fatalf("observer's goto: %v", err)
	}
	if code, _ := ola.call("GET", a.URL()+"/api/rooms/"+r.Room+"/report?format=json", nil, false); code != http.StatusUnauthorized {
		t.Fatalf("observer's report: %d", code)
	}
	if code, body := ola.call("GET", a.URL()+"/api/rooms/"+r.Room, nil, false); code != 200 || !strings.Contains(string(body), `"part":"observer"`) {
		t.Fatalf("observer's room info: %d %s", code, body)
	}
	// As co-facilitator Ola may export.
	kari.call("POST", a.URL()+"/api/rooms/"+r.Room+"/members", map[string]string{"email": "ola@skole.example", "part": "cofacilitator"}, true)
	if code, _ := ola.call("GET", c.URL()+"/api/rooms/"+r.Room+"/report?format=json", nil, false); code != 200 {
		t.Fatalf("co-facilitator's report: %d", code)
	}

	// Kari revokes her session on A: B refuses it at once.
	var sessions struct {
		Sessions []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	_, body := kari.call("GET", b.URL()+"/api/auth/sessions", nil, false)
	_ = json.Unmarshal(body, &sessions)
	if len(sessions.Sessions) != 1 || !sessions.Sessions[0].Current {
		t.Fatalf("sessions: %s", body)
	}
	stale := kari.cookie(a)
	if code, _ := kari.call("DELETE", a.URL()+"/api/auth/sessions/"+sessions.Sessions[0].ID, nil, true); code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	revoked := time.Now()
	replay := newBrowser(t)
	u, _ := url.Parse(b.URL())
	name, value, _ := strings.Cut(stale, "=")
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value}})
	if m := replay.me(b); m.SignedIn {
		t.Fatal("a revoked session is still signed in on B")
	}
	t.Logf("revoked on A, refused on B after %v", time.Since(revoked).Round(time.Microsecond))
	if w := dialWithCookie(t, c, stale, wire.Hello{Role: wire.RoleFacilitator, Room: r.Room}); w.err == nil {
		t.Fatal("a revoked session opened the dashboard on C")
	}
}

func TestReplayedStateIsRefused(t *testing.T) {
	ins, _ := ssoCluster(t, 2)
	a, b := ins[0], ins[1]
	kari := newBrowser(t)
	kari.c.CheckRedirect = ssotest.StopAt(a.URL() + "/auth/oidc/test/callback")
	resp, err := kari.c.Get(a.URL() + "/auth/oidc/test")
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ssotest.LogIn(context.Background(), kari.c, resp, "kari", "secret-password")
	if err != nil {
		t.Fatal(err)
	}
	callback := resp.Header.Get("Location")
	if !strings.Contains(callback, "state=") {
		t.Fatalf("no callback: %s %s", resp.Status, callback)
	}
	kari.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	first, _ := kari.c.Get(callback)
	if first.StatusCode != http.StatusFound || first.Header.Get("Location") != "/new" {
		t.Fatalf("first callback: %s %s", first.Status, first.Header.Get("Location"))
	}
	// The same answer again, on the other instance: refused.
	thief := newBrowser(t)
	thief.c.CheckRedirect = kari.c.CheckRedirect
	again, _ := thief.c.Get(strings.Replace(callback, a.URL(), b.URL(), 1))
	if again.StatusCode != http.StatusFound || again.Header.Get("Location") != "/signin#error=expired" || thief.cookie(b) != "" {
		t.Fatalf("replayed callback: %s %s", again.Status, again.Header.Get("Location"))
	}
	// A made-up state too.
	forged, _ := thief.c.Get(a.URL() + "/auth/oidc/test/callback?state=aaaaaaaaaaaaaaaaaaaaaaaaaa&code=x")
	if forged.Header.Get("Location") != "/signin#error=expired" {
		t.Fatalf("forged state: %s", forged.Header.Get("Location"))
	}
}

type dialed struct {
	phone   *wsclient.Phone
	welcome wire.Welcome
	err     error
}

// dialWithCookie connects with a session cookie and returns the welcome.
func dialWithCookie(t *testing.T, in *instance.Instance, cookie string, hello wire.Hello) dialed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := wsclient.Dial(ctx, wsclient.PhoneOptions{URLs: []string{instancetest.WS(in)}, Hello: hello, Cookie: cookie, KeepFrames: true})
	if err != nil {
		return dialed{err: err}
	}
	t.Cleanup(p.Close)
	return dialed{phone: p, welcome: p.Welcome()}
}
