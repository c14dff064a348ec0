package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// Hostile text in every place an organizer or the event's creator writes.
const (
	evilEvent = `<img src=x onerror="window.__pwned=20"> Fagdag <b>2026</b>`
	evilRoom  = `<img src=x onerror="window.__pwned=21"> Sal A`
	evilAnn   = "<b>Plenum</b> starter om 5 minutter <img src=x onerror=\"window.__pwned=22\">"
)

// pdfPage finds the page objects of a PDF.
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// eventSheet is GET /api/events/{event} as the test reads it.
type eventSheet struct {
	Event string `json:"event"`
	Name  string `json:"name"`
	Rooms []struct {
		Name           string `json:"name"`
		Room           string `json:"room"`
		Code           string `json:"code"`
		JoinURL        string `json:"join_url"`
		FacilitatorURL string `json:"facilitator_url"`
		PresenterURL   string `json:"presenter_url"`
		QRURL          string `json:"qr_url"`
	} `json:"rooms"`
}

// organizerAPI calls the event's REST API with the organizer key.
func organizerAPI(t *testing.T, method, u, key string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, u, err, b)
		}
	}
	return resp.StatusCode
}

// keyOf is the key in a link's fragment.
func keyOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Fragment, "key=") {
		t.Fatalf("no key in %q", link)
	}
	return strings.TrimPrefix(u.Fragment, "key=")
}

// media emulates a CSS media type ("print"; "" for the screen again).
func (p *page) media(m string) {
	p.t.Helper()
	p.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	}))
}

// setLanguage picks an interface language from the page's menu.
func setLanguage(p *page, lang string) {
	p.eval(fmt.Sprintf(`(() => { const s = document.querySelector('select.lang-select'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, lang), nil)
	p.wait("language "+lang, fmt.Sprintf(`document.documentElement.lang === %q`, lang))
}

// allowDownloads sends the tab's downloads to dir.
func allowDownloads(p *page, dir string) {
	p.run(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior:         browser.SetDownloadBehaviorBehaviorAllow,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
			DownloadPath:     dir,
		})
		return err
	}))
}

// row is a JavaScript expression for a cell of a room's row in the overview.
func row(room, cell string) string {
	return fmt.Sprintf(`((document.querySelector('#rooms-body tr[data-room="%s"] %s') || {}).innerText || '')`, room, cell)
}

// announcements counts the announcement frames a phone got.
func announcements(p *wsclient.Phone) int {
	n := 0
	for _, f := range p.Frames() {
		if f.Type == wire.TypeNotice {
			n++
		}
	}
	return n
}

// TestEventOrganizer: an event of 12 rooms is created on /new; the
// organizer's overview shows what phones and facilitators do in the rooms,
// filters and sorts them, sends an announcement (that phones and the big
// screen show, once, and again after a reload) with a move to a step,
// exports the report; the printable sheet has every room's name, code, QR
// code and links, also in print; then the event is closed and deleted.
// Hostile names and texts stay text, and the pages pass the audit.
func TestEventOrganizer(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	axe := ""
	if src, err := os.ReadFile(axePath()); err == nil {
		axe = string(src)
	} else {
		t.Logf("axe-core not found at %s: no audit (run `make browser-deps`, or set STOPPUNKT_AXE)", axePath())
	}
	check := func(p *page, what string) {
		if axe != "" {
			audit(t, p, axe, what)
		}
	}
	var failRoom atomic.Value // a room whose announcements fail, or ""
	failRoom.Store("")
	in := server(t, map[string]string{"web-session": sessionPlan}, func(c *instance.Config) {
		c.Server.AccessCode = "arrangor-kode"
		c.Hub.FailAnnounce = func(room string) bool { return failRoom.Load() == room }
	})
	base := in.URL()

	// Create the event on /new: named rooms, one of them hostile.
	names := []string{evilRoom}
	for i := 2; i <= 12; i++ {
		names = append(names, fmt.Sprintf("Bord %d", i))
	}
	start := newPage(t, "new", laptopW, laptopH)
	start.open(base + "/new")
	setLanguage(start, "en")
	start.wait("plans", `document.querySelector('#plan-web-session')`)
	start.click("#plan-web-session")
	start.click("#mode-event")
	start.wait("event fields", `!document.querySelector('#event-fields').hidden && document.querySelector('#create-btn').textContent === 'Create event'`)
	start.typeInto("#event-name", evilEvent)
	start.click("#rooms-names-mode")
	start.typeInto("#rooms-names", names[0]+"\n"+names[1]+"\n"+names[1])
	start.click("#create-btn")
	start.wait("a name twice is refused", `!document.querySelector('#create-error').hidden && document.querySelector('#rooms-names').getAttribute('aria-invalid') === 'true'`)
	start.eval(`document.querySelector('#rooms-names').value = ''`, nil)
	start.typeInto("#rooms-names", strings.Join(names, "\n"))
	start.click("#access summary")
	start.typeInto("#access-code", "arrangor-kode")
	start.eval(`document.querySelector("#event-fields").scrollIntoView(), true`, nil)
	start.shot("1-event-form")
	check(start, "/new, event form")
	start.click("#create-btn")
	start.wait("event created", `!document.querySelector('#event-created').hidden`)
	if got := start.text("#created-event-name"); got != evilEvent {
		t.Errorf("created event name %q", got)
	}
	overviewURL := start.str(`document.querySelector('#overview-link').value`)
	sheetURL := start.str(`document.querySelector('#sheet-link').value`)
	if !strings.HasPrefix(overviewURL, base+"/e/") || !strings.HasPrefix(sheetURL, strings.Split(overviewURL, "#")[0]+"/sheet#key=") {
		t.Fatalf("links: %q, %q", overviewURL, sheetURL)
	}
	if !strings.Contains(start.text("#organizer-warning"), "secret") {
		t.Errorf("no keep-secret note: %q", start.text("#organizer-warning"))
	}
	start.shot("2-event-created")
	check(start, "/new, event created")
	noMarkupRan(t, start)

	key := keyOf(t, overviewURL)
	eventID := strings.TrimPrefix(strings.Split(overviewURL, "#")[0], base+"/e/")
	var sheet eventSheet
	if code := organizerAPI(t, http.MethodGet, base+"/api/events/"+eventID, key, &sheet); code != http.StatusOK || len(sheet.Rooms) != 12 {
		t.Fatalf("GET the event: %d, %d rooms", code, len(sheet.Rooms))
	}
	roomA, roomB, roomC := sheet.Rooms[0], sheet.Rooms[1], sheet.Rooms[2]
	if roomA.Name != evilRoom {
		t.Errorf("room names: %q", roomA.Name)
	}

	// The overview: every room, the key out of the address bar.
	ov := newPage(t, "overview", laptopW, laptopH)
	ov.open(overviewURL)
	setLanguage(ov, "en")
	ov.wait("12 rooms", `document.querySelectorAll('#rooms-body tr').length === 12 && document.querySelector('#conn-state').classList.contains('ok')`)
	if hash := ov.str(`location.hash`); hash != "" {
		t.Errorf("the key stays in the address bar: %q", hash)
	}
	if got := ov.text("#event-name"); got != evilEvent {
		t.Errorf("event name %q", got)
	}

	// People in the rooms: a facilitator and four phones (one a browser)
	// in A, two phones in B, and C locked by a facilitator who then left.
	ctx := instancetest.Ctx(t, waitLong)
	fac := func(r int) *wsclient.Phone {
		rm := sheet.Rooms[r]
		return instancetest.Dial(t, wire.Hello{Role: wire.RoleFacilitator, Room: rm.Room, Key: keyOf(t, rm.FacilitatorURL)}, in)
	}
	facA := fac(0)
	facC := fac(2)
	if _, err := facC.Command(ctx, wire.TypeLock, nil); err != nil {
		t.Fatalf("lock C: %v", err)
	}
	facC.Close()
	var phonesA []*wsclient.Phone
	for i := 0; i < 3; i++ {
		phonesA = append(phonesA, instancetest.Participant(t, roomA.Code, in))
	}
	phonesB := []*wsclient.Phone{instancetest.Participant(t, roomB.Code, in), instancetest.Participant(t, roomB.Code, in)}
	phone := phoneJoin(t, base, roomA.Code, "phone", "")
	setLanguage(phone, "en")
	if _, err := facA.Command(ctx, wire.TypeGoto, map[string]int{"step": 1}); err != nil {
		t.Fatalf("goto the poll: %v", err)
	}
	for i, p := range phonesA[:2] {
		if _, err := p.Submit(ctx, wire.TypeAnswer, fmt.Sprintf("a%d", i), map[string]any{"step": 1, "choices": []int{i}}); err != nil {
			t.Fatalf("answer: %v", err)
		}
	}

	// The overview's figures follow.
	ov.wait("room A: 4 participants on the poll, 2 answered, a facilitator",
		row(roomA.Room, "td:nth-child(3)")+` === '4' && `+row(roomA.Room, ".room-step")+`.startsWith('2/6') && `+
			row(roomA.Room, ".room-progress")+` === '2 of 4 answered' && `+row(roomA.Room, "td:nth-child(4)")+` === '1' && `+
			row(roomA.Room, ".room-status")+` === 'OK'`)
	if got := ov.str(row(roomA.Room, ".room-step")); !strings.Contains(got, "Er avvergingsplikten utløst?") {
		t.Errorf("room A step: %q", got)
	}
	if got := ov.str(row(roomA.Room, ".room-timer")); !strings.Contains(got, "01:00") {
		t.Errorf("room A timer: %q", got)
	}
	ov.wait("room B: 2 participants, no facilitator", row(roomB.Room, "td:nth-child(3)")+` === '2' && `+row(roomB.Room, ".room-status")+`.includes('No facilitator')`)
	ov.wait("room C: locked, no facilitator", row(roomC.Room, ".room-status")+`.includes('Locked') && `+row(roomC.Room, ".room-status")+`.includes('No facilitator')`)
	ov.wait("totals", `document.querySelector('#total-participants').textContent === '6' && document.querySelector('#total-no_facilitator').textContent === '11' && document.querySelector('#total-locked').textContent === '1'`)
	if got := ov.str(row(roomA.Room, "th")); got != evilRoom {
		t.Errorf("room A name %q", got)
	}
	// Warnings are words, not colour alone.
	if got := ov.strings(`[...document.querySelectorAll('#rooms-body tr[data-room="` + roomC.Room + `"] .warning-badge')].map((b) => b.textContent)`); len(got) != 2 {
		t.Errorf("room C badges: %q", got)
	}

	// The rows are the same elements from frame to frame.
	ov.eval(`document.querySelector('#rooms-body tr[data-room="`+roomB.Room+`"]').__kept = true`, nil)
	phonesB = append(phonesB, instancetest.Participant(t, roomB.Code, in))
	ov.wait("room B: 3 participants", row(roomB.Room, "td:nth-child(3)")+` === '3'`)
	var kept bool
	ov.eval(`document.querySelector('#rooms-body tr[data-room="`+roomB.Room+`"]').__kept === true`, &kept)
	if !kept {
		t.Errorf("the overview rebuilt room B's row instead of updating it")
	}

	// Filter and sort.
	choose := func(value string) {
		ov.eval(fmt.Sprintf(`(() => { const s = document.querySelector('#filter'); s.value = %q; s.dispatchEvent(new Event('change')); return true; })()`, value), nil)
	}
	visible := `[...document.querySelectorAll('#rooms-body tr')].filter((r) => !r.hidden).map((r) => r.dataset.room)`
	choose("locked")
	if got := ov.strings(visible); len(got) != 1 || got[0] != roomC.Room {
		t.Errorf("locked rooms: %v", got)
	}
	choose("warnings")
	if got := ov.strings(visible); len(got) != 11 || strings.Contains(strings.Join(got, ","), roomA.Room) {
		t.Errorf("rooms with warnings: %d %v", len(got), got)
	}
	if got := ov.text("#shown-count"); got != "Showing 11 of 12 rooms" {
		t.Errorf("shown count %q", got)
	}
	ov.shot("3-warnings")
	choose("all")
	ov.click(`button.sort[data-sort="participants"]`)
	if got := ov.strings(visible); len(got) != 12 || got[0] != roomA.Room || got[1] != roomB.Room {
		t.Errorf("sorted by participants: %v", got[:3])
	}
	if got := ov.str(`document.querySelector('th[data-sort="participants"]').getAttribute('aria-sort')`); got != "descending" {
		t.Errorf("aria-sort %q", got)
	}
	ov.typeInto("#search", strings.ToLower(roomB.Code))
	ov.wait("search by code", visible+`.length === 1`)
	ov.eval(`(() => { const s = document.querySelector('#search'); s.value = ''; s.dispatchEvent(new Event('input')); return true; })()`, nil)
	ov.shot("4-overview")
	check(ov, "event overview")

	// An announcement with a move to the plenary. Room B fails the first
	// time; sending again completes it, and no room gets it twice.
	failRoom.Store(roomB.Room)
	ov.typeInto("#ann-text", evilAnn)
	ov.click("#ann-move")
	ov.wait("steps listed", `document.querySelectorAll('#ann-step option').length === 6 && document.querySelector('#ann-step option[value="3"]').textContent === '4. Det gruppene fant'`)
	ov.eval(`document.querySelector('#ann-step').value = '3'`, nil)
	ov.click("#ann-send")
	ov.wait("confirm dialog", `document.querySelector('#confirm').open`)
	ov.shot("5-confirm")
	ov.click("#confirm-ok")
	ov.wait("partly sent", `document.querySelector('#ann-status').classList.contains('error') && !document.querySelector('#ann-send').disabled`)
	if got := ov.text("#ann-status"); !strings.HasPrefix(got, "Not sent to 1 of 12 rooms.") {
		t.Errorf("partial announce status %q", got)
	}
	failRoom.Store("")
	ov.click("#ann-send")
	ov.wait("confirm dialog again", `document.querySelector('#confirm').open`)
	ov.click("#confirm-ok")
	ov.wait("sent", `document.querySelector('#ann-status').classList.contains('ok')`)
	if got := ov.text("#ann-status"); got != "Sent to 12 rooms. 12 rooms moved to step 4." {
		t.Errorf("announce status %q", got)
	}
	ov.wait("room A on the plenary", row(roomA.Room, ".room-step")+`.startsWith('4/6')`)
	if got := ov.text("#ann-sent li"); !strings.Contains(got, evilAnn) {
		t.Errorf("sent list %q", got)
	}

	phone.wait("announcement on the phone", `!document.querySelector('#ann').hidden && document.querySelector('#ann .ann-text').textContent === `+jsString(evilAnn))
	phone.wait("the phone on the plenary", `document.querySelector('#step-title').textContent === 'Det gruppene fant'`)
	phone.shot("6-announcement")
	check(phone, "phone with an announcement")
	noMarkupRan(t, phone)
	for i, p := range append(phonesA, phonesB...) {
		if _, err := p.Wait(ctx, func(f wsclient.Frame) bool {
			var st struct {
				Index int `json:"index"`
			}
			return f.Type == wire.TypeStep && f.Decode(&st) == nil && st.Index == 3
		}); err != nil {
			t.Fatalf("phone %d: no move: %v", i, err)
		}
		// The announcement goes into the room's log before the move.
		if n := announcements(p); n != 1 {
			t.Errorf("phone %d got the announcement %d times", i, n)
		}
	}

	// The big screen shows it as a banner.
	big := newPage(t, "bigscreen", screenW, screenH)
	big.open(roomA.PresenterURL)
	big.wait("banner", `!document.querySelector('#ann').hidden && document.querySelector('#ann .ann-text').textContent === `+jsString(evilAnn))
	big.shot("7-announcement")
	check(big, "big screen with an announcement")
	noMarkupRan(t, big)

	// So does the room's dashboard, until the facilitator puts it away.
	dash := newPage(t, "dashboard", laptopW, laptopH)
	dash.open(roomA.FacilitatorURL)
	dash.wait("announcement on the dashboard", `!document.querySelector('#ann').hidden && document.querySelector('#ann .ann-text').textContent === `+jsString(evilAnn))
	dash.shot("7-announcement")
	check(dash, "dashboard with an announcement")
	dash.click("#ann .ann-dismiss")
	dash.wait("put away", `document.querySelector('#ann').hidden`)

	// After a reload the phone still shows it; once put away, it stays away.
	phone.open(base + "/j/" + roomA.Code)
	phone.wait("announcement after a reload", `!document.querySelector('#ann').hidden && document.querySelector('#ann .ann-text').textContent === `+jsString(evilAnn))
	phone.click("#ann .ann-dismiss")
	phone.wait("put away", `document.querySelector('#ann').hidden`)
	phone.open(base + "/j/" + roomA.Code)
	phone.wait("session again", `document.querySelector('#step-title') && document.querySelector('#step-title').textContent === 'Det gruppene fant'`)
	if hidden := phone.str(`String(document.querySelector('#ann').hidden)`); hidden != "true" {
		t.Errorf("the announcement came back after it was put away")
	}

	// Export the cross-room report as CSV.
	dir := t.TempDir()
	allowDownloads(ov, dir)
	ov.click("#fmt-csv")
	ov.click("#export-btn")
	ov.wait("exported", `document.querySelector('#export-status').classList.contains('ok')`)
	// A Norwegian plan: ';' between cells and a byte-order mark, for Excel.
	if report := waitFile(t, filepath.Join(dir, "stoppunkt-event-"+eventID+".csv")); !strings.HasPrefix(report, "\uFEFFroom;step;") {
		t.Errorf("report: %q", short(report))
	}

	// The printable sheet.
	sh := newPage(t, "sheet", laptopW, laptopH)
	sh.open(sheetURL)
	setLanguage(sh, "en")
	sh.wait("12 rooms with their QR codes", `document.querySelectorAll('.sheet-room').length === 12 && [...document.querySelectorAll('.sheet-qr')].every((i) => i.complete && i.naturalWidth > 0)`)
	if hash := sh.str(`location.hash`); hash != "" {
		t.Errorf("the key stays in the sheet's address bar: %q", hash)
	}
	for _, r := range sheet.Rooms {
		var got struct {
			Name, Code, QR, Join, Fac, Label string
		}
		sh.eval(fmt.Sprintf(`(() => { const a = document.querySelector('.sheet-room[data-room="%s"]'); return {
			Name: a.querySelector('h2').textContent, Code: a.querySelector('.sheet-code').textContent,
			QR: a.querySelector('img.sheet-qr').src, Join: a.querySelector('.sheet-join-link a').href,
			Fac: a.querySelector('.sheet-fac-link a').href, Label: a.querySelector('.sheet-fac-label').textContent}; })()`, r.Room), &got)
		if got.Name != r.Name || got.Code != r.Code || got.QR != base+"/qr/"+r.Code+".png" || got.Join != r.JoinURL || got.Fac != r.FacilitatorURL || !strings.Contains(got.Label, "Confidential") {
			t.Errorf("sheet block of %q: %+v", r.Name, got)
		}
	}
	noMarkupRan(t, sh)
	sh.fullShot("8-sheet")
	check(sh, "printable sheet")
	allowDownloads(sh, dir)
	sh.click("#csv-btn")
	sh.wait("CSV downloaded", `document.querySelector('#sheet-status').classList.contains('ok')`)
	if csv := waitFile(t, filepath.Join(dir, "stoppunkt-event-"+eventID+".csv")); !strings.Contains(csv, roomB.Code) {
		t.Errorf("sheet CSV: %q", short(csv))
	}

	// In print: no buttons, rooms whole, several to an A4 page.
	sh.media("print")
	var printed struct {
		Buttons int `json:"buttons"`
		Bar     string
		PerRow  int `json:"perRow"`
		Unsplit bool
	}
	sh.eval(`(() => {
		const rooms = [...document.querySelectorAll('.sheet-room')];
		const top = rooms[0].getBoundingClientRect().top;
		return {
			buttons: [...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null).length,
			Bar: getComputedStyle(document.querySelector('.sheet-bar')).display,
			perRow: rooms.filter((r) => Math.abs(r.getBoundingClientRect().top - top) < 2).length,
			Unsplit: rooms.every((r) => ['avoid', 'avoid-page'].includes(getComputedStyle(r).breakInside)),
		};
	})()`, &printed)
	if printed.Buttons != 0 || printed.Bar != "none" || printed.PerRow < 2 || !printed.Unsplit {
		t.Errorf("print layout: %+v", printed)
	}
	sh.fullShot("9-sheet-print")
	var pdf []byte
	yes := true
	sh.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69, PreferCSSPageSize: &yes})
		if err == nil {
			pdf = res.Data
		}
		return err
	}))
	pdfName := filepath.Join(shotsDir(t), slug(t.Name())+"-sheet.pdf")
	_ = os.WriteFile(pdfName, pdf, 0o644)
	pages := len(pdfPage.FindAll(pdf, -1))
	t.Logf("the sheet of 12 rooms prints on %d A4 pages (%s)", pages, pdfName)
	if pages == 0 || pages > 3 {
		t.Errorf("the sheet of 12 rooms prints on %d A4 pages; several rooms should fit on a page", pages)
	}
	sh.media("")

	// At 200% zoom the pages do not scroll sideways; the table scrolls in its box.
	for _, p := range []*page{ov, sh} {
		p.run(chromedp.EmulateViewport(683, 450))
		p.wait("layout at the new size", `window.innerWidth === 683`)
		var over int
		p.eval(`document.documentElement.scrollWidth - window.innerWidth`, &over)
		if over > 1 {
			t.Errorf("%s at 683 px: %d px of sideways scrolling", p.name, over)
		}
		p.fullShot("10-zoom")
		p.eval(`(document.querySelector('.table-wrap') || document.body).scrollIntoView(), true`, nil)
		p.shot("10-zoom-view")
		p.run(chromedp.EmulateViewport(laptopW, laptopH))
	}

	// In Norwegian, rows and headers follow at once.
	setLanguage(ov, "nb")
	ov.wait("Norwegian", `document.querySelector('th[data-sort="participants"]').innerText.includes('Deltakere') && `+
		row(roomB.Room, ".room-status")+`.includes('Ingen kursholder') && document.querySelector('#shown-count').textContent === 'Viser 12 av 12 rom'`)
	ov.shot("10-norwegian")
	setLanguage(ov, "en")

	// A wrong key gets a clear page, not the overview.
	bad := newPage(t, "badkey", laptopW, laptopH)
	bad.open(base + "/e/" + eventID + "#key=wrongwrongwrongwrongwrongwrong12")
	bad.wait("bad key", `!document.querySelector('#gone').hidden`)

	// Close the event: every room ends.
	ov.click("#close-btn")
	ov.wait("confirm dialog", `document.querySelector('#confirm').open`)
	ov.click("#confirm-ok")
	ov.wait("closed", `document.querySelector('#finish-status').classList.contains('ok') && document.querySelector('#ann-send').disabled`)
	ov.wait("every room ended", `[...document.querySelectorAll('#rooms-body .room-status')].every((c) => c.innerText === 'Ended')`)
	phone.wait("ended on the phone", `!document.querySelector('#notice').hidden`)
	ov.shot("11-closed")

	// Delete everything now. Another overview of the event notices too.
	ov2 := newPage(t, "overview-2", laptopW, laptopH)
	ov2.open(overviewURL)
	ov2.wait("12 rooms", `document.querySelectorAll('#rooms-body tr').length === 12 && document.querySelector('#conn-state').classList.contains('ok')`)
	ov.click("#delete-btn")
	ov.wait("confirm dialog", `document.querySelector('#confirm').open`)
	ov.click("#confirm-ok")
	ov.wait("deleted", `!document.querySelector('#gone').hidden && document.querySelector('#gone-title').textContent === 'The event has been deleted'`)
	ov.shot("12-deleted")
	if code := organizerAPI(t, http.MethodGet, base+"/api/events/"+eventID, key, nil); code != http.StatusNotFound {
		t.Errorf("after delete: GET the event gave %d", code)
	}
	phone.wait("deleted on the phone", `document.querySelector('#notice-title').textContent === 'This session no longer exists'`)
	ov2.wait("deleted in the other overview", `!document.querySelector('#gone').hidden`)
}

// TestEventPageRoutes: the event's pages are served with the pages'
// security headers, whatever the id (the page checks the key itself).
func TestEventPageRoutes(t *testing.T) {
	in := server(t, nil)
	for _, path := range []string{"/e/aaaaaaaaaaaaaaaaaaaa", "/e/aaaaaaaaaaaaaaaaaaaa/sheet"} {
		resp, err := http.Get(in.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "/static/js/event.js"
		if strings.HasSuffix(path, "/sheet") {
			want = "/static/js/sheet.js"
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: %s, CSP %q, referrer %q", path, resp.Status, resp.Header.Get("Content-Security-Policy"), resp.Header.Get("Referrer-Policy"))
		}
	}
}

// TestEventOverviewManyRooms: the overview of an event of 500 rooms shows
// every room and keeps up: a change in one room updates that row in place,
// and sorting and filtering work on all of them.
func TestEventOverviewManyRooms(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 500 rooms")
	}
	startBrowser(t)
	in := server(t, map[string]string{"web-session": sessionPlan})
	base := in.URL()
	const rooms = 500
	began := time.Now()
	body := strings.NewReader(fmt.Sprintf(`{"plan": "web-session", "name": "Stor konferanse", "rooms": %d}`, rooms))
	resp, err := http.Post(base+"/api/events", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		eventSheet
		OverviewURL string `json:"overview_url"`
	}
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || len(created.Rooms) != rooms {
		t.Fatalf("create an event of %d rooms: %s, %v", rooms, resp.Status, err)
	}
	t.Logf("created %d rooms in %s", rooms, time.Since(began).Round(time.Millisecond))

	ov := newPage(t, "overview-500", laptopW, laptopH)
	ov.open(created.OverviewURL)
	setLanguage(ov, "en")
	// Long tasks of the page, to see in the log whether it keeps up.
	ov.eval(`window.__long = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(Math.round(e.duration)); }).observe({type: 'longtask', buffered: true}); true`, nil)
	began = time.Now()
	ov.wait("every room loaded", fmt.Sprintf(`document.querySelectorAll('#rooms-body tr').length === %d && ![...document.querySelectorAll('#rooms-body .room-status')].some((c) => c.innerText === 'Loading…')`, rooms))
	t.Logf("every room loaded in the overview after %s", time.Since(began).Round(time.Millisecond))

	target := created.Rooms[rooms/2]
	ov.eval(`document.querySelector('#rooms-body tr[data-room="`+target.Room+`"]').__kept = true`, nil)
	instancetest.Participant(t, target.Code, in)
	instancetest.Participant(t, target.Code, in)
	ov.wait("the room's participants", row(target.Room, "td:nth-child(3)")+` === '2' && document.querySelector('#total-participants').textContent === '2'`)
	var kept bool
	ov.eval(`document.querySelector('#rooms-body tr[data-room="`+target.Room+`"]').__kept === true`, &kept)
	if !kept {
		t.Errorf("the row was rebuilt instead of updated")
	}
	ov.click(`button.sort[data-sort="participants"]`)
	if first := ov.str(`document.querySelector('#rooms-body tr').dataset.room`); first != target.Room {
		t.Errorf("sorted by participants, the first room is %s, not %s", first, target.Room)
	}
	ov.typeInto("#search", target.Code)
	ov.wait("found by code", `[...document.querySelectorAll('#rooms-body tr')].filter((r) => !r.hidden).length === 1`)
	ov.shot("500-rooms")
	var long []int
	ov.eval(`window.__long`, &long)
	t.Logf("long tasks on the overview (ms): %v", long)
}
