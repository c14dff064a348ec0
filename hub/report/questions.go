package report

import (
	"cmp"
	"slices"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// Question is a question from the question box, without its asker.
type Question struct {
	Text     string `json:"text"`
	Votes    int    `json:"votes"`
	Answered bool   `json:"answered,omitempty"`
	// Status is set in a report with every text.
	Status string `json:"status,omitempty"`
}

// buildQuestions lists the questions for the report: the approved ones
// (all with includeAll), most votes first, then by text, so that the order
// says nothing of who asked when. Like any text, none is listed when fewer
// than room.MinBreakdown people asked.
func buildQuestions(s *room.State, includeAll bool) []Question {
	out := []Question{}
	if s.QuestionAskers() < room.MinBreakdown {
		return out
	}
	for _, q := range s.QuestionItems() {
		if !includeAll && (q.Status != room.StatusApproved || q.Unresolved) {
			continue
		}
		qu := Question{Text: q.Text, Votes: q.Votes, Answered: q.Answered}
		if includeAll {
			qu.Status = q.Status
		}
		out = append(out, qu)
	}
	slices.SortStableFunc(out, func(a, b Question) int {
		return cmp.Or(cmp.Compare(b.Votes, a.Votes), cmp.Compare(a.Text, b.Text))
	})
	return out
}
