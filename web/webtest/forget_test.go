package webtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestScreensForgetTexts: after the end, the dashboard offers to forget
// the texts only once the report was downloaded; forgetting asks first,
// then the queue is empty, the tools say only the report is kept, and the
// report has the approved text and not the others. Screenshots of the
// tools in nb, da and en go to the screenshot folder.
func TestScreensForgetTexts(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"test-plan": instancetest.TestPlan})
	r := instancetest.CreateRoom(t, in, "test-plan")
	ctx := instancetest.Ctx(t, 2*time.Minute)
	fac := instancetest.Facilitator(t, r, in)
	dash := newPage(t, "dashboard", 1366, 768)
	allowDownloads(dash, t.TempDir())
	dash.open(in.URL() + "/f/" + r.Room + "#key=" + r.Key)
	dash.wait("dashboard", `document.querySelector('#room-code').textContent === `+jsString(r.Code))
	texts := []string{"Approved: call the duty officer", "Pending: a name I should not write", "Pending too: another one"}
	var phones []*wsclient.Phone
	for range texts {
		phones = append(phones, instancetest.Participant(t, r.Code, in))
	}
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": 3}); err != nil {
		t.Fatal(err)
	}
	for i, p := range phones {
		instancetest.AnswerOn(t, ctx, p, 3, texts[i])
	}
	dash.wait("queue", `document.querySelectorAll('.q-item').length === 3`)
	dash.press(fmt.Sprintf(`.q-item[data-id="%s"] [data-fk^="approve:"]`, dash.str(`[...document.querySelectorAll('.q-item')].find((el) => el.innerText.includes('Approved:')).dataset.id`)))
	dash.wait("approved", `document.querySelector('.q-item[data-status="approved"]')`)
	dash.press("#end-btn")
	dash.press("#confirm-ok")
	dash.wait("ended", `!document.querySelector('#forget-btn').hidden`)
	if !dash.bool(`document.querySelector('#forget-btn').disabled`) {
		t.Error("the texts can be forgotten before the report was taken")
	}
	dash.press("#export-btn")
	dash.wait("forget offered", `!document.querySelector('#forget-btn').disabled`)
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(dash, lang)
		dash.eval(`document.querySelector('#forget-btn').scrollIntoView({block: 'center'})`, nil)
		dash.shot(lang + "-forget-offered")
	}
	dash.press("#forget-btn")
	dash.press("#confirm-ok")
	dash.wait("forgotten", `document.querySelector('#forget-hint').textContent.includes('only the report') || document.querySelector('#forget-hint').textContent.includes('Only the report')`)
	dash.wait("queue emptied", `document.querySelectorAll('.q-item').length === 0 && document.querySelector('#forget-btn').disabled`)
	dash.eval(`document.querySelector('#forget-btn').scrollIntoView({block: 'center'})`, nil)
	dash.shot("en-forgotten")
	rep := report(t, in.URL(), r, "json")
	if !strings.Contains(rep, texts[0]) || strings.Contains(rep, texts[1]) || strings.Contains(rep, texts[2]) {
		t.Errorf("the kept report: %s", rep)
	}
}

// TestScreensForgetAfterReport: a room created on /new with "forget the
// texts after the report" asks to forget them as soon as its ended
// session's report is downloaded, and forgets them when the facilitator
// agrees.
func TestScreensForgetAfterReport(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"test-plan": instancetest.TestPlan})
	p := newPage(t, "new", 1366, 768)
	allowDownloads(p, t.TempDir())
	p.open(in.URL() + "/new")
	p.wait("plans", `document.querySelector('#plan-test-plan')`)
	p.click("#plan-test-plan")
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(p, lang)
		p.eval(`document.querySelector('#forget-after').scrollIntoView({block: 'center'})`, nil)
		p.shot(lang + "-forget-after-setting")
	}
	// The hint starts where the label starts, and the button keeps its
	// distance from it.
	var box struct{ Check, Indent, Gap float64 }
	p.eval(`(() => { const r = (s) => document.querySelector(s).getBoundingClientRect();
		return {Check: r('#forget-after').height, Indent: r('#forget-after-hint').left - r('label[for=forget-after]').left,
			Gap: r('#create-btn').top - r('#forget-after-hint').bottom}; })()`, &box)
	if box.Check < 20 || box.Indent < -2 || box.Indent > 2 || box.Gap < 12 {
		t.Errorf("the setting: check box %.0f px, hint %.0f px off its label, button %.0f px under the hint", box.Check, box.Indent, box.Gap)
	}
	p.click("#forget-after")
	p.click("#create-btn")
	p.wait("created", `!document.querySelector('#created').hidden`)
	link := p.str(`document.querySelector('#fac-link').value`)
	code := p.text("#created-code")
	instancetest.Participant(t, code, in)
	p.open(link)
	p.wait("dashboard", `document.querySelector('#room-code').textContent === `+jsString(code))
	p.press("#end-btn")
	p.press("#confirm-ok")
	p.wait("ended", `!document.querySelector('#forget-btn').hidden`)
	if got := p.text("#forget-hint"); !strings.Contains(got, "created to forget") {
		t.Errorf("the tools do not say the room forgets after the report: %q", got)
	}
	p.press("#export-btn")
	p.wait("asked at once", `document.querySelector('#confirm').open && document.querySelector('#confirm-text').textContent.includes('You have the report')`)
	p.shot("en-forget-after-asked")
	p.press("#confirm-ok")
	p.wait("forgotten", `document.querySelector('#forget-btn').disabled && /only the report/i.test(document.querySelector('#forget-hint').textContent)`)
}
