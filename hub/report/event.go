package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// EventReport is the export of a conference event: totals across its
// rooms, then each room's own report. Totals follow the same privacy rule
// as rooms: a step fewer than three people answered in all shows no
// breakdown.
type EventReport struct {
	Event        string       `json:"event"`
	Name         string       `json:"name"`
	Plan         string       `json:"plan"`
	Language     string       `json:"language"`
	TimeZone     string       `json:"time_zone"`
	GeneratedAt  time.Time    `json:"generated_at"`
	IncludesAll  bool         `json:"includes_all"`
	Rooms        int          `json:"rooms"`
	Participants int          `json:"participants"`
	Totals       []Step       `json:"totals"`
	Actions      int          `json:"actions"`
	RoomReports  []RoomReport `json:"room_reports"`
}

// RoomReport is one room's report with the room's name.
type RoomReport struct {
	Name string `json:"name"`
	*Report
}

// EventBuilder adds rooms up into an EventReport.
type EventBuilder struct {
	r     *EventReport
	o     Options
	steps []plan.Step
	raw   []room.ResultsView
}

// NewEventBuilder starts an event report. language is the plan's; the
// report is written in it.
func NewEventBuilder(event, name, planID, language string, o Options) *EventBuilder {
	loc := o.location()
	return &EventBuilder{o: o, r: &EventReport{Event: event, Name: name, Plan: planID, Language: language,
		TimeZone: loc.String(), GeneratedAt: o.Now.In(loc), IncludesAll: o.IncludeAll}}
}

// Add adds a room: its own report, and its raw tallies to the totals.
func (b *EventBuilder) Add(name string, s *room.State) {
	if !s.Exists() {
		return
	}
	rep := Build(s, b.o)
	b.r.RoomReports = append(b.r.RoomReports, RoomReport{Name: name, Report: rep})
	b.r.Rooms++
	b.r.Participants += rep.Participants
	b.r.Actions += len(rep.Actions)
	if b.r.Language == "" {
		b.r.Language = s.Plan.Language
	}
	if b.steps == nil {
		b.steps = s.Plan.Steps
		b.raw = make([]room.ResultsView, len(s.Plan.Steps))
	}
	for i := range b.steps {
		if i >= len(s.Plan.Steps) {
			break
		}
		b.raw[i] = addResults(b.raw[i], s.RawResults(i))
	}
}

func addResults(a, b room.ResultsView) room.ResultsView {
	a.Step, a.Kind = b.Step, b.Kind
	a.Answered += b.Answered
	a.Counts = addInts(a.Counts, b.Counts)
	a.FollowUp = addInts(a.FollowUp, b.FollowUp)
	words := map[string]int{}
	for _, w := range a.Words {
		words[w.Word] += w.Count
	}
	for _, w := range b.Words {
		words[w.Word] += w.Count
	}
	a.Words = a.Words[:0]
	for w, n := range words {
		a.Words = append(a.Words, room.WordCount{Word: w, Count: n})
	}
	return a
}

func addInts(a, b []int) []int {
	if len(a) < len(b) {
		a = append(a, make([]int, len(b)-len(a))...)
	}
	for i, v := range b {
		a[i] += v
	}
	return a
}

// Finish returns the report.
func (b *EventBuilder) Finish() *EventReport {
	for i, ps := range b.steps {
		raw := b.raw[i]
		st := Step{Index: i, Kind: ps.Kind, Title: ps.Title}
		if room.Takes(ps.Kind) {
			st.Answered = raw.Answered
			st.TooFew = raw.Answered < room.MinBreakdown
		}
		if !room.Takes(ps.Kind) {
			b.r.Totals = append(b.r.Totals, st)
			continue
		}
		if !st.TooFew {
			switch ps.Kind {
			case plan.KindPoll:
				for j, o := range ps.Options {
					st.Options = append(st.Options, Count{Option: o, Count: at(raw.Counts, j)})
				}
			case plan.KindScale:
				if len(raw.Counts) > 0 {
					st.Scale = &Scale{Min: ps.ScaleMin, Max: ps.ScaleMax, MinLabel: ps.MinLabel, MaxLabel: ps.MaxLabel,
						Counts: raw.Counts, Median: medianOfCounts(raw.Counts, ps.ScaleMin)}
				}
			case plan.KindWordcloud:
				st.Words = sortWords(raw.Words)
			case plan.KindClosing:
				for j, o := range ps.FollowUp {
					st.FollowUp = append(st.FollowUp, Count{Option: o, Count: at(raw.FollowUp, j)})
				}
			}
		}
		b.r.Totals = append(b.r.Totals, st)
	}
	return b.r
}

func at(v []int, i int) int {
	if i < len(v) {
		return v[i]
	}
	return 0
}

func medianOfCounts(counts []int, min int) float64 {
	n := 0
	for _, c := range counts {
		n += c
	}
	value := func(k int) int { // the k-th answer, 0-based, in order
		for i, c := range counts {
			if k < c {
				return min + i
			}
			k -= c
		}
		return min + len(counts) - 1
	}
	if n%2 == 1 {
		return float64(value(n / 2))
	}
	return float64(value(n/2-1)+value(n/2)) / 2
}

func sortWords(words []room.WordCount) []room.WordCount {
	out := append([]room.WordCount(nil), words...)
	sortWordCounts(out)
	if len(out) > room.MaxCloudWords {
		out = out[:room.MaxCloudWords]
	}
	return out
}

// EventFormats are the formats an event report can be written in.
var EventFormats = []string{FormatMarkdown, FormatCSV, FormatJSON}

// Write renders the event report in a format.
func (r *EventReport) Write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		return writeJSON(w, r)
	case FormatMarkdown:
		return r.writeMarkdown(w)
	case FormatCSV:
		return r.writeCSV(w)
	}
	return fmt.Errorf("report: unknown format %q for an event", format)
}

func (r *EventReport) writeMarkdown(w io.Writer) error {
	l := langFor(r.Language)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", md(r.Name))
	meta := []string{
		l.w.Event + ": " + md(r.Event), l.w.Plan + ": " + md(r.Plan), l.w.Rooms + ": " + l.int(r.Rooms),
		l.w.Participants + ": " + l.int(r.Participants), l.w.Measures + ": " + l.int(r.Actions),
		l.w.Exported + ": " + l.dateTime(r.GeneratedAt),
	}
	b.WriteString(strings.Join(meta, " · ") + "\n\n")
	b.WriteString(md(l.w.Anonymous) + "\n\n")
	fmt.Fprintf(&b, "## %s\n\n", md(l.w.Totals))
	for _, st := range r.Totals {
		if !room.Takes(st.Kind) {
			continue
		}
		fmt.Fprintf(&b, "### %d. %s\n\n", st.Index+1, md(st.Title))
		st.writeMarkdown(&b, l, r.IncludesAll)
	}
	for _, rr := range r.RoomReports {
		fmt.Fprintf(&b, "## %s %s (%s)\n\n", md(l.w.Room), md(rr.Name), rr.Code)
		rr.Report.writeMarkdownBody(&b, "###")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (r *EventReport) writeCSV(w io.Writer) error {
	cw, err := langFor(r.Language).csvWriter(w)
	if err != nil {
		return err
	}
	_ = cw.Write(append([]string{"room"}, CSVHeader...))
	for _, rr := range r.RoomReports {
		for _, row := range rr.Report.csvRows() {
			_ = cw.Write(append([]string{CSVSafe(rr.Name)}, row...))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: write event csv: %w", err)
	}
	return nil
}
