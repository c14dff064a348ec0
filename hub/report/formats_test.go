package report

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Oslo on machines without a zone database

	"github.com/xuri/excelize/v2"
)

func TestLanguagesComplete(t *testing.T) {
	for _, l := range languages {
		v := reflect.ValueOf(l.w)
		same := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", l.code, v.Type().Field(i).Name)
			}
			if v.Field(i).String() == reflect.ValueOf(langEN.w).Field(i).String() {
				same++
			}
		}
		if l != langEN && same > v.NumField()/4 {
			t.Errorf("%s: %d of %d texts are the English ones", l.code, same, v.NumField())
		}
		for _, m := range l.months {
			if m == "" {
				t.Errorf("%s: a month without a name", l.code)
			}
		}
	}
	for code, want := range map[string]*lang{"nb": langNB, "nn": langNB, "da": langDA, "en": langEN, "sv": langEN, "": langEN} {
		if got := langFor(code); got != want {
			t.Errorf("plan language %q: report in %s, want %s", code, got.code, want.code)
		}
	}
}

func TestNumbersAndDatesPerLanguage(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 13, 3, 0, 0, time.UTC).In(oslo)
	for _, tt := range []struct {
		l                        *lang
		half, big, date, percent string
	}{
		{langNB, "2,5", "12\u00a0345", "5. desember 2026 kl. 14.03", "25\u00a0%"},
		{langDA, "2,5", "12.345", "5. december 2026 kl. 14.03", "25\u00a0%"},
		{langEN, "2.5", "12,345", "5 December 2026, 14:03", "25%"},
	} {
		if got := tt.l.num(2.5); got != tt.half {
			t.Errorf("%s: 2.5 is %q, want %q", tt.l.code, got, tt.half)
		}
		if got := tt.l.int(12345); got != tt.big {
			t.Errorf("%s: 12345 is %q, want %q", tt.l.code, got, tt.big)
		}
		if got := tt.l.dateTime(at); got != tt.date {
			t.Errorf("%s: date %q, want %q", tt.l.code, got, tt.date)
		}
		if got := tt.l.percent(1, 4); got != tt.percent {
			t.Errorf("%s: 1 of 4 is %q, want %q", tt.l.code, got, tt.percent)
		}
		if got := tt.l.num(3); got != "3" {
			t.Errorf("%s: 3 is %q", tt.l.code, got)
		}
		if got := tt.l.num(-0.5); got != "-0"+tt.l.decimal+"5" {
			t.Errorf("%s: -0.5 is %q", tt.l.code, got)
		}
	}
}

// TestReportInTheRoomsLanguage: a Norwegian and a Danish room get their
// report in their language, with decimal commas, their dates in the
// server's zone, and a CSV that their spreadsheets open as it is.
func TestReportInTheRoomsLanguage(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		lang string
		want []string
		not  []string
	}{
		{"nb", []string{"Antall svar: 4.", "Median: 2,5", "Opprettet: 5. desember 2026 kl. 14.03", "| Alternativ | Antall | Andel |", "## Handlingsliste", "| Nr. | Tiltak | Beskrivelse | Ansvarlig | Frist |", "Avslutningstanke", "**Gruppe 1:**"},
			[]string{"Answer", "Median: 2.5", "**Group", "Participants"}},
		{"da", []string{"Antal svar: 4.", "Median: 2,5", "Oprettet: 5. december 2026 kl. 14.03", "| Svarmulighed | Antal | Andel |", "## Handleplan", "| Nr. | Tiltag | Beskrivelse | Ansvarlig | Frist |", "Afsluttende tanke", "**Gruppe 1:**"},
			[]string{"Answer", "Median: 2.5", "**Group", "Participants"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			s, _ := everyKind(t, tt.lang, 4)
			r := Build(s, Options{Now: testNow, Location: oslo})
			if r.TimeZone != "Europe/Oslo" || r.CreatedAt.Format("15:04 -0700") != "14:03 +0100" {
				t.Errorf("dates: zone %q, created %s", r.TimeZone, r.CreatedAt)
			}
			out := renderAll(t, r)
			for _, w := range tt.want {
				if !strings.Contains(out[FormatMarkdown], w) {
					t.Errorf("markdown lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out[FormatMarkdown], w) {
					t.Errorf("markdown has the English %q", w)
				}
			}
			if !strings.Contains(out[FormatHTML], `<html lang="`+tt.lang+`">`) || !strings.Contains(out[FormatHTML], "Median 2,5") {
				t.Errorf("the page is not in %s or lacks the median", tt.lang)
			}
			body, ok := strings.CutPrefix(out[FormatCSV], utf8BOM)
			if !ok {
				t.Fatalf("the CSV does not start with a byte-order mark: %q", out[FormatCSV][:20])
			}
			cr := csv.NewReader(strings.NewReader(body))
			cr.Comma = ';'
			rows, err := cr.ReadAll()
			if err != nil || len(rows) < 10 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
				t.Fatalf("the CSV does not read with ';': %v %v", err, rows)
			}
		})
	}
}

func TestWorkbookReadsBack(t *testing.T) {
	var b bytes.Buffer
	r := Build(build(t), Options{Now: testNow})
	if err := r.Write(&b, FormatXLSX); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	want := []string{"Summary", "1 Few voted", "2 Many voted", "3 Sure", "4 Thoughts", "5 Measures", "Action list"}
	if strings.Join(sheets, "|") != strings.Join(want, "|") {
		t.Fatalf("sheets %q, want %q", sheets, want)
	}
	rows, _ := f.GetRows("4 Thoughts")
	found := false
	for n, row := range rows {
		if len(row) > 0 && row[0] == "<script>alert(1)</script> | =cmd" {
			found = true
			cell, _ := excelize.CoordinatesToCellName(1, n+1)
			if formula, _ := f.GetCellFormula("4 Thoughts", cell); formula != "" {
				t.Errorf("a text became the formula %q", formula)
			}
			if typ, _ := f.GetCellType("4 Thoughts", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
				t.Errorf("a text is stored as cell type %v", typ)
			}
		}
	}
	if !found {
		t.Errorf("the open answer is not in its sheet: %q", rows)
	}
	rows, _ = f.GetRows("Action list")
	if len(rows) < 5 || strings.Join(rows[2], "|") != "No.|Measure|Description|Responsible|Deadline|Group|Step" ||
		strings.Join(rows[3][:5], "|") != "1|Review routines|Go through the routine for reporting concerns|Leader|March" {
		t.Fatalf("action sheet: %q", rows)
	}
	rows, _ = f.GetRows("1 Few voted")
	if len(rows) != 3 || !strings.Contains(rows[2][0], "Too few") {
		t.Fatalf("a step with too few answers: %q", rows)
	}
}

func TestSheetNames(t *testing.T) {
	used := map[string]bool{}
	for in, want := range map[string]string{
		"1 What: now? [really] / *yes*":                       "1 What  now   really     yes",
		"2 A very long step title that goes on and on and on": "2 A very long step title that g",
	} {
		if got := sheetName(in, used); got != strings.Join(strings.Fields(want), " ") {
			t.Errorf("sheetName(%q) = %q", in, got)
		}
	}
	if a, b := sheetName("Same", used), sheetName("same", used); a != "Same" || b != "same (2)" {
		t.Errorf("two sheets named alike: %q %q", a, b)
	}
	for name := range used {
		if len([]rune(name)) > maxSheetName {
			t.Errorf("%q is too long for a sheet name", name)
		}
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	handlerAttr  = regexp.MustCompile(`\son[a-z]+\s*=`)
)

// TestPageEscapesAndRunsUnderCSP: hostile text is shown as text, and the
// page has no inline script, event handler or style attribute that a
// strict Content-Security-Policy would block.
func TestPageEscapesAndRunsUnderCSP(t *testing.T) {
	var b bytes.Buffer
	if err := Build(build(t), Options{Now: testNow}).Write(&b, FormatHTML); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; | =cmd") {
		t.Fatal("the open answer is not escaped")
	}
	if !strings.Contains(page, "<h1>Report &lt;test&gt;</h1>") {
		t.Fatal("the title is not escaped")
	}
	for _, tag := range inlineScript.FindAllString(page, -1) {
		if !strings.Contains(tag, ` src="/static/js/report-page.js"`) {
			t.Errorf("inline or foreign script: %s", tag)
		}
	}
	if handlerAttr.MatchString(page) || strings.Contains(page, " style=") || strings.Contains(page, "<style") {
		t.Error("the page has an event handler or inline style")
	}
	if strings.Count(page, `<svg class="chart"`) != 2 {
		t.Errorf("want charts for the poll and the scale, have %d", strings.Count(page, `<svg class="chart"`))
	}
	for _, want := range []string{`<link rel="stylesheet" href="/static/css/report.css">`, `<th scope="col" class="c-measure">Measure</th>`,
		`<td class="c-measure">Review routines</td><td class="c-desc">Go through the routine for reporting concerns</td><td class="c-who">Leader</td><td class="c-when">March</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestWrapBreaksLongWords(t *testing.T) {
	lines := wrap(strings.Repeat("x", 200)+" short words here", labelSize, chartWidth)
	for _, l := range lines {
		if float64(len([]rune(l)))*labelSize*charWidth > chartWidth {
			t.Errorf("line %q is wider than the chart", l)
		}
	}
	if len(lines) < 3 || !strings.HasSuffix(strings.Join(lines, " "), "short words here") {
		t.Errorf("lines %q", lines)
	}
}
