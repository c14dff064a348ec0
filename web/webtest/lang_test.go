package webtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// chooseLanguage picks a language in the page's language menu, as a person
// would with the keyboard or a tap.
func chooseLanguage(p *page, lang string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => { const s = document.querySelector('select.lang-select'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, lang), nil)
	p.wait("language "+lang, fmt.Sprintf(`document.documentElement.lang === %q`, lang))
}

// TestLanguages: the interface text follows the browser's language, can be
// switched between nb, da and en, and the choice is remembered; the plan's
// own text stays as written.
func TestLanguages(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-session": sessionPlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-session")

	// A Danish browser gets Danish without choosing.
	p := newPage(t, "phone", phoneW, phoneH)
	p.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (Linux; Android 14) Mobile", AcceptLanguage: "da-DK,da;q=0.9"})
		return err
	}))
	p.open(base + "/j/" + room.Code)
	p.wait("join form", `!document.querySelector('#join').hidden`)
	if got := p.text("#join-btn"); got != "Deltag" {
		t.Errorf("Danish browser: join button %q, want Deltag", got)
	}

	want := map[string]struct{ join, title, anonymous string }{
		"nb": {"Bli med", "Bli med", "Du er anonym"},
		"da": {"Deltag", "Deltag", "Du er anonym"},
		"en": {"Join", "Join the session", "You are anonymous"},
	}
	for _, lang := range []string{"nb", "en", "da"} {
		chooseLanguage(p, lang)
		if got := p.text("#join-btn"); got != want[lang].join {
			t.Errorf("%s: join button %q, want %q", lang, got, want[lang].join)
		}
		if got := p.text("#join-title"); got != want[lang].title {
			t.Errorf("%s: title %q, want %q", lang, got, want[lang].title)
		}
		p.shot("join-" + lang)
	}

	// The choice is remembered across a reload.
	chooseLanguage(p, "nb")
	p.run(chromedp.Reload())
	p.wait("reloaded in nb", `document.documentElement.lang === 'nb' && document.querySelector('#join-btn').textContent === 'Bli med'`)

	// In a session: interface text changes, the plan's text does not.
	p.click("#join-btn")
	p.wait("session", `!document.querySelector('#session').hidden`)
	for _, lang := range []string{"en", "da", "nb"} {
		chooseLanguage(p, lang)
		if got := p.text("#you-are"); got != want[lang].anonymous {
			t.Errorf("%s: %q, want %q", lang, got, want[lang].anonymous)
		}
		if got := p.text("#step-title"); got != "Velkommen" {
			t.Errorf("%s: the plan's title became %q", lang, got)
		}
	}

	// The dashboard switches too.
	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(room.FacilitatorURL)
	dash.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	for lang, next := range map[string]string{"nb": "Neste", "da": "Næste", "en": "Next"} {
		chooseLanguage(dash, lang)
		if got := dash.text("#btn-next"); got != next {
			t.Errorf("dashboard %s: next button %q, want %q", lang, got, next)
		}
		if got := dash.text("#step-list [aria-current] .step-kind"); got == "" {
			t.Errorf("dashboard %s: no kind label in the step list", lang)
		}
	}
	chooseLanguage(dash, "da")
	dash.shot("dashboard-da")
}
