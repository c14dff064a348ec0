package webtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// a4PrintableWidth is the width of an A4 page inside the report's 15 mm
// margins, in CSS pixels (96 per inch): 180 mm.
const a4PrintableWidth = 680

// reportScreens is where the report's screenshots and PDFs go for a
// person to look at: bin/screens/report in the repository (not committed).
func reportScreens(t *testing.T) string {
	dir := filepath.Join(webDir(), "..", "bin", "screens", "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReportPagePrintsOnA4 runs a session in Norwegian, Danish and English
// with real phones over websockets, opens the report's page from the
// dashboard (which fetches it with the key in a header and writes it into
// a new window), and checks it in Chromium: the room's language, the
// stylesheet under the pages' CSP, hostile text shown as text, and on A4
// nothing wider than the printable width: charts, the action table and a
// word too long for any line all fit. It prints the page to PDF and
// writes screenshots of the page and of the printed pages.
func TestReportPagePrintsOnA4(t *testing.T) {
	startBrowser(t)
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	in := server(t, nil, func(c *instance.Config) { c.Server.TimeZone = oslo })
	dir := reportScreens(t)
	t.Logf("report screenshots and PDFs: %s", dir)
	for _, lang := range []string{"nb", "da", "en"} {
		t.Run(lang, func(t *testing.T) {
			s := instancetest.RunReportSession(t, in, lang, 6)
			rp := openReportPage(t, in, s)
			checkReportPage(t, rp, lang, s)
			rp.shotTo(filepath.Join(dir, lang+"-page.png"))
			checkPrintFits(t, rp)
			pdf := rp.pdf()
			if err := os.WriteFile(filepath.Join(dir, lang+".pdf"), pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			pages := len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(pdf, -1))
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || pages < 2 {
				t.Errorf("the printed report has %d pages", pages)
			}
			if path, err := exec.LookPath("pdftoppm"); err == nil {
				out := filepath.Join(dir, lang+"-print")
				if msg, err := exec.Command(path, "-png", "-r", "60", filepath.Join(dir, lang+".pdf"), out).CombinedOutput(); err != nil {
					t.Logf("pdftoppm: %v %s", err, msg)
				}
			}
		})
	}
}

// reportPage is the window the dashboard opened.
type reportPage struct {
	*page
}

// openReportPage opens the room's dashboard, presses the button that
// opens the report to print, and attaches to the new window.
func openReportPage(t *testing.T, in *instance.Instance, s instancetest.ReportSession) *reportPage {
	t.Helper()
	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(in.URL() + "/f/" + s.Room.Room + "#key=" + s.Room.Key)
	dash.wait("the report button", `document.querySelector('#report-page-btn')`)
	ctx, cancel := context.WithTimeout(dash.ctx, waitLong)
	defer cancel()
	opened := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return strings.HasPrefix(info.URL, "blob:") })
	dash.press("#report-page-btn")
	var id target.ID
	select {
	case id = <-opened:
	case <-ctx.Done():
		t.Fatal("the dashboard opened no window")
	}
	rp := &reportPage{&page{t: t, name: "report"}}
	wctx, wcancel := chromedp.NewContext(dash.ctx, chromedp.WithTargetID(id), chromedp.WithListener(rp.listen))
	rp.ctx = wctx
	// As in newPage: the first run binds the window to wctx, which must not
	// have a timeout.
	if err := chromedp.Do(wctx); err != nil {
		t.Fatalf("attach to the report window: %v", err)
	}
	t.Cleanup(func() {
		wcancel()
		rp.mu.Lock()
		defer rp.mu.Unlock()
		for _, e := range rp.errs {
			t.Errorf("report window: browser console: %s", e)
		}
	})
	rp.wait("the report in the window", `document.querySelector('.report-step') && document.readyState === 'complete'`)
	dash.wait("the dashboard says it opened", `document.querySelector('#report-page-status').classList.contains('ok')`)
	if url := rp.str(`location.href`); strings.Contains(url, s.Room.Key) {
		t.Errorf("the report window's address holds the key: %s", url)
	}
	return rp
}

func checkReportPage(t *testing.T, rp *reportPage, lang string, s instancetest.ReportSession) {
	t.Helper()
	rp.run(chromedp.EmulateViewport(794, 1123))
	rp.wait("the stylesheet", `getComputedStyle(document.body).getPropertyValue('max-width') === '793.701px' || getComputedStyle(document.body).maxWidth.startsWith('793')`)
	if got := rp.str(`document.documentElement.lang`); got != lang {
		t.Errorf("page language %q", got)
	}
	rp.wait("the print button", `!document.querySelector('#print-btn').hidden`)
	var got struct {
		Charts, Rows, Imgs int
		Title, Text        string
	}
	rp.eval(`({Charts: document.querySelectorAll('svg.chart').length, Rows: document.querySelectorAll('table.actions tbody tr').length,
		Imgs: document.querySelectorAll('main img, main script').length, Title: document.title, Text: document.body.innerText})`, &got)
	if got.Charts != 4 || got.Rows != len(s.Measures) || got.Imgs != 0 || strings.Contains(got.Title, "owned") {
		t.Errorf("charts %d, action rows %d (want %d), markup from texts %d, title %q", got.Charts, got.Rows, len(s.Measures), got.Imgs, got.Title)
	}
	for _, want := range []string{instancetest.Hostile, instancetest.LongWord, "Rektor og verneombud", "Innen 1. mars 2027"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("the page does not show %q", short(want))
		}
	}
	for _, texts := range s.Texts {
		for _, text := range texts {
			if !strings.Contains(got.Text, strings.Fields(text)[0]) {
				t.Errorf("the page lacks %q", short(text))
			}
		}
	}
}

// overflowJS lists elements that reach past the page's right edge or the
// left edge, or whose content is wider than their box.
const overflowJS = `(() => {
	const width = document.documentElement.clientWidth;
	const out = [];
	for (const el of document.querySelectorAll('body *')) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		const name = el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className : '');
		if (r.right > width + 0.5 || r.left < -0.5) out.push(name + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + width);
		if (!(el instanceof SVGElement) && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') out.push(name + ' scrolls');
	}
	if (document.documentElement.scrollWidth > width) out.push('the page scrolls sideways: ' + document.documentElement.scrollWidth);
	return out;
})()`

// checkPrintFits lays the page out as it prints, at the printable width of
// A4, and checks that nothing is cut.
func checkPrintFits(t *testing.T, rp *reportPage) {
	t.Helper()
	rp.run(chromedp.EmulateViewport(a4PrintableWidth, 1000))
	rp.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	rp.wait("print layout", `getComputedStyle(document.querySelector('.report-tools')).display === 'none'`)
	if bad := rp.strings(overflowJS); len(bad) > 0 {
		t.Errorf("at the printable width of A4 (%dpx), content is cut: %s", a4PrintableWidth, strings.Join(bad, "; "))
	}
	var charts []float64
	rp.eval(`[...document.querySelectorAll('svg.chart')].map((s) => s.getBoundingClientRect().width)`, &charts)
	for _, w := range charts {
		if w > a4PrintableWidth || w < 300 {
			t.Errorf("a chart is %.0fpx wide on a %dpx line", w, a4PrintableWidth)
		}
	}
	var word struct{ Width, Box float64 }
	rp.eval(fmt.Sprintf(`(() => { const p = [...document.querySelectorAll('.text-body')].find((e) => e.textContent.includes(%q));
		return {Width: p.scrollWidth, Box: p.clientWidth}; })()`, instancetest.LongWord), &word)
	if word.Width > word.Box+1 {
		t.Errorf("the long word overflows its text box: %.0f > %.0f", word.Width, word.Box)
	}
}

// pdf prints the page as the browser's "Save as PDF" would, on A4.
func (rp *reportPage) pdf() []byte {
	rp.t.Helper()
	ctx, cancel := context.WithTimeout(rp.ctx, waitLong)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		rp.t.Fatalf("print to PDF: %v", err)
	}
	return buf
}

// shotTo writes a screenshot of the whole page to a file.
func (rp *reportPage) shotTo(name string) {
	rp.t.Helper()
	ctx, cancel := context.WithTimeout(rp.ctx, 30*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		rp.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(name, buf, 0o644); err != nil {
		rp.t.Fatal(err)
	}
}
