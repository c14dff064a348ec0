package webtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// The projector sizes the big screen must fit, as measured: a 1080p
// projector, a 720p one, and an old 4:3 one.
var projectorSizes = [][2]int64{{1920, 1080}, {1280, 720}, {1024, 768}}

// layoutCheck runs in the page and lists what a person at the back of the
// room would not see: a visible element cut by the viewport or by a box
// that clips it, text smaller than 24 px at 1080p (in proportion on other
// screens), and a page that scrolls. Boxes are taken fragment by fragment
// (an element set in columns has one per column); a fragment entirely
// outside the box that clips it is on another page, not cut.
const layoutCheck = `(() => {
  const scale = Math.min(innerWidth / 1920, innerHeight / 1080);
  const minPx = 24 * scale - 0.6;
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const clipOf = (el) => {
    let c = { l: 0, t: 0, r: innerWidth, b: innerHeight };
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') {
        const r = a.getBoundingClientRect();
        c = { l: Math.max(c.l, r.left), t: Math.max(c.t, r.top), r: Math.min(c.r, r.right), b: Math.min(c.b, r.bottom) };
      }
    }
    return c;
  };
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('[hidden], .sr-only, script, style')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || cs.display === 'contents') continue;
    const c = clipOf(el);
    let shown = false;
    for (const b of el.getClientRects()) {
      if (b.width < 1 || b.height < 1) continue;
      if (b.right <= c.l + 1 || b.left >= c.r - 1 || b.bottom <= c.t + 1 || b.top >= c.b - 1) continue;
      shown = true;
      if (b.left < c.l - 1.5 || b.top < c.t - 1.5 || b.right > c.r + 1.5 || b.bottom > c.b + 1.5) {
        out.push('cut: ' + name(el) + ' ' + [b.left, b.top, b.right, b.bottom].map(Math.round).join(',') + ' in ' + [c.l, c.t, c.r, c.b].map(Math.round).join(','));
      }
    }
    if (!shown) continue;
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (text && parseFloat(cs.fontSize) < minPx) out.push('small: ' + name(el) + ' ' + cs.fontSize + ' < ' + minPx.toFixed(1) + 'px: ' + el.textContent.trim().slice(0, 40));
  }
  const se = document.scrollingElement;
  if (se.scrollHeight > innerHeight + 1 || se.scrollWidth > innerWidth + 1) out.push('the page scrolls: ' + se.scrollWidth + 'x' + se.scrollHeight);
  return out;
})()`

// worstPlan has a step of every kind with the longest content the big
// screen must still show in full.
func worstPlan(lang string) string {
	var words []string
	for i := 0; len(words) < 400; i++ {
		words = append(words, []string{"Marit", "ser", "at", "eleven", "virker", "redd", "når", "faren", "henter", "henne,", "og", "hun", "lurer", "på", "hva", "hun", "skal", "gjøre."}[i%18])
	}
	var para []string
	for i := 0; i < len(words); i += 80 {
		para = append(para, "      "+strings.Join(words[i:min(i+80, len(words))], " "))
	}
	option := func(i int) string {
		return fmt.Sprintf("%q", fmt.Sprintf("Alternativ %d: en lang formulering av et svar som går over flere linjer her", i))
	}
	var opts []string
	for i := 1; i <= 8; i++ {
		opts = append(opts, option(i))
	}
	title := strings.Repeat("Avvergingsplikten i praksis ", 5)[:120]
	return fmt.Sprintf(`id: worst-%[1]s
title: %[2]q
language: %[1]s
duration: 30m
steps:
  - kind: scenario
    title: %[2]q
    duration: 3m
    timer: auto
    body: |
%[3]s
  - kind: poll
    title: Hvilket av disse alternativene ligner mest på det du ville gjort?
    duration: 1m
    timer: auto
    options: [%[4]s]
  - kind: scale
    title: Hvor trygg er du?
    scale_min: 1
    scale_max: 10
    min_label: Ikke trygg i det hele tatt
    max_label: Helt trygg på hva jeg skal gjøre
  - kind: wordcloud
    title: Tre ord om dagen
    max_words: 3
    max_word_length: 14
  - kind: open
    title: Hva kan gjøre det lettere for oss å handle?
    max_length: 700
  - kind: breakout
    title: Drøft i gruppen
    duration: 10m
    timer: auto
    prompts: [Hva ville dere gjort først, og hvorfor?, Hvem ville dere rådført dere med?, Hva sier loven om plikten her?]
  - kind: plenary
    title: Det gruppene kom fram til
    layout: side-by-side
  - kind: info
    title: Tre ting å ta med seg
    body: |
      - Plikten gjelder alle.
      - Ta kontakt med politiet når du er i tvil.
      - Snakk med lederen din.
  - kind: closing
    title: Hva tar du med deg?
    prompt: Skriv én ting du tar med deg.
    follow_up: [Gå gjennom rutinen, Mer opplæring, Ingenting]
`, lang, title, strings.Join(para, "\n\n"), strings.Join(opts, ", "))
}

// cloudWords are 60 different words for a full word cloud.
func cloudWords() []string {
	var out []string
	for _, a := range []string{"trygg", "modig", "ansvar", "tillit", "omsorg", "plikt", "varsel", "politi", "leder", "rutine", "barn", "familie"} {
		for _, b := range []string{"het", "else", "skap", "lig", "dom"} {
			out = append(out, a+b)
		}
	}
	return out[:60]
}

// drive is a facilitator and 20 participants over real websockets.
type drive struct {
	t      *testing.T
	ctx    context.Context
	fac    *wsclient.Phone
	phones []*wsclient.Phone
	step   int
}

func (d *drive) cmd(typ string, data any) {
	d.t.Helper()
	if _, err := d.fac.Command(d.ctx, typ, data); err != nil {
		d.t.Fatalf("%s: %v", typ, err)
	}
}

func (d *drive) answerAll(data func(i int) map[string]any) {
	d.t.Helper()
	for i, p := range d.phones {
		a := data(i)
		if a == nil {
			continue
		}
		a["step"] = d.step
		if _, err := p.Submit(d.ctx, wire.TypeAnswer, p.NextID(), a); err != nil {
			d.t.Fatalf("answer %d on step %d: %v", i, d.step, err)
		}
	}
}

// showAnswers approves the queue items of the current step and shows n of
// them side by side.
func (d *drive) showAnswers(n int) []string {
	d.t.Helper()
	var ids, texts []string
	for len(d.items()) < n {
		if d.ctx.Err() != nil {
			d.t.Fatalf("step %d: waited for %d queue items, have %d", d.step, n, len(d.items()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, f := range d.fac.Frames() {
		var it struct {
			ID   string `json:"id"`
			Step int    `json:"step"`
			Text string `json:"text"`
		}
		if f.Type != wire.TypeItem || f.Decode(&it) != nil || it.Step != d.step || contains(ids, it.ID) {
			continue
		}
		ids = append(ids, it.ID)
		texts = append(texts, it.Text)
	}
	if len(ids) < n {
		d.t.Fatalf("step %d has %d queue items, want %d", d.step, len(ids), n)
	}
	for _, id := range ids[:n] {
		d.cmd(wire.TypeModerate, map[string]string{"item": id, "status": "approved"})
	}
	d.cmd(wire.TypeShow, map[string]any{"items": ids[:n], "layout": "side-by-side"})
	return texts[:n]
}

// items lists the ids of the current step's queue items the facilitator
// has been sent.
func (d *drive) items() []string {
	var ids []string
	for _, f := range d.fac.Frames() {
		var it struct {
			ID   string `json:"id"`
			Step int    `json:"step"`
		}
		if f.Type == wire.TypeItem && f.Decode(&it) == nil && it.Step == d.step && !contains(ids, it.ID) {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestScreensProjectorFits runs a session of worst-case content in nb, da
// and en, and at every step measures the big screen at 1920x1080,
// 1280x720 and 1024x768: nothing visible is cut, no text is under 24 px at
// 1080p, the page does not scroll, the step's title is up and nothing of an
// earlier step; and it is audited for contrast. Screenshots of each go to
// the screenshot folder.
func TestScreensProjectorFits(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	plans := map[string]string{}
	for _, lang := range []string{"nb", "da", "en"} {
		plans["worst-"+lang] = worstPlan(lang)
	}
	in := server(t, plans)
	for _, lang := range []string{"nb", "da", "en"} {
		t.Run(lang, func(t *testing.T) {
			room := instancetest.CreateRoom(t, in, "worst-"+lang)
			d := &drive{t: t, ctx: instancetest.Ctx(t, 5*time.Minute), fac: instancetest.Facilitator(t, room, in)}
			screen := newPage(t, "projector-"+lang, 1920, 1080)
			screen.open(in.URL() + "/p/" + room.Room + "#key=" + d.fac.Welcome().PresenterKey)
			screen.wait("big screen", `document.querySelector('#stage-title').textContent.length > 0`)
			measure := func(phase string) {
				t.Helper()
				for _, sz := range projectorSizes {
					screen.run(chromedp.EmulateViewport(sz[0], sz[1]))
					// The fit runs on resize; give it a frame.
					screen.eval(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, nil)
					var problems []string
					screen.eval(layoutCheck, &problems)
					for _, p := range problems {
						t.Errorf("%s at %dx%d: %s", phase, sz[0], sz[1], p)
					}
					screen.shot(fmt.Sprintf("%s-%dx%d", phase, sz[0], sz[1]))
				}
				screen.run(chromedp.EmulateViewport(1920, 1080))
			}
			measure("join")
			for range 20 {
				d.phones = append(d.phones, instancetest.Participant(t, room.Code, in))
			}
			screen.wait("join strip", `document.querySelector('#main').dataset.join === 'small'`)

			var earlier []string // texts shown on earlier steps
			steps := []struct {
				title string
				act   func()
			}{
				{"scenario", func() {}},
				{"poll", func() {
					d.answerAll(func(i int) map[string]any { return map[string]any{"choices": []int{i % 8}} })
					d.cmd(wire.TypeReveal, nil)
				}},
				{"scale", func() {
					d.answerAll(func(i int) map[string]any { return map[string]any{"value": 1 + i%10} })
					d.cmd(wire.TypeReveal, nil)
				}},
				{"wordcloud", func() {
					w := cloudWords()
					d.answerAll(func(i int) map[string]any { return map[string]any{"words": w[3*i : 3*i+3]} })
					d.cmd(wire.TypeReveal, nil)
				}},
				{"open", func() {
					d.answerAll(func(i int) map[string]any {
						if i >= 6 {
							return nil
						}
						return map[string]any{"text": fmt.Sprintf("Svar %d fra rom %s: ", i, lang) + strings.Repeat("Vi må snakke sammen før vi ringer. ", 17)}
					})
					earlier = append(earlier, d.showAnswers(6)...)
				}},
				{"breakout", func() {}},
				{"plenary", func() {}},
				{"info", func() {}},
				{"closing", func() {
					d.answerAll(func(i int) map[string]any {
						return map[string]any{"text": "Ta det opp med lederen", "follow_up": []int{i % 3}}
					})
					d.cmd(wire.TypeReveal, nil)
				}},
			}
			for i, st := range steps {
				if i > 0 {
					d.cmd(wire.TypeNext, map[string]int{"from": i - 1})
				}
				d.step = i
				screen.wait("step "+st.title, fmt.Sprintf(`document.querySelector('#stage-kicker').textContent.includes('%d')`, i+1))
				st.act()
				if st.title == "open" {
					screen.wait("items up", `document.querySelectorAll('.big-item').length === 6`)
				} else if i > 0 && steps[i-1].title == "open" {
					screen.wait("items gone", `document.querySelectorAll('.big-item').length === 0`)
				}
				if st.title == "wordcloud" {
					screen.wait("cloud", `document.querySelectorAll('.cloud-word').length === 60`)
				}
				// Nothing shown on an earlier step is up any more.
				if st.title != "open" {
					text := screen.text("body")
					for _, e := range earlier {
						if strings.Contains(text, e[:40]) {
							t.Errorf("step %s: the big screen still shows %q from an earlier step", st.title, e[:40])
						}
					}
				}
				measure(fmt.Sprintf("%s-%d-%s", lang, i+1, st.title))
				if i == 0 {
					audit(t, screen, axe, "big screen "+lang)
				}
			}
			d.cmd(wire.TypeEnd, nil)
			screen.wait("ended", `document.body.classList.contains('ended')`)
			if screen.str(`document.querySelector('#screen-timer').hidden ? '' : 'shown'`) != "" {
				t.Error("a timer is shown after the end")
			}
			measure(lang + "-end")
		})
	}
}
