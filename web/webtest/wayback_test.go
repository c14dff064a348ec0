package webtest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// TestScreensWayBackIn: a room made on /new is listed there with its code,
// plan, date and state, and opens its dashboard again from the list or from
// /f/ROOM without a key; a forgotten room's dashboard asks for its link or
// key (a wrong one is refused, the link opens it) instead of a dead end; an
// ended room is listed as ended, a deleted one as gone. Screenshots of the
// list and of the way in go to the screenshot folder in nb, da and en.
func TestScreensWayBackIn(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := loadAxe(t)
	in := server(t, map[string]string{"web-session": sessionPlan})
	base := in.URL()
	p := newPage(t, "new", laptopW, laptopH)
	p.open(base + "/new")
	p.wait("plans", `document.querySelector('#plan-web-session')`)
	if !p.bool(`document.querySelector('#my-rooms').hidden`) {
		t.Error("a browser that made no room lists rooms")
	}
	p.click("#plan-web-session")
	p.click("#create-btn")
	p.wait("created", `!document.querySelector('#created').hidden`)
	code := p.text("#created-code")
	link := p.str(`document.querySelector('#fac-link').value`)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	roomID := strings.TrimPrefix(u.Path, "/f/")
	key := strings.TrimPrefix(u.Fragment, "key=")

	// Listed, with its state asked of the server.
	p.open(base + "/new")
	item := fmt.Sprintf(`#my-rooms-list li[data-room=%q]`, roomID)
	p.wait("listed", `document.querySelector('`+item+`[data-state="open"]')`)
	if got := p.text(item + " .my-room-facts"); !strings.Contains(got, code) {
		t.Errorf("listed facts %q lack the code %s", got, code)
	}
	if got := p.text(item + " .my-room-title"); got == "" {
		t.Error("listed room has no title")
	}
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(p, lang)
		p.shot(lang + "-your-rooms")
	}
	audit(t, p, axe, "your rooms")

	// From the list, and from /f/ROOM with no key, into the dashboard.
	p.press(item + " a")
	p.wait("dashboard from the list", `document.querySelector('#room-code').textContent === `+jsString(code))
	p.open(base + "/f/" + roomID)
	p.wait("dashboard without a key", `document.querySelector('#room-code').textContent === `+jsString(code))
	if p.str(`location.hash`) != "" {
		t.Error("the key is in the address bar")
	}

	// Forgotten: the dashboard asks for the way in.
	p.open(base + "/new")
	p.wait("listed", `document.querySelector('`+item+`')`)
	p.press(item + " button")
	p.wait("forgotten", `!document.querySelector('`+item+`') && document.querySelector('#my-rooms').hidden`)
	p.open(base + "/f/" + roomID)
	// A fresh tab: the key this tab kept is not a way in either.
	p.eval(`sessionStorage.clear()`, nil)
	p.open(base + "/f/" + roomID)
	p.wait("asks for the link", `!document.querySelector('#enter').hidden && document.querySelector('#main').hidden`)
	if p.bool(`[...document.querySelectorAll('.dash-bar .room-facts, #open-screen, .room-title')].some((el) => el.offsetParent !== null)`) {
		t.Error("the header is half drawn with no room")
	}
	for _, lang := range []string{"nb", "da", "en"} {
		setLanguage(p, lang)
		p.shot(lang + "-way-in")
	}
	audit(t, p, axe, "the way into a dashboard")
	p.typeInto("#enter-key", "not a key")
	p.click("#enter-form button")
	p.wait("not a key", `!document.querySelector('#enter-error').hidden && document.querySelector('#enter-key').getAttribute('aria-invalid') === 'true'`)
	p.eval(`document.querySelector('#enter-key').value = ''`, nil)
	p.typeInto("#enter-key", strings.Repeat("x", 32))
	p.click("#enter-form button")
	p.wait("wrong key refused", `!document.querySelector('#enter').hidden && !document.querySelector('#enter-error').hidden`)
	p.shot("en-wrong-key")
	p.eval(`document.querySelector('#enter-key').value = ''`, nil)
	p.typeInto("#enter-key", link)
	p.click("#enter-form button")
	p.wait("the link opens it", `document.querySelector('#room-code').textContent === `+jsString(code)+` && document.querySelector('#enter').hidden`)

	// Ended, then deleted: the list says so.
	fac := instancetest.Facilitator(t, instancetest.Room{Room: roomID, Code: code, Key: key}, in)
	if _, err := fac.Command(instancetest.Ctx(t, 20*time.Second), "end", nil); err != nil {
		t.Fatal(err)
	}
	p.open(base + "/new")
	p.wait("listed as ended", `document.querySelector('`+item+`[data-state="ended"] a')`)
	if code := organizerAPI(t, "DELETE", base+"/api/rooms/"+roomID, key, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	p.open(base + "/new")
	p.wait("listed as gone", `document.querySelector('`+item+`[data-state="gone"]') && !document.querySelector('`+item+` a')`)
	p.shot("en-gone")
	audit(t, p, axe, "a room gone")
}
