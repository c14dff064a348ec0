package webtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/helpcard"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

func helpPlan(lang string) string {
	return fmt.Sprintf(`id: help-%[1]s
title: Hjelpekort
language: %[1]s
duration: 10m
steps:
  - kind: info
    title: Velkommen
  - kind: closing
    title: Hva tar du med deg?
    prompt: Skriv én ting du tar med deg.
    follow_up: [Gå gjennom rutinen, Mer opplæring, Ingenting]
    help: ["Bedriftshelsetjenesten: 22 00 00 00"]
`, lang)
}

// TestScreensHelpCard: the closing step shows the help card on a phone
// (each number a link to call) and on the big screen at 1920x1080 and
// 1280x720 without cutting anything, in nb (Norway's helplines), da
// (Denmark's) and en (the server's country, here Denmark); after the end
// it stays on both. Screenshots of each go to the screenshot folder.
func TestScreensHelpCard(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	plans := map[string]string{}
	for _, lang := range []string{"nb", "da", "en"} {
		plans["help-"+lang] = helpPlan(lang)
	}
	in := server(t, plans, func(c *instance.Config) { c.Hub.HelpCard = helpcard.Card{Country: helpcard.Denmark} })
	national := map[string]string{"nb": "116 006", "da": "1888", "en": "1888"}
	for _, lang := range []string{"nb", "da", "en"} {
		t.Run(lang, func(t *testing.T) {
			room := instancetest.CreateRoom(t, in, "help-"+lang)
			d := &drive{t: t, ctx: instancetest.Ctx(t, 2*time.Minute), fac: instancetest.Facilitator(t, room, in)}
			phone := newPage(t, "phone-"+lang, 390, 844)
			phone.open(in.URL() + "/j/" + room.Code)
			phone.eval(fmt.Sprintf(`localStorage.setItem('sp.lang', %q)`, lang), nil)
			phone.open(in.URL() + "/j/" + room.Code)
			phone.click("#join-btn")
			phone.wait("session", `!document.querySelector('#session').hidden`)
			screens := map[string]*page{}
			for _, size := range [][2]int64{{1920, 1080}, {1280, 720}} {
				name := fmt.Sprintf("screen-%s-%d", lang, size[0])
				p := newPage(t, name, size[0], size[1])
				p.open(in.URL() + "/p/" + room.Room + "#key=" + d.fac.Welcome().PresenterKey)
				p.wait("big screen", `document.querySelector('#stage-title').textContent === 'Velkommen'`)
				screens[name] = p
			}
			d.cmd(wire.TypeNext, map[string]int{"from": 0})
			phone.wait("help card", `document.querySelector('#session .help-card')`)
			card := phone.text("#session .help-card")
			for _, want := range []string{"22 00 00 00", "112", national[lang]} {
				if !strings.Contains(card, want) {
					t.Errorf("%s: the phone's help card lacks %s: %q", lang, want, card)
				}
			}
			if got := phone.str(fmt.Sprintf(`[...document.querySelectorAll('#session .help-card a')].map((a) => a.getAttribute('href')).find((h) => h === 'tel:%s') || ''`, strings.ReplaceAll(national[lang], " ", ""))); got == "" {
				t.Errorf("%s: %s is not a link to call", lang, national[lang])
			}
			var problems []string
			phone.eval(phoneLayoutCheck, &problems)
			for _, p := range problems {
				t.Errorf("%s phone: %s", lang, p)
			}
			phone.eval(`document.querySelector('#session .help-card').scrollIntoView()`, nil)
			phone.shot(lang + "-closing")
			audit(t, phone, axe, "phone with the help card")
			d.cmd(wire.TypeReveal, nil)
			for name, p := range screens {
				p.wait("help card", `document.querySelector('#stage .help-card')`)
				if got := p.text("#stage .help-card"); !strings.Contains(got, national[lang]) {
					t.Errorf("%s: the big screen's help card lacks %s: %q", name, national[lang], got)
				}
				p.eval(layoutCheck, &problems)
				for _, pr := range problems {
					t.Errorf("%s: %s", name, pr)
				}
				p.shot("closing")
			}

			d.cmd(wire.TypeEnd, nil)
			phone.wait("ended, with the card", `!document.querySelector('#notice').hidden && document.querySelector('#notice-help .help-card')`)
			phone.shot(lang + "-ended")
			for name, p := range screens {
				p.wait("ended, with the card", `document.body.classList.contains('ended') && document.querySelector('#stage .help-card')`)
				p.eval(layoutCheck, &problems)
				for _, pr := range problems {
					t.Errorf("%s after the end: %s", name, pr)
				}
				p.shot("ended")
			}
		})
	}
}
