// Package report turns a room's state into the facilitator's export:
// Markdown to read, CSV with one row per answer, JSON with everything, an
// Excel workbook, and a page to print. Every format is written in the
// room's language and the server's time zone.
//
// Two privacy rules hold in every format. Nothing names who wrote or chose
// what, and rows and texts are listed in an order that depends only on
// their content, so that one person's answers cannot be lined up across
// steps. A step fewer than three people answered shows no breakdown, no
// rows and no texts.
package report

import (
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// Report is the whole export of a room.
type Report struct {
	Room     string `json:"room"`
	Code     string `json:"code"`
	Title    string `json:"title"`
	Plan     string `json:"plan"`
	Language string `json:"language"`
	// TimeZone is the zone CreatedAt and GeneratedAt are given in.
	TimeZone     string    `json:"time_zone"`
	CreatedAt    time.Time `json:"created_at"`
	GeneratedAt  time.Time `json:"generated_at"`
	Ended        bool      `json:"ended"`
	Participants int       `json:"participants"`
	// IncludesAll is true when texts not approved by the facilitator are
	// included; otherwise only approved texts (and closing takeaways the
	// facilitator did not hide) are.
	IncludesAll bool     `json:"includes_all"`
	Steps       []Step   `json:"steps"`
	Actions     []Action `json:"actions"`
	// Questions are the question box's approved questions (every question
	// with IncludesAll), most votes first; none when fewer than 3 people
	// asked.
	Questions []Question `json:"questions"`

	lang *lang
}

// Step is one plan step's outcome.
type Step struct {
	Index int       `json:"index"`
	Kind  plan.Kind `json:"kind"`
	Title string    `json:"title"`
	// Answered is how many people answered; on breakout and actions steps,
	// how many people were in the groups that wrote.
	Answered int              `json:"answered,omitempty"`
	TooFew   bool             `json:"too_few,omitempty"`
	Options  []Count          `json:"options,omitempty"`
	Scale    *Scale           `json:"scale,omitempty"`
	Words    []room.WordCount `json:"words,omitempty"`
	FollowUp []Count          `json:"follow_up,omitempty"`
	Texts    []Text           `json:"texts,omitempty"`
	// answers keeps the individual values for the CSV, sorted, unexported
	// so that the JSON does not carry them twice.
	answers []string
}

// Count is an option and how many chose it.
type Count struct {
	Option string `json:"option"`
	Count  int    `json:"count"`
}

// Scale is a scale step's distribution.
type Scale struct {
	Min      int     `json:"min"`
	Max      int     `json:"max"`
	MinLabel string  `json:"min_label"`
	MaxLabel string  `json:"max_label"`
	Counts   []int   `json:"counts"`
	Median   float64 `json:"median"`
}

// Text is one free text: an open answer, a closing thought, a group's
// reflection.
type Text struct {
	Kind    string `json:"kind"`
	Group   int    `json:"group,omitempty"`
	Text    string `json:"text"`
	Status  string `json:"status"`
	Starred bool   `json:"starred,omitempty"`
}

// Action is one measure of the action list.
type Action struct {
	Step   int    `json:"step"`
	Group  int    `json:"group,omitempty"`
	What   string `json:"what"`
	Who    string `json:"who,omitempty"`
	When   string `json:"when,omitempty"`
	Status string `json:"status"`
}

// StatusDraft marks a group text that was never submitted; only reports
// with every text include drafts.
const StatusDraft = "draft"

// Options say what a report includes and how it is dated.
type Options struct {
	// IncludeAll adds texts the facilitator has not approved (and drafts
	// never submitted).
	IncludeAll bool
	// Now is when the report is made.
	Now time.Time
	// Location is the time zone of the report's dates; nil is UTC.
	Location *time.Location
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// Build makes the report of a room.
func Build(s *room.State, o Options) *Report {
	loc := o.location()
	r := &Report{
		Room: s.RoomID, Code: s.Code, Title: s.Plan.Title, Plan: s.Plan.ID, Language: s.Plan.Language,
		TimeZone: loc.String(), CreatedAt: time.UnixMilli(s.CreatedAt).In(loc), GeneratedAt: o.Now.In(loc),
		Ended: s.Ended, Participants: s.ActiveCount(), IncludesAll: o.IncludeAll,
		Steps: make([]Step, len(s.Plan.Steps)), Actions: []Action{}, Questions: buildQuestions(s, o.IncludeAll),
		lang: langFor(s.Plan.Language),
	}
	for i := range s.Plan.Steps {
		r.Steps[i] = buildStep(s, i, o.IncludeAll)
	}
	for _, it := range s.Actions() {
		if it.Step < len(r.Steps) && !r.Steps[it.Step].TooFew && (o.IncludeAll || it.Status == room.StatusApproved && !s.Unresolved(it)) {
			r.Actions = append(r.Actions, Action{Step: it.Step, Group: it.Group, What: it.Text, Who: it.Who, When: it.When, Status: it.Status})
		}
	}
	order := newShuffler(s.KeyHash)
	order.sortActions(r.Actions)
	for i := range r.Steps {
		order.sortTexts(i, r.Steps[i].Texts)
		r.lang.sortStrings(r.Steps[i].answers)
	}
	return r
}

func buildStep(s *room.State, i int, includeAll bool) Step {
	ps := &s.Plan.Steps[i]
	st := Step{Index: i, Kind: ps.Kind, Title: ps.Title}
	switch {
	case room.Takes(ps.Kind):
		st.Answered = s.ResultsOf(i).Answered
	case room.Shared(ps.Kind):
		st.Answered = groupWriters(s, i)
	default:
		return st
	}
	// Below the threshold nothing of the step is told but how many
	// answered: no tallies, no rows, no texts, no actions.
	if st.Answered < room.MinBreakdown {
		st.TooFew = true
		return st
	}
	res := s.ResultsOf(i)
	switch ps.Kind {
	case plan.KindPoll:
		for j, o := range ps.Options {
			st.Options = append(st.Options, Count{Option: o, Count: at(res.Counts, j)})
		}
	case plan.KindScale:
		if res.Median != nil {
			st.Scale = &Scale{Min: ps.ScaleMin, Max: ps.ScaleMax, MinLabel: ps.MinLabel, MaxLabel: ps.MaxLabel, Counts: res.Counts, Median: *res.Median}
		}
	case plan.KindWordcloud:
		st.Words = res.Words
	case plan.KindClosing:
		if res.FollowUp != nil {
			for j, o := range ps.FollowUp {
				st.FollowUp = append(st.FollowUp, Count{Option: o, Count: res.FollowUp[j]})
			}
		}
	}
	st.answers = s.AnswerValues(i)
	for _, it := range s.Items {
		if it.Step != i || it.Kind == room.ItemAction || it.Kind == room.ItemQuestion || !included(s, it, includeAll) {
			continue
		}
		st.Texts = append(st.Texts, Text{Kind: it.Kind, Group: it.Group, Text: it.Text, Status: it.Status, Starred: it.Starred})
	}
	if includeAll {
		for _, d := range s.Drafts(i) {
			st.Texts = append(st.Texts, Text{Kind: room.ItemGroup, Group: d.Group, Text: d.Text, Status: StatusDraft})
		}
	}
	return st
}

// included says whether a text belongs in the report. Closing takeaways
// are promised to the report (anonymous, without names) unless the
// facilitator hid them; other texts need the facilitator's approval. A
// text the screening flagged needs approval either way, and one with
// personal data left in (neither redacted nor let through) stays out.
func included(s *room.State, it *room.Item, includeAll bool) bool {
	switch {
	case includeAll:
		return true
	case s.Unresolved(it):
		return false
	case it.Kind == room.ItemClosing && !s.Flagged(it):
		return it.Status != room.StatusHidden
	default:
		return it.Status == room.StatusApproved
	}
}

// groupWriters counts the people behind a breakout or actions step's
// group texts: the members of every group that wrote something, or, for
// a group that has since been re-formed, those of it who wrote. Only
// people still in the room count, as for answers.
func groupWriters(s *room.State, step int) int {
	people := map[string]bool{}
	for gid, t := range s.Steps[step].Texts {
		wrote := false
		for _, e := range t.Entries {
			if e.Text != "" || e.Who != "" || e.When != "" {
				wrote = true
				people[e.Author] = true
			}
		}
		if g := s.Group(gid); wrote && g != nil {
			for _, pid := range g.Members {
				people[pid] = true
			}
		}
	}
	n := 0
	for pid := range people {
		if p := s.Participants[pid]; p != nil && p.Active() {
			n++
		}
	}
	return n
}
