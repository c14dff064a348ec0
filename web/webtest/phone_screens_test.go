package webtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// phoneLayoutCheck lists what does not fit a phone's width: the page
// scrolling sideways, a visible element wider than the screen, text under
// 14 px.
const phoneLayoutCheck = `(() => {
  const out = [];
  const se = document.scrollingElement;
  if (se.scrollWidth > innerWidth + 1) out.push('the page scrolls sideways: ' + se.scrollWidth + ' > ' + innerWidth);
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[hidden], .sr-only, dialog:not([open])')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const b = el.getBoundingClientRect();
    if (b.width < 1 || b.height < 1) continue;
    if (b.right > innerWidth + 1 || b.left < -1) out.push('wider than the screen: ' + el.tagName + '.' + el.className + ' ' + Math.round(b.left) + '..' + Math.round(b.right));
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (text && parseFloat(cs.fontSize) < 14) out.push('small text: ' + el.tagName + '.' + el.className + ' ' + cs.fontSize);
  }
  return out;
})()`

// TestScreensPhone walks a phone at 390x844 through every step kind of the
// worst-case plan in nb, da and en, with results revealed and texts on the
// big screen, and checks that nothing runs off the side; screenshots of
// each go to the screenshot folder.
func TestScreensPhone(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	plans := map[string]string{}
	for _, lang := range []string{"nb", "da", "en"} {
		plans["worst-"+lang] = worstPlan(lang)
	}
	in := server(t, plans)
	for _, lang := range []string{"nb", "da", "en"} {
		t.Run(lang, func(t *testing.T) {
			room := instancetest.CreateRoom(t, in, "worst-"+lang)
			d := &drive{t: t, ctx: instancetest.Ctx(t, 5*time.Minute), fac: instancetest.Facilitator(t, room, in)}
			phone := newPage(t, "phone-"+lang, 390, 844)
			phone.open(in.URL() + "/j/" + room.Code)
			phone.eval(fmt.Sprintf(`localStorage.setItem('sp.lang', %q)`, lang), nil)
			phone.open(in.URL() + "/j/" + room.Code)
			phone.wait("join form", `document.querySelector('#join-form') && !document.querySelector('#join').hidden`)
			phone.shot(lang + "-0-join")
			phone.click("#join-btn")
			phone.wait("session", `!document.querySelector('#session').hidden && document.querySelector('#step-title')`)
			for range 19 {
				d.phones = append(d.phones, instancetest.Participant(t, room.Code, in))
			}
			kinds := []string{"scenario", "poll", "scale", "wordcloud", "open", "breakout", "plenary", "info", "closing"}
			for i, kind := range kinds {
				if i > 0 {
					d.cmd(wire.TypeNext, map[string]int{"from": i - 1})
				}
				d.step = i
				phone.wait("step "+kind, fmt.Sprintf(`document.querySelector('.step-%s')`, kind))
				phone.shot(fmt.Sprintf("%s-%d-%s", lang, i+1, kind))
				switch kind {
				case "poll":
					d.answerAll(func(j int) map[string]any { return map[string]any{"choices": []int{j % 8}} })
				case "scale":
					d.answerAll(func(j int) map[string]any { return map[string]any{"value": 1 + j%10} })
				case "wordcloud":
					w := cloudWords()
					d.answerAll(func(j int) map[string]any { return map[string]any{"words": w[3*j : 3*j+3]} })
				case "open":
					d.answerAll(func(j int) map[string]any {
						return map[string]any{"text": fmt.Sprintf("Svar %d: ", j) + strings.Repeat("Vi må snakke sammen før vi ringer. ", 17)}
					})
					d.showAnswers(3)
				case "closing":
					d.answerAll(func(j int) map[string]any {
						return map[string]any{"text": "Ta det opp med lederen", "follow_up": []int{j % 3}}
					})
				}
				switch kind {
				case "poll", "scale", "wordcloud", "closing":
					d.cmd(wire.TypeReveal, nil)
					phone.wait("results", `!document.querySelector('.results').hidden`)
					phone.shot(fmt.Sprintf("%s-%d-%s-results", lang, i+1, kind))
				}
				var problems []string
				phone.eval(phoneLayoutCheck, &problems)
				for _, p := range problems {
					t.Errorf("%s step %s: %s", lang, kind, p)
				}
			}
		})
	}
}
