package webtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

const toolsPlan = `id: web-tools
title: Verktøy
language: nb
duration: 10m
steps:
  - kind: scale
    title: Hvor trygg er du?
    min_label: Ikke trygg
    max_label: Helt trygg
  - kind: wordcloud
    title: Ett ord
    max_words: 2
  - kind: breakout
    title: Grupper
    group_size: 2
    prompts:
      - Hva gjør vi?
  - kind: actions
    title: Tiltak
    prompts:
      - Hva skal gjøres, av hvem, innen når?
`

// pressWhere clicks the button matching btn inside the first element
// matching row whose text contains s.
func (p *page) pressWhere(row, s, btn string) {
	p.t.Helper()
	p.wait(fmt.Sprintf("%s in %s %q", btn, row, s), fmt.Sprintf(`(() => { const r = [...document.querySelectorAll(%q)].find((e) => e.textContent.includes(%q)); const b = r && r.querySelector(%q); if (!b || b.disabled) return false; b.click(); return true; })()`, row, s, btn))
}

// TestFacilitatorTools covers the dashboard's tools beyond the pace:
// locking, scale and word cloud results on the big screen, moving and
// merging groups, actions and combining them, removing a participant and
// deleting the room's data.
func TestFacilitatorTools(t *testing.T) {
	startBrowser(t)
	in := server(t, map[string]string{"web-tools": toolsPlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-tools")
	t.Logf("screenshots: %s", shotsDir(t))

	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(room.FacilitatorURL)
	dash.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	big := newPage(t, "bigscreen", screenW, screenH)
	big.open(dash.str(`document.querySelector('#open-screen').href`))
	big.wait("big screen", `document.querySelector('#stage-title').textContent.length > 0`)
	var phones []*page
	for i, nick := range []string{"Anna", "Bo", "Cato", "Fjernes"} {
		phones = append(phones, phoneJoin(t, base, room.Code, fmt.Sprintf("phone%d", i+1), nick))
	}

	// Lock: a new phone is turned away with a clear message; unlock.
	dash.press(`button[data-fk="lock"]`)
	dash.wait("locked", `document.querySelector('#room-state').classList.contains('warn')`)
	big.wait("big screen says joining is closed", `!document.querySelector('#join-closed').hidden`)
	late := newPage(t, "late", phoneW, phoneH)
	late.open(base + "/j/" + room.Code)
	late.wait("join form", `!document.querySelector('#join').hidden`)
	late.click("#join-btn")
	late.wait("refused", `!document.querySelector('#join-error').hidden && document.querySelector('#join-error').textContent.length > 0`)
	late.shot("locked")
	dash.press(`button[data-fk="lock"]`)
	dash.wait("open again", `document.querySelector('#room-state').classList.contains('ok')`)

	// Scale: a distribution and the median on the big screen.
	for i, p := range phones {
		p.click(fmt.Sprintf("label[for=q0-%d]", []int{2, 4, 4, 5}[i]))
		p.click("form.answer button[type=submit]")
		p.wait("sent", `document.querySelector('form.answer .status.ok')`)
	}
	dash.click("#btn-reveal")
	big.wait("distribution", `document.querySelectorAll('#stage-results .dist-col').length === 5 && document.querySelector('#stage-results .median')`)
	big.shot("scale")

	// Word cloud.
	dash.click("#btn-next")
	for i, p := range phones {
		p.wait("word cloud", `document.querySelector('.step-wordcloud')`)
		p.typeInto("#q1-w0", []string{"Trygghet", "trygghet ", "Ansvar", "mot"}[i])
		p.click("form.answer button[type=submit]")
		p.wait("sent", `document.querySelector('form.answer .status.ok')`)
	}
	dash.click("#btn-reveal")
	big.wait("cloud", `document.querySelectorAll('#stage-results .cloud-word').length === 3`)
	if got := big.text("#stage-results .cloud"); !strings.Contains(got, "trygghet") {
		t.Errorf("cloud %q lacks the folded word", got)
	}
	big.shot("cloud")

	// Breakout: two pairs; move one person, then merge the groups.
	dash.click("#btn-next")
	dash.wait("two groups", `document.querySelectorAll('.group-card').length === 2`)
	first := dash.str(`document.querySelector('.group-card .member .person-name').textContent`)
	dash.eval(`(() => { const s = document.querySelector('.group-card .member select'); s.value = s.options[1].value; return true; })()`, nil)
	dash.press(`.group-card .member button`)
	dash.wait("groups of 1 and 3", `[...document.querySelectorAll('.group-card')].map((c) => c.querySelectorAll('.member').length).sort().join() === '1,3'`)
	dash.shot("moved")
	for _, id := range dash.strings(`[...document.querySelectorAll('.group-card input[type=checkbox]')].map((c) => c.id)`) {
		dash.press("#" + id)
	}
	dash.press(`button[data-fk="merge"]`)
	dash.wait("one group", `document.querySelectorAll('.group-card').length === 1`)
	for _, p := range phones {
		p.wait("in the merged group of 4", `document.querySelector('.group-info') && document.querySelector('.group-info').textContent.includes('4')`)
	}
	if !strings.Contains(dash.text("#groups"), first) {
		t.Errorf("%s vanished from the groups", first)
	}

	// Actions: one phone proposes two measures; the facilitator combines them.
	dash.click("#btn-next")
	a := phones[0]
	a.wait("actions", `document.querySelector('.own-action')`)
	a.typeInto(".own-action textarea", "Gå gjennom rutinen")
	a.typeInto(".own-action input[id$=-who]", "Rektor")
	a.typeInto(".own-action input[id$=-when]", "1. mars")
	a.click(".shared > button.secondary")
	a.wait("second measure", `document.querySelectorAll('.own-action').length === 2`)
	a.typeInto(".own-action:nth-of-type(2) textarea", "Gå gjennom rutinene våre")
	phones[1].wait("others see the measures", `document.querySelectorAll('.others .entry.action').length === 2`)
	phones[1].shot("actions")
	a.confirmWith(".submit-area button")
	a.wait("submitted", `document.querySelector('.shared .status.ok')`)
	dash.wait("two actions queued", `document.querySelectorAll('.q-item').length === 2`)
	for _, id := range dash.strings(`[...document.querySelectorAll('.q-item input[type=checkbox]')].map((c) => c.id)`) {
		dash.press("#" + id)
	}
	dash.press(`button[data-fk="combine"]`)
	dash.wait("one action left", `document.querySelectorAll('.q-item').length === 1`)
	dash.shot("combined")

	// Remove a participant: their phone says so.
	dash.pressWhere(".roster .person", "Fjernes", "button")
	dash.click("#confirm-ok")
	phones[3].wait("removed", `!document.querySelector('#notice').hidden`)
	phones[3].shot("removed")
	dash.wait("3 people", `document.querySelectorAll('.roster .person').length === 3`)

	// Delete the data now: every screen lets go of the room.
	dash.click("#delete-btn")
	dash.click("#confirm-ok")
	dash.wait("dashboard gone", `!document.querySelector('#gone').hidden`)
	phones[0].wait("phone told", `!document.querySelector('#notice').hidden`)
	big.wait("big screen told", `!document.querySelector('#gone').hidden`)
	if got := phones[0].str(`Object.keys(localStorage).filter((k) => k.includes(` + jsString(room.Code) + `)).join()`); got != "" {
		t.Errorf("the phone kept %s after the room was deleted", got)
	}
	dash.shot("deleted")
	phones[0].shot("deleted")
	big.shot("deleted")
}
