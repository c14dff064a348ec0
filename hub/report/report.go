// Package report turns a room's state into the facilitator's export:
// Markdown to read, CSV with one row per answer, JSON with everything.
// Nothing in a report names who wrote or chose what, rows are sorted so
// that one person's answers cannot be lined up across steps, and steps
// that fewer than three people answered show no breakdown.
package report

import (
	"sort"
	"strings"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
)

// Report is the whole export of a room.
type Report struct {
	Room         string    `json:"room"`
	Code         string    `json:"code"`
	Title        string    `json:"title"`
	Plan         string    `json:"plan"`
	Language     string    `json:"language"`
	CreatedAt    time.Time `json:"created_at"`
	GeneratedAt  time.Time `json:"generated_at"`
	Ended        bool      `json:"ended"`
	Participants int       `json:"participants"`
	// IncludesAll is true when texts not approved by the facilitator are
	// included; otherwise only approved texts are.
	IncludesAll bool     `json:"includes_all"`
	Steps       []Step   `json:"steps"`
	Actions     []Action `json:"actions"`
}

// Step is one plan step's outcome.
type Step struct {
	Index    int              `json:"index"`
	Kind     plan.Kind        `json:"kind"`
	Title    string           `json:"title"`
	Answered int              `json:"answered,omitempty"`
	TooFew   bool             `json:"too_few,omitempty"`
	Options  []Count          `json:"options,omitempty"`
	Scale    *Scale           `json:"scale,omitempty"`
	Words    []room.WordCount `json:"words,omitempty"`
	FollowUp []Count          `json:"follow_up,omitempty"`
	Texts    []Text           `json:"texts,omitempty"`
	// answers keeps the individual values for the CSV, unexported so that
	// the JSON does not carry them twice.
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

// Build makes the report of a room. includeAll adds texts the facilitator
// has not approved (and drafts never submitted); by default only approved
// texts are included.
func Build(s *room.State, includeAll bool, now time.Time) *Report {
	r := &Report{
		Room: s.RoomID, Code: s.Code, Title: s.Plan.Title, Plan: s.Plan.ID, Language: s.Plan.Language,
		CreatedAt: time.UnixMilli(s.CreatedAt).UTC(), GeneratedAt: now.UTC(), Ended: s.Ended,
		Participants: s.ActiveCount(), IncludesAll: includeAll,
		Steps: make([]Step, len(s.Plan.Steps)),
	}
	for i := range s.Plan.Steps {
		r.Steps[i] = buildStep(s, i, includeAll)
	}
	for _, it := range s.Actions() {
		if includeAll || it.Status == room.StatusApproved {
			r.Actions = append(r.Actions, Action{Step: it.Step, Group: it.Group, What: it.Text, Who: it.Who, When: it.When, Status: it.Status})
		}
	}
	return r
}

func buildStep(s *room.State, i int, includeAll bool) Step {
	ps := &s.Plan.Steps[i]
	res := s.ResultsOf(i)
	st := Step{Index: i, Kind: ps.Kind, Title: ps.Title}
	if room.Takes(ps.Kind) {
		st.Answered, st.TooFew = res.Answered, res.TooFew
	}
	if !st.TooFew {
		switch ps.Kind {
		case plan.KindPoll:
			for j, o := range ps.Options {
				st.Options = append(st.Options, Count{Option: o, Count: res.Counts[j]})
			}
		case plan.KindScale:
			if res.Median != nil {
				st.Scale = &Scale{Min: ps.ScaleMin, Max: ps.ScaleMax, MinLabel: ps.MinLabel, MaxLabel: ps.MaxLabel, Counts: res.Counts, Median: *res.Median}
			}
		case plan.KindWordcloud:
			st.Words = res.Words
		case plan.KindClosing:
			for j, o := range ps.FollowUp {
				if res.FollowUp != nil {
					st.FollowUp = append(st.FollowUp, Count{Option: o, Count: res.FollowUp[j]})
				}
			}
		}
		st.answers = s.AnswerValues(i)
	}
	for _, it := range s.Items {
		if it.Step != i || it.Kind == room.ItemAction || !(includeAll || it.Status == room.StatusApproved) {
			continue
		}
		st.Texts = append(st.Texts, Text{Kind: it.Kind, Group: it.Group, Text: it.Text, Status: it.Status, Starred: it.Starred})
	}
	if includeAll {
		for _, d := range s.Drafts(i) {
			st.Texts = append(st.Texts, Text{Kind: room.ItemGroup, Group: d.Group, Text: d.Text, Status: "draft"})
		}
	}
	return st
}

// sortedCopy returns the values sorted, so that row order says nothing
// about who answered when.
func sortedCopy(v []string) []string {
	out := append([]string(nil), v...)
	sort.Strings(out)
	return out
}

// oneLine folds a text onto one line for table cells.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func sortWordCounts(words []room.WordCount) {
	sort.Slice(words, func(i, j int) bool {
		if words[i].Count != words[j].Count {
			return words[i].Count > words[j].Count
		}
		return words[i].Word < words[j].Word
	})
}
