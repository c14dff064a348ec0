package webtest

import (
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/server/instance"
)

// TestScreensDashboardSignInEnds: a dashboard opened by its account lives
// on its websocket for hours. Its page keeps the sign-in from ending as
// idle (here the idle limit is 3 s: after 12 s and a lost connection it
// comes back by itself), and when the sign-in does end (signed out
// elsewhere) and the connection drops, it says so in the page's language
// and offers to sign in again, instead of claiming the room is not the
// account's.
func TestScreensDashboardSignInEnds(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-session": sessionPlan}, func(c *instance.Config) {
		c.Accounts.SessionIdle = 3 * time.Second
	})
	base := in.URL()
	p := newPage(t, "dashboard", laptopW, laptopH)
	p.open(base + "/signin")
	fillFirstAdmin(p)
	p.open(base + "/new")
	p.wait("plans", `document.querySelector('.plan-option') && document.querySelector('#account-bar .account-name')`)
	p.click("#create-btn")
	p.wait("created", `!document.querySelector('#created').hidden`)
	// The dashboard by the account, without the key in its address.
	dash := p.str(`document.querySelector('#fac-link').value`)
	if i := strings.Index(dash, "#"); i >= 0 {
		dash = dash[:i]
	}
	p.eval(`localStorage.clear(), sessionStorage.clear(), true`, nil)
	p.open(dash)
	p.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	setLanguage(p, "nb")

	time.Sleep(12 * time.Second)
	p.setOffline(true)
	p.wait("connection lost", `!document.querySelector('#conn-state').classList.contains('ok')`)
	p.setOffline(false)
	p.wait("back by the same sign-in", `document.querySelector('#conn-state').classList.contains('ok')`)

	// Signed out (as from another tab), the next connection is refused.
	p.eval(`(async () => { const me = await (await fetch('/api/auth/me')).json(); return (await fetch('/api/auth/signout', {method: 'POST', headers: {'X-CSRF-Token': me.csrf}})).status; })()`, nil)
	p.setOffline(true)
	p.wait("connection lost", `!document.querySelector('#conn-state').classList.contains('ok')`)
	p.setOffline(false)
	p.wait("told the sign-in ended", `!document.querySelector('#enter').hidden && !document.querySelector('#enter-signin').hidden`)
	if got := p.text("#enter-title"); got != "Innloggingen din er avsluttet" {
		t.Errorf("the dashboard says %q, want that the sign-in has ended (nb)", got)
	}
	if got := p.text("#enter-signin-link"); got != "Logg inn igjen" {
		t.Errorf("the way back reads %q", got)
	}
	if p.rect("#enter-signin-link").y > p.rect("#enter-key").y {
		t.Error("signing in again comes after the key field; it is the way back and comes first")
	}
	if !p.bool(`document.querySelector('#enter-error').hidden`) {
		t.Errorf("an error is shown under the key field: %q", p.text("#enter-error"))
	}
	if href := p.str(`document.querySelector('#enter-signin-link').getAttribute('href')`); !strings.Contains(href, "next=") {
		t.Errorf("sign-in link %q does not lead back to the room", href)
	}
	if p.bool(`document.activeElement !== document.querySelector('#enter-signin-link')`) {
		t.Error("the way back (sign in again) does not have the focus")
	}
	if p.bool(`document.querySelector('#enter-key').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the key field is marked wrong although nothing was typed")
	}
	if h := p.rect("#enter-signin-link").h; h < 44 {
		t.Errorf("the sign-in link is %.0f px high, under 44", h)
	}
	for _, stale := range []string{"#banner", "#join-warning"} {
		if p.bool(`(() => { const el = document.querySelector('` + stale + `'); return el && el.offsetParent !== null; })()`) {
			t.Errorf("%s still shows, about a room the page has let go of", stale)
		}
	}
	p.shot("nb-signed-out")
	setLanguage(p, "da")
	if got := p.text("#enter-signin-link"); got != "Log ind igen" {
		t.Errorf("in Danish the way back reads %q", got)
	}
	p.shot("da-signed-out")

	// Signing in again leads back into the room.
	p.press("#enter-signin-link")
	p.wait("the sign-in form", `location.pathname === '/signin' && !document.querySelector('#signin-form').hidden`)
	p.typeInto("#signin-email", "admin@kommune.example")
	p.typeInto("#signin-password", "en lang nok setning")
	p.press("#signin-form button[type=submit]")
	p.wait("back in the room", `location.pathname === `+jsString(dash[strings.Index(dash, "/f/"):])+` && document.querySelector('#conn-state').classList.contains('ok')`)
}
