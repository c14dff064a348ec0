package webtest

import (
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestScreensScreening: on the dashboard, a reflection with a phone
// number has the number marked, cannot be shown until the personal data
// is removed, and shows redacted on the big screen; a possible disclosure
// carries its note. Screenshots in nb, da and en; axe audits the queue.
func TestScreensScreening(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, map[string]string{"qbox": questionBoxPlan})
	r := instancetest.CreateRoom(t, in, "qbox")
	ctx := instancetest.Ctx(t, 2*time.Minute)
	fac := instancetest.Facilitator(t, r, in)
	dash := newPage(t, "dashboard", 1366, 768)
	dash.open(in.URL() + "/f/" + r.Room + "#key=" + r.Key)
	dash.wait("dashboard", `document.querySelector('#room-code').textContent === `+jsString(r.Code))
	big := newPage(t, "bigscreen", 1920, 1080)
	big.open(in.URL() + "/p/" + r.Room + "#key=" + fac.Welcome().PresenterKey)
	big.wait("big screen", `document.querySelector('#stage-title').textContent.length > 0`)
	if _, err := fac.Command(ctx, wire.TypeGoto, map[string]int{"step": 1}); err != nil {
		t.Fatal(err)
	}
	texts := []string{"Ring meg gjerne på 912 34 567 etter kurset.", "Faren min slo meg da jeg var liten."}
	for _, text := range texts {
		p := instancetest.Participant(t, r.Code, in)
		instancetest.AnswerOn(t, ctx, p, 1, text)
	}
	dash.wait("flags", `document.querySelector('mark.flag-phone') && document.querySelector('mark.flag-disclosure')`)
	if got := dash.text("mark.flag-phone"); got != "912 34 567" {
		t.Errorf("marked %q", got)
	}
	id := dash.str(`document.querySelector('mark.flag-phone').closest('.q-item').dataset.id`)
	dash.press(`[data-fk="approve:` + id + `"]`)
	dash.wait("redact offered", `document.querySelector('[data-fk="redact:`+id+`"]') && !document.querySelector('[data-fk="show:`+id+`"]')`)
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(dash, lang)
		dash.eval(`document.querySelector('#queue-panel').scrollIntoView()`, nil)
		dash.shot(lang + "-flagged")
	}
	audit(t, dash, axe, "dashboard with flagged texts")
	dash.press(`[data-fk="redact:` + id + `"]`)
	dash.wait("redacted", `document.querySelector('.q-item[data-id="`+id+`"] .q-text').textContent === 'Ring meg gjerne på [fjernet] etter kurset.'`)
	dash.press(`[data-fk="show:` + id + `"]`)
	big.wait("the redacted text on the big screen", `document.querySelector('#stage-items').innerText.includes('[fjernet]')`)
	if big.bool(`document.body.innerText.includes('912 34 567')`) {
		t.Error("the number reached the big screen")
	}
	dash.shot("en-redacted")
}
