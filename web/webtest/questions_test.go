package webtest

import (
	"fmt"
	"strings"
	"testing"
)

const questionBoxPlan = `id: qbox
title: Spørsmålskasse
language: nb
duration: 20m
questions: true
steps:
  - kind: info
    title: Velkommen
  - kind: open
    title: Hva gjør du først?
`

// TestScreensQuestionsAndTalk plays the question box and "I need to
// talk" as people would: a phone asks, two others vote for it once it is
// approved, the facilitator sorts by votes, marks it answered and shows it
// on the big screen; a phone says it needs to talk and only the
// facilitator's dashboard shows the message, with the code the phone
// sees. Screenshots of the phone's dialogs and the dashboard in nb, da and
// en go to the screenshot folder; axe audits both.
func TestScreensQuestionsAndTalk(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, map[string]string{"qbox": questionBoxPlan})
	base := in.URL()
	start := newPage(t, "new", laptopW, laptopH)
	start.open(base + "/new")
	start.wait("plans", `document.querySelector('#plan-qbox')`)
	start.click("#plan-qbox")
	start.click("#create-btn")
	start.wait("created", `!document.querySelector('#created').hidden`)
	code := start.text("#created-code")
	dash := newPage(t, "dashboard", 1366, 768)
	dash.open(start.str(`document.querySelector('#fac-link').value`))
	dash.wait("dashboard", `document.querySelector('#room-code').textContent === `+jsString(code))
	big := newPage(t, "bigscreen", 1920, 1080)
	big.open(dash.str(`document.querySelector('#open-screen').href`))
	big.wait("big screen", `document.querySelector('#stage-title').textContent === 'Velkommen'`)

	phones := make([]*page, 3)
	for i := range phones {
		p := newPage(t, fmt.Sprintf("phone%d", i+1), phoneW, phoneH)
		p.open(base + "/j/" + code)
		if i == 0 {
			p.typeInto("#nickname", "Kari")
		}
		p.click("#join-btn")
		p.wait("session", `!document.querySelector('#session').hidden && !document.querySelector('#btn-questions').hidden`)
		phones[i] = p
	}
	asker, voter1, voter2 := phones[0], phones[1], phones[2]
	const question = "Gjelder plikten også når jeg bare har en mistanke?"
	asker.click("#btn-questions")
	asker.wait("question box", `document.querySelector('#extras-dialog').open && document.querySelector('#question-text')`)
	asker.typeInto("#question-text", question)
	asker.click("#ask-btn")
	asker.wait("sent", `document.querySelector('#extras-dialog .status.ok') && document.querySelector('.q-own')`)

	dash.wait("question in the queue", `[...document.querySelectorAll('.q-item')].some((el) => el.innerText.includes(`+jsString(question)+`))`)
	if voter1.bool(`document.body.innerText.includes(` + jsString(question) + `)`) {
		t.Error("a question not approved reached another phone")
	}
	id := dash.str(`[...document.querySelectorAll('.q-item')].find((el) => el.innerText.includes(` + jsString(question) + `)).dataset.id`)
	dash.press(`[data-fk="approve:` + id + `"]`)
	for _, v := range []*page{voter1, voter2} {
		v.click("#btn-questions")
		v.wait("the approved question", `document.querySelector('#vote-`+id+`')`)
		v.click("#vote-" + id)
		v.wait("voted", `document.querySelector('#vote-`+id+`').getAttribute('aria-pressed') === 'true'`)
	}
	dash.wait("2 votes", `document.querySelector('.q-item[data-id="`+id+`"]').innerText.includes('2')`)
	asker.wait("the asker sees the votes", `document.querySelector('.q-own .q-state').textContent.includes('2')`)
	dash.press(`[data-fk="sort:votes"]`)
	dash.press(`[data-fk="answered:` + id + `"]`)
	dash.wait("answered", `document.querySelector('.q-item[data-id="`+id+`"] .badge.ok')`)
	voter1.wait("answered on the phone", `document.querySelector('.q-public.answered')`)
	dash.press(`[data-fk="show:` + id + `"]`)
	big.wait("question on the big screen", `document.querySelector('#stage-items').innerText.includes(`+jsString(question)+`)`)

	// I need to talk.
	const message = "Noe i dag minnet meg om noe hjemme"
	voter2.eval(`document.querySelector('#extras-dialog').close()`, nil)
	voter2.click("#btn-talk")
	voter2.wait("talk form", `document.querySelector('#talk-text')`)
	voter2.typeInto("#talk-text", message)
	voter2.click("#talk-btn")
	voter2.wait("code", `document.querySelector('.talk-code .code')`)
	talkCode := voter2.text(".talk-code .code")
	dash.wait("signal", `!document.querySelector('#signals-panel').hidden && document.querySelector('.signal[data-code="`+talkCode+`"]')`)
	if got := dash.text(`.signal[data-code="` + talkCode + `"]`); !strings.Contains(got, message) || strings.Contains(got, "Kari") {
		t.Errorf("the dashboard's signal: %q", got)
	}
	for _, p := range []*page{asker, voter1, big} {
		if p.bool(`document.body.innerText.includes(` + jsString(message) + `) || document.body.innerText.includes(` + jsString(talkCode) + `)`) {
			t.Errorf("%s shows the signal", p.name)
		}
	}
	dash.press(`[data-fk="handled:` + talkCode + `"]`)
	voter2.wait("handled", `document.querySelector('.talk-code').innerText.length > 0 && document.querySelector('.signal') === null && document.querySelector('.talk-code .hint')`)
	dash.wait("handled on the dashboard", `document.querySelector('.signal.handled')`)

	audit(t, voter2, axe, "phone: I need to talk")
	audit(t, dash, axe, "dashboard with a question and a signal")
	voter2.eval(`document.querySelector('#extras-dialog').close()`, nil)
	voter2.click("#btn-questions")
	voter2.wait("question box", `document.querySelector('#vote-`+id+`')`)
	audit(t, voter2, axe, "phone: the question box")
	for _, lang := range []string{"nb", "da", "en"} {
		for _, p := range []*page{dash, voter2, asker} {
			p.eval(fmt.Sprintf(`localStorage.setItem('sp.lang', %q)`, lang), nil)
		}
		setLanguage(dash, lang)
		dash.eval(`document.querySelector('#signals-panel').scrollIntoView()`, nil)
		dash.shot(lang + "-signals")
		for _, p := range []*page{voter2, asker} {
			p.eval(`document.querySelector('#extras-dialog').close()`, nil)
			setLanguage(p, lang)
			p.click("#btn-questions")
			p.wait("question box", `document.querySelector('#extras-dialog').open`)
			p.shot(lang + "-questions")
		}
		voter2.eval(`document.querySelector('#extras-dialog').close()`, nil)
		voter2.click("#btn-talk")
		voter2.wait("talk", `document.querySelector('#talk-text')`)
		voter2.shot(lang + "-talk")
		var problems []string
		voter2.eval(phoneLayoutCheck, &problems)
		for _, p := range problems {
			t.Errorf("%s talk dialog: %s", lang, p)
		}
	}
}
