package instance_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/report/reporttest"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// reportWords are what each language's report must say, and the sheet
// names its workbook must have.
var reportWords = map[string]struct {
	answered, median, created, summary, actions string
	comma                                       rune
	bom                                         bool
}{
	"nb": {"Antall svar: 6.", "Median: 2,5", `Opprettet: \d{1,2}\. (januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember) \d{4} kl\. \d\d\.\d\d`, "Sammendrag", "Handlingsliste", ';', true},
	"da": {"Antal svar: 6.", "Median: 2,5", `Oprettet: \d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december) \d{4} kl\. \d\d\.\d\d`, "Sammendrag", "Handleplan", ';', true},
	"en": {"Answers: 6.", "Median: 2.5", `Created: \d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}, \d\d:\d\d`, "Summary", "Action list", ',', false},
}

// TestReportFormatsFromARealSession runs a whole session in Norwegian,
// Danish and English through an instance with real websockets, then opens
// the report in every format: each is in the room's language and the
// server's time zone, holds what was sent, and shows hostile text as text.
func TestReportFormatsFromARealSession(t *testing.T) {
	ns := it.NATS(t)
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: func(c *instance.Config) { c.Server.TimeZone = oslo }})
	for _, lang := range []string{"nb", "da", "en"} {
		t.Run(lang, func(t *testing.T) {
			s := it.RunReportSession(t, in, lang, 6)
			base := in.URL() + "/api/rooms/" + s.Room.Room + "/report"
			get := func(format string) (string, string) {
				t.Helper()
				code, body, hdr := authed(t, "GET", base+"?format="+format, s.Room.Key)
				if code != 200 || hdr.Get("Content-Type") != report.ContentType(format) || hdr.Get("Cache-Control") != "no-store" {
					t.Fatalf("%s: %d %s %q", format, code, hdr.Get("Content-Type"), body)
				}
				return body, hdr.Get("Content-Disposition")
			}
			words := reportWords[lang]
			checkJSON(t, get, s)
			checkMarkdown(t, get, s, words.answered, words.median, words.created)
			checkCSV(t, get, s, words.comma, words.bom)
			checkWorkbook(t, get, s, words.summary, words.actions)
			checkPage(t, in, base, s)
		})
	}
}

func checkJSON(t *testing.T, get func(string) (string, string), s it.ReportSession) {
	t.Helper()
	body, _ := get("json")
	reporttest.CheckJSON(t, []byte(body))
	var rep report.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.TimeZone != "Europe/Oslo" || !strings.Contains(body, `"created_at": "`) {
		t.Errorf("time zone %q", rep.TimeZone)
	}
	if _, off := rep.CreatedAt.Zone(); off != 3600 && off != 7200 {
		t.Errorf("created_at %s is not in Oslo time", rep.CreatedAt)
	}
	for step, texts := range s.Texts {
		var got []string
		for _, tx := range rep.Steps[step].Texts {
			got = append(got, tx.Text)
		}
		for _, text := range texts {
			if !strings.Contains(strings.Join(got, "\n"), text) {
				t.Errorf("step %d (%s): the report lacks %q", step, rep.Steps[step].Kind, text)
			}
		}
	}
	if len(rep.Actions) != len(s.Measures) {
		t.Errorf("%d measures in the action list, want %d", len(rep.Actions), len(s.Measures))
	}
}

func checkMarkdown(t *testing.T, get func(string) (string, string), s it.ReportSession, answered, median, created string) {
	t.Helper()
	body, disp := get("md")
	if disp != `attachment; filename="stoppunkt-`+s.Room.Code+`.md"` {
		t.Errorf("markdown disposition %q", disp)
	}
	for _, want := range []string{answered, median, it.LongWord} {
		if !strings.Contains(body, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if !regexp.MustCompile(created).MatchString(body) {
		t.Errorf("markdown has no local date like %s", created)
	}
	if regexp.MustCompile(`(^|[^\\])<(img|script)`).MatchString(body) || !strings.Contains(body, `\<img src=x`) {
		t.Error("markdown holds raw HTML, or lacks the escaped text")
	}
}

func checkCSV(t *testing.T, get func(string) (string, string), s it.ReportSession, comma rune, bom bool) {
	t.Helper()
	body, _ := get("csv")
	rest, hasBOM := strings.CutPrefix(body, "\uFEFF")
	if hasBOM != bom {
		t.Errorf("byte-order mark %v, want %v", hasBOM, bom)
	}
	cr := csv.NewReader(strings.NewReader(rest))
	cr.Comma = comma
	rows, err := cr.ReadAll()
	if err != nil || len(rows) < 30 || strings.Join(rows[0], ",") != strings.Join(report.CSVHeader, ",") {
		t.Fatalf("CSV with %q: %v, %d rows, header %v", comma, err, len(rows), rows[0])
	}
	measures := 0
	for _, r := range rows[1:] {
		if r[2] == "action" {
			measures++
			if r[5] != "Rektor og verneombud" || r[6] != "Innen 1. mars 2027" {
				t.Errorf("action row %q", r)
			}
		}
	}
	if measures != len(s.Measures) {
		t.Errorf("%d action rows, want %d", measures, len(s.Measures))
	}
}

func checkWorkbook(t *testing.T, get func(string) (string, string), s it.ReportSession, summary, actions string) {
	t.Helper()
	body, disp := get("xlsx")
	if disp != `attachment; filename="stoppunkt-`+s.Room.Code+`.xlsx"` {
		t.Errorf("workbook disposition %q", disp)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	// Summary, the seven steps with something to say, the action list.
	if len(sheets) != 9 || sheets[0] != summary || sheets[len(sheets)-1] != actions {
		t.Fatalf("sheets %q", sheets)
	}
	rows, err := f.GetRows(actions)
	if err != nil || len(rows) != 3+len(s.Measures) {
		t.Fatalf("action sheet: %v %q", err, rows)
	}
	for _, r := range rows[3:] {
		if !strings.HasPrefix(r[1], "Tiltak ") || !strings.HasPrefix(r[2], "Se særlig") || r[3] != "Rektor og verneombud" || r[4] != "Innen 1. mars 2027" {
			t.Errorf("action row %q", r)
		}
	}
	found := false
	for _, name := range sheets {
		rows, _ := f.GetRows(name)
		for _, r := range rows {
			if len(r) > 0 && r[0] == it.Hostile {
				found = true
			}
		}
	}
	if !found {
		t.Error("the workbook lacks the hostile text as it was written")
	}
}

func checkPage(t *testing.T, in *instance.Instance, base string, s it.ReportSession) {
	t.Helper()
	code, body, hdr := authed(t, "GET", base+"?format=html", s.Room.Key)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Disposition"), "inline;") ||
		!strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("page: %d %v", code, hdr)
	}
	if strings.Count(body, `<svg class="chart"`) != 4 {
		t.Errorf("want 4 charts (poll, scale, word cloud, follow-up), have %d", strings.Count(body, `<svg class="chart"`))
	}
	if strings.Contains(body, "<img") || strings.Contains(body, "<script>document") {
		t.Error("the page holds the hostile text as markup")
	}
	if code, _, _ := authed(t, "GET", base+"?format=html", ""); code != 401 {
		t.Errorf("the page without a key: %d", code)
	}
	if code, _, _ := authed(t, "GET", base+"?format=pdf", s.Room.Key); code != 400 {
		t.Errorf("an unknown format: %d", code)
	}
}
