package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
// connected and redraws the summary every overviewInterval, sending it
// only when it changed.
type overview struct {
	hub *Hub
	id  string // the event's id; never changes

	// rec is replaced by refresh, under mu.
	rec *EventRecord

	mu       sync.Mutex
	sessions map[*Session]struct{}
	runners  map[string]*runner
	last     []byte
	stop     chan struct{}
}

// attachOrganizer adds an organizer session to its event's overview.
func (h *Hub) attachOrganizer(s *Session, rec *EventRecord, w wire.Welcome) {
	h.mu.Lock()
	o := h.overviews[rec.ID]
	if o == nil {
		o = &overview{hub: h, id: rec.ID, rec: rec, sessions: map[*Session]struct{}{}, runners: map[string]*runner{}, stop: make(chan struct{})}
		h.overviews[rec.ID] = o
		go o.run()
	}
	h.mu.Unlock()
	o.mu.Lock()
	o.sessions[s] = struct{}{}
	o.last = nil // the newcomer gets the next drawing at once
	o.mu.Unlock()
	s.overview = o
	s.send(wire.Out{Type: wire.TypeWelcome, Data: w})
}

func (h *Hub) detachOrganizer(s *Session) {
	o := s.overview
	o.mu.Lock()
	delete(o.sessions, s)
	empty := len(o.sessions) == 0
	o.mu.Unlock()
	if !empty {
		return
	}
	h.mu.Lock()
	if h.overviews[o.id] == o {
		delete(h.overviews, o.id)
	}
	h.mu.Unlock()
	close(o.stop)
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
		o.mu.Lock()
		for s := range o.sessions {
			s.conn.Close(CloseDeleted, "the event was deleted")
		}
		o.mu.Unlock()
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

func (o *overview) draw() {
	v := o.view()
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if bytes.Equal(data, o.last) {
		return
	}
	o.last = data
	f, err := wire.NewFrame(wire.Out{Type: wire.TypeOverview, Data: json.RawMessage(data)})
	if err != nil {
		return
	}
	for s := range o.sessions {
		s.conn.Send(f)
	}
	o.hub.metrics.out(wire.TypeOverview, len(o.sessions))
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
		v.Participants += sum.Participants
		v.Rooms[i] = sum
	}
	return v
}
