package webtest

import (
	"testing"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestScreensAccessibility takes screenshots of the accessibility
// statement and of the dashboard's warning that phones cannot join, on a
// phone (390x844) and a laptop (1366x768), in nb, da and en, for a person
// to look at (`make screens` writes them to bin/screens/). It checks what
// a screenshot would show wrong: nothing scrolls sideways, and the
// warning is on screen without scrolling.
func TestScreensAccessibility(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-session": sessionPlan},
		func(c *instance.Config) { c.Server.AccessibilityContact = "universell.utforming@kommune.example" })
	room := instancetest.CreateRoom(t, in, "web-session")
	sizes := []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"laptop", 1366, 768}}
	for _, sz := range sizes {
		doc := newPage(t, "statement-"+sz.name, sz.w, sz.h)
		doc.open(in.URL() + "/accessibility")
		doc.wait("statement", `!document.documentElement.classList.contains('loading') && !document.querySelector('#contact').hidden`)
		// The way there: an unobtrusive link at the foot of / and /new.
		for _, path := range []string{"/", "/new"} {
			doc.open(in.URL() + path)
			doc.wait("link to the statement", `!document.documentElement.classList.contains('loading') && document.querySelector('a[href="/accessibility"]').offsetParent !== null`)
			doc.eval(`(() => { document.querySelector('a[href="/accessibility"]').scrollIntoView({block: 'end'}); return true; })()`, nil)
			doc.shot("link-from-" + slug(path+"start"))
		}
		doc.open(in.URL() + "/accessibility")
		doc.wait("statement", `!document.documentElement.classList.contains('loading') && !document.querySelector('#contact').hidden`)
		dash := newPage(t, "dashboard-"+sz.name, sz.w, sz.h)
		dash.open(room.FacilitatorURL)
		dash.wait("warning", joinWarning+` !== ''`)
		for _, lang := range []string{"nb", "da", "en"} {
			chooseLanguage(doc, lang)
			doc.eval(`(() => { window.scrollTo(0, 0); return true; })()`, nil)
			doc.shot("statement-" + lang)
			doc.fullShot("statement-whole-" + lang)
			var over int
			doc.eval(`document.scrollingElement.scrollWidth - window.innerWidth`, &over)
			if over > 0 {
				t.Errorf("statement, %s, %s: %d px of sideways scrolling", sz.name, lang, over)
			}

			chooseLanguage(dash, lang)
			dash.eval(`(() => { window.scrollTo(0, 0); return true; })()`, nil)
			dash.shot("join-warning-" + lang)
			var bottom float64
			dash.eval(`document.querySelector('#join-warning').getBoundingClientRect().bottom`, &bottom)
			if bottom > float64(sz.h) {
				t.Errorf("dashboard, %s, %s: the join warning ends at %.0f px, below the first screen (%d px)", sz.name, lang, bottom, sz.h)
			}
			dash.eval(`document.scrollingElement.scrollWidth - window.innerWidth`, &over)
			if over > 0 {
				t.Errorf("dashboard, %s, %s: %d px of sideways scrolling", sz.name, lang, over)
			}
		}
	}
}
