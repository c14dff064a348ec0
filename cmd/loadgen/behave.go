package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// stepInfo is what a phone needs to know of the current step to take
// part in it.
type stepInfo struct {
	Index   int  `json:"index"`
	Open    bool `json:"open"`
	Content struct {
		Kind      string   `json:"kind"`
		Options   []string `json:"options"`
		Multiple  bool     `json:"multiple"`
		ScaleMin  int      `json:"scale_min"`
		ScaleMax  int      `json:"scale_max"`
		MaxWords  int      `json:"max_words"`
		MaxLength int      `json:"max_length"`
		FollowUp  []string `json:"follow_up"`
	} `json:"content"`
}

// youInfo, groupInfo and snapshotInfo are the parts of those frames a
// phone uses.
type youInfo struct {
	ID    string `json:"id"`
	Group int    `json:"group"`
}

type groupInfo struct {
	ID        int  `json:"id"`
	Step      int  `json:"step"`
	Size      int  `json:"size"`
	Submitted bool `json:"submitted"`
	Entries   []struct {
		Author string `json:"author"`
		Ver    int    `json:"ver"`
	} `json:"entries"`
}

type snapshotInfo struct {
	Step         stepInfo    `json:"step"`
	You          *youInfo    `json:"you"`
	Group        *groupInfo  `json:"group"`
	Announcement *noticeInfo `json:"announcement"`
}

func decodeStep(data []byte) (stepInfo, error) {
	var s stepInfo
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("step frame: %w", err)
	}
	return s, nil
}

// Step kinds, as in docs/plans.md.
const (
	kindPoll      = "poll"
	kindScale     = "scale"
	kindOpen      = "open"
	kindWordcloud = "wordcloud"
	kindBreakout  = "breakout"
	kindActions   = "actions"
	kindClosing   = "closing"
)

// onStep reacts to the current step: on entering a step that is open for
// input, the phone plans its actions over the behaviour's window.
func (p *phone) onStep(st stepInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	same := p.haveStep && p.cur.Index == st.Index
	wasOpen := same && p.cur.Open
	p.cur, p.haveStep = st, true
	if same && (wasOpen || !st.Open) {
		p.checkDone()
		return
	}
	if !same {
		p.gen++
		p.todo = 0
	}
	if !st.Open || p.quiet || p.answered[st.Index] {
		p.checkDone()
		return
	}
	p.planActions(st)
	p.checkDone()
}

// planActions schedules what the phone does in a step. Called with mu held.
func (p *phone) planActions(st stepInfo) {
	bh := p.b.Behavior
	gen := p.gen
	at := func() time.Duration {
		if bh.Window <= 0 {
			return 0
		}
		return rand.N(bh.Window.D())
	}
	switch st.Content.Kind {
	case kindPoll, kindScale, kindWordcloud, kindOpen, kindClosing:
		first := at()
		p.schedule(gen, first, func() { p.answer(st, false) })
		if bh.ChangeVote > 0 && rand.Float64() < bh.ChangeVote {
			p.schedule(gen, first+200*time.Millisecond+at()/2, func() { p.answer(st, true) })
		}
	case kindBreakout, kindActions:
		edits := max(bh.Edits, 1)
		start := at()
		for v := 1; v <= edits; v++ {
			p.schedule(gen, start+time.Duration(v-1)*300*time.Millisecond, func() { p.entry(st, v) })
		}
	}
}

// schedule runs fn after d unless the step changes first. Called with mu held.
func (p *phone) schedule(gen int, d time.Duration, fn func()) {
	p.todo++
	act := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen != gen || p.closed {
			return
		}
		p.todo--
		if p.cur.Open {
			fn()
		}
		p.checkDone()
	}
	if d <= 0 {
		// Run after the current frame is handled, without holding mu here.
		go act()
		return
	}
	time.AfterFunc(d, act)
}

// answer sends an answer to the step. Called with mu held.
func (p *phone) answer(st stepInfo, change bool) {
	c := st.Content
	data := map[string]any{"step": st.Index}
	switch c.Kind {
	case kindPoll:
		n := max(len(c.Options), 1)
		choice := rand.N(n)
		if change {
			choice = (choice + 1) % n
		}
		choices := []int{choice}
		if c.Multiple && n > 1 && rand.IntN(2) == 0 {
			choices = append(choices, (choice+1)%n)
		}
		data["choices"] = choices
	case kindScale:
		lo, hi := c.ScaleMin, c.ScaleMax
		if hi <= lo {
			lo, hi = 1, 5
		}
		data["value"] = lo + rand.IntN(hi-lo+1)
	case kindWordcloud:
		n := 1 + rand.IntN(max(c.MaxWords, 1))
		words := make([]string, 0, n)
		for _, i := range rand.Perm(len(cloudWords))[:n] {
			words = append(words, cloudWords[i])
		}
		data["words"] = words
	case kindOpen:
		data["text"] = clip(openTexts[rand.IntN(len(openTexts))], c.MaxLength)
	case kindClosing:
		data["text"] = clip(openTexts[rand.IntN(len(openTexts))], c.MaxLength)
		if len(c.FollowUp) > 0 {
			data["follow_up"] = []int{rand.IntN(len(c.FollowUp))}
		}
	default:
		return
	}
	p.submit("answer", st.Index, data)
}

// entry writes version v of the phone's entry in its group's shared text.
// Called with mu held.
func (p *phone) entry(st stepInfo, v int) {
	text := clip(reflections[p.g%len(reflections)], st.Content.MaxLength)
	if v < max(p.b.Behavior.Edits, 1) {
		text = clip(text, max(len(text)*v/max(p.b.Behavior.Edits, 1), 1))
	}
	data := map[string]any{"step": st.Index, "entry": "e1", "ver": v, "text": text}
	if st.Content.Kind == kindActions {
		data["who"], data["when"] = "Leder", "1. mars"
	}
	p.submit("entry", st.Index, data)
}

// onGroup submits the group's text when this phone wrote the first entry
// and every member has written their last version (a submitted text takes
// no more edits).
func (p *phone) onGroup(g groupInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g.Submitted || p.quiet || !p.haveStep || g.Step != p.cur.Index || !p.cur.Open ||
		p.submitted == g.Step || len(g.Entries) == 0 || g.Entries[0].Author != p.pid {
		return
	}
	authors := map[string]bool{}
	for _, e := range g.Entries {
		if e.Ver < max(p.b.Behavior.Edits, 1) {
			return
		}
		authors[e.Author] = true
	}
	if len(authors) < g.Size {
		return
	}
	p.submitted = g.Step
	p.submit("submit", g.Step, map[string]any{"step": g.Step})
}

// checkDone marks the current step done once nothing is scheduled and
// every submission of it is settled. Called with mu held.
func (p *phone) checkDone() {
	if !p.haveStep || p.todo > 0 {
		return
	}
	for _, id := range p.order {
		if s := p.subs[id]; s.step == p.cur.Index && s.typ != "submit" {
			return
		}
	}
	p.doneStep = p.cur.Index
}

func clip(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

var cloudWords = []string{"trygghet", "ansvar", "tillit", "mot", "omsorg", "samarbeid", "taushet", "melde", "lytte", "handle", "tvil", "rutiner"}

var openTexts = []string{
	"Snakke med lederen min før jeg gjør noe mer.",
	"Sjekke rutinen vår og ringe barnevernet om jeg er i tvil.",
	"Spørre en kollega om hva hen har sett.",
	"Skrive ned hva som ble sagt, med dato og klokkeslett.",
	"Ta kontakt med politiet hvis faren er nær.",
}

var reflections = func() []string {
	base := []string{
		"Vi ville snakket med lederen først, og så kontaktet barnevernet samme dag.",
		"Gruppen var uenig om plikten var utløst; vi landet på at tvil skal deles, ikke holdes for seg selv.",
		"Vi savner en felles rutine for hvem som tar kontakt med politiet, og når.",
		"Det viktigste er å lytte uten å love taushet, og å dokumentere det vi hører.",
	}
	out := make([]string, 0, len(base)*3)
	for i, b := range base {
		out = append(out, b, b+" (gruppe "+strconv.Itoa(i+1)+")", "Kort: "+b)
	}
	return out
}()
