package hub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Limits of a conference event.
const (
	MaxEventRooms    = 1000
	MaxRoomName      = 60
	eventIDLength    = 20
	derivedKeyLength = 32
)

// EventRecord is a conference event as stored: many rooms created from one
// plan at once, under one organizer key. Only the key's hash is kept; each
// room's facilitator key is derived from the organizer key, so the
// organizer can print the sheet of links again at any time.
type EventRecord struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Plan      string      `json:"plan"`
	KeyHash   string      `json:"key_hash"`
	CreatedAt int64       `json:"created_at"`
	ExpiresAt int64       `json:"expires_at"`
	Closed    bool        `json:"closed,omitempty"`
	Rooms     []EventRoom `json:"rooms"`
}

// EventRoom is one room of an event.
type EventRoom struct {
	Name string `json:"name"`
	Room string `json:"room"`
	Code string `json:"code"`
}

// NewEvent asks for an event of rooms from one plan: either Count rooms
// named by number, or one room per name in Names.
type NewEvent struct {
	Name  string
	Plan  *plan.Plan
	Count int
	Names []string
	// Org is the organisation's part in every room (see NewRoom).
	Org OrgRoomSettings
	// ForgetAfterReport is every room's setting (see NewRoom).
	ForgetAfterReport bool
	// PlanRevision is the plan's saved version (see NewRoom).
	PlanRevision int
}

// CreatedEvent is what the organizer gets back; Key is shown once.
type CreatedEvent struct {
	Record *EventRecord
	Key    string
	// RoomKeys are the rooms' facilitator keys, in the order of Record.Rooms.
	RoomKeys []string
}

// DeriveRoomKey makes a room's facilitator key from the organizer key.
func DeriveRoomKey(organizerKey, roomID string) string {
	m := hmac.New(sha256.New, []byte(organizerKey))
	m.Write([]byte("stoppunkt room key\x00" + roomID))
	return strings.ToLower(b32.EncodeToString(m.Sum(nil)))[:derivedKeyLength]
}

// CreateEvent creates an event's rooms and its record.
func (h *Hub) CreateEvent(ctx context.Context, req NewEvent) (*CreatedEvent, error) {
	names, err := eventRoomNames(req)
	if err != nil {
		return nil, err
	}
	name, err := wire.CheckName(req.Name, 120)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = req.Plan.Title
	}
	key := randomString(32)
	retention := h.cfg.Retention
	if r := req.Org.Retention; r > 0 && r < retention {
		retention = r
	}
	rec := &EventRecord{ID: strings.ToLower(randomString(eventIDLength)), Name: name, Plan: req.Plan.ID,
		KeyHash: HashSecret(key), CreatedAt: h.cfg.Now().UnixMilli(), ExpiresAt: h.cfg.Now().Add(retention).UnixMilli()}
	out := &CreatedEvent{Record: rec, Key: key}
	for _, n := range names {
		roomID := strings.ToLower(randomString(20))
		roomKey := DeriveRoomKey(key, roomID)
		c, err := h.createRoom(ctx, NewRoom{Plan: req.Plan, Org: req.Org, ForgetAfterReport: req.ForgetAfterReport, PlanRevision: req.PlanRevision}, roomID, roomKey, rec.ID, n)
		if err != nil {
			return nil, fmt.Errorf("create event: room %q: %w", n, err)
		}
		rec.Rooms = append(rec.Rooms, EventRoom{Name: n, Room: c.RoomID, Code: c.Code})
		out.RoomKeys = append(out.RoomKeys, roomKey)
	}
	if err := h.reg.SaveEvent(ctx, rec); err != nil {
		return nil, fmt.Errorf("create event: %w", err)
	}
	h.metrics.EventsCreated.Inc()
	return out, nil
}

func eventRoomNames(req NewEvent) ([]string, error) {
	if req.Plan == nil {
		return nil, wire.Errorf(wire.CodeInvalid, "a plan is required")
	}
	names := req.Names
	if len(names) == 0 {
		if req.Count < 1 || req.Count > MaxEventRooms {
			return nil, wire.Errorf(wire.CodeInvalid, "rooms must be from 1 to %d", MaxEventRooms)
		}
		for i := 1; i <= req.Count; i++ {
			names = append(names, fmt.Sprint(i))
		}
	}
	if len(names) > MaxEventRooms {
		return nil, wire.Errorf(wire.CodeInvalid, "an event has at most %d rooms", MaxEventRooms)
	}
	seen := map[string]bool{}
	for i, n := range names {
		n, err := wire.CheckName(n, MaxRoomName)
		if err != nil {
			return nil, err
		}
		if n == "" || seen[strings.ToLower(n)] {
			return nil, wire.Errorf(wire.CodeInvalid, "room names must be non-empty and different (room %d)", i+1)
		}
		seen[strings.ToLower(n)] = true
		names[i] = n
	}
	return names, nil
}

// OrganizerEvent checks an organizer key and returns the event's record.
func (h *Hub) OrganizerEvent(ctx context.Context, id, key string) (*EventRecord, error) {
	if len(id) != eventIDLength {
		return nil, wire.Errorf(wire.CodeNotFound, "no event with that id")
	}
	rec, err := h.reg.Event(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, wire.Errorf(wire.CodeNotFound, "no event with that id")
	}
	if err != nil {
		return nil, wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again")
	}
	if granted(ctx, id) {
		return rec, nil
	}
	if key == "" || subtle.ConstantTimeCompare([]byte(HashSecret(key)), []byte(rec.KeyHash)) != 1 {
		return nil, wire.Errorf(wire.CodeUnauthorized, "the organizer key is not valid for this event")
	}
	return rec, nil
}

// withRunner runs fn with a room's runner held.
func (h *Hub) withRunner(ctx context.Context, roomID string, fn func(r *runner) error) error {
	r, err := h.acquire(ctx, roomID)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted already
	}
	if err != nil {
		return err
	}
	defer h.release(r)
	return fn(r)
}

// CloseEvent ends every room of an event.
func (h *Hub) CloseEvent(ctx context.Context, id, key string) error {
	rec, err := h.OrganizerEvent(ctx, id, key)
	if err != nil {
		return err
	}
	for _, er := range rec.Rooms {
		err := h.withRunner(ctx, er.Room, func(r *runner) error {
			_, err := h.appendControl(ctx, r, "", func(st *room.State) (*room.Event, error) {
				if st.Ended {
					return nil, nil
				}
				return &room.Event{Type: room.EvEnded}, nil
			})
			return err
		})
		if err != nil {
			return err
		}
	}
	rec.Closed = true
	return h.reg.SaveEvent(ctx, rec)
}

// DeleteEvent deletes every room of an event and the event itself.
func (h *Hub) DeleteEvent(ctx context.Context, id, key string) error {
	if _, err := h.OrganizerEvent(ctx, id, key); err != nil {
		return err
	}
	return h.deleteEvent(ctx, id)
}

// deleteEvent deletes an event's rooms (those still there) and its record.
func (h *Hub) deleteEvent(ctx context.Context, id string) error {
	rec, err := h.reg.Event(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, er := range rec.Rooms {
		if err := h.withRunner(ctx, er.Room, func(r *runner) error { return h.deleteRoom(ctx, r) }); err != nil {
			return fmt.Errorf("delete event %s: %w", id, err)
		}
	}
	return h.reg.ForgetEvent(ctx, id)
}

// EventRooms runs fn on the state of every room of an event, in order,
// for reports. fn must not keep the state.
func (h *Hub) EventRooms(ctx context.Context, id, key string, fn func(er EventRoom, st *room.State)) (*EventRecord, error) {
	rec, err := h.OrganizerEvent(ctx, id, key)
	if err != nil {
		return nil, err
	}
	for _, er := range rec.Rooms {
		err := h.withRunner(ctx, er.Room, func(r *runner) error {
			r.view(func(st *room.State) { fn(er, st) })
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return rec, nil
}
