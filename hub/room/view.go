package room

import (
	"sort"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Audience is a set of connection roles a frame goes to.
type Audience uint8

// Audiences.
const (
	ToParticipants Audience = 1 << iota
	ToPresenters
	ToStaff
	// ToCare are the staff who see "I need to talk" signals: facilitators
	// and the safeguarding role, not observers.
	ToCare
	ToEveryone = ToParticipants | ToPresenters | ToStaff | ToCare
	ToPublic   = ToParticipants | ToPresenters
)

// AudienceOf maps a role to its audience bit.
func AudienceOf(role string) Audience {
	switch role {
	case wire.RoleFacilitator:
		return ToStaff | ToCare
	case wire.RolePresenter:
		return ToPresenters
	}
	return ToParticipants
}

// Effect is one frame for an audience, or for one participant when PID is
// set. The hub stamps the room sequence and encodes it once for everyone.
type Effect struct {
	To   Audience
	PIDs []string
	Out  wire.Out
}

// RoomView is the room's status.
type RoomView struct {
	Title string `json:"title"`
	// Name is the room's name within its conference event, if any.
	Name         string `json:"name,omitempty"`
	Code         string `json:"code"`
	PlanID       string `json:"plan"`
	Language     string `json:"language"`
	Steps        int    `json:"steps"`
	Participants int    `json:"participants"`
	Locked       bool   `json:"locked"`
	Ended        bool   `json:"ended"`
	// Forgotten: the room's texts were forgotten; only its report is kept.
	Forgotten bool `json:"forgotten,omitempty"`
	// ForgetAfterReport: the room forgets its texts once its report is
	// taken (a room setting chosen at creation).
	ForgetAfterReport bool  `json:"forget_after_report,omitempty"`
	ExpiresAt         int64 `json:"expires_at"`
}

// StepView is the current step as a screen shows it. Staff see the
// facilitator notes; everyone else gets them blanked.
type StepView struct {
	Index    int  `json:"index"`
	Open     bool `json:"open"`
	Revealed bool `json:"revealed"`
	// Content is the plan's step as written (notes blanked for non-staff).
	Content plan.Step `json:"content"`
}

// TimerView is the step timer. Clients count down to EndsAt using the
// server time from their welcome to correct their own clock.
type TimerView struct {
	Step        int   `json:"step"`
	Running     bool  `json:"running"`
	EndsAt      int64 `json:"ends_at,omitempty"`
	RemainingMS int64 `json:"remaining_ms"`
	DurationMS  int64 `json:"duration_ms"`
	Expired     bool  `json:"expired,omitempty"`
}

// ResultsView is the tally of the current step. Hidden is true for public
// screens before the facilitator reveals; TooFew is true whenever fewer
// than MinBreakdown answered, and then no breakdown is included at all.
type ResultsView struct {
	Step     int         `json:"step"`
	Kind     plan.Kind   `json:"kind"`
	Answered int         `json:"answered"`
	Hidden   bool        `json:"hidden,omitempty"`
	TooFew   bool        `json:"too_few,omitempty"`
	Counts   []int       `json:"counts,omitempty"`
	Median   *float64    `json:"median,omitempty"`
	Words    []WordCount `json:"words,omitempty"`
	FollowUp []int       `json:"follow_up,omitempty"`
}

// WordCount is one word of a word cloud.
type WordCount struct {
	Word  string `json:"word"`
	Count int    `json:"count"`
}

// ProgressView tells staff how far the current step has got: for steps
// with answers, how many of the participants answered; for breakout and
// actions steps also how many of the groups have submitted.
type ProgressView struct {
	Step         int `json:"step"`
	Answered     int `json:"answered"`
	Participants int `json:"participants"`
	Groups       int `json:"groups,omitempty"`
	Submitted    int `json:"submitted,omitempty"`
}

// YouView is a participant's own view of themselves.
type YouView struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname,omitempty"`
	// Group is the participant's breakout group, 0 for none.
	Group int `json:"group"`
	// Answer is their current answer to the current step, if any.
	Answer *AnswerValue `json:"answer,omitempty"`
	// Questions are their own questions in the question box, with their
	// state; Voted the questions they voted for.
	Questions []OwnQuestion `json:"questions,omitempty"`
	Voted     []string      `json:"voted,omitempty"`
	// Talk is their wish to talk, once they sent one.
	Talk *TalkView `json:"talk,omitempty"`
}

// SnapshotView is everything a connection's screen needs at once.
type SnapshotView struct {
	Recovered bool          `json:"recovered"`
	Room      RoomView      `json:"room"`
	Step      StepView      `json:"step"`
	Timer     TimerView     `json:"timer"`
	Results   ResultsView   `json:"results"`
	Progress  *ProgressView `json:"progress,omitempty"`
	Roster    *RosterView   `json:"roster,omitempty"`
	You       *YouView      `json:"you,omitempty"`
	Group     *GroupView    `json:"group,omitempty"`
	Groups    *GroupsView   `json:"groups,omitempty"`
	Queue     []ItemView    `json:"queue,omitempty"`
	Screen    ScreenView    `json:"screen"`
	// Announcement is the organizer's latest announcement, if any.
	Announcement *Announcement `json:"announcement,omitempty"`
	// Questions is the question box (participants, when the plan has one).
	Questions *QuestionsView `json:"questions,omitempty"`
	// Signals are the wishes to talk (staff only).
	Signals []SignalView `json:"signals,omitempty"`
}

// GroupView is a group as its members see it: the shared text of the
// current step with each entry's author id, so that a phone knows which
// entries are its own.
type GroupView struct {
	ID        int         `json:"id"`
	Step      int         `json:"step"`
	Size      int         `json:"size"`
	Submitted bool        `json:"submitted"`
	Entries   []EntryView `json:"entries"`
}

// EntryView is one entry of a shared text.
type EntryView struct {
	ID     string `json:"id"`
	Author string `json:"author,omitempty"`
	Ver    int    `json:"ver"`
	Text   string `json:"text,omitempty"`
	Who    string `json:"who,omitempty"`
	When   string `json:"when,omitempty"`
}

// GroupsView is every group for staff: members and drafts, no authors.
type GroupsView struct {
	Step   int            `json:"step"`
	Groups []GroupSummary `json:"groups"`
}

// GroupSummary is one group for staff.
type GroupSummary struct {
	ID        int         `json:"id"`
	Members   []string    `json:"members"`
	Submitted bool        `json:"submitted"`
	Entries   []EntryView `json:"entries"`
}

// ItemView is a moderation queue item.
type ItemView struct {
	ID         string `json:"id"`
	Step       int    `json:"step"`
	Kind       string `json:"kind"`
	Group      int    `json:"group,omitempty"`
	Text       string `json:"text"`
	Who        string `json:"who,omitempty"`
	When       string `json:"when,omitempty"`
	Status     string `json:"status,omitempty"`
	Starred    bool   `json:"starred,omitempty"`
	MergedInto string `json:"merged_into,omitempty"`
	// Votes and Answered are a question's (staff only).
	Votes    int  `json:"votes,omitempty"`
	Answered bool `json:"answered,omitempty"`
	// Flags are what the screening found (staff only); Redacted and
	// Override say how the facilitator dealt with personal data.
	Flags    []FlagView `json:"flags,omitempty"`
	Redacted bool       `json:"redacted,omitempty"`
	Override bool       `json:"override,omitempty"`
}

// Render draws the given parts for every audience. The roster is not
// drawn here: staff get it whole in their snapshot (or RenderRoster after a
// resume) and then only its changes (RosterLog), because it grows with the
// room.
func Render(s *State, parts Part) []Effect {
	var out []Effect
	add := func(to Audience, typ string, data any) {
		out = append(out, Effect{To: to, Out: wire.Out{Type: typ, Data: data}})
	}
	if parts&PartRoom != 0 {
		add(ToEveryone, wire.TypeRoom, s.roomView())
	}
	if parts&PartStep != 0 {
		add(ToPublic, wire.TypeStep, s.stepView(false))
		add(ToStaff, wire.TypeStep, s.stepView(true))
	}
	if parts&PartTimer != 0 {
		add(ToEveryone, wire.TypeTimerView, s.timerView())
	}
	if parts&PartResults != 0 {
		add(ToPublic, wire.TypeResults, s.resultsView(false))
		add(ToStaff, wire.TypeResults, s.resultsView(true))
	}
	if parts&PartProgress != 0 {
		add(ToStaff, wire.TypeProgress, s.progressView())
	}
	if parts&PartGroups != 0 {
		add(ToStaff, wire.TypeGroupList, s.groupsView())
	}
	if parts&PartScreen != 0 {
		add(ToEveryone, wire.TypeScreen, s.screenView())
	}
	if parts&PartNotice != 0 && s.Announcement != nil {
		add(ToEveryone, wire.TypeNotice, *s.Announcement)
	}
	if parts&PartQuestions != 0 && s.Plan.Questions {
		add(ToParticipants, wire.TypeQuestions, s.questionsView())
	}
	return out
}

// RenderReplies draws the frames an event addresses to single participants.
func RenderReplies(s *State, c Changes) []Effect {
	var out []Effect
	for _, r := range c.Acks {
		o := wire.Out{Type: wire.TypeAck, ID: r.ID, Data: r.Ack}
		if r.Err != nil {
			o = wire.Out{Type: wire.TypeError, ID: r.ID, Data: r.Err}
		}
		out = append(out, Effect{PIDs: []string{r.PID}, Out: o})
	}
	for _, pid := range c.You {
		if v := s.youView(pid); v != nil {
			out = append(out, Effect{PIDs: []string{pid}, Out: wire.Out{Type: wire.TypeYou, Data: v}})
		}
	}
	for _, gid := range c.Groups {
		if g := s.Group(gid); g != nil && len(g.Members) > 0 {
			out = append(out, Effect{PIDs: g.Members, Out: wire.Out{Type: wire.TypeGroup, Data: s.groupView(g)}})
		}
	}
	for _, id := range c.Items {
		out = append(out, Effect{To: ToStaff, Out: wire.Out{Type: wire.TypeItem, Data: s.staffItemView(s.itemByID[id])}})
	}
	for _, code := range c.Signals {
		if sg := s.signalByCode(code); sg != nil {
			out = append(out, Effect{To: ToCare, Out: wire.Out{Type: wire.TypeSignal, Data: signalView(sg)}})
		}
	}
	for _, pid := range c.Removed {
		out = append(out, Effect{PIDs: []string{pid}, Out: wire.Out{Type: wire.TypeRemoved, Data: wire.Errorf(wire.CodeRemoved, "you are no longer in this room")}})
	}
	return out
}

// Snapshot is the whole view for one connection.
func Snapshot(s *State, role, pid string) SnapshotView {
	staff := role == wire.RoleFacilitator
	v := SnapshotView{
		Room:         s.roomView(),
		Step:         s.stepView(staff),
		Timer:        s.timerView(),
		Results:      s.resultsView(staff),
		Screen:       s.screenView(),
		Announcement: s.Announcement,
	}
	if staff {
		p, r, g := s.progressView(), s.rosterView(), s.groupsView()
		v.Progress, v.Roster, v.Groups = &p, &r, &g
		v.Queue = make([]ItemView, len(s.Items))
		for i, it := range s.Items {
			v.Queue[i] = s.staffItemView(it)
		}
		v.Signals = s.signalsView()
	}
	if role == wire.RoleParticipant {
		v.You = s.youView(pid)
		if s.Plan.Questions {
			q := s.questionsView()
			v.Questions = &q
		}
		if g := s.Group(s.groupOf[pid]); g != nil {
			gv := s.groupView(g)
			v.Group = &gv
		}
	}
	return v
}

func (s *State) groupView(g *Group) GroupView {
	v := GroupView{ID: g.ID, Step: s.Step, Size: len(g.Members), Entries: []EntryView{}}
	if t := s.CurrentState().Texts[g.ID]; t != nil && Shared(s.Current().Kind) {
		v.Submitted = t.Submitted
		v.Entries = entryViews(t, true)
	}
	return v
}

func entryViews(t *GroupText, authors bool) []EntryView {
	out := make([]EntryView, len(t.Entries))
	for i, e := range t.Entries {
		out[i] = EntryView{ID: e.ID, Ver: e.Ver, Text: e.Text, Who: e.Who, When: e.When}
		if authors {
			out[i].Author = e.Author
		}
	}
	return out
}

func (s *State) groupsView() GroupsView {
	v := GroupsView{Step: s.Step, Groups: make([]GroupSummary, 0, len(s.Groups))}
	shared := Shared(s.Current().Kind)
	for _, g := range s.Groups {
		gs := GroupSummary{ID: g.ID, Members: g.Members, Entries: []EntryView{}}
		if t := s.CurrentState().Texts[g.ID]; t != nil && shared {
			gs.Submitted = t.Submitted
			gs.Entries = entryViews(t, false)
		}
		v.Groups = append(v.Groups, gs)
	}
	return v
}

// staffItemView is an item as staff see it, with a question's votes.
func (s *State) staffItemView(it *Item) ItemView {
	v := itemView(it, true)
	if it.Kind == ItemQuestion {
		v.Votes, v.Answered = s.votesOf(it), it.Answered
	}
	v.Flags, v.Redacted, v.Override = s.ItemFlags(it), it.Redacted, it.Override
	return v
}

func itemView(it *Item, staff bool) ItemView {
	v := ItemView{ID: it.ID, Step: it.Step, Kind: it.Kind, Group: it.Group, Text: it.Text, Who: it.Who, When: it.When}
	if staff {
		v.Status, v.Starred, v.MergedInto = it.Status, it.Starred, it.MergedInto
	}
	return v
}

func (s *State) roomView() RoomView {
	return RoomView{
		Title: s.Plan.Title, Name: s.Name, Code: s.Code, PlanID: s.Plan.ID, Language: s.Plan.Language,
		Steps: len(s.Steps), Participants: s.ActiveCount(),
		Locked: s.Locked, Ended: s.Ended, Forgotten: s.Forgotten != nil, ForgetAfterReport: s.ForgetAfterReport, ExpiresAt: s.ExpiresAt,
	}
}

func (s *State) stepView(staff bool) StepView {
	st := s.Steps[s.Step]
	v := StepView{Content: *s.Current(), Index: s.Step, Open: st.Open, Revealed: st.Revealed}
	if !staff {
		v.Content.Notes = ""
	}
	return v
}

func (s *State) timerView() TimerView {
	t := s.Timer
	return TimerView{Step: t.Step, Running: t.Running, EndsAt: t.EndsAt, RemainingMS: t.Remaining, DurationMS: t.Duration, Expired: t.Expired}
}

func (s *State) progressView() ProgressView {
	st := s.Steps[s.Step]
	v := ProgressView{Step: s.Step, Answered: s.answeredCount(st), Participants: s.ActiveCount()}
	if Shared(s.Current().Kind) {
		v.Groups = len(s.Groups)
		for _, g := range s.Groups {
			if t := st.Texts[g.ID]; t != nil && t.Submitted {
				v.Submitted++
			}
		}
	}
	return v
}

func (s *State) youView(pid string) *YouView {
	p := s.Participants[pid]
	if p == nil {
		return nil
	}
	v := &YouView{ID: p.ID, Nickname: p.Nickname, Group: s.groupOf[pid], Answer: s.Steps[s.Step].Answers[pid], Talk: s.talkView(pid)}
	v.Questions, v.Voted = s.ownQuestions(pid)
	return v
}

// resultsView tallies the current step. Public screens get nothing before
// the reveal; nobody gets a breakdown of fewer than MinBreakdown answers.
func (s *State) resultsView(staff bool) ResultsView { return s.resultsFor(s.Step, staff) }

func (s *State) resultsFor(index int, staff bool) ResultsView {
	if !staff && !s.Steps[index].Revealed {
		return ResultsView{Step: index, Kind: s.Plan.Steps[index].Kind, Answered: s.answeredCount(s.Steps[index]), Hidden: true}
	}
	return s.resultsWithMin(index, MinBreakdown)
}

// resultsWithMin tallies a step, breaking it down only from min answers.
// Tallies do not depend on the order of answers, so it walks the answers
// as they are: a flush during a vote burst redraws this five times a
// second for thousands of answers.
func (s *State) resultsWithMin(index, min int) ResultsView {
	step, st := &s.Plan.Steps[index], s.Steps[index]
	v := ResultsView{Step: index, Kind: step.Kind, Answered: s.answeredCount(st)}
	if !Takes(step.Kind) || step.Kind == plan.KindOpen {
		return v
	}
	if v.Answered < min {
		v.TooFew = true
		return v
	}
	if v.Answered == 0 {
		return v
	}
	switch step.Kind {
	case plan.KindPoll:
		v.Counts = make([]int, len(step.Options))
		s.eachAnswer(st, func(a *AnswerValue) {
			for _, c := range a.Choices {
				v.Counts[c]++
			}
		})
	case plan.KindScale:
		v.Counts = make([]int, step.ScaleMax-step.ScaleMin+1)
		vals := make([]int, 0, v.Answered)
		s.eachAnswer(st, func(a *AnswerValue) {
			v.Counts[*a.Value-step.ScaleMin]++
			vals = append(vals, *a.Value)
		})
		m := median(vals)
		v.Median = &m
	case plan.KindWordcloud:
		v.Words = countWords(s, st)
	case plan.KindClosing:
		if len(step.FollowUp) > 0 {
			v.FollowUp = make([]int, len(step.FollowUp))
			s.eachAnswer(st, func(a *AnswerValue) {
				for _, c := range a.FollowUp {
					v.FollowUp[c]++
				}
			})
		}
	}
	return v
}

// MaxCloudWords is how many distinct words a word cloud shows.
const MaxCloudWords = 60

func countWords(s *State, st *StepState) []WordCount {
	counts := map[string]int{}
	s.eachAnswer(st, func(a *AnswerValue) {
		for _, w := range a.Words {
			counts[w]++
		}
	})
	words := make([]WordCount, 0, len(counts))
	for w, n := range counts {
		words = append(words, WordCount{Word: w, Count: n})
	}
	sort.Slice(words, func(i, j int) bool {
		if words[i].Count != words[j].Count {
			return words[i].Count > words[j].Count
		}
		return words[i].Word < words[j].Word
	})
	if len(words) > MaxCloudWords {
		words = words[:MaxCloudWords]
	}
	return words
}

func median(vals []int) float64 {
	sort.Ints(vals)
	n := len(vals)
	if n%2 == 1 {
		return float64(vals[n/2])
	}
	return float64(vals[n/2-1]+vals[n/2]) / 2
}

// ResultsOf tallies any step as staff would see it, for reports.
func (s *State) ResultsOf(step int) ResultsView { return s.resultsFor(step, true) }

// AnswerValues lists the answers to a poll, scale, word cloud or closing
// follow-up step as display strings, one per person who answered, with no
// order that could identify anyone (the caller sorts them). Free text is
// not included: it goes through moderation.
func (s *State) AnswerValues(step int) []string {
	ps := &s.Plan.Steps[step]
	st := s.Steps[step]
	var out []string
	for _, pid := range s.answerers(st) {
		a := st.Answers[pid]
		switch ps.Kind {
		case plan.KindPoll:
			out = append(out, joinOptions(ps.Options, a.Choices))
		case plan.KindScale:
			out = append(out, itoa(*a.Value))
		case plan.KindWordcloud:
			out = append(out, strings.Join(a.Words, "; "))
		case plan.KindClosing:
			if len(a.FollowUp) > 0 {
				out = append(out, joinOptions(ps.FollowUp, a.FollowUp))
			}
		}
	}
	return out
}

func joinOptions(options []string, choices []int) string {
	names := make([]string, len(choices))
	for i, c := range choices {
		names[i] = options[c]
	}
	return strings.Join(names, "; ")
}

// Draft is a group text that was never submitted.
type Draft struct {
	Group int
	Text  string
}

// Drafts lists the unsubmitted group texts of a step.
func (s *State) Drafts(step int) []Draft {
	var out []Draft
	st := s.Steps[step]
	for _, gid := range sortedKeys(st.Texts) {
		t := st.Texts[gid]
		if t.Submitted || t.empty() {
			continue
		}
		var paras []string
		for _, e := range t.Entries {
			if e.Text != "" {
				paras = append(paras, e.Text)
			}
		}
		out = append(out, Draft{Group: gid, Text: strings.Join(paras, "\n\n")})
	}
	return out
}

// Progress is the current step's progress, as staff see it.
func (s *State) Progress() ProgressView { return s.progressView() }

// TimerView is the step timer, as every screen sees it.
func (s *State) TimerView() TimerView { return s.timerView() }

// RawResults tallies any step without the privacy filter. Only for adding
// up across rooms, where the total is filtered instead; never send it.
func (s *State) RawResults(step int) ResultsView { return s.resultsWithMin(step, 0) }
