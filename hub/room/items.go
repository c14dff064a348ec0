package room

import (
	"slices"
	"strconv"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Item kinds in the moderation queue.
const (
	ItemOpen    = "open"    // an answer to an open question
	ItemGroup   = "group"   // a group's shared reflection
	ItemClosing = "closing" // what someone takes with them
	ItemAction  = "action"  // a proposed measure
)

// Item statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusHidden   = "hidden"
)

// Item is one text in the moderation queue. It never records who wrote
// it: the key that finds it again is internal and never rendered.
type Item struct {
	ID         string
	Step       int
	Kind       string
	Group      int
	Text       string
	Who, When  string
	Status     string
	Starred    bool
	MergedInto string
	// Votes and Answered belong to questions (ItemQuestion): who voted
	// for it, and whether the facilitator marked it answered.
	Votes    map[string]bool
	Answered bool
	// Redacted: the facilitator removed the personal data the screening
	// found (Text is the redacted text). Override: the facilitator let the
	// text through as it is.
	Redacted bool
	Override bool
	key      string
	author   string // a question's asker, never rendered
}

func itemKey(kind string, step int, id string) string { return kind + "/" + itoa(step) + "/" + id }

func itoa(i int) string { return strconv.Itoa(i) }

// upsertItem finds the item with key or adds a pending one. A changed item
// goes back to pending and off the big screen: what is shown is always
// what was approved. unshown reports whether the big screen changed.
func (s *State) upsertItem(key string, step int, kind string, group int) (it *Item, unshown bool) {
	if it := s.itemByKey[key]; it != nil {
		it.Status = StatusPending
		it.Redacted, it.Override = false, false // a changed text is screened afresh
		return it, s.unshow(it.ID)
	}
	s.nextItem++
	it = &Item{ID: "i" + itoa(s.nextItem), Step: step, Kind: kind, Group: group, Status: StatusPending, key: key}
	s.Items = append(s.Items, it)
	s.itemByKey[key] = it
	s.itemByID[it.ID] = it
	return it, false
}

// ItemByID returns a queue item.
func (s *State) ItemByID(id string) *Item { return s.itemByID[id] }

// duplicate answers a submission whose id was seen before.
func (s *State) duplicate(ev *Event) (bool, Changes) {
	if ev.PID == "" || ev.ID == "" {
		return true, Changes{Ignored: true}
	}
	if seq, dup := s.seen[ev.PID+"/"+ev.ID]; dup {
		return true, Changes{Ignored: true, Acks: []Reply{{PID: ev.PID, ID: ev.ID, Ack: wire.Ack{Seq: seq, Duplicate: true}}}}
	}
	return false, Changes{}
}

func (s *State) markSeen(ev *Event) { s.seen[ev.PID+"/"+ev.ID] = s.Seq }

func (s *State) applyModerate(ev *Event) Changes {
	c := ev.Moderate
	if c == nil {
		return Changes{Ignored: true}
	}
	it := s.itemByID[c.Item]
	if it == nil {
		return Changes{Ignored: true}
	}
	ch := Changes{Items: []string{it.ID}}
	if c.Status != "" {
		it.Status = c.Status
		if c.Status != StatusApproved && s.unshow(it.ID) {
			ch.Parts |= PartScreen
		}
	}
	if c.Starred != nil {
		it.Starred = *c.Starred
	}
	if c.Answered != nil && it.Kind == ItemQuestion {
		it.Answered = *c.Answered
	}
	if c.Redact != nil {
		it.Text, it.Who, it.When, it.Redacted = c.Redact.Text, c.Redact.Who, c.Redact.When, true
		ch.Parts |= PartScreen // the big screen shows the redacted text
	}
	if c.Override != nil {
		it.Override = *c.Override
	}
	s.questionChanged(it, &ch)
	return ch
}

// CheckCombine validates a merge of duplicate actions.
func (s *State) CheckCombine(c *CombineChange) *wire.Error {
	into := s.itemByID[c.Into]
	if into == nil || into.Kind != ItemAction || into.MergedInto != "" {
		return wire.Errorf(wire.CodeInvalid, "into must be an action that has not been merged")
	}
	if len(c.From) == 0 {
		return wire.Errorf(wire.CodeInvalid, "from must list the duplicate actions")
	}
	for _, id := range c.From {
		it := s.itemByID[id]
		if it == nil || it.Kind != ItemAction || id == c.Into {
			return wire.Errorf(wire.CodeInvalid, "from must list other actions")
		}
		if it.MergedInto != "" {
			return wire.Errorf(wire.CodeStale, "action %s was already merged", id)
		}
	}
	for _, f := range []*string{&c.What, &c.Who, &c.When} {
		t, err := checkOptionalText(*f, MaxActionField)
		if err != nil {
			return err
		}
		*f = t
	}
	return nil
}

func (s *State) applyCombine(ev *Event) Changes {
	c := ev.Combine
	if c == nil || s.CheckCombine(c) != nil {
		return Changes{Ignored: true}
	}
	into := s.itemByID[c.Into]
	ch := Changes{Items: []string{into.ID}}
	for _, id := range c.From {
		it := s.itemByID[id]
		it.MergedInto = into.ID
		if s.unshow(id) {
			ch.Parts |= PartScreen
		}
		ch.Items = append(ch.Items, id)
	}
	if c.What != "" {
		into.Text = c.What
	}
	if c.Who != "" {
		into.Who = c.Who
	}
	if c.When != "" {
		into.When = c.When
	}
	return ch
}

// Actions is the room's action list: every proposed measure that was not
// merged into another and not hidden, in the order proposed.
func (s *State) Actions() []*Item {
	var out []*Item
	for _, it := range s.Items {
		if it.Kind == ItemAction && it.MergedInto == "" && it.Status != StatusHidden {
			out = append(out, it)
		}
	}
	return out
}

// hideAuthorItems hides the open and closing answers of a participant
// who was removed, and takes them off the screen.
func (s *State) hideAuthorItems(pid string) (changed []string, screen bool) {
	for key, it := range s.itemByKey {
		if it.Kind != ItemOpen && it.Kind != ItemClosing && it.Kind != ItemQuestion {
			continue
		}
		byThem := it.author == pid || (it.Kind != ItemQuestion && len(key) > len(pid) && key[len(key)-len(pid)-1:] == "/"+pid)
		if byThem && it.Status != StatusHidden {
			it.Status = StatusHidden
			changed = append(changed, it.ID)
			if s.unshow(it.ID) {
				screen = true
			}
		}
	}
	slices.Sort(changed)
	return changed, screen
}
