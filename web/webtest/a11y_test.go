package webtest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// axePath finds axe.min.js: STOPPUNKT_AXE, or where `make browser-deps`
// puts it in the repository.
func axePath() string {
	if p := os.Getenv("STOPPUNKT_AXE"); p != "" {
		return p
	}
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", ".cache", "axe", "node_modules", "axe-core", "axe.min.js")
}

// loadAxe reads axe-core for audit; without it the test fails in CI and
// is skipped elsewhere (missingDependency).
func loadAxe(t *testing.T) string {
	t.Helper()
	axe, err := os.ReadFile(axePath())
	if err != nil {
		missingDependency(t, os.Getenv, fmt.Sprintf("axe-core not found at %s: %v", axePath(), err))
	}
	return string(axe)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// audit runs axe-core on the page (injected only here, in the test) and
// fails on serious and critical findings.
func audit(t *testing.T, p *page, axe, what string) {
	t.Helper()
	var loaded bool
	p.eval(`typeof window.axe !== 'undefined'`, &loaded)
	if !loaded {
		p.eval(axe+"\n;true", nil)
	}
	var res struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
	}
	p.eval(`axe.run(document, {resultTypes: ['violations']}).then((r) => ({violations: r.violations, passes: r.passes.length}))`, &res)
	found := res.Violations
	if res.Passes == 0 {
		t.Errorf("%s: axe checked nothing", what)
	}
	for _, v := range found {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Logf("%s: axe (%s) %s: %s", what, v.Impact, v.ID, v.Help)
			continue
		}
		var where []string
		for _, n := range v.Nodes {
			where = append(where, strings.TrimSpace(strings.ReplaceAll(n.Summary, "\n", " "))+" @ "+strings.TrimSpace(strings.Trim(strings.ReplaceAll(strings.Join(anyStrings(n.Target), " "), "\n", " "), " ")))
		}
		t.Errorf("%s: axe %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
	}
}

func anyStrings(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		if s, ok := x.(string); ok {
			out[i] = s
		}
	}
	return out
}

// TestAccessibility audits every screen with axe-core: the start page, the
// phone's join form, the phone in a poll and in a breakout, the dashboard,
// the big screen, and /new.
func TestAccessibility(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	src, err := os.ReadFile(axePath())
	if err != nil {
		missingDependency(t, os.Getenv, fmt.Sprintf("axe-core not found at %s (run `make browser-deps`, or set STOPPUNKT_AXE): %v", axePath(), err))
	}
	axe := string(src)
	in := server(t, map[string]string{"web-session": sessionPlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-session")

	start := newPage(t, "new", laptopW, laptopH)
	start.open(base + "/new")
	start.wait("plans", `document.querySelector('.plan-option')`)
	audit(t, start, axe, "/new")
	start.click("#create-btn")
	start.wait("created", `!document.querySelector('#created').hidden`)
	audit(t, start, axe, "/new, room created")

	join := newPage(t, "join", phoneW, phoneH)
	join.open(base + "/")
	join.wait("join form", `!document.querySelector('#join').hidden`)
	audit(t, join, axe, "start page (join)")
	join.click("#join-btn")
	join.wait("error shown", `!document.querySelector('#code-error').hidden`)
	audit(t, join, axe, "join form with an error")

	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(room.FacilitatorURL)
	dash.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	big := newPage(t, "bigscreen", screenW, screenH)
	big.open(dash.str(`document.querySelector('#open-screen').href`))
	big.wait("big screen", `document.querySelector('#qr').complete`)
	p1 := phoneJoin(t, base, room.Code, "phone1", "Kari")
	p2 := phoneJoin(t, base, room.Code, "phone2", "")
	p3 := phoneJoin(t, base, room.Code, "phone3", "")
	audit(t, p1, axe, "phone on an info step")

	dash.click("#btn-next")
	for _, p := range []*page{p1, p2, p3} {
		p.wait("poll", `document.querySelector('.step-poll')`)
		p.click("#q1-0")
		p.click("form.answer button[type=submit]")
		p.wait("sent", `document.querySelector('form.answer .status.ok')`)
	}
	dash.click("#btn-reveal")
	big.wait("results", `document.querySelector('#stage-results .bars')`)
	p1.wait("results", `!document.querySelector('.results').hidden`)
	audit(t, p1, axe, "phone in a poll, revealed")
	audit(t, dash, axe, "dashboard in a poll")
	audit(t, big, axe, "big screen with results")

	dash.click("#btn-next")
	p1.wait("breakout", `document.querySelector('.own-entry textarea')`)
	p1.typeInto(".own-entry textarea", "Vi ville ringt barnevernet.")
	p1.confirmWith(".submit-area button")
	dash.wait("queued", `document.querySelector('.q-item')`)
	dash.press(`.q-item button[data-fk^="approve:"]`)
	dash.press(`button[data-fk="filter:approved"]`)
	dash.press(`.q-item button[data-fk^="show:"]`)
	big.wait("item on screen", `document.querySelector('.big-item')`)
	p2.wait("breakout", `document.querySelector('.group-info')`)
	audit(t, p2, axe, "phone in a breakout")
	audit(t, dash, axe, "dashboard in a breakout with a queue")
	audit(t, big, axe, "big screen with an approved text")

	// At 200% zoom a 1366 px laptop is 683 CSS px wide, a phone 180; WCAG
	// asks for no sideways scrolling down to 320 CSS px.
	for _, c := range []struct {
		p    *page
		w, h int64
	}{{dash, 683, 450}, {big, 640, 360}, {p1, 320, 480}, {p2, 320, 480}, {join, 320, 480}, {start, 683, 450}} {
		c.p.run(chromedp.EmulateViewport(c.w, c.h))
		c.p.wait("layout at the new size", fmt.Sprintf(`window.innerWidth === %d`, c.w))
		var over int
		c.p.eval(`document.documentElement.scrollWidth - window.innerWidth`, &over)
		if over > 1 {
			c.p.shot("zoom")
			t.Errorf("%s at %d px: %d px of sideways scrolling", c.p.name, c.w, over)
		}
		c.p.fullShot("zoom")
	}
}
