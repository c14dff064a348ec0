package webtest

import "testing"

// TestScreensFirstRun: on a fresh server, /new opened on the server's own
// machine offers to create the first administrator, without standing in
// the way of creating a room; its link leads to the form, and once the
// administrator exists the offer is gone and /new belongs to the signed-in
// administrator. Looked at in four sizes and three languages, and audited.
func TestScreensFirstRun(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, map[string]string{"web-session": sessionPlan})
	base := in.URL()

	for _, sz := range screenSizes {
		p := newPage(t, "new-"+sz.name, sz.w, sz.h)
		p.open(base + "/new")
		p.wait("the offer", `!document.querySelector('#first-admin').hidden && document.querySelector('.plan-option')`)
		if p.bool(`!document.querySelector('#signin-needed').hidden`) {
			t.Errorf("%s: a fresh server asks to sign in before any account exists", sz.name)
		}
		for _, lang := range []string{"nb", "da", "en"} {
			setLanguage(p, lang)
			p.shot(lang + "-first-run")
			noOverflow(t, p, "first run "+sz.name+" "+lang, "#first-admin, #first-admin a, #create-form")
			// The offer is one card above the form, not the whole screen:
			// the form's first choice stays in view on a laptop.
			offer := p.rect("#first-admin")
			if offer.h > float64(sz.h)/3 {
				t.Errorf("%s %s: the offer is %.0f px high, over a third of the screen", sz.name, lang, offer.h)
			}
			if gap := p.rect("#create-form").y - (offer.y + offer.h); gap < 8 {
				t.Errorf("%s %s: the offer and the form are %.0f px apart", sz.name, lang, gap)
			}
			link := p.rect("#first-admin a")
			if link.h < 44 {
				t.Errorf("%s %s: the offer's link is %.0f px high, under 44", sz.name, lang, link.h)
			}
			if sz.name != "phone" {
				if mode := p.rect("#mode"); mode.y > float64(sz.h) {
					t.Errorf("%s %s: the form begins at %.0f px, below the screen", sz.name, lang, mode.y)
				}
			}
		}
		if sz.name == "laptop" {
			audit(t, p, axe, "/new on a fresh server")
			checkReflow(t, p, "/new on a fresh server", sz.w, sz.h)
		}
	}

	// Rooms can be made before any account exists, as before.
	p := newPage(t, "admin", 1366, 768)
	p.open(base + "/new")
	p.wait("plans", `document.querySelector('.plan-option') && !document.querySelector('#first-admin').hidden`)
	setLanguage(p, "nb")
	p.click("#create-btn")
	p.wait("created without an account", `!document.querySelector('#created').hidden`)

	// The offer leads to the form that creates the administrator.
	p.open(base + "/new")
	p.wait("the offer", `!document.querySelector('#first-admin').hidden`)
	p.press("#first-admin a")
	fillFirstAdmin(p)

	p.open(base + "/new")
	p.wait("signed in on /new", `document.querySelector('#account-bar .account-name') && document.querySelector('.plan-option')`)
	if p.bool(`!document.querySelector('#first-admin').hidden`) {
		t.Error("the offer is still shown once the administrator exists")
	}
	p.shot("nb-administrator")

	// Another browser on this machine is now asked to sign in.
	other := newPage(t, "other", 1366, 768)
	other.open(base + "/new")
	other.wait("asked to sign in", `!document.querySelector('#signin-needed').hidden`)
	if other.bool(`!document.querySelector('#first-admin').hidden`) {
		t.Error("another browser is offered a second first administrator")
	}
}

// fillFirstAdmin fills in and sends the first administrator's form on
// /signin, and waits for the account page, signed in.
func fillFirstAdmin(p *page) {
	p.t.Helper()
	p.wait("the form", `location.pathname === '/signin' && !document.querySelector('#setup').hidden`)
	p.typeInto("#setup-name", "Administrator")
	p.typeInto("#setup-email", "admin@kommune.example")
	p.typeInto("#setup-password", "en lang nok setning")
	p.press("#setup-form button[type=submit]")
	p.wait("signed in as the administrator", `location.pathname === '/account' && document.querySelector('#account-bar .account-name')`)
}
