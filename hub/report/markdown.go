package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

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
	r.writeMarkdownBody(&b, "##")
	_, err := w.Write(b.Bytes())
	return err
}

// meta is the report's header line: room, plan, people, dates.
func (r *Report) meta() []string {
	l := r.l()
	state := l.w.Open
	if r.Ended {
		state = l.w.Ended
	}
	return []string{
		l.w.Room + ": " + r.Code,
		l.w.Plan + ": " + r.Plan,
		l.w.Participants + ": " + l.int(r.Participants),
		l.w.Created + ": " + l.dateTime(r.CreatedAt),
		l.w.Exported + ": " + l.dateTime(r.GeneratedAt),
		state,
	}
}

// notes are the sentences that say what the report holds.
func (r *Report) notes() []string {
	l := r.l()
	first := l.w.OnlyApproved
	if r.IncludesAll {
		first = l.w.IncludesAll
	}
	return []string{first, l.w.Anonymous}
}

// writeMarkdownBody writes everything below the title, with section
// headings at level h.
func (r *Report) writeMarkdownBody(b *bytes.Buffer, h string) {
	l := r.l()
	meta := r.meta()
	for i := range meta {
		meta[i] = md(meta[i])
	}
	b.WriteString(strings.Join(meta, " · ") + "\n\n")
	for _, n := range r.notes() {
		b.WriteString(md(n) + "\n\n")
	}
	for _, st := range r.Steps {
		if !st.reportable() {
			continue
		}
		fmt.Fprintf(b, "%s %d. %s\n\n", h, st.Index+1, md(st.Title))
		st.writeMarkdown(b, l, r.IncludesAll)
	}
	if len(r.Actions) > 0 {
		fmt.Fprintf(b, "%s %s\n\n", h, md(l.w.Actions))
		head := []string{l.w.Number, l.w.Measure, l.w.Description, l.w.Responsible, l.w.Deadline}
		if r.IncludesAll {
			head = append(head, l.w.Status)
		}
		b.WriteString("| " + strings.Join(head, " | ") + " |\n|" + strings.Repeat("---|", len(head)) + "\n")
		for i, a := range r.Actions {
			measure, desc := splitMeasure(a.What)
			row := []string{l.int(i + 1), md(oneLine(measure)), md(oneLine(desc)), md(oneLine(a.Who)), md(oneLine(a.When))}
			if r.IncludesAll {
				row = append(row, md(l.status(a.Status)))
			}
			b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		}
		b.WriteString("\n")
	}
	if len(r.Questions) > 0 {
		fmt.Fprintf(b, "%s %s\n\n", h, md(l.w.Questions))
		b.WriteString("| " + md(l.w.Questions) + " | " + md(l.w.Votes) + " | " + md(l.w.Status) + " |\n|---|---|---|\n")
		for _, q := range r.Questions {
			status := l.status(q.Status)
			if q.Answered {
				status = strings.TrimPrefix(status+" · "+l.w.AnsweredMark, " · ")
			}
			b.WriteString("| " + md(oneLine(q.Text)) + " | " + l.int(q.Votes) + " | " + md(status) + " |\n")
		}
		b.WriteString("\n")
	}
}

// reportable reports whether a step has anything to say.
func (st *Step) reportable() bool {
	return room.Takes(st.Kind) || room.Shared(st.Kind) || len(st.Texts) > 0
}

// writeMarkdown writes a step's results and texts; all labels the texts
// the facilitator did not approve (a report with every text).
func (st *Step) writeMarkdown(b *bytes.Buffer, l *lang, all bool) {
	if room.Takes(st.Kind) || room.Shared(st.Kind) {
		fmt.Fprintf(b, "%s: %s.", l.w.Answers, l.int(st.Answered))
		if st.TooFew {
			b.WriteString(" " + l.w.TooFew)
		}
		b.WriteString("\n\n")
	}
	switch {
	case len(st.Options) > 0:
		writeCounts(b, l, l.w.Option, st.Options, st.Answered)
	case st.Scale != nil:
		fmt.Fprintf(b, "| %s | %s |\n|---|---|\n", l.w.Value, l.w.Count)
		for i, c := range st.Scale.Counts {
			fmt.Fprintf(b, "| %s | %s |\n", scaleLabel(st.Scale, i, md), l.int(c))
		}
		fmt.Fprintf(b, "\n%s: %s\n\n", l.w.Median, l.num(st.Scale.Median))
	case len(st.Words) > 0:
		fmt.Fprintf(b, "| %s | %s |\n|---|---|\n", l.w.Word, l.w.Count)
		for _, wc := range st.Words {
			fmt.Fprintf(b, "| %s | %s |\n", md(wc.Word), l.int(wc.Count))
		}
		b.WriteString("\n")
	}
	if len(st.FollowUp) > 0 {
		fmt.Fprintf(b, "%s:\n\n", l.w.FollowUp)
		writeCounts(b, l, l.w.Option, st.FollowUp, st.Answered)
	}
	for _, t := range st.Texts {
		label := textLabel(l, t)
		if all && t.Status != room.StatusApproved {
			label += " (" + l.status(t.Status) + ")"
		}
		fmt.Fprintf(b, "**%s:**  \n%s\n\n", md(label), mdBlock(t.Text))
	}
}

// scaleLabel names one value of a scale, with the end labels at the ends.
func scaleLabel(s *Scale, i int, esc func(string) string) string {
	label := fmt.Sprint(s.Min + i)
	switch {
	case i == 0 && s.MinLabel != "":
		label += " (" + esc(s.MinLabel) + ")"
	case i == len(s.Counts)-1 && s.MaxLabel != "":
		label += " (" + esc(s.MaxLabel) + ")"
	}
	return label
}

// textLabel says what kind of text a text is: an answer, a takeaway, a
// group's text.
func textLabel(l *lang, t Text) string {
	switch t.Kind {
	case room.ItemGroup:
		return fmt.Sprintf("%s %d", l.w.Group, t.Group)
	case room.ItemClosing:
		return l.w.Takeaway
	}
	return l.w.Answer
}

func writeCounts(b *bytes.Buffer, l *lang, head string, counts []Count, answered int) {
	fmt.Fprintf(b, "| %s | %s | %s |\n|---|---|---|\n", head, l.w.Count, l.w.Share)
	for _, c := range counts {
		fmt.Fprintf(b, "| %s | %s | %s |\n", md(c.Option), l.int(c.Count), l.percent(c.Count, answered))
	}
	b.WriteString("\n")
}
