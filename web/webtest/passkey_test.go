package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// addAuthenticator gives the tab a virtual platform authenticator (as a
// laptop's fingerprint reader) that keeps passkeys and verifies its user.
func (p *page) addAuthenticator() {
	p.t.Helper()
	p.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		return err
	}))
}

// TestScreensPasskeys: the administrator adds a passkey on /account (a
// name is asked for first), signs out, and signs in again with it alone;
// the account's sessions and the audit log say so. A removed passkey no
// longer signs in, and says so. At an address where browsers offer no
// passkeys (an IP address over http) neither page offers them. The
// passkey section is looked at in three languages, on a laptop and a phone.
func TestScreensPasskeys(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, map[string]string{"web-session": sessionPlan})
	byIP := in.URL()
	base := strings.Replace(byIP, "127.0.0.1", "localhost", 1)

	p := newPage(t, "admin", laptopW, laptopH)
	p.addAuthenticator()
	p.open(base + "/signin")
	fillFirstAdmin(p)
	p.wait("passkey form", `!document.querySelector('#passkey-form').hidden && document.querySelector('#passkey-list .row')`)

	// A name first.
	p.press("#passkey-form button[type=submit]")
	p.wait("asked for a name", `!document.querySelector('#passkey-form [role=alert]').hidden && document.querySelector('#passkey-name').getAttribute('aria-invalid') === 'true'`)
	p.typeInto("#passkey-name", "Jobb-PC")
	p.press("#passkey-form button[type=submit]")
	p.wait("added", `[...document.querySelectorAll('#passkey-list .row strong')].some((el) => el.textContent === 'Jobb-PC')`)
	if got := p.text("#passkeys-status"); !strings.Contains(got, "Jobb-PC") {
		t.Errorf("after adding, the page says %q", got)
	}
	// The same device again: the browser refuses, and the page says why.
	p.typeInto("#passkey-name", "Igjen")
	p.press("#passkey-form button[type=submit]")
	p.wait("refused twice", `!document.querySelector('#passkey-form [role=alert]').hidden`)
	if n := p.str(`String(document.querySelectorAll('#passkey-list .row strong').length)`); n != "1" {
		t.Errorf("%s passkeys listed after adding one twice", n)
	}
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"laptop", laptopW, laptopH}, {"phone", 390, 844}} {
		p.run(chromedp.EmulateViewport(sz.w, sz.h))
		for _, lang := range []string{"nb", "da", "en"} {
			setLanguage(p, lang)
			p.eval(`document.querySelector('#passkeys').scrollIntoView(), true`, nil)
			if p.bool(`!document.querySelector('#passkey-form [role=alert]').hidden || document.querySelector('#passkeys-status').textContent !== ''`) {
				t.Errorf("%s %s: a message of the previous language stays", sz.name, lang)
			}
			p.shot(lang + "-passkeys-" + sz.name)
			noOverflow(t, p, "passkeys "+sz.name+" "+lang, "#passkeys, #passkeys button, #passkeys input, #passkey-list .row")
			if h := p.rect("#passkey-form button[type=submit]").h; h < 44 {
				t.Errorf("%s %s: the add button is %.0f px high", sz.name, lang, h)
			}
		}
	}
	p.run(chromedp.EmulateViewport(laptopW, laptopH))
	audit(t, p, axe, "/account with a passkey")

	// Sign out, and back in with the passkey alone.
	setLanguage(p, "nb")
	p.press("#account-bar .link-button")
	p.wait("signed out", `location.pathname === '/signin' && !document.querySelector('#passkey-box').hidden`)
	p.shot("nb-signin-with-passkey")
	audit(t, p, axe, "/signin with passkeys")
	p.open(base + "/signin?next=/plans")
	p.wait("passkey button", `!document.querySelector('#passkey-box').hidden`)
	p.press("#passkey-btn")
	p.wait("signed in by passkey", `location.pathname === '/plans' && document.querySelector('#account-bar .account-name')`)
	p.open(base + "/account")
	p.wait("session by passkey", `[...document.querySelectorAll('#sessions .row-facts')].some((el) => el.textContent.includes('passnøkkel'))`)
	p.wait("used", `[...document.querySelectorAll('#passkey-list .row-facts')].some((el) => el.textContent.includes('sist brukt'))`)
	p.wait("audit: added and signed in", `(() => { const t = document.querySelector('#audit-table') || document.querySelector('#audit'); return t && t.innerText.includes('Passnøkkel lagt til') && t.innerText.includes('med passnøkkel'); })()`)

	// Removed, it signs in no more (the device still has it).
	p.press(`#passkey-list button[aria-label*="Jobb-PC"]`)
	p.wait("removed", `document.querySelector('#passkey-list .row.empty')`)
	p.press("#account-bar .link-button")
	p.wait("signed out", `location.pathname === '/signin' && !document.querySelector('#passkey-box').hidden`)
	p.press("#passkey-btn")
	p.wait("refused", `!document.querySelector('#passkey-error').hidden`)
	if got := p.text("#passkey-error"); !strings.Contains(got, "ikke godtatt") {
		t.Errorf("a removed passkey: the page says %q", got)
	}
	if p.bool(`!!document.querySelector('#account-bar .account-name')`) {
		t.Error("signed in with a removed passkey")
	}

	// At an IP address over http, passkeys are not offered.
	ip := newPage(t, "by-ip", laptopW, laptopH)
	ip.open(byIP + "/signin")
	ip.wait("sign-in form", `!document.querySelector('#signin').hidden`)
	if ip.bool(`!document.querySelector('#passkey-box').hidden`) {
		t.Error("/signin at an IP address offers passkeys, which browsers refuse there")
	}
}
