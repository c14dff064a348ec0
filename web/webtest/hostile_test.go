package webtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// hostilePlan carries markup in every plain-text field a plan allows it in.
const hostilePlan = `id: web-hostile
title: "<img src=x onerror=window.__pwned=11> Fiendtlig plan"
language: nb
duration: 10m
steps:
  - kind: poll
    title: "<script>window.__pwned=12</script> Spørsmål"
    options: ["<img src=x onerror=window.__pwned=13>", "<b>Nei</b>"]
    notes: "Notat <img src=x onerror=window.__pwned=14>"
  - kind: breakout
    title: Grupper
    group_size: 2
    prompts:
      - "<script>window.__pwned=15</script> Hva tenker dere?"
`

const (
	evilNick1  = `<img src=x onerror="window.__pwned=1">`
	evilNick2  = `<script>window.__pwned=2</script>`
	evilReflex = `<img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script> **fet** [lenke](javascript:alert(1))`
)

// noMarkupRan checks that nothing of the hostile text became markup or ran.
func noMarkupRan(t *testing.T, p *page) {
	t.Helper()
	var bad struct {
		Pwned   bool `json:"pwned"`
		Images  int  `json:"images"`
		Scripts int  `json:"scripts"`
		Bold    int  `json:"bold"`
		JSLinks int  `json:"jsLinks"`
	}
	p.eval(`({
		pwned: typeof window.__pwned !== 'undefined',
		images: [...document.images].filter((i) => i.getAttribute('src') === 'x').length,
		scripts: [...document.scripts].filter((s) => !s.src).length,
		bold: document.querySelectorAll('b').length,
		jsLinks: [...document.links].filter((a) => a.protocol === 'javascript:').length,
	})`, &bad)
	if bad.Pwned || bad.Images > 0 || bad.Scripts > 0 || bad.Bold > 0 || bad.JSLinks > 0 {
		t.Errorf("%s: hostile text became markup: %+v", p.name, bad)
	}
}

// TestHostileText: nicknames, a reflection and plan text full of markup
// are shown as text on every screen, and nothing runs.
func TestHostileText(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-hostile": hostilePlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-hostile")

	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(room.FacilitatorURL)
	dash.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	big := newPage(t, "bigscreen", screenW, screenH)
	big.open(dash.str(`document.querySelector('#open-screen').href`))
	big.wait("big screen", `document.querySelector('#stage-title').textContent.includes('Spørsmål')`)
	p1 := phoneJoin(t, base, room.Code, "phone1", evilNick1)
	p2 := phoneJoin(t, base, room.Code, "phone2", evilNick2)

	// Names and plan text are text on the dashboard.
	dash.wait("both names in the roster", `document.querySelectorAll('.roster .person').length === 2`)
	names := dash.str(`[...document.querySelectorAll('.roster .person-name')].map((e) => e.textContent).join('|')`)
	for _, n := range []string{evilNick1, evilNick2} {
		if !strings.Contains(names, n) {
			t.Errorf("roster %q lacks the name %q as text", names, n)
		}
	}
	if got := dash.str(`document.querySelector('#room-title').textContent`); !strings.HasPrefix(got, "<img") {
		t.Errorf("room title shown as %q", got)
	}
	if got := p1.str(`[...document.querySelectorAll('.choice label')].map((e) => e.textContent).join('|')`); got != "<img src=x onerror=window.__pwned=13>|<b>Nei</b>" {
		t.Errorf("poll options on the phone: %q", got)
	}
	if got := p2.str(`document.querySelector('#you-are').textContent`); !strings.Contains(got, evilNick2) {
		t.Errorf("the phone shows its own name as %q", got)
	}

	// A reflection full of markup, through the queue onto the big screen.
	dash.click("#btn-next")
	p1.wait("breakout", `document.querySelector('.own-entry textarea')`)
	p1.typeInto(".own-entry textarea", evilReflex)
	p2.wait("the other phone sees it as text", fmt.Sprintf(`document.querySelector('.others').textContent.includes(%s)`, jsString(evilReflex)))
	p1.confirmWith(".submit-area button")
	p1.wait("submitted", `document.querySelector('.shared .status.ok')`)
	dash.wait("reflection queued", `document.querySelector('.q-item .q-text')`)
	if got := dash.str(`document.querySelector('.q-item .q-text').textContent`); got != evilReflex {
		t.Errorf("queue shows %q, want the text as written", got)
	}
	dash.press(`.q-item button[data-fk^="approve:"]`)
	dash.press(`button[data-fk="filter:approved"]`)
	dash.press(`.q-item button[data-fk^="show:"]`)
	big.wait("reflection on the big screen", fmt.Sprintf(`document.querySelector('#stage-items').textContent.includes(%s)`, jsString(evilReflex)))
	dash.wait("group members named as text", fmt.Sprintf(`document.querySelector('#groups').textContent.includes(%s)`, jsString(evilNick1)))
	for _, p := range []*page{dash, big, p1, p2} {
		p.shot("hostile")
		noMarkupRan(t, p)
	}
}
