package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// The page to print: one HTML document with its charts inline and its
// stylesheet and script (a print button) from /static/, so that it obeys
// a strict Content-Security-Policy (no inline script, no inline style).
// html/template escapes every text a person wrote.

//go:embed page.html
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// pageView is what the template draws.
type pageView struct {
	Lang, Title, Assets string
	W                   words
	Meta, Notes         []string
	Steps               []pageStep
	Actions             []pageAction
	HasActions          bool
	Questions           []pageQuestion
	IncludesAll         bool
}

type pageStep struct {
	ID, Number, Title string
	Answered          string
	TooFew            string
	Chart             template.HTML
	ChartNote         string
	FollowUp          template.HTML
	FollowUpTitle     string
	TextsTitle        string
	Texts             []pageText
	// SeeActions points from an actions step to the action list.
	SeeActions string
}

type pageText struct {
	Label, Status, Text string
	Starred             bool
}

type pageQuestion struct {
	Text, Votes, Status string
}

type pageAction struct {
	Number, Measure, Description, Who, When, Status string
}

// WriteHTML writes the page to print. assets is prefixed to the /static/
// links; empty means the server the page is read from.
func (r *Report) WriteHTML(w io.Writer, assets string) error {
	l := r.l()
	v := pageView{
		Lang: l.code, Title: r.Title, Assets: strings.TrimRight(assets, "/"), W: l.w,
		Meta: r.meta(), Notes: r.notes(), IncludesAll: r.IncludesAll,
	}
	for i := range r.Steps {
		st := &r.Steps[i]
		if st.reportable() {
			v.Steps = append(v.Steps, r.pageStep(l, st))
		}
	}
	for i, a := range r.Actions {
		measure, desc := splitMeasure(a.What)
		v.Actions = append(v.Actions, pageAction{Number: l.int(i + 1), Measure: measure, Description: desc,
			Who: a.Who, When: a.When, Status: l.status(a.Status)})
	}
	v.HasActions = len(v.Actions) > 0 || r.hasActionsStep()
	for _, q := range r.Questions {
		status := l.status(q.Status)
		if q.Answered {
			status = strings.TrimPrefix(status+" · "+l.w.AnsweredMark, " · ")
		}
		v.Questions = append(v.Questions, pageQuestion{Text: q.Text, Votes: l.int(q.Votes), Status: status})
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, v); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (r *Report) hasActionsStep() bool {
	for _, st := range r.Steps {
		if st.Kind == plan.KindActions {
			return true
		}
	}
	return false
}

func (r *Report) pageStep(l *lang, st *Step) pageStep {
	ps := pageStep{ID: fmt.Sprintf("step-%d", st.Index+1), Number: l.int(st.Index+1) + ".", Title: st.Title}
	if room.Takes(st.Kind) || room.Shared(st.Kind) {
		ps.Answered = l.w.Answers + ": " + l.int(st.Answered)
		if st.TooFew {
			ps.TooFew = l.w.TooFew
		}
	}
	switch {
	case len(st.Options) > 0:
		ps.Chart = barChart(l, st.Options, st.Answered)
	case st.Scale != nil:
		ps.Chart = scaleChart(l, st.Scale, st.Answered)
	case len(st.Words) > 0:
		ps.Chart = wordCloud(l, st.Words)
		var counts []string
		for _, w := range st.Words {
			counts = append(counts, w.Word+" "+l.int(w.Count))
		}
		ps.ChartNote = strings.Join(counts, " · ")
	}
	if len(st.FollowUp) > 0 {
		ps.FollowUpTitle = l.w.FollowUp
		ps.FollowUp = barChart(l, st.FollowUp, st.Answered)
	}
	if st.Kind == plan.KindActions && !st.TooFew && len(r.Actions) > 0 {
		ps.SeeActions = l.w.SeeActions
	}
	switch st.Kind {
	case plan.KindBreakout:
		ps.TextsTitle = l.w.Reflections
	case plan.KindClosing:
		ps.TextsTitle = l.w.Takeaways
	default:
		ps.TextsTitle = l.w.Texts
	}
	for _, t := range st.Texts {
		pt := pageText{Text: t.Text, Starred: t.Starred}
		if t.Kind == room.ItemGroup {
			pt.Label = textLabel(l, t)
		}
		if r.IncludesAll && t.Status != room.StatusApproved {
			pt.Status = l.status(t.Status)
		}
		ps.Texts = append(ps.Texts, pt)
	}
	return ps
}
