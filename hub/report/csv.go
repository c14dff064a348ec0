package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// CSVHeader is the first row of a CSV report. The column names and the
// values of step, kind and status are the same in every language, for
// the programs that read them; docs/protocol.md describes them.
var CSVHeader = []string{"step", "step_title", "kind", "group", "answer", "who", "when", "status", "votes"}

// utf8BOM starts a CSV file for spreadsheets that would otherwise guess
// an older encoding.
const utf8BOM = "\uFEFF"

// csvWriter starts a CSV file in the language's conventions: Norwegian
// and Danish spreadsheets expect ';' between cells (the comma is their
// decimal separator) and read UTF-8 only after a byte-order mark.
func (l *lang) csvWriter(w io.Writer) (*csv.Writer, error) {
	if l.csvBOM {
		if _, err := io.WriteString(w, utf8BOM); err != nil {
			return nil, fmt.Errorf("report: write csv: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	cw.Comma = l.csvComma
	return cw, nil
}

func (r *Report) writeCSV(w io.Writer) error {
	cw, err := r.l().csvWriter(w)
	if err != nil {
		return err
	}
	_ = cw.Write(CSVHeader)
	for _, row := range r.csvRows() {
		_ = cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write csv: %w", err)
	}
	return nil
}

// csvRows are the report's rows below the header: one per answer of each
// step, then its texts, then the action list. Every cell a person wrote is
// made safe for spreadsheets.
func (r *Report) csvRows() [][]string {
	var rows [][]string
	for _, st := range r.Steps {
		idx := strconv.Itoa(st.Index + 1)
		kind := string(st.Kind)
		if st.Kind == plan.KindClosing {
			kind = "follow_up"
		}
		for _, a := range st.answers {
			rows = append(rows, []string{idx, CSVSafe(st.Title), kind, "", CSVSafe(a), "", "", ""})
		}
		for _, t := range st.Texts {
			rows = append(rows, []string{idx, CSVSafe(st.Title), t.Kind, groupCell(t.Group), CSVSafe(t.Text), "", "", t.Status})
		}
	}
	for _, a := range r.Actions {
		title := ""
		if a.Step < len(r.Steps) {
			title = r.Steps[a.Step].Title
		}
		rows = append(rows, []string{strconv.Itoa(a.Step + 1), CSVSafe(title), room.ItemAction, groupCell(a.Group), CSVSafe(a.What), CSVSafe(a.Who), CSVSafe(a.When), a.Status})
	}
	for i := range rows {
		rows[i] = append(rows[i], "")
	}
	for _, q := range r.Questions {
		status := q.Status
		if q.Answered {
			status = strings.TrimPrefix(status+";answered", ";")
		}
		rows = append(rows, []string{"", "", room.ItemQuestion, "", CSVSafe(q.Text), "", "", status, strconv.Itoa(q.Votes)})
	}
	return rows
}

func groupCell(g int) string {
	if g == 0 {
		return ""
	}
	return strconv.Itoa(g)
}

// CSVSafe keeps a spreadsheet from reading a cell as a formula.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
