package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Overview timing.
const (
	// overviewInterval is how often an event's overview is redrawn: a few
	// times a second, whatever the rooms do.
	overviewInterval = 500 * time.Millisecond
	// IdleAfter is how long a room may go without any event before the
	// overview warns that it is idle.
	IdleAfter = 10 * time.Minute
)

// Warnings the overview shows for a room.
const (
	WarnNoFacilitator = "no_facilitator"
	WarnIdle          = "idle"
	WarnLocked        = "locked"
)

// OverviewView is every room of an event at a glance.
type OverviewView struct {
	Event        string        `json:"event"`
	Name         string        `json:"name"`
	Plan         string        `json:"plan"`
	Closed       bool          `json:"closed"`
	Participants int           `json:"participants"`
	Rooms        []RoomSummary `json:"rooms"`
}

// RoomSummary is one room in the overview.
type RoomSummary struct {
	Name         string            `json:"name"`
	Room         string            `json:"room"`
	Code         string            `json:"code"`
	Loaded       bool              `json:"loaded"`
	Participants int               `json:"participants"`
	Facilitators int               `json:"facilitators"`
	Step         int               `json:"step"`
	Steps        int               `json:"steps"`
	StepTitle    string            `json:"step_title"`
	StepKind     plan.Kind         `json:"step_kind"`
	Progress     room.ProgressView `json:"progress"`
	Timer        room.TimerView    `json:"timer"`
	Locked       bool              `json:"locked"`
	Ended        bool              `json:"ended"`
	LastAt       int64             `json:"last_at"`
	Warnings     []string          `json:"warnings"`
}

// overview serves one event's overview to this instance's organizer
// sessions. It follows every room of the event while any organizer is
// connected and redraws the summary every overviewInterval. A session
// gets the whole picture once, in an overview frame, at the first drawing
// after it attached; from then on it gets overview_changes frames with
// only the rooms whose summary changed since the previous drawing, and
// the event's totals, and nothing when nothing changed.
type overview struct {
	hub *Hub
	id  string // the event's id; never changes

	// rec is replaced by refresh, under mu.
	rec *EventRecord

	mu sync.Mutex
	// sessions maps every organizer session to whether it has had the
	// whole picture; those that have hold the picture in drawn.
	sessions map[*Session]bool
	runners  map[string]*runner
	drawn    *drawing
	turn     int // where the next drawing starts looking for changed rooms
	stop     chan struct{}
}

// drawing is one drawing of the overview, each part encoded: what every
// organizer that has had the whole picture now shows.
type drawing struct {
	head  overviewHead
	rooms []json.RawMessage
	major []roomMajor    // what of each room an organizer must see first
	ids   []string       // the rooms' ids, in the order of rooms
	byID  map[string]int // room id -> index in rooms
}

// roomMajor is the part of a room's summary whose changes an organizer
// must see at the next drawing: where the room is and what is wrong with
// it. Counts and progress change with every answer and may wait a turn.
type roomMajor struct {
	loaded, ended, locked bool
	step, facilitators    int
	warnings              string
}

func majorOf(r RoomSummary) roomMajor {
	return roomMajor{loaded: r.Loaded, ended: r.Ended, locked: r.Locked, step: r.Step, facilitators: r.Facilitators,
		warnings: strings.Join(r.Warnings, ",")}
}

// overviewHead is the event-level part of the overview.
type overviewHead struct {
	Event        string `json:"event"`
	Name         string `json:"name"`
	Plan         string `json:"plan"`
	Closed       bool   `json:"closed"`
	Participants int    `json:"participants"`
}

// overviewFrame is the data of overview and overview_changes frames: the
// shape of OverviewView, with the rooms already encoded.
type overviewFrame struct {
	overviewHead
	Rooms []json.RawMessage `json:"rooms"`
}

// attachOrganizer adds an organizer session to its event's overview.
// Finding the overview and joining it happen under h.mu, where the last
// organizer's detach takes it out of h.overviews: an organizer never
// joins an overview that is stopping, and a stopping overview is stopped
// exactly once.
func (h *Hub) attachOrganizer(s *Session, rec *EventRecord, w wire.Welcome) {
	if h.overviewHook != nil {
		h.overviewHook("attach")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.overviews[rec.ID]
	if o == nil {
		o = &overview{hub: h, id: rec.ID, rec: rec, sessions: map[*Session]bool{}, runners: map[string]*runner{}, stop: make(chan struct{})}
		h.overviews[rec.ID] = o
		go o.run()
	}
	s.overview = o
	o.mu.Lock()
	// The welcome goes first; the whole picture follows at the next drawing.
	s.send(wire.Out{Type: wire.TypeWelcome, Data: w})
	o.sessions[s] = false
	o.mu.Unlock()
}

// detachOrganizer removes an organizer session from its overview; the
// last one out stops the overview.
func (h *Hub) detachOrganizer(s *Session) {
	o := s.overview
	if h.overviewHook != nil {
		h.overviewHook("detach")
	}
	h.mu.Lock()
	o.mu.Lock()
	delete(o.sessions, s)
	empty := len(o.sessions) == 0
	o.mu.Unlock()
	// Only the call that takes the overview out of h.overviews stops it;
	// an overview that stopped by itself (its event was deleted) is out
	// already.
	last := empty && h.overviews[o.id] == o
	if last {
		delete(h.overviews, o.id)
	}
	h.mu.Unlock()
	if last {
		close(o.stop)
	}
}

// refreshEvery is how many drawings pass between re-reads of the event's
// record, which notice that the event was closed or deleted.
const refreshEvery = 10

func (o *overview) run() {
	defer o.releaseAll()
	o.loadRooms()
	t := time.NewTicker(overviewInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		o.draw()
		select {
		case <-o.stop:
			return
		case <-t.C:
		}
		if n%refreshEvery == 0 && !o.refresh() {
			return
		}
	}
}

// refresh re-reads the event's record. If the event is gone, organizers
// are told so (close 4004) and the overview stops.
func (o *overview) refresh() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err := o.hub.reg.Event(ctx, o.id)
	if errors.Is(err, ErrNotFound) {
		// Out of h.overviews first, so that no organizer joins it from
		// now on and none of its organizers' detaches stops it again.
		h := o.hub
		h.mu.Lock()
		if h.overviews[o.id] == o {
			delete(h.overviews, o.id)
		}
		o.mu.Lock()
		for s := range o.sessions {
			s.conn.Close(CloseDeleted, "the event was deleted")
		}
		o.mu.Unlock()
		h.mu.Unlock()
		return false
	}
	if err == nil {
		o.mu.Lock()
		o.rec = rec
		o.mu.Unlock()
	}
	return true
}

// loadRooms follows every room of the event, drawing as rooms come in.
func (o *overview) loadRooms() {
	o.mu.Lock()
	rooms := o.rec.Rooms
	o.mu.Unlock()
	for _, er := range rooms {
		select {
		case <-o.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		r, err := o.hub.acquire(ctx, er.Room)
		cancel()
		if err != nil {
			continue // deleted or unreachable: shown as not loaded
		}
		o.mu.Lock()
		o.runners[er.Room] = r
		o.mu.Unlock()
	}
}

func (o *overview) releaseAll() {
	o.mu.Lock()
	runners := o.runners
	o.runners = map[string]*runner{}
	o.mu.Unlock()
	for _, r := range runners {
		o.hub.release(r)
	}
}

// draw redraws the overview: the whole picture to sessions that have not
// had it, the changes since the previous drawing to the others.
func (o *overview) draw() {
	d, err := encodeDrawing(o.view())
	if err != nil {
		o.hub.logger.Error("overview: encode drawing", "event", o.id, "err", err)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	prev := o.drawn
	o.drawn = d
	var fresh, current []*Session
	for s, hasPicture := range o.sessions {
		if hasPicture {
			current = append(current, s)
		} else {
			fresh = append(fresh, s)
			o.sessions[s] = true
		}
	}
	if len(fresh) > 0 {
		o.send(fresh, wire.TypeOverview, overviewFrame{overviewHead: d.head, Rooms: d.rooms})
	}
	if len(current) == 0 || prev == nil {
		return
	}
	changed, deferred, turn := d.changedSince(prev, MaxOverviewChanges, o.turn)
	o.turn = turn
	if len(deferred) > 0 {
		// Those that did not fit go out with the next drawings: what the
		// current sessions have is the previous drawing for them.
		o.drawn = d.keeping(prev, deferred)
	}
	if len(changed) > 0 || d.head != prev.head {
		o.send(current, wire.TypeOverviewChanges, overviewFrame{overviewHead: d.head, Rooms: changed})
	}
}

// MaxOverviewChanges is the most rooms one overview_changes frame
// carries; when more change at once (every room moved to a step, or
// hundreds of rooms answering), the rest follow in the next drawings, so
// no frame grows with the event.
const MaxOverviewChanges = 100

// send queues one frame to sessions. Called with mu held.
func (o *overview) send(to []*Session, typ string, data overviewFrame) {
	f, err := wire.NewFrame(wire.Out{Type: typ, Data: data})
	if err != nil {
		o.hub.logger.Error("overview: encode frame", "event", o.id, "type", typ, "err", err)
		return
	}
	for _, s := range to {
		s.conn.Send(f)
	}
	o.hub.metrics.out(typ, len(to))
}

// encodeDrawing encodes a view room by room, so that drawings can be
// compared room by room.
func encodeDrawing(v OverviewView) (*drawing, error) {
	d := &drawing{head: overviewHead{Event: v.Event, Name: v.Name, Plan: v.Plan, Closed: v.Closed, Participants: v.Participants},
		rooms: make([]json.RawMessage, len(v.Rooms)), major: make([]roomMajor, len(v.Rooms)),
		ids: make([]string, len(v.Rooms)), byID: make(map[string]int, len(v.Rooms))}
	for i, r := range v.Rooms {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode room %s: %w", r.Room, err)
		}
		d.rooms[i], d.major[i], d.ids[i] = b, majorOf(r), r.Room
		d.byID[r.Room] = i
	}
	return d, nil
}

// changedSince returns the rooms whose summary differs from prev's, at
// most limit of them (never nil), the indices of the changed rooms that
// did not fit, and where the next drawing's turn begins. Rooms whose
// roomMajor changed go first; the rest take turns from the room at index
// turn on, so that a room never waits behind rooms that change at every
// drawing.
func (d *drawing) changedSince(prev *drawing, limit, turn int) (changed []json.RawMessage, deferred []int, next int) {
	n := len(d.ids)
	changed = []json.RawMessage{}
	if n == 0 {
		return changed, nil, 0
	}
	turn %= n
	var minor []int
	taken := make([]bool, n)
	for k := range n {
		i := (turn + k) % n
		j, ok := prev.byID[d.ids[i]]
		switch {
		case ok && bytes.Equal(d.rooms[i], prev.rooms[j]):
		case !ok || d.major[i] != prev.major[j]:
			if len(changed) < limit {
				changed = append(changed, d.rooms[i])
				taken[i] = true
			}
		default:
			minor = append(minor, i)
		}
	}
	next = turn
	for _, i := range minor {
		if len(changed) == limit {
			break
		}
		changed = append(changed, d.rooms[i])
		taken[i] = true
		next = (i + 1) % n
	}
	for i := range n {
		j, ok := prev.byID[d.ids[i]]
		if !taken[i] && (!ok || !bytes.Equal(d.rooms[i], prev.rooms[j])) {
			deferred = append(deferred, i)
		}
	}
	return changed, deferred, next
}

// keeping is d with the deferred rooms as they were in prev (or empty,
// if prev did not have them), so that the next comparison finds them
// changed again.
func (d *drawing) keeping(prev *drawing, deferred []int) *drawing {
	out := &drawing{head: d.head, rooms: append([]json.RawMessage(nil), d.rooms...), major: append([]roomMajor(nil), d.major...),
		ids: d.ids, byID: d.byID}
	for _, i := range deferred {
		out.rooms[i], out.major[i] = nil, roomMajor{}
		if j, ok := prev.byID[d.ids[i]]; ok {
			out.rooms[i], out.major[i] = prev.rooms[j], prev.major[j]
		}
	}
	return out
}

func (o *overview) view() OverviewView {
	now := o.hub.cfg.Now().UnixMilli()
	facilitators := o.hub.presence.counts(o.id, now)
	o.mu.Lock()
	rec := o.rec
	v := OverviewView{Event: rec.ID, Name: rec.Name, Plan: rec.Plan, Closed: rec.Closed, Rooms: make([]RoomSummary, len(rec.Rooms))}
	runners := make(map[string]*runner, len(o.runners))
	for k, r := range o.runners {
		runners[k] = r
	}
	o.mu.Unlock()
	for i, er := range rec.Rooms {
		sum := RoomSummary{Name: er.Name, Room: er.Room, Code: er.Code, Warnings: []string{}, Facilitators: facilitators[er.Room]}
		if r := runners[er.Room]; r != nil {
			r.view(func(st *room.State) {
				if !st.Exists() {
					return
				}
				sum.Loaded = true
				sum.Participants = st.ActiveCount()
				sum.Step, sum.Steps = st.Step, len(st.Steps)
				sum.StepTitle, sum.StepKind = st.Current().Title, st.Current().Kind
				sum.Progress = st.Progress()
				sum.Timer = st.TimerView()
				sum.Locked, sum.Ended, sum.LastAt = st.Locked, st.Ended, st.LastAt
			})
		}
		if sum.Loaded && !sum.Ended {
			if sum.Facilitators == 0 {
				sum.Warnings = append(sum.Warnings, WarnNoFacilitator)
			}
			if now-sum.LastAt > IdleAfter.Milliseconds() {
				sum.Warnings = append(sum.Warnings, WarnIdle)
			}
			if sum.Locked {
				sum.Warnings = append(sum.Warnings, WarnLocked)
			}
		}
		// Shown to the minute: a room's summary does not change with
		// every answer, only with its progress.
		sum.LastAt -= sum.LastAt % 60_000
		v.Participants += sum.Participants
		v.Rooms[i] = sum
	}
	return v
}
