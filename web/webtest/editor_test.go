package webtest

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// onePixelPNG is a valid 1x1 PNG.
const onePixelPNG = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5b8d6e90000000049454e44ae426082"

// stepIndex finds a step in the editor's list by its title.
func stepIndex(p *page, title string) int {
	var i int
	p.eval(fmt.Sprintf(`[...document.querySelectorAll('#ed-steps li')].findIndex((li) => li.querySelector('.t').textContent === %q)`, title), &i)
	return i
}

// setField replaces a field's value as a person would (select all, type).
func setField(p *page, sel, value string) {
	p.t.Helper()
	p.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.select && el.select(); return true; })()`, sel), nil)
	p.run(chromedp.SendKeys(chromedp.CSS(sel), "\b", chromedp.NodeVisible))
	p.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = ''; return true; })()`, sel), nil)
	p.typeInto(sel, value)
}

// TestScreensPlanEditor: from the library, copy the built-in 45-minute
// plan, change a situation's text, add an image with alt text, add a poll
// with four options and a breakout step, reorder with the keyboard, see
// the problems as they come and go, save, reload, start a room from it,
// and run it with three phones: the image is on the phone and the big
// screen, the new poll and breakout work. The library and the editor are
// looked at in nb, da and en at 1366x768 and audited.
func TestScreensPlanEditor(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, nil)
	base := in.URL()

	lib := newPage(t, "library", 1366, 768)
	lib.open(base + "/plans")
	item := `#lib-list li[data-plan="avvergingsplikten-45"]`
	lib.wait("library", `document.querySelector('`+item+`')`)
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(lib, lang)
		lib.shot(lang + "-library")
	}
	audit(t, lib, axe, "plan library")
	// Search by language and length, then by title.
	lib.eval(`(() => { const s = document.querySelector('#lib-lang'); s.value = 'da'; s.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, nil)
	lib.wait("Danish plans only", `document.querySelectorAll('#lib-list li').length >= 1 && [...document.querySelectorAll('#lib-list .lib-title')].every((el) => el.lang === 'da')`)
	lib.eval(`(() => { const s = document.querySelector('#lib-length'); s.value = '45'; s.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, nil)
	lib.wait("no Danish plan of 45 minutes or less", `document.querySelectorAll('#lib-list li').length === 0 && /0/.test(document.querySelector('#lib-status').textContent)`)
	lib.eval(`(() => { for (const id of ['#lib-lang', '#lib-length']) { const s = document.querySelector(id); s.value = ''; s.dispatchEvent(new Event('input', {bubbles: true})); } return true; })()`, nil)
	setField(lib, "#lib-search", "avverging")
	lib.wait("filtered", `document.querySelectorAll('#lib-list li').length >= 1 && [...document.querySelectorAll('#lib-list li .lib-title')].every((el) => /avverging/i.test(el.textContent))`)
	lib.clickText(item+" button", "Make a copy")
	lib.wait("copy form", `document.querySelector('#copy-title')`)
	setField(lib, "#copy-title", "Avvergingsplikten hos oss")
	lib.press(".lib-copy button[type=submit]")
	lib.wait("editor", `location.pathname.endsWith('/edit') && document.querySelector('#ed-steps li')`)
	editURL := lib.str(`location.href`)
	p := lib

	// Change a situation's text.
	sit := p.str(`document.querySelector('#ed-steps li[data-kind=scenario] .t').textContent`)
	si := stepIndex(p, sit)
	p.press(fmt.Sprintf(`#ed-steps li[data-i="%d"] button`, si))
	p.wait("step form", `document.querySelector('#step-body')`)
	setField(p, "#step-body", "Ei elev i 8. klasse forteller at en venn blir slått hjemme.")
	// The preview shows the step as the big screen and a phone draw it,
	// and follows the typing.
	p.wait("preview of the step", `(() => { const s = document.querySelector('#pv-screen').contentDocument, f = document.querySelector('#pv-phone').contentDocument;
		return s && f && s.querySelector('#stage-title').textContent === `+jsString(sit)+` && s.querySelector('#stage-body').textContent.includes('slått hjemme')
			&& f.querySelector('#step-title') && f.querySelector('#step-title').textContent === `+jsString(sit)+` && f.querySelector('#step').textContent.includes('slått hjemme'); })()`)

	// An image with alt text: without the text it is a problem.
	img := filepath.Join(t.TempDir(), "situasjon.png")
	raw, _ := hex.DecodeString(onePixelPNG)
	if err := os.WriteFile(img, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	p.run(chromedp.SetUploadFiles(chromedp.CSS("#step-image-file"), []string{img}))
	p.wait("image set", `document.querySelector('#step-image').value.startsWith('/media/')`)
	p.wait("alt text missing", `[...document.querySelectorAll('#problems li')].some((li) => li.textContent.includes('Description of the image is needed.'))`)
	if p.str(`document.querySelector('#step-alt').getAttribute('aria-invalid')`) != "true" {
		t.Error("the missing alt text is not marked at its field")
	}
	p.typeInto("#step-alt", "En elev sitter alene ved vinduet i klasserommet")
	p.wait("no problems", `document.querySelector('#problems li.ok')`)

	// A poll with four options, after the situation.
	p.eval(`(() => { const s = document.querySelector('#add-kind'); s.value = 'poll'; return true; })()`, nil)
	p.press("#btn-add")
	p.wait("poll added", `document.querySelector('#step-kind').value === 'poll'`)
	setField(p, "#step-title", "Hva gjør du først?")
	setField(p, "#step-options", "Snakker med eleven\nVarsler rektor\nRinger barnevernet\nVet ikke")
	p.wait("the poll in the preview", `(() => { const f = document.querySelector('#pv-phone').contentDocument; return f && f.querySelector('#step-title').textContent === 'Hva gjør du først?' && f.querySelector('#step').textContent.includes('Ringer barnevernet'); })()`)
	// A breakout at the end, then moved up with the keyboard.
	last := p.str(`String(document.querySelectorAll('#ed-steps li').length - 1)`)
	p.press(`#ed-steps li[data-i="` + last + `"] button`)
	p.eval(`(() => { const s = document.querySelector('#add-kind'); s.value = 'breakout'; return true; })()`, nil)
	p.press("#btn-add")
	p.wait("breakout added", `document.querySelector('#step-kind').value === 'breakout'`)
	setField(p, "#step-title", "Snakk sammen om situasjonen")
	setField(p, "#step-group_size", "3")
	p.wait("a breakout needs a question", `document.querySelector('#ed-steps li.has-problem') && !document.querySelector('#step-prompts-error').hidden`)
	setField(p, "#step-prompts", "Hva ville dere gjort først?\nHvem ville dere spurt?")
	bi := stepIndex(p, "Snakk sammen om situasjonen")
	p.eval(fmt.Sprintf(`document.querySelector('#ed-steps li[data-i="%d"] button').focus()`, bi), nil)
	p.run(chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(kb.ModifierAlt)))
	p.wait("moved up", fmt.Sprintf(`document.querySelector('#ed-steps li[data-i="%d"] .t').textContent === 'Snakk sammen om situasjonen'`, bi-1))
	p.eval(`window.scrollTo(0, 0)`, nil)
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(p, lang)
		p.shot(lang + "-editor")
		if got := p.text("#save-status"); lang != "en" && strings.Contains(got, "not saved") {
			t.Errorf("%s: the save status is in English: %q", lang, got)
		}
	}
	setLanguage(p, "en")
	audit(t, p, axe, "plan editor")
	noOverflow(t, p, "editor", ".save-bar > *, .editor > *, .ed-field")

	// A problem comes and goes as one types.
	pi := stepIndex(p, "Hva gjør du først?")
	p.press(fmt.Sprintf(`#ed-steps li[data-i="%d"] button`, pi))
	setField(p, "#step-options", "Bare ett")
	p.wait("problem at the field", `!document.querySelector('#step-options-error').hidden && document.querySelector('#ed-steps li.has-problem')`)
	if got := p.text("#problems"); !strings.Contains(got, fmt.Sprintf("Step %d · Answer options", pi+1)) || !strings.Contains(got, "Answer options needs at least 2.") {
		t.Errorf("problems list: %q", got)
	}
	setLanguage(p, "nb")
	if got := p.text("#problems"); !strings.Contains(got, fmt.Sprintf("Steg %d · Svaralternativer", pi+1)) || !strings.Contains(got, "Svaralternativer trenger minst 2.") {
		t.Errorf("problems list in nb: %q", got)
	}
	p.shot("nb-editor-problem")
	setLanguage(p, "en")
	p.shot("en-editor-problem")
	setField(p, "#step-options", "Snakker med eleven\nVarsler rektor\nRinger barnevernet\nVet ikke")
	p.wait("fixed", `document.querySelector('#problems li.ok')`)

	p.press("#btn-save")
	p.wait("saved", `/version 2/.test(document.querySelector('#save-status').textContent)`)
	p.open(editURL)
	p.wait("reloaded", `document.querySelector('#ed-steps li') && [...document.querySelectorAll('#ed-steps .t')].some((el) => el.textContent === 'Hva gjør du først?')`)
	if stepIndex(p, "Snakk sammen om situasjonen") != bi-1 {
		t.Error("the reorder was not saved")
	}

	// What changed from version 1 to 2, step by step.
	p.wait("versions", `document.querySelector('#cmp-1') && document.querySelector('#cmp-2')`)
	p.press("#cmp-1")
	p.press("#cmp-2")
	p.press("#btn-compare")
	p.wait("comparison", `document.querySelector('#compare li')`)
	diff := p.text("#compare")
	for _, want := range []string{"From version 1 to version 2", fmt.Sprintf("Step %d · Text:", si+1), "added (“Hva gjør du først?”)", "Description of the image"} {
		if !strings.Contains(diff, want) {
			t.Errorf("the comparison lacks %q:\n%s", want, diff)
		}
	}
	p.shot("en-editor-compare")

	// Markup in a field stays text everywhere.
	const hostile = `<img src=x onerror="window.pwned=1">Vår plan<script>window.pwned=1</script>`
	setField(p, "#plan-title", hostile)
	p.press("#btn-save")
	p.wait("saved again", `/version 3/.test(document.querySelector('#save-status').textContent)`)
	for _, where := range []string{base + "/plans", base + "/plans/" + strings.Split(strings.TrimPrefix(editURL, base+"/plans/"), "/")[0] + "/try"} {
		p.open(where)
		p.wait("the title as text", `[...document.querySelectorAll('h1, h2')].some((el) => el.textContent.includes(`+jsString(hostile)+`))`)
		if p.bool(`window.pwned === 1 || !!document.querySelector('main img[src="x"], main script:not([src])')`) {
			t.Errorf("%s: markup in a plan's title became markup", where)
		}
	}
	p.open(editURL)
	p.wait("editor again", `document.querySelector('#ed-steps li')`)
	p.press(fmt.Sprintf(`#ed-steps li[data-i="%d"] button`, pi))
	setField(p, "#step-options", hostile+"\n<b>to</b>")
	p.wait("markup in the preview as text", `(() => { const f = document.querySelector('#pv-phone').contentDocument, s = document.querySelector('#pv-screen').contentDocument;
		return f && s && f.querySelector('#step').textContent.includes('<b>to</b>') && s.querySelector('#stage-body').textContent.includes('<b>to</b>'); })()`)
	if p.bool(`(() => { const docs = [document, document.querySelector('#pv-phone').contentDocument, document.querySelector('#pv-screen').contentDocument];
		return docs.some((d) => d.defaultView.pwned === 1 || d.querySelector('img[src="x"], main b, #stage b')); })()`) {
		t.Error("markup in a step's options became markup in a preview")
	}
	setField(p, "#step-options", "Snakker med eleven\nVarsler rektor\nRinger barnevernet\nVet ikke")
	p.wait("fixed again", `document.querySelector('#problems li.ok')`)

	// "Start a room" works from the library too, for any plan.
	starter := newPage(t, "library-start", 1366, 768)
	starter.open(base + "/plans")
	starter.wait("library", `document.querySelector('#lib-list li[data-plan="avvergingsplikten-45"]')`)
	starter.clickText(`#lib-list li[data-plan="avvergingsplikten-45"] button`, "Start a room")
	starter.wait("a dashboard", `location.pathname.startsWith('/f/') && document.querySelector('#room-code').textContent.length === 6`)

	// Start a room from it and run it with three phones.
	p.press("#btn-start")
	p.wait("dashboard", `location.pathname.startsWith('/f/') && document.querySelector('#room-code').textContent.length === 6`)
	code := p.text("#room-code")
	facURL, _ := url.Parse(p.str(`location.href`))
	screenURL := p.str(`document.querySelector('#open-screen').href`)
	phone := phoneJoin(t, base, code, "phone", "")
	ctx := instancetest.Ctx(t, 2*time.Minute)
	others := []*wsclient.Phone{instancetest.Participant(t, code, in), instancetest.Participant(t, code, in)}
	screen := newPage(t, "screen", 1280, 720)
	screen.open(screenURL)
	screen.wait("big screen", `document.querySelector('#join-code') && document.querySelector('#join-code').textContent === `+jsString(code))
	roomID := strings.TrimPrefix(facURL.Path, "/f/")
	fac := instancetest.Dial(t, wire.Hello{Role: wire.RoleFacilitator, Room: roomID, Key: dashboardKey(t, p, roomID)}, in)
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": si}); err != nil {
		t.Fatal(err)
	}
	phone.wait("the image on the phone", `document.querySelector('#step img') && document.querySelector('#step img').alt.includes('alene ved vinduet') && document.querySelector('#step img').complete && document.querySelector('#step img').naturalWidth === 1`)
	screen.wait("the image on the big screen", `document.querySelector('#stage-body img') && document.querySelector('#stage-body img').naturalWidth === 1`)
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": pi}); err != nil {
		t.Fatal(err)
	}
	phone.wait("the new poll", `document.querySelector('#step-title').textContent === 'Hva gjør du først?' && document.querySelectorAll('#step input[type=radio], #step button.option').length >= 4`)
	for i, o := range others {
		if _, err := o.Submit(ctx, wire.TypeAnswer, o.NextID(), map[string]any{"step": pi, "choices": []int{i}}); err != nil {
			t.Fatalf("a phone answers the new poll: %v", err)
		}
	}
	phone.clickText("#step button, #step label", "Varsler rektor")
	phone.clickText("#step button", "Send")
	phone.wait("answered", `/sent|Sent/.test(document.querySelector('#step').innerText)`)
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": bi - 1}); err != nil {
		t.Fatal(err)
	}
	phone.wait("in a group", `document.querySelector('#step-title').textContent === 'Snakk sammen om situasjonen' && document.querySelector('#step textarea')`)
}

// dashboardKey is the facilitator key the dashboard keeps for the room.
func dashboardKey(t *testing.T, p *page, roomID string) string {
	t.Helper()
	return p.str(`sessionStorage.getItem('sp.key.' + ` + jsString(roomID) + `) || ''`)
}

// TestPlanEditorByKeyboard builds a plan with every kind of step from an
// empty plan with the keyboard alone: typing, Enter, Tab, Alt+arrows and
// Ctrl+S, no pointer.
func TestPlanEditorByKeyboard(t *testing.T) {
	startBrowser(t)
	in := server(t, nil)
	p := newPage(t, "editor", 1366, 768)
	p.open(in.URL() + "/plans")
	p.wait("library", `document.querySelector('#new-title')`)
	p.run(chromedp.SendKeys("#new-title", "Alle stegtyper"+kb.Enter))
	p.wait("editor", `location.pathname.endsWith('/edit') && document.querySelector('#ed-steps li')`)
	kinds := []struct{ label, kind string }{{"Situation", "scenario"}, {"Poll", "poll"}, {"Scale", "scale"}, {"Open question", "open"},
		{"Word cloud", "wordcloud"}, {"Groups", "breakout"}, {"Plenary", "plenary"}, {"Actions", "actions"}, {"Closing", "closing"}}
	for _, k := range kinds {
		p.run(chromedp.SendKeys("#add-kind", k.label), chromedp.SendKeys("#btn-add", kb.Enter))
		p.wait(k.kind+" added", `document.querySelector('#step-kind') && document.querySelector('#step-kind').value === `+jsString(k.kind)+
			` && document.activeElement.id === 'step-title'`)
		switch k.kind {
		case "scale":
			p.run(chromedp.SendKeys("#step-min_label", "Ikke i det hele tatt"), chromedp.SendKeys("#step-max_label", "Helt"))
		case "breakout":
			p.run(chromedp.SendKeys("#step-prompts", "Hva ville dere gjort?"))
		case "closing":
			p.run(chromedp.SendKeys("#step-prompt", "Hva tar du med deg?"))
		}
	}
	// The closing step is last; move the situation (step 2) down once with
	// Alt+ArrowDown from its place in the list, and back with Alt+ArrowUp.
	p.run(chromedp.Focus(chromedp.CSS(`#ed-steps li[data-i="1"] button`)))
	p.run(chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(kb.ModifierAlt)))
	p.wait("moved down", `document.querySelector('#ed-steps li[data-i="2"]').dataset.kind === 'scenario' && document.activeElement.closest('li').dataset.i === '2'`)
	p.run(chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(kb.ModifierAlt)))
	p.wait("moved back", `document.querySelector('#ed-steps li[data-i="1"]').dataset.kind === 'scenario'`)
	p.wait("nothing to fix", `document.querySelector('#problems li.ok')`)
	p.run(chromedp.KeyEvent("s", chromedp.KeyModifiers(kb.ModifierCtrl)))
	p.wait("saved", `/Saved as version 2\./.test(document.querySelector('#save-status').textContent)`)
	// Ctrl+B makes the selected word bold, in Markdown.
	p.press(`#ed-steps li[data-i="0"] button`)
	p.run(chromedp.SendKeys("#step-body", "Viktig"))
	p.eval(`document.querySelector('#step-body').select()`, nil)
	p.run(chromedp.KeyEvent("b", chromedp.KeyModifiers(kb.ModifierCtrl)))
	p.wait("bold", `document.querySelector('#step-body').value === '**Viktig**'`)
	p.wait("bold in the preview", `(() => { const f = document.querySelector('#pv-phone').contentDocument; return f && f.querySelector('#step strong') && f.querySelector('#step strong').textContent === 'Viktig'; })()`)
	p.run(chromedp.KeyEvent("s", chromedp.KeyModifiers(kb.ModifierCtrl)))
	p.wait("saved again", `/Saved as version 3\./.test(document.querySelector('#save-status').textContent)`)

	// A YAML file goes into the editor as unsaved changes, keeping the id.
	yml := filepath.Join(t.TempDir(), "fra-fil.yaml")
	src := strings.Replace(instancetest.TestPlan, "title: Test plan", "title: Fra fila", 1)
	if err := os.WriteFile(yml, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p.run(chromedp.SetUploadFiles(chromedp.CSS("#yaml-file"), []string{yml}))
	p.wait("loaded", `document.querySelector('#plan-title').value === 'Fra fila' && /not saved/.test(document.querySelector('#save-status').textContent)`)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("title: [unclosed\n"), 0o600)
	p.run(chromedp.SetUploadFiles(chromedp.CSS("#yaml-file"), []string{bad}))
	p.wait("refused", `/not a plan/.test(document.querySelector('#yaml-status').textContent)`)
	p.run(chromedp.KeyEvent("s", chromedp.KeyModifiers(kb.ModifierCtrl)))
	p.wait("saved from the file", `/Saved as version 4\./.test(document.querySelector('#save-status').textContent)`)

	var got struct {
		Steps []struct{ Kind string }
	}
	getPlan := fmt.Sprintf(`fetch('/api/plans/' + %s).then((r) => r.json())`, jsString(p.str(`decodeURIComponent(location.pathname.split('/')[2])`)))
	p.eval(getPlan, &got)
	var have []string
	for _, s := range got.Steps {
		have = append(have, s.Kind)
	}
	if len(have) != 10 || have[0] != "info" || have[1] != "poll" {
		t.Errorf("saved steps (from the file): %v", have)
	}
}

// TestScreensTryAPlan: "Try it" shows a built-in plan as the big screen
// and a phone draw it, with no room, stepped with Next and the arrow keys.
func TestScreensTryAPlan(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, nil)
	for _, sz := range []struct {
		name string
		w, h int64
	}{{"laptop", 1366, 768}, {"projector", 1920, 1080}} {
		p := newPage(t, "try-"+sz.name, sz.w, sz.h)
		p.open(in.URL() + "/plans/avvergingsplikten-45/try")
		both := func(title string) string {
			return `(() => { const s = document.querySelector('#pv-screen').contentDocument, f = document.querySelector('#pv-phone').contentDocument;
				return s && f && s.querySelector('#stage-title') && s.querySelector('#stage-title').textContent === ` + jsString(title) +
				` && f.querySelector('#step-title') && f.querySelector('#step-title').textContent === ` + jsString(title) + `; })()`
		}
		p.wait("first step", both("Velkommen"))
		if !p.bool(`document.querySelector('#try-back').disabled`) {
			t.Error("Back is offered on the first step")
		}
		p.press("#try-next")
		second := p.str(`document.querySelector('#try-step').textContent.replace(/^.*?: /, '')`)
		p.wait("second step", both(second))
		p.run(chromedp.KeyEvent(kb.ArrowRight))
		third := p.str(`document.querySelector('#try-step').textContent.replace(/^.*?: /, '')`)
		p.wait("third step by the arrow key", both(third))
		for _, lang := range []string{"nb", "da", "en"} {
			setLanguage(p, lang)
			p.wait("the phone in "+lang, `document.querySelector('#pv-phone').contentDocument.documentElement.lang === `+jsString(lang))
			p.shot(lang + "-try-" + sz.name)
			if lang == "da" && !strings.HasPrefix(p.text("#try-title"), "Prøv:") {
				t.Errorf("the title is not in Danish: %q", p.text("#try-title"))
			}
		}
		noOverflow(t, p, "try "+sz.name, ".try-pace, .try-views, .bar > *")
		if sz.name == "laptop" {
			audit(t, p, axe, "try a plan")
		}
	}
}
