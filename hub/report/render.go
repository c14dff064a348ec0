package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// Formats a report can be written in.
const (
	FormatMarkdown = "md"
	FormatCSV      = "csv"
	FormatJSON     = "json"
)

// ContentType returns the MIME type of a format, or "" if unknown.
func ContentType(format string) string {
	switch format {
	case FormatMarkdown:
		return "text/markdown; charset=utf-8"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatJSON:
		return "application/json"
	}
	return ""
}

// Write renders the report in a format.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case FormatMarkdown:
		return r.writeMarkdown(w)
	case FormatCSV:
		return r.writeCSV(w)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return fmt.Errorf("report: unknown format %q", format)
}

// md escapes text written by people so that a Markdown viewer shows it as
// the text it is: no markup, no HTML, no table breaking.
func md(s string) string {
	r := strings.NewReplacer(
		`\`, `\\`, "<", `\<`, ">", `\>`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`",
		"[", `\[`, "]", `\]`, "#", `\#`,
	)
	return r.Replace(s)
}

// mdBlock escapes a multi-line text as paragraphs.
func mdBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = md(l)
	}
	return strings.Join(lines, "  \n")
}

func (r *Report) writeMarkdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", md(r.Title))
	fmt.Fprintf(&b, "Room %s · plan `%s` · %s · %d participants · created %s · exported %s\n\n",
		r.Code, r.Plan, r.Language, r.Participants, r.CreatedAt.Format("2006-01-02 15:04 MST"), r.GeneratedAt.Format("2006-01-02 15:04 MST"))
	if r.IncludesAll {
		b.WriteString("This report includes texts the facilitator has not approved.\n\n")
	} else {
		b.WriteString("Only texts the facilitator approved are included.\n\n")
	}
	b.WriteString("Nothing in this report says who wrote or chose what. Questions fewer than 3 people answered show no breakdown.\n\n")
	for _, st := range r.Steps {
		if !st.reportable() {
			continue
		}
		fmt.Fprintf(&b, "## %d. %s\n\n", st.Index+1, md(st.Title))
		st.writeMarkdown(&b)
	}
	if len(r.Actions) > 0 {
		b.WriteString("## Action list\n\n| # | Measure | Responsible | Deadline |\n|---|---|---|---|\n")
		for i, a := range r.Actions {
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", i+1, md(oneLine(a.What)), md(oneLine(a.Who)), md(oneLine(a.When)))
		}
		b.WriteString("\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// reportable reports whether a step has anything to say.
func (st *Step) reportable() bool {
	return room.Takes(st.Kind) || len(st.Texts) > 0
}

func (st *Step) writeMarkdown(b *bytes.Buffer) {
	if room.Takes(st.Kind) {
		fmt.Fprintf(b, "%d answered.", st.Answered)
		if st.TooFew {
			b.WriteString(" Too few answered to show a breakdown.")
		}
		b.WriteString("\n\n")
	}
	switch {
	case len(st.Options) > 0:
		writeCounts(b, "Option", st.Options)
	case st.Scale != nil:
		b.WriteString("| Value | Answers |\n|---|---|\n")
		for i, c := range st.Scale.Counts {
			label := strconv.Itoa(st.Scale.Min + i)
			switch i {
			case 0:
				label += " (" + md(st.Scale.MinLabel) + ")"
			case len(st.Scale.Counts) - 1:
				label += " (" + md(st.Scale.MaxLabel) + ")"
			}
			fmt.Fprintf(b, "| %s | %d |\n", label, c)
		}
		fmt.Fprintf(b, "\nMedian: %s\n\n", strconv.FormatFloat(st.Scale.Median, 'f', -1, 64))
	case len(st.Words) > 0:
		b.WriteString("| Word | Count |\n|---|---|\n")
		for _, wc := range st.Words {
			fmt.Fprintf(b, "| %s | %d |\n", md(wc.Word), wc.Count)
		}
		b.WriteString("\n")
	}
	if len(st.FollowUp) > 0 {
		b.WriteString("Follow-up needs:\n\n")
		writeCounts(b, "Need", st.FollowUp)
	}
	for _, t := range st.Texts {
		label := "Answer"
		switch t.Kind {
		case room.ItemGroup:
			label = fmt.Sprintf("Group %d", t.Group)
		case room.ItemClosing:
			label = "Takeaway"
		}
		if t.Status != room.StatusApproved {
			label += " (" + t.Status + ")"
		}
		fmt.Fprintf(b, "**%s:**  \n%s\n\n", label, mdBlock(t.Text))
	}
}

func writeCounts(b *bytes.Buffer, head string, counts []Count) {
	fmt.Fprintf(b, "| %s | Answers |\n|---|---|\n", head)
	for _, c := range counts {
		fmt.Fprintf(b, "| %s | %d |\n", md(c.Option), c.Count)
	}
	b.WriteString("\n")
}

// CSVHeader is the first row of a CSV report.
var CSVHeader = []string{"step", "step_title", "kind", "group", "answer", "who", "when", "status"}

func (r *Report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVHeader)
	for _, st := range r.Steps {
		idx := strconv.Itoa(st.Index + 1)
		kind := string(st.Kind)
		if st.Kind == plan.KindClosing {
			kind = "follow_up"
		}
		for _, a := range sortedCopy(st.answers) {
			_ = cw.Write([]string{idx, CSVSafe(st.Title), kind, "", CSVSafe(a), "", "", ""})
		}
		for _, t := range st.Texts {
			_ = cw.Write([]string{idx, CSVSafe(st.Title), t.Kind, groupCell(t.Group), CSVSafe(t.Text), "", "", t.Status})
		}
	}
	for _, a := range r.Actions {
		_ = cw.Write([]string{strconv.Itoa(a.Step + 1), CSVSafe(r.Steps[a.Step].Title), room.ItemAction, groupCell(a.Group), CSVSafe(a.What), CSVSafe(a.Who), CSVSafe(a.When), a.Status})
	}
	cw.Flush()
	return cw.Error()
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
