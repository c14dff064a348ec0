package webtest

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// The checks behind the accessibility statement's "How it is tested"
// (web/accessibility.html): a keyboard-only walk through every screen, an
// accessible name on every control, and reflow of the phone pages at 320
// CSS px and with text at 200%. What they find and is not fixed is listed
// on the statement as a known gap.

// markControls marks every control a keyboard user must be able to reach
// (visible, enabled, not taken out of the tab order) with data-kw and
// returns them. Radio buttons of one group are one stop: Tab enters the
// group, the arrow keys move within it.
const markControls = `(() => {
  const sel = 'a[href], button, input, select, textarea, summary, [tabindex], [contenteditable="true"]';
  const shown = (el) => {
    if (el.closest('[inert], [hidden], [aria-hidden="true"], details:not([open]) > :not(summary)')) return false;
    if (!el.getClientRects().length) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  const out = [];
  let i = 0;
  for (const el of document.querySelectorAll(sel)) {
    delete el.dataset.kw;
    if (el.disabled || el.tabIndex < 0 || el.type === 'hidden' || !shown(el)) continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    const key = el.type === 'radio' && el.name ? 'radio:' + el.name : 'c' + (i++);
    el.dataset.kw = key;
    if (!out.some((o) => o.key === key)) out.push({key, desc: window.__kwDescribe(el)});
  }
  return out;
})()`

// describeJS names an element for a test's message.
const describeJS = `window.__kwDescribe = (el) => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  if (el.className && typeof el.className === 'string') d += '.' + el.className.trim().split(/\s+/).join('.');
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40);
  return text ? d + ' "' + text + '"' : d;
}; true`

// focusStop reports the focused element and how its focus shows.
const focusStop = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return {key: ''};
  const clear = (c) => c === 'transparent' || /rgba\(.*,\s*0\)$/.test(c);
  const ringOf = (e) => {
    const cs = getComputedStyle(e);
    if (cs.outlineStyle !== 'none' && cs.outlineStyle !== 'hidden' && parseFloat(cs.outlineWidth) >= 1 && !clear(cs.outlineColor)) {
      return 'outline ' + cs.outlineWidth + ' ' + cs.outlineStyle + ' ' + cs.outlineColor;
    }
    return cs.boxShadow && cs.boxShadow !== 'none' ? 'box-shadow ' + cs.boxShadow : '';
  };
  // A control drawn by its label or box (a styled radio button) may show
  // its focus there: on a label of it, or on one of its two nearest
  // ancestors, which carry no ring of their own.
  let ring = ringOf(el);
  const around = [...(el.labels || []), el.parentElement, el.parentElement && el.parentElement.parentElement];
  for (const e of around) {
    if (ring || !e || e === document.body) continue;
    const r = ringOf(e);
    if (r) ring = r + ' on ' + window.__kwDescribe(e);
  }
  return {key: el.dataset.kw || '', desc: window.__kwDescribe(el), visible: el.matches(':focus-visible'), ring};
})()`

type control struct {
	Key  string `json:"key"`
	Desc string `json:"desc"`
}

type stop struct {
	control
	Visible bool   `json:"visible"`
	Ring    string `json:"ring"`
}

// keyboardWalk presses Tab through the whole page, once around, and fails
// the test for every control that Tab never reaches and every one whose
// focus does not show (:focus-visible with an outline or a box-shadow, as
// computed). It returns how many controls it reached.
func keyboardWalk(t *testing.T, p *page, what string) int {
	t.Helper()
	p.eval(describeJS, nil)
	var controls []control
	p.eval(markControls, &controls)
	if len(controls) == 0 {
		t.Errorf("%s: no controls found; the walk checked nothing", what)
		return 0
	}
	return walk(t, p, what, controls)
}

// noControls checks a screen that is only looked at (the big screen): it
// has nothing to operate, so Tab has nothing to reach and nothing is lost;
// a control added to it fails here and then needs keyboardWalk.
func noControls(t *testing.T, p *page, what string) {
	t.Helper()
	p.eval(describeJS, nil)
	var controls []control
	p.eval(markControls, &controls)
	for _, c := range controls {
		t.Errorf("%s: has the control %s; walk it with keyboardWalk and check its name", what, c.Desc)
	}
}

func walk(t *testing.T, p *page, what string, controls []control) int {
	t.Helper()
	p.eval(`(() => { if (document.activeElement && document.activeElement.blur) document.activeElement.blur(); window.scrollTo(0, 0); return true; })()`, nil)
	reached := map[string]bool{}
	noRing := map[string]bool{}
	first := ""
	for i := 0; i < 2*len(controls)+10; i++ {
		p.run(chromedp.KeyEvent(kb.Tab))
		var s stop
		p.eval(focusStop, &s)
		if s.Key == "" {
			continue // the page itself, between the last control and the first
		}
		if s.Key == first {
			break // once around
		}
		if first == "" {
			first = s.Key
		}
		reached[s.Key] = true
		if (!s.Visible || s.Ring == "") && !noRing[s.Key] {
			noRing[s.Key] = true
			p.shot("no-focus-ring-" + slug(s.Desc))
			t.Errorf("%s: the keyboard focus on %s does not show (focus-visible %v, ring %q)", what, s.Desc, s.Visible, s.Ring)
		}
	}
	for _, c := range controls {
		if !reached[c.Key] {
			t.Errorf("%s: Tab never reaches %s", what, c.Desc)
		}
	}
	t.Logf("%s: Tab reached %d of %d controls", what, len(reached), len(controls))
	return len(reached)
}

// interactiveRoles must have a name whether or not they can take focus
// (a disabled button still needs one).
var interactiveRoles = map[string]bool{
	"button": true, "link": true, "textbox": true, "searchbox": true, "combobox": true, "listbox": true,
	"checkbox": true, "radio": true, "switch": true, "slider": true, "spinbutton": true, "menuitem": true,
	"tab": true, "option": true, "menuitemradio": true, "menuitemcheckbox": true, "treeitem": true,
}

func axString(v *accessibility.Value) string {
	if v == nil {
		return ""
	}
	s := strings.TrimSpace(string(v.Value))
	return strings.TrimSpace(strings.Trim(s, `"`))
}

// checkNames reads Chromium's accessibility tree and fails the test for
// every control (a focusable node, or one of interactiveRoles) that a
// screen reader would announce without a name. It returns how many it
// checked.
func checkNames(t *testing.T, p *page, what string) int {
	t.Helper()
	var nodes []*accessibility.Node
	p.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, accessibility.Enable, cdp.Empty{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		nodes = res.Nodes
		return nil
	}))
	checked := 0
	for _, n := range nodes {
		if n.Ignored {
			continue
		}
		role := axString(n.Role)
		focusable := false
		for _, prop := range n.Properties {
			if prop.Name == accessibility.PropertyNameFocusable && axString(prop.Value) == "true" {
				focusable = true
			}
		}
		if role == "RootWebArea" || role == "WebArea" || (!focusable && !interactiveRoles[role]) {
			continue
		}
		checked++
		if axString(n.Name) == "" {
			t.Errorf("%s: a %s without an accessible name: %s", what, role, outerHTML(p, n.BackendDOMNodeID))
		}
	}
	if checked == 0 {
		t.Errorf("%s: the accessibility tree has no controls; the check saw nothing", what)
	}
	return checked
}

// outerHTML is the start of a DOM node's markup, for messages.
func outerHTML(p *page, id cdp.BackendNodeID) string {
	var html string
	ctx, cancel := context.WithTimeout(p.ctx, waitLong)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, dom.GetOuterHTML, dom.GetOuterHTMLParams{BackendNodeID: id})
		if err != nil {
			return err
		}
		html = res.OuterHTML
		return nil
	}))
	if err != nil {
		return fmt.Sprintf("(node %d: %v)", id, err)
	}
	return short(html)
}

// overflow reports what sticks out sideways or is cut: the page's
// sideways scroll, and elements that hide or clip text they cannot fit.
const overflow = `(() => {
  const out = [];
  const se = document.scrollingElement;
  if (se.scrollWidth > window.innerWidth + 1) out.push('the page scrolls sideways by ' + (se.scrollWidth - window.innerWidth) + ' px');
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length || el.closest('.sr-only, [hidden]')) continue;
    const cs = getComputedStyle(el);
    const hides = /hidden|clip/.test(cs.overflowX) || /hidden|clip/.test(cs.overflowY);
    if (!hides || !el.innerText || !el.innerText.trim()) continue;
    if (el.scrollWidth > el.clientWidth + 2 || el.scrollHeight > el.clientHeight + 2) {
      out.push('cut: ' + window.__kwDescribe(el) + ' (' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' + el.clientWidth + 'x' + el.clientHeight + ')');
    }
  }
  return out;
})()`

// checkReflow looks at the page at 320 CSS px across (what a 1280 px wide
// screen shows at 400% zoom, and a phone at about 120%), at its own width
// with the text at twice its size (a browser's text-size setting at 200%),
// and at 320 px with text at 200%: nothing may scroll sideways or be cut.
// It leaves the page as it found it.
func checkReflow(t *testing.T, p *page, what string, width, height int64) {
	t.Helper()
	p.eval(describeJS, nil)
	look := func(how string) {
		t.Helper()
		var problems []string
		p.eval(overflow, &problems)
		for _, pr := range problems {
			t.Errorf("%s, %s: %s", what, how, pr)
		}
		if len(problems) > 0 {
			p.fullShot("reflow-" + slug(how))
		}
	}
	p.run(chromedp.EmulateViewport(320, 640))
	p.wait("320 px wide", `window.innerWidth === 320`)
	look("320 CSS px wide")
	p.run(chromedp.EmulateViewport(width, height))
	p.wait("back to its width", fmt.Sprintf(`window.innerWidth === %d`, width))
	var before, after float64
	p.eval(`parseFloat(getComputedStyle(document.body).fontSize)`, &before)
	p.eval(`(() => { document.documentElement.style.fontSize = '200%'; return true; })()`, nil)
	p.eval(`parseFloat(getComputedStyle(document.body).fontSize)`, &after)
	if after < 1.9*before {
		t.Errorf("%s: text at 200%% grew from %.1f to %.1f px only; the check saw nothing", what, before, after)
	}
	look("text at 200%")
	p.run(chromedp.EmulateViewport(320, 640))
	p.wait("320 px wide", `window.innerWidth === 320`)
	look("320 CSS px wide, text at 200%")
	p.eval(`(() => { document.documentElement.style.fontSize = ''; return true; })()`, nil)
	p.run(chromedp.EmulateViewport(width, height))
	p.wait("back to its width", fmt.Sprintf(`window.innerWidth === %d`, width))
}

// TestKeyboardWalk walks every screen with the keyboard alone (Tab reaches
// every control and its focus shows), checks that every control has an
// accessible name, and that the phone's pages reflow at 320 CSS px and
// with text at 200%. The accessibility statement says this is tested.
func TestKeyboardWalk(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-session": sessionPlan})
	base := in.URL()
	room := instancetest.CreateRoom(t, in, "web-session")
	const pw, ph = 390, 844
	const lw, lh = 1366, 768

	join := newPage(t, "join", pw, ph)
	join.open(base + "/")
	join.wait("join form", `!document.querySelector('#join').hidden && !document.documentElement.classList.contains('loading')`)
	keyboardWalk(t, join, "phone join page")
	checkNames(t, join, "phone join page")
	checkReflow(t, join, "phone join page", pw, ph)

	start := newPage(t, "new", lw, lh)
	start.open(base + "/new")
	start.wait("plans", `document.querySelector('.plan-option')`)
	keyboardWalk(t, start, "/new")
	checkNames(t, start, "/new")
	checkReflow(t, start, "/new", lw, lh)
	start.click("#create-btn")
	start.wait("created", `!document.querySelector('#created').hidden`)
	keyboardWalk(t, start, "/new, room created")
	checkNames(t, start, "/new, room created")

	dash := newPage(t, "dashboard", lw, lh)
	dash.open(room.FacilitatorURL)
	dash.wait("dashboard live", `document.querySelector('#conn-state').classList.contains('ok')`)
	big := newPage(t, "bigscreen", 1920, 1080)
	big.open(dash.str(`document.querySelector('#open-screen').href`))
	big.wait("big screen", `document.querySelector('#qr') && document.querySelector('#qr').complete`)

	phone := phoneJoin(t, base, room.Code, "phone", "")
	phone.run(chromedp.EmulateViewport(pw, ph))
	keyboardWalk(t, phone, "phone on an info step")
	checkNames(t, phone, "phone on an info step")
	checkReflow(t, phone, "phone on an info step", pw, ph)

	dash.click("#btn-next")
	phone.wait("poll", `document.querySelector('.step-poll')`)
	keyboardWalk(t, phone, "phone in a poll")
	checkNames(t, phone, "phone in a poll")
	checkReflow(t, phone, "phone in a poll", pw, ph)

	keyboardWalk(t, dash, "dashboard in a poll")
	checkNames(t, dash, "dashboard in a poll")
	dash.click("#btn-next")
	phone.wait("breakout", `document.querySelector('.own-entry textarea') || document.querySelector('.group-info')`)
	keyboardWalk(t, phone, "phone in a breakout")
	checkNames(t, phone, "phone in a breakout")
	checkReflow(t, phone, "phone in a breakout", pw, ph)
	keyboardWalk(t, dash, "dashboard in a breakout")
	checkNames(t, dash, "dashboard in a breakout")

	noControls(t, big, "big screen")

	doc := newPage(t, "statement", pw, ph)
	doc.open(base + "/accessibility")
	doc.wait("statement", `!document.documentElement.classList.contains('loading') && document.querySelector('h1').textContent !== ''`)
	keyboardWalk(t, doc, "accessibility statement")
	checkNames(t, doc, "accessibility statement")
	checkReflow(t, doc, "accessibility statement", pw, ph)
}

// TestAccessibilityStatement: /accessibility says what Stoppunkt meets, how
// it is tested, its known gaps and when it was last reviewed, in nb, da
// and en; it shows the operator's contact line as a link, or whom to ask
// without one; / and /new link to it; axe finds nothing serious on it.
func TestAccessibilityStatement(t *testing.T) {
	startBrowser(t)
	src, err := os.ReadFile(axePath())
	if err != nil {
		missingDependency(t, os.Getenv, fmt.Sprintf("axe-core not found at %s (run `make browser-deps`, or set STOPPUNKT_AXE): %v", axePath(), err))
	}
	with := server(t, nil, func(c *instance.Config) { c.Server.AccessibilityContact = "uu@kommune.example" })
	without := server(t, nil)

	p := newPage(t, "statement", laptopW, 768)
	p.open(with.URL() + "/new")
	// The page is still when its plans are listed (they move the footer).
	p.wait("link on /new", `document.querySelector('a[href="/accessibility"]') && document.querySelector('.plan-option')`)
	p.click(`a[href="/accessibility"]`)
	p.wait("statement", `location.pathname === '/accessibility' && !document.documentElement.classList.contains('loading')`)
	p.wait("contact", `!document.querySelector('#contact').hidden`)
	if got := p.str(`document.querySelector('#contact a').href`); got != "mailto:uu@kommune.example" {
		t.Errorf("the contact line links to %q, want mailto:uu@kommune.example", got)
	}
	want := map[string][]string{
		"en": {"Accessibility statement", "WCAG) 2.1 at level AA", "axe-core", "keyboard", "screen readers", "320 CSS pixels", "Known gaps", "Last review", "5 December 2026"},
		"nb": {"Tilgjengelighetserklæring", "WCAG) 2.1 på nivå AA", "axe-core", "tastaturet", "skjermlesere", "320 CSS-piksler", "Kjente mangler", "Sist gjennomgått", "5. desember 2026"},
		"da": {"Tilgængelighedserklæring", "WCAG) 2.1 på niveau AA", "axe-core", "tastaturet", "skærmlæsere", "320 CSS-pixels", "Kendte mangler", "Senest gennemgået", "5. december 2026"},
	}
	langs := make([]string, 0, len(want))
	for l := range want {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		chooseLanguage(p, lang)
		body := strings.ReplaceAll(p.text("main"), "\u00ad", "") // soft hyphens
		for _, w := range want[lang] {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the statement lacks %q", lang, w)
			}
		}
		if n := p.str(`String(document.querySelectorAll('#gaps li').length)`); n == "0" {
			t.Errorf("%s: no known gaps listed", lang)
		}
		audit(t, p, string(src), "accessibility statement ("+lang+")")
	}

	q := newPage(t, "statement-no-contact", 390, 844)
	q.open(without.URL() + "/")
	q.wait("join page", `!document.querySelector('#join').hidden`)
	q.click(`a[href="/accessibility"]`)
	q.wait("statement", `location.pathname === '/accessibility' && !document.documentElement.classList.contains('loading')`)
	q.wait("whom to ask", `!document.querySelector('#no-contact').hidden && document.querySelector('#contact').hidden`)
	audit(t, q, string(src), "accessibility statement on a phone, no contact")
}
