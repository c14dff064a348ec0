package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/sso/ssotest"
)

// screenSizes are the sizes every touched screen is looked at in.
var screenSizes = []struct {
	name string
	w, h int64
}{{"phone", 390, 844}, {"laptop", 1366, 768}, {"projector", 1920, 1080}, {"projector-720", 1280, 720}}

// ssoServer starts an instance with the in-process OpenID Connect provider
// as "test", and a first administrator made through the API.
func ssoServer(t *testing.T) *instance.Instance {
	t.Helper()
	op := ssotest.Start(t,
		ssotest.User{ID: "kari", Username: "kari", Password: "secret-password", Email: "kari@skole.example", FirstName: "Kari", LastName: "Lærer"},
		ssotest.User{ID: "ola", Username: "ola", Password: "secret-password", Email: "ola@skole.example", FirstName: "Ola", LastName: "Rektor"})
	clientID := "stoppunkt-" + slug(t.Name())
	in := server(t, map[string]string{"web-session": sessionPlan}, func(c *instance.Config) {
		p := op.Config("test", clientID, "s3cret", "skole.example")
		p.Label = "Feide"
		c.SSO = append(c.SSO, p)
	})
	op.Serve(t, ssotest.Client{ID: clientID, Secret: "s3cret", Redirects: []string{in.URL() + "/auth/oidc/test/callback"}})
	body, _ := json.Marshal(map[string]string{"email": "admin@skole.example", "name": "Administrator", "password": "long enough password"})
	resp, err := http.Post(in.URL()+"/api/auth/setup", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("setup: %v %v", resp.Status, err)
	}
	resp.Body.Close()
	return in
}

// ssoSignIn signs in on the page through the provider's login form.
func ssoSignIn(p *page, base, username string) {
	p.t.Helper()
	p.open(base + "/signin?next=/new")
	p.wait("providers", `document.querySelector('#providers a.provider')`)
	p.press("#providers a.provider")
	p.wait("provider login", `document.querySelector('input[name=username]')`)
	p.typeInto("input[name=username]", username)
	p.typeInto("input[name=password]", "secret-password")
	p.press("button[type=submit]")
	p.wait("back at /new, signed in", `location.pathname === '/new' && document.querySelector('#account-bar .account-name')`)
}

// noOverflow fails when the page scrolls sideways or a visible element of
// sel sticks out of the viewport.
func noOverflow(t *testing.T, p *page, what, sel string) {
	t.Helper()
	var out []string
	p.eval(fmt.Sprintf(`(() => {
		const bad = [];
		if (document.scrollingElement.scrollWidth > innerWidth + 1) bad.push('the page scrolls sideways: ' + document.scrollingElement.scrollWidth + ' > ' + innerWidth);
		for (const el of document.querySelectorAll(%q)) {
			if (el.offsetParent === null) continue;
			const r = el.getBoundingClientRect();
			if (r.right > innerWidth + 1 || r.left < -1) bad.push((el.id || el.className || el.tagName) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
			if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'hidden' && el.tagName !== 'INPUT') bad.push((el.id || el.className || el.tagName) + ' clips its text');
		}
		return bad;
	})()`, sel), &out)
	for _, b := range out {
		t.Errorf("%s: %s", what, b)
	}
}

// TestScreensSignIn: a facilitator signs in through the OpenID Connect
// provider in Chromium, creates a room and uploads a private plan, finds
// the room under "Your rooms" on another browser after signing in there,
// and opens its dashboard without the key; another facilitator is refused
// her room and does not see her plan, until she shares the room with him
// as observer, whose dashboard then cannot act. The sign-in and account
// pages are looked at in four sizes and three languages, and audited.
func TestScreensSignIn(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := ssoServer(t)
	base := in.URL()

	// Signed out, /new says how to create rooms here.
	kari := newPage(t, "kari", 1366, 768)
	kari.open(base + "/new")
	kari.wait("sign-in prompt", `!document.querySelector('#signin-needed').hidden && document.querySelector('#account-bar a')`)

	// The sign-in page in every size and language.
	for _, sz := range screenSizes {
		p := newPage(t, "signin-"+sz.name, sz.w, sz.h)
		p.open(base + "/signin")
		p.wait("sign-in page", `!document.querySelector('#signin').hidden && document.querySelector('#providers a.provider')`)
		for _, lang := range []string{"nb", "da", "en"} {
			setLanguage(p, lang)
			p.shot(lang + "-signin")
			noOverflow(t, p, "sign-in "+sz.name+" "+lang, "#signin, #signin button, #providers a, .bar > *")
		}
		var h float64
		p.eval(`document.querySelector('#providers a.provider').getBoundingClientRect().height`, &h)
		if h < 44 {
			t.Errorf("sign-in %s: the provider button is %.0f px high, under 44", sz.name, h)
		}
		var fields []float64
		p.eval(`[...document.querySelectorAll('#signin-form input')].map((i) => i.getBoundingClientRect().height)`, &fields)
		for i, fh := range fields {
			if fh < 40 {
				t.Errorf("sign-in %s: field %d is %.0f px high, under 40", sz.name, i+1, fh)
			}
		}
		if sz.name == "phone" {
			audit(t, p, axe, "sign-in page")
		}
	}
	// A wrong password is said in the page's language, at the field.
	kari.open(base + "/signin")
	kari.wait("form", `!document.querySelector('#signin-form').hidden`)
	setLanguage(kari, "nb")
	kari.typeInto("#signin-email", "admin@skole.example")
	kari.typeInto("#signin-password", "wrong password")
	kari.press("#signin-form button[type=submit]")
	kari.wait("error", `!document.querySelector('#signin-form [role=alert]').hidden`)
	if got := kari.text("#signin-form [role=alert]"); !strings.Contains(got, "passordet er feil") {
		t.Errorf("wrong password in nb: %q", got)
	}
	if kari.str(`document.querySelector('#signin-password').getAttribute('aria-invalid')`) != "true" {
		t.Error("the password field is not marked invalid")
	}
	setLanguage(kari, "en")

	ssoSignIn(kari, base, "kari")
	if got := kari.text("#account-bar .account-name"); got != "Kari Lærer" {
		t.Errorf("header shows %q", got)
	}
	if !kari.bool(`document.querySelector('#access').hidden && document.querySelector('#signin-needed').hidden`) {
		t.Error("signed in, /new still asks for an access code or a sign-in")
	}
	noOverflow(t, kari, "new signed in", ".bar > *")
	kari.wait("plans", `document.querySelector('#plan-web-session')`)
	kari.click("#plan-web-session")
	kari.click("#create-btn")
	kari.wait("created", `!document.querySelector('#created').hidden`)
	code := kari.text("#created-code")
	kari.wait("listed by the account", `[...document.querySelectorAll('#my-rooms-list .code')].some((el) => el.textContent === `+jsString(code)+`)`)
	if n := kari.str(`String(JSON.parse(localStorage.getItem('sp.rooms') || '[]').length)`); n != "0" {
		t.Errorf("signed in, the browser kept %s rooms with their keys", n)
	}
	roomID := kari.str(`document.querySelector('#my-rooms-list li[data-room]').dataset.room`)

	// A private plan, uploaded through the page.
	plan := strings.Replace(sessionPlan, "id: web-session", "id: karis-plan", 1)
	plan = strings.Replace(plan, "title: ", "title: Karis egen ", 1)
	kari.eval(fmt.Sprintf(`(async () => {
		const res = await fetch('/api/plans', {method: 'POST', headers: {'X-CSRF-Token': (await (await fetch('/api/auth/me')).json()).csrf}, body: %s});
		return res.status;
	})()`, jsString(plan)), nil)

	// Another browser (a second device): sign in, find the room, open it.
	phone := newPage(t, "kari-phone", 390, 844)
	ssoSignIn(phone, base, "kari")
	item := fmt.Sprintf(`#my-rooms-list li[data-room=%q]`, roomID)
	phone.wait("room listed on the other device", `document.querySelector('`+item+` .badge.ok')`)
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(phone, lang)
		phone.shot(lang + "-your-rooms-signed-in")
		noOverflow(t, phone, "your rooms on a phone "+lang, "#my-rooms, #my-rooms li, .bar > *")
	}
	phone.press(item + " a.button")
	phone.wait("dashboard by account", `document.querySelector('#room-code').textContent === `+jsString(code)+` && document.querySelector('#observing').hidden`)

	// An event's overview and sheet, opened on the other device from a
	// bare address (a bookmark, no key in it), find the key by the account.
	eventID := kari.str(`(async () => {
		const me = await (await fetch('/api/auth/me')).json();
		const res = await fetch('/api/events', {method: 'POST', headers: {'X-CSRF-Token': me.csrf, 'Content-Type': 'application/json'}, body: JSON.stringify({plan: 'web-session', name: 'Fagdag', rooms: 2})});
		return (await res.json()).event;
	})()`)
	phone.open(base + "/e/" + eventID)
	phone.wait("overview by account", `document.querySelector('#conn-state').classList.contains('ok') && document.querySelectorAll('#rooms-table tbody tr').length === 2`)
	phone.open(base + "/e/" + eventID + "/sheet")
	phone.wait("sheet by account", `document.querySelector('#gone') ? document.querySelector('#gone').hidden && document.body.innerText.includes('Fagdag') : document.body.innerText.includes('Fagdag')`)

	// Ola: not his room, not his plan.
	ola := newPage(t, "ola", 1366, 768)
	ssoSignIn(ola, base, "ola")
	ola.wait("plans", `document.querySelector('#plan-web-session')`)
	if ola.bool(`!!document.querySelector('#plan-karis-plan')`) {
		t.Error("another facilitator's plan list shows a private plan")
	}
	if s := ola.str(`fetch('/api/plans/karis-plan').then((r) => String(r.status))`); s != "404" {
		t.Errorf("another facilitator reads a private plan: %s", s)
	}
	ola.open(base + "/e/" + eventID)
	ola.wait("not his event", `!document.querySelector('#gone').hidden`)
	ola.open(base + "/f/" + roomID)
	ola.wait("refused", `!document.querySelector('#enter').hidden && !document.querySelector('#enter-error').hidden`)
	if got := ola.text("#enter-error"); !strings.Contains(got, "share") {
		t.Errorf("refusal says %q", got)
	}
	kari.open(base + "/new")
	kari.wait("plans", `document.querySelector('#plan-karis-plan')`)
	if got := kari.text(`label[for=plan-karis-plan] .badge`); got != "Yours" {
		t.Errorf("own plan's badge: %q", got)
	}

	// Kari shares the room with Ola as observer, from "Your rooms".
	kari.wait("room listed", `document.querySelector('`+item+`')`)
	kari.press(item + " .my-room-actions button")
	kari.wait("share form", `document.querySelector('#share-email')`)
	kari.typeInto("#share-email", "ola@skole.example")
	kari.eval(`(() => { const s = document.querySelector('#share-part'); s.value = 'observer'; return true; })()`, nil)
	kari.press(".share-form button[type=submit]")
	kari.wait("shared", `document.querySelector('`+item+` .my-room-members li')`)
	if got := kari.text(item + " .my-room-members"); !strings.Contains(got, "Ola Rektor") || !strings.Contains(got, "Observer") {
		t.Errorf("members line: %q", got)
	}
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(kari, lang)
		kari.shot(lang + "-your-rooms-shared")
	}
	audit(t, kari, axe, "your rooms, signed in")
	setLanguage(kari, "en")

	ola.open(base + "/e/" + eventID)
	ola.wait("not his event", `!document.querySelector('#gone').hidden`)
	ola.open(base + "/f/" + roomID)
	ola.wait("observing", `!document.querySelector('#observing').hidden && document.querySelector('#room-code').textContent === `+jsString(code))
	if !ola.bool(`document.querySelector('#btn-next').disabled && document.querySelector('#btn-back').disabled`) {
		t.Error("an observer's dashboard offers the pace buttons")
	}
	// The step list stays legible: full-strength text, not the faded look
	// of a disabled control.
	var opacity string
	ola.eval(`getComputedStyle(document.querySelector('#step-list button')).opacity`, &opacity)
	if opacity != "1" {
		t.Errorf("an observer's step list is faded (opacity %s)", opacity)
	}
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(ola, lang)
		ola.shot(lang + "-observer-dashboard")
	}
	audit(t, ola, axe, "observer's dashboard")

	// The account page, as the administrator, in every size and language.
	admin := newPage(t, "admin", 1366, 768)
	admin.open(base + "/signin")
	admin.wait("form", `!document.querySelector('#signin-form').hidden`)
	admin.typeInto("#signin-email", "admin@skole.example")
	admin.typeInto("#signin-password", "long enough password")
	admin.press("#signin-form button[type=submit]")
	admin.wait("signed in", `location.pathname === '/new' && document.querySelector('#account-bar .account-name')`)
	for _, sz := range screenSizes {
		p := admin
		p.run(chromedp.EmulateViewport(sz.w, sz.h))
		p.open(base + "/account")
		p.wait("account page", `document.querySelector('#audit-rows tr') && document.querySelector('#users li')`)
		for _, lang := range []string{"nb", "da", "en"} {
			setLanguage(p, lang)
			p.fullShot(lang + "-account-" + sz.name)
			noOverflow(t, p, "account "+sz.name+" "+lang, ".bar > *, .card, .row, .invite-form button")
		}
		setLanguage(p, "en")
	}
	admin.run(chromedp.EmulateViewport(1366, 768))
	audit(t, admin, axe, "account page")
	if got := admin.text("#users"); !strings.Contains(got, "kari@skole.example") || !strings.Contains(got, "with Feide") {
		t.Errorf("users list: %q", got)
	}
	if got := admin.text("#audit-rows"); !strings.Contains(got, "Room created") || !strings.Contains(got, "Room shared") || !strings.Contains(got, code) ||
		!strings.Contains(got, "ola@skole.example (Observer)") || !strings.Contains(got, "with Feide") || strings.Contains(got, "oidc:") {
		t.Errorf("audit log: %q", got)
	}
	// Times never wrap; the table is wide enough for addresses unbroken.
	var wraps bool
	admin.eval(`[...document.querySelectorAll('#audit-rows td.when')].some((td) => { const r = document.createRange(); r.selectNodeContents(td); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1; })`, &wraps)
	if wraps {
		t.Error("an audit time wraps")
	}
	// The organisation's settings, saved on the page.
	admin.typeInto("#org-name", "Eksempel kommune")
	admin.typeInto("#org-help", "Bedriftshelsetjenesten: 22 00 00 00")
	admin.eval(`document.querySelector('#org-days').value = '9999'`, nil)
	admin.press("#org-form button[type=submit]")
	admin.wait("too many days", `!document.querySelector('#org-form [role=alert]').hidden`)
	if admin.str(`document.querySelector('#org-days').getAttribute('aria-invalid')`) != "true" {
		t.Error("too many days: the field is not marked")
	}
	admin.eval(`document.querySelector('#org-days').value = ''`, nil)
	admin.press("#org-form button[type=submit]")
	admin.wait("saved", `document.querySelector('#org-status').textContent !== ''`)
	admin.shot("en-account-settings-saved")
	signin := newPage(t, "signin-org", 390, 844)
	signin.open(base + "/signin")
	signin.wait("organisation's name", `document.querySelector('#signin-org').textContent === 'Eksempel kommune'`)

	// An invitation link, made on the page.
	admin.typeInto("#invite-email", "per@skole.example")
	admin.press("#invite-form button[type=submit]")
	admin.wait("invitation", `!document.querySelector('#invite-made').hidden`)
	link := admin.str(`document.querySelector('#invite-link').value`)
	if !strings.HasPrefix(link, base+"/signin#invite=") {
		t.Errorf("invitation link %q", link)
	}
	admin.shot("en-account-invited")
	per := newPage(t, "per", 390, 844)
	per.open(link)
	per.wait("invitation form", `!document.querySelector('#invite').hidden`)
	if got := per.text("#invite-for"); !strings.Contains(got, "per@skole.example") {
		t.Errorf("invitation says %q", got)
	}
	per.shot("en-invitation")
	audit(t, per, axe, "invitation page")
	per.typeInto("#invite-name", "Per")
	per.typeInto("#invite-password", "short")
	per.press("#invite-form button[type=submit]")
	per.wait("too short", `!document.querySelector('#invite-form [role=alert]').hidden`)
	per.eval(`document.querySelector('#invite-password').value = ''`, nil)
	per.typeInto("#invite-password", "pers long password")
	per.press("#invite-form button[type=submit]")
	per.wait("signed in as Per", `location.pathname === '/new' && document.querySelector('#account-bar .account-name') && document.querySelector('#account-bar .account-name').textContent === 'Per'`)
	per.open(link)
	per.wait("used", `!document.querySelector('#signin-error').hidden || !document.querySelector('#signed-in').hidden`)
}
