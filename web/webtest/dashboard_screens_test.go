package webtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// dashPlan has a step of each kind the dashboard treats differently, under
// the longest title of the built-in plans.
func dashPlan(lang string) string {
	return fmt.Sprintf(`id: dash-%[1]s
title: "Overgreb mod børn og unge – forebyggelse, opsporing og håndtering"
language: %[1]s
duration: 30m
steps:
  - kind: scenario
    title: Situasjonen
    duration: 3m
    timer: auto
    body: Marit ser at eleven virker redd når faren henter henne.
  - kind: poll
    title: Hva ville du gjort først?
    options: [Snakket med eleven, Snakket med lederen, Ringt politiet]
  - kind: open
    title: Hva kan gjøre det lettere å handle?
  - kind: breakout
    title: Drøft i gruppen
    duration: 10m
    timer: auto
    prompts: [Hva ville dere gjort først?]
  - kind: actions
    title: Tiltak
  - kind: closing
    title: Hva tar du med deg?
    prompt: Skriv én ting du tar med deg.
`, lang)
}

// dashLayoutCheck lists what is wrong with the dashboard at its size: the
// page scrolling sideways, a header on more than one line, the room's title
// cut, a control outside the viewport's width.
const dashLayoutCheck = `(() => {
  const out = [];
  const se = document.scrollingElement;
  if (se.scrollWidth > innerWidth + 1) out.push('the page scrolls sideways: ' + se.scrollWidth);
  const bar = document.querySelector('.dash-bar');
  const kids = [...bar.children].filter((el) => getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0);
  const rs = kids.map((el) => el.getBoundingClientRect());
  if (Math.max(...rs.map((r) => r.top)) >= Math.min(...rs.map((r) => r.bottom))) out.push('the header wraps: ' + kids.map((el, i) => el.className + '@' + Math.round(rs[i].top) + '-' + Math.round(rs[i].bottom)).join(' '));
  const title = document.querySelector('#room-title');
  if (title.scrollWidth > title.clientWidth + 1) out.push('the room title is cut: ' + title.scrollWidth + ' > ' + title.clientWidth);
  for (const el of document.querySelectorAll('#main button, #main a, #main input, #main select, header button, header a, header select')) {
    const b = el.getBoundingClientRect();
    if (b.width && (b.right > innerWidth + 1 || b.left < -1)) out.push('outside: ' + (el.id || el.className || el.tagName));
  }
  return out;
})()`

// inView is true when the element's box is wholly inside the viewport and
// it is the element found at its centre (nothing covers it).
func inView(sel string) string {
	return fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false;
  const b = el.getBoundingClientRect();
  if (b.top < 0 || b.left < 0 || b.bottom > innerHeight || b.right > innerWidth || !b.width) return false;
  const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
  return !!at && (at === el || el.contains(at)); })()`, sel)
}

// frameText is the text of an element inside one of the dashboard's
// miniatures.
func frameText(frame, sel string) string {
	return fmt.Sprintf(`(() => { const f = document.querySelector('#%s iframe'); const d = f && f.contentDocument;
  const el = d && d.querySelector(%q); return el ? el.textContent.trim() : ''; })()`, frame, sel)
}

// TestScreensDashboard runs a session from the dashboard at 1366x768 in nb,
// da and en: at every step the header stays on one line with the whole
// room title, the miniatures of the big screen and a phone show that step,
// the pace controls stay in view with a long moderation column, approving
// an item puts "show on big screen" where "approve" was, a pin stays on the
// big screen across steps, an actions step asks to submit the group's
// actions, a closing without follow-up choices offers no results, and after
// the end no timer shows and the controls that would do nothing are off.
// Screenshots of each step go to the screenshot folder.
func TestScreensDashboard(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	plans := map[string]string{}
	for _, lang := range []string{"nb", "da", "en"} {
		plans["dash-"+lang] = dashPlan(lang)
	}
	axe := loadAxe(t)
	in := server(t, plans)
	titles := []string{"Situasjonen", "Hva ville du gjort først?", "Hva kan gjøre det lettere å handle?", "Drøft i gruppen", "Tiltak", "Hva tar du med deg?"}
	submitActions := map[string]string{"nb": "Lever gruppens tiltak", "da": "Aflevér gruppens tiltag", "en": "Submit the group’s actions"}
	for _, lang := range []string{"nb", "da", "en"} {
		t.Run(lang, func(t *testing.T) {
			ctx := instancetest.Ctx(t, 5*time.Minute)
			room := instancetest.CreateRoom(t, in, "dash-"+lang)
			dash := newPage(t, "dashboard-"+lang, 1366, 768)
			dash.open(in.URL() + "/f/" + room.Room + "#key=" + room.Key)
			dash.wait("dashboard", `document.querySelector('#current-title').textContent === 'Situasjonen'`)
			setLanguage(dash, lang)
			phone := newPage(t, "phone-"+lang, phoneW, phoneH)
			phone.open(in.URL() + "/j/" + room.Code)
			phone.eval(fmt.Sprintf(`localStorage.setItem('sp.lang', %q)`, lang), nil)
			phone.open(in.URL() + "/j/" + room.Code)
			phone.click("#join-btn")
			phone.wait("session", `!document.querySelector('#session').hidden`)
			var phones []*wsclient.Phone
			for range 23 {
				phones = append(phones, instancetest.Participant(t, room.Code, in))
			}
			dash.wait("24 participants", `document.querySelector('#participants').textContent.includes('24')`)

			for i, title := range titles {
				if i > 0 {
					dash.press("#btn-next")
				}
				dash.wait("step "+title, fmt.Sprintf(`document.querySelector('#current-title').textContent === %q`, title))
				dash.wait("miniature of the big screen", fmt.Sprintf(`%s === %q`, frameText("mini-screen", "#stage-title"), title))
				dash.wait("miniature of a phone", fmt.Sprintf(`%s === %q`, frameText("mini-phone", "#step-title"), title))
				switch i {
				case 0: // the timer starts by itself
					dash.wait("timer runs", `!document.querySelector('#timer-control').hidden && document.querySelector('#btn-timer').textContent.length > 0`)
				case 2:
					checkModeration(t, dash, ctx, phones, lang)
				case 3: // the pin stays on the next step, until cleared
					dash.wait("pin on the next step", frameText("mini-screen", "#stage-items .item-text")+`.startsWith('Svar')`)
					dash.shot(fmt.Sprintf("%s-%d-pinned", lang, i+1))
					dash.press(`[data-fk="clear-screen"]`)
					dash.wait("pin cleared", frameText("mini-screen", "#stage-items .item-text")+` === ''`)
				case 4:
					phone.wait("actions step", `document.querySelector('.step-actions')`)
					phone.wait("submit the actions", fmt.Sprintf(`[...document.querySelectorAll('#session button')].some((b) => b.textContent === %q)`, submitActions[lang]))
					phone.shot(lang + "-actions")
				case 5:
					dash.wait("closing", `document.querySelector('#current-title').textContent === 'Hva tar du med deg?'`)
					if !dash.bool(`document.querySelector('#reveal-control').hidden && document.querySelector('#results-box').hidden`) {
						t.Errorf("%s: a closing without follow-up choices offers results", lang)
					}
				}
				var problems []string
				dash.eval(dashLayoutCheck, &problems)
				for _, p := range problems {
					t.Errorf("%s step %d: %s", lang, i+1, p)
				}
				dash.shot(fmt.Sprintf("%s-%d", lang, i+1))
				if i == 2 || i == 4 {
					audit(t, dash, axe, fmt.Sprintf("dashboard %s step %d", lang, i+1))
				}
			}

			// The end: no timer anywhere, nothing that would do nothing.
			dash.press("#end-btn")
			dash.press("#confirm-ok")
			dash.wait("ended", `document.querySelector('#room-state').classList.contains('danger')`)
			dash.wait("no timer", `document.querySelector('#timer-control').hidden`)
			live := dash.strings(`[...document.querySelectorAll('#main button, #main input, #main select')]
  .filter((el) => !el.disabled && el.offsetParent !== null)
  .filter((el) => !el.closest('.filters, .shortcuts, .formats, .copy-row, #room-tools .tool:nth-child(3)') && !['delete-btn', 'include-all', 'export-btn', 'report-page-btn'].includes(el.id) && !(el.dataset.fk || '').startsWith('sel:') && el.dataset.fk !== 'unselect')
  .map((el) => el.id || el.dataset.fk || el.textContent)`)
			if len(live) > 0 {
				t.Errorf("%s: after the end these controls still act: %v", lang, live)
			}
			dash.wait("big screen ended", frameText("mini-screen", "#stage-title")+` !== 'Hva tar du med deg?'`)
			if got := dash.str(`(() => { const d = document.querySelector('#mini-screen iframe').contentDocument; const el = d.querySelector('#screen-timer'); return el && !el.hidden && el.offsetParent !== null ? el.textContent : ''; })()`); got != "" {
				t.Errorf("%s: the big screen shows a timer after the end: %q", lang, got)
			}
			dash.shot(lang + "-ended")
		})
	}
}

// checkModeration fills the queue, then checks that the pace stays in
// view when the page is scrolled to its end, that approving keeps the
// item's place, and that a pin stays on the big screen on the next step.
func checkModeration(t *testing.T, dash *page, ctx context.Context, phones []*wsclient.Phone, lang string) {
	t.Helper()
	for i, p := range phones {
		text := fmt.Sprintf("Svar %d: ", i+1) + strings.Repeat("Vi må snakke sammen før vi ringer. ", 4)
		if _, err := p.Submit(ctx, wire.TypeAnswer, p.NextID(), map[string]any{"step": 2, "text": text}); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
	}
	dash.wait("queue", `document.querySelectorAll('.q-item').length === 23`)
	dash.eval(`scrollTo(0, document.scrollingElement.scrollHeight)`, nil)
	dash.wait("scrolled", `scrollY > 200`)
	for _, sel := range []string{"#btn-next", "#btn-back"} {
		if !dash.bool(inView(sel)) {
			t.Errorf("%s: %s is out of view with the queue scrolled to its end", lang, sel)
		}
	}
	dash.shot(lang + "-3-scrolled")
	dash.eval(`scrollTo(0, 0)`, nil)

	id := dash.str(`document.querySelector('.q-item').dataset.id`)
	before := dash.rect(`[data-fk="approve:` + id + `"]`)
	dash.press(`[data-fk="approve:` + id + `"]`)
	dash.wait("show in its place", `document.querySelector('[data-fk="show:`+id+`"]')`)
	after := dash.rect(`[data-fk="show:` + id + `"]`)
	if d := before.x - after.x; d > 2 || d < -2 || before.y-after.y > 2 || after.y-before.y > 2 {
		t.Errorf("%s: approve at %+v, show on big screen at %+v", lang, before, after)
	}
	dash.press(`[data-fk="show:` + id + `"]`)
	dash.wait("on the big screen", frameText("mini-screen", "#stage-items .item-text")+`.startsWith('Svar')`)
	dash.press("#pin-screen")
	dash.wait("pinned", `!document.querySelector('#pin-screen') && document.querySelector('.screen-box')`)
}

// box is an element's place on the page and its size, in CSS pixels.
type box struct{ x, y, w, h float64 }

// rect is where an element is on the page (scroll included), and its size.
func (p *page) rect(sel string) box {
	p.t.Helper()
	var b box
	var r []float64
	p.eval(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; })()`, sel), &r)
	if len(r) == 4 {
		b = box{r[0], r[1], r[2], r[3]}
	}
	return b
}

// bool evaluates a JavaScript condition.
func (p *page) bool(expr string) bool {
	p.t.Helper()
	var ok bool
	p.eval("!!("+expr+")", &ok)
	return ok
}
