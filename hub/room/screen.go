package room

import (
	"slices"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// What the big screen shows follows one rule a facilitator can predict:
// the current step (its content, question and options, its results once
// revealed, its groups and timer), and besides it the items the
// facilitator put up by hand on this step. Those belong to the step they
// were shown on: moving on takes them off, coming back shows them again.
// A pin is the explicit exception: pinned items stay on every step until
// they are cleared. The join panel (code, QR code, link) is large until
// someone has joined, then a corner strip, unless the facilitator chose.

// MaxScreenItems is how many items the big screen shows side by side.
const MaxScreenItems = 6

// Join panel sizes.
const (
	JoinAuto  = "auto"  // large until someone has joined, then small
	JoinLarge = "large" // the code, QR code and link fill a third of the screen
	JoinSmall = "small" // a corner strip with the code
)

// Screen is a selection of approved items for the big screen.
type Screen struct {
	Items  []string
	Layout string
	// Step is the step the selection was made on.
	Step int
}

// shown is the selection the big screen shows now: the pin, or the
// current step's own. Nil when the room has ended.
func (s *State) shown() *Screen {
	switch {
	case s.Ended:
		return nil
	case s.Pinned != nil:
		return s.Pinned
	}
	return &s.Steps[s.Step].Shown
}

// unshow takes an item off every selection (the pin and every step's). It
// reports whether what the big screen shows now changed.
func (s *State) unshow(id string) bool {
	visible := false
	if cur := s.shown(); cur != nil {
		visible = slices.Contains(cur.Items, id)
	}
	drop := func(sc *Screen) {
		sc.Items = slices.DeleteFunc(sc.Items, func(x string) bool { return x == id })
	}
	if s.Pinned != nil {
		drop(s.Pinned)
		if len(s.Pinned.Items) == 0 {
			s.Pinned = nil
		}
	}
	for _, st := range s.Steps {
		drop(&st.Shown)
	}
	return visible
}

// joinSize resolves the join panel's size.
func (s *State) joinSize() string {
	switch s.JoinPanel {
	case JoinLarge, JoinSmall:
		return s.JoinPanel
	}
	if s.active == 0 {
		return JoinLarge
	}
	return JoinSmall
}

// ShowChange puts approved items on the big screen: on the current step,
// or with Pin on every step until cleared. No items clears the selection
// (with Pin: the pin).
type ShowChange struct {
	Items  []string `json:"items"`
	Layout string   `json:"layout,omitempty"`
	Pin    bool     `json:"pin,omitempty"`
}

// CheckShow validates what the facilitator wants on the big screen.
func (s *State) CheckShow(c *ShowChange) *wire.Error {
	if len(c.Items) > MaxScreenItems {
		return wire.Errorf(wire.CodeInvalid, "the big screen shows at most %d items at once", MaxScreenItems)
	}
	switch c.Layout {
	case "", "single", "side-by-side":
	default:
		return wire.Errorf(wire.CodeInvalid, "layout must be single or side-by-side")
	}
	for i, id := range c.Items {
		it := s.itemByID[id]
		if it == nil {
			return wire.Errorf(wire.CodeInvalid, "no queue item %q", truncate(id, 16))
		}
		if it.Status != StatusApproved {
			return wire.Errorf(wire.CodeNotAllowed, "only approved items can be shown; approve it first")
		}
		if slices.Contains(c.Items[:i], id) {
			return wire.Errorf(wire.CodeInvalid, "item %s is listed twice", id)
		}
	}
	return nil
}

// showChanges reports whether a checked ShowChange would change anything.
func (s *State) showChanges(c *ShowChange) bool {
	layout := c.Layout
	if layout == "" {
		layout = "single"
	}
	if c.Pin {
		if s.Pinned == nil {
			return len(c.Items) > 0
		}
		return !slices.Equal(s.Pinned.Items, c.Items) || s.Pinned.Layout != layout
	}
	own := &s.Steps[s.Step].Shown
	if len(c.Items) == 0 {
		return len(own.Items) > 0
	}
	return !slices.Equal(own.Items, c.Items) || own.Layout != layout
}

func (s *State) applyShow(ev *Event) Changes {
	c := ev.Show
	if c == nil || s.Ended || s.CheckShow(c) != nil {
		return Changes{Ignored: true}
	}
	sel := Screen{Items: slices.Clone(c.Items), Layout: c.Layout, Step: s.Step}
	if sel.Layout == "" {
		sel.Layout = "single"
	}
	switch {
	case c.Pin && len(sel.Items) == 0:
		s.Pinned = nil
	case c.Pin:
		s.Pinned = &sel
	default:
		s.Steps[s.Step].Shown = sel
	}
	return Changes{Parts: PartScreen}
}

// JoinPanelChange sets the join panel's size (JoinAuto, JoinLarge or
// JoinSmall).
type JoinPanelChange struct {
	Size string `json:"size"`
}

func (s *State) decideJoinPanel(in wire.In) (*Event, error) {
	var c JoinPanelChange
	if err := wire.DecodeData(in, &c); err != nil {
		return nil, err
	}
	switch c.Size {
	case JoinAuto, JoinLarge, JoinSmall:
	default:
		return nil, wire.Errorf(wire.CodeInvalid, "size must be auto, large or small")
	}
	if c.Size == JoinAuto {
		c.Size = ""
	}
	if c.Size == s.JoinPanel {
		return nil, ErrNoChange
	}
	return &Event{Type: EvJoinPanel, JoinPanel: &c}, nil
}

func (s *State) applyJoinPanel(ev *Event) Changes {
	c := ev.JoinPanel
	if c == nil || s.Ended {
		return Changes{Ignored: true}
	}
	before := s.joinSize()
	s.JoinPanel = c.Size
	if s.JoinPanel == JoinAuto {
		s.JoinPanel = ""
	}
	if s.joinSize() == before {
		return Changes{}
	}
	return Changes{Parts: PartScreen}
}

// ScreenView is what the big screen shows besides the step, the timer and
// the results: the approved items put up by hand (without moderation
// state), whether they are a pin, and the join panel's size.
type ScreenView struct {
	// Step is the step the items belong to (the current step, or the step
	// a pin was made on).
	Step   int        `json:"step"`
	Layout string     `json:"layout"`
	Pinned bool       `json:"pinned"`
	Items  []ItemView `json:"items"`
	Join   string     `json:"join"`
}

func (s *State) screenView() ScreenView {
	v := ScreenView{Step: s.Step, Layout: "single", Items: []ItemView{}, Join: s.joinSize()}
	cur := s.shown()
	if cur == nil {
		return v
	}
	v.Pinned = cur == s.Pinned
	if cur.Layout != "" {
		v.Layout = cur.Layout
	}
	if v.Pinned {
		v.Step = cur.Step
	}
	for _, id := range cur.Items {
		if it := s.itemByID[id]; it != nil && it.Status == StatusApproved {
			v.Items = append(v.Items, itemView(it, false))
		}
	}
	return v
}
