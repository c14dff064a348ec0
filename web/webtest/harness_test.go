package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// Waits are generous: the tests run on small, busy CI machines. Nothing
// sleeps for correctness; every wait polls the page until it is true.
const (
	waitLong = 45 * time.Second
	pollStep = 100 * time.Millisecond
)

// One Chromium serves every test; each page gets its own browser context,
// so that phones do not share localStorage.
var chrome struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
	skip   string
}

func chromiumPath() string {
	if p := os.Getenv("STOPPUNKT_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	if chrome.dir != "" {
		_ = os.RemoveAll(chrome.dir)
	}
	os.Exit(code)
}

// browserRequired tells whether a missing Chromium or axe-core fails the
// browser tests instead of skipping them: when CI is set (as CI services
// set it) or STOPPUNKT_REQUIRE_BROWSER is (as `make test` does), to
// anything but "", "0" or "false". A run there must not pass by skipping;
// a plain `go test` on a machine without a browser skips.
func browserRequired(getenv func(string) string) bool {
	on := func(name string) bool {
		v := strings.ToLower(strings.TrimSpace(getenv(name)))
		return v != "" && v != "0" && v != "false"
	}
	return on("STOPPUNKT_REQUIRE_BROWSER") || on("CI")
}

// tb is the part of testing.TB that missingDependency uses.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// missingDependency fails or skips a test that needs what is missing, as
// browserRequired decides with the environment getenv reads.
func missingDependency(t tb, getenv func(string) string, what string) {
	t.Helper()
	if browserRequired(getenv) {
		t.Fatalf("%s; it is required here (CI or STOPPUNKT_REQUIRE_BROWSER is set)", what)
		return
	}
	t.Skipf("%s", what)
}

// startBrowser starts the shared Chromium; without one on this machine it
// fails or skips the test (see browserRequired).
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	chrome.once.Do(func() {
		path := chromiumPath()
		if _, err := os.Stat(path); err != nil {
			chrome.skip = fmt.Sprintf("no Chromium at %s (run `make browser-deps`, or set STOPPUNKT_CHROMIUM)", path)
			return
		}
		dir, err := os.MkdirTemp("", "stoppunkt-chromium-")
		if err != nil {
			chrome.err = err
			return
		}
		chrome.dir = dir
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox,
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("no-first-run", true),
			chromedp.UserDataDir(dir),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancelCtx()
			cancelAlloc()
			chrome.err = err
			return
		}
		chrome.ctx = ctx
		chrome.cancel = func() { cancelCtx(); cancelAlloc() }
	})
	if chrome.skip != "" {
		missingDependency(t, os.Getenv, chrome.skip)
	}
	if chrome.err != nil {
		t.Fatalf("start chromium: %v", chrome.err)
	}
	return chrome.ctx
}

// shotsDir is where screenshots go: STOPPUNKT_SHOTS, or a folder that
// outlives the test so that a person can look at it.
var shots struct {
	once sync.Once
	dir  string
}

func shotsDir(t *testing.T) string {
	shots.once.Do(func() {
		dir := os.Getenv("STOPPUNKT_SHOTS")
		if dir == "" {
			dir, _ = os.MkdirTemp("", "stoppunkt-shots-")
		}
		_ = os.MkdirAll(dir, 0o755)
		shots.dir = dir
	})
	return shots.dir
}

// server starts NATS and a Stoppunkt instance with extra plans.
func server(t *testing.T, plans map[string]string, modify ...func(*instance.Config)) *instance.Instance {
	t.Helper()
	dir := t.TempDir()
	for name, src := range plans {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ns := instancetest.NATS(t)
	return instancetest.Start(t, ns.ClientURL(), instancetest.Options{Modify: func(c *instance.Config) {
		c.PlansDir = dir
		for _, m := range modify {
			m(c)
		}
	}})
}

// page is one browser tab in a browser context of its own.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

// newPage opens a tab of the given size. Uncaught exceptions and console
// errors of the page fail the test at its end.
func newPage(t *testing.T, name string, width, height int64) *page {
	t.Helper()
	parent := startBrowser(t)
	p := &page{t: t, name: name}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	p.ctx = ctx
	t.Cleanup(func() {
		cancel()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errs {
			t.Errorf("%s: browser console: %s", name, e)
		}
	})
	// The first run opens the tab and binds it to ctx: it must not get a
	// context with a timeout, or the tab would close with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	p.run(chromedp.EmulateViewport(width, height))
	return p
}

func (p *page) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + ev.ExceptionDetails.Text
		if ev.ExceptionDetails.Exception != nil {
			msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	p.mu.Lock()
	p.errs = append(p.errs, msg)
	p.mu.Unlock()
}

// run runs actions on the tab, failing the test on error.
func (p *page) run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLong)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

func (p *page) open(url string) {
	p.t.Helper()
	p.run(chromedp.Navigate(url))
}

// eval evaluates a JavaScript expression and decodes its value into out.
func (p *page) eval(expr string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLong)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: eval %q: %v", p.name, short(expr), err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("%s: eval %q: decode %s: %v", p.name, short(expr), raw, err)
		}
	}
}

func (p *page) str(expr string) string {
	p.t.Helper()
	var s string
	p.eval(expr, &s)
	return s
}

func (p *page) strings(expr string) []string {
	p.t.Helper()
	var s []string
	p.eval(expr, &s)
	return s
}

// wait polls a JavaScript condition until it is true. Runtime.evaluate is
// not bound by the page's CSP, unlike chromedp.Poll's new Function.
func (p *page) wait(what, cond string) {
	p.t.Helper()
	if ok, err := p.poll(waitLong, cond); !ok {
		p.shot("timeout-" + slug(what))
		p.t.Fatalf("%s: waited %s for %s (%s); last error: %v", p.name, waitLong, what, short(cond), err)
	}
}

// text is the visible text of the first element matching sel, or "".
func (p *page) text(sel string) string {
	p.t.Helper()
	return p.str(fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ''`, sel))
}

// click clicks an element by CSS selector, scrolling it into view.
func (p *page) click(sel string) {
	p.t.Helper()
	p.run(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto sends key strokes into a field, as a person types.
func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	p.run(chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// press clicks an element from inside the page, in the same turn as it
// finds it: for lists that redraw while the test clicks (the queue, the
// groups), where a node found by the DevTools protocol can be gone a moment
// later.
func (p *page) press(sel string) {
	p.t.Helper()
	expr := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el || el.offsetParent === null || el.disabled) return false; el.click(); return true; })()`, sel)
	p.wait("click "+sel, expr)
}

// clickText clicks the first element matching sel whose text contains s.
func (p *page) clickText(sel, s string) {
	p.t.Helper()
	expr := fmt.Sprintf(`(() => { const el = [...document.querySelectorAll(%q)].find((e) => e.innerText.includes(%q) && e.offsetParent !== null && !e.disabled); if (!el) return false; el.click(); return true; })()`, sel, s)
	p.wait(fmt.Sprintf("%q with text %q", sel, s), expr)
}

// shot writes a screenshot of the viewport.
func (p *page) shot(phase string) {
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("%s: screenshot %s: %v", p.name, phase, err)
		return
	}
	name := filepath.Join(shotsDir(p.t), fmt.Sprintf("%s-%s-%s.png", slug(p.t.Name()), slug(phase), slug(p.name)))
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		p.t.Logf("write screenshot: %v", err)
	}
}

// fullShot writes a screenshot of the whole page, beyond the viewport.
func (p *page) fullShot(phase string) {
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("%s: screenshot %s: %v", p.name, phase, err)
		return
	}
	name := filepath.Join(shotsDir(p.t), fmt.Sprintf("%s-%s-%s.png", slug(p.t.Name()), slug(phase), slug(p.name)))
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		p.t.Logf("write screenshot: %v", err)
	}
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func short(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// confirmWith presses the button sel, which asks for confirmation, and
// then the dialog's confirm button.
func (p *page) confirmWith(sel string) {
	p.t.Helper()
	p.askConfirm(sel)
	p.press("#confirm-ok")
	p.wait("confirmation closed", `!document.querySelector('#confirm').open`)
}

// askConfirm presses the button sel until the confirmation dialog is open:
// a view that redraws as other people join can swallow a press made in the
// very moment it rebuilds.
func (p *page) askConfirm(sel string) {
	p.t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		p.press(sel)
		if ok, _ := p.poll(5*time.Second, `document.querySelector('#confirm').open`); ok {
			return
		}
		if time.Now().After(deadline) {
			p.shot("timeout-confirm")
			p.t.Fatalf("%s: pressed %s for %s and no confirmation was asked", p.name, sel, waitLong)
		}
	}
}

// poll evaluates cond until it is true or d has passed, and tells which,
// with the last evaluation's error.
func (p *page) poll(d time.Duration, cond string) (bool, error) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, err
		}
		time.Sleep(pollStep)
	}
}
