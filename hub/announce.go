package hub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Limits of an announcement.
const (
	MaxAnnouncement   = 280
	MaxAnnouncementID = 64
	// announceParallel is how many rooms an announcement is appended to at
	// once: enough that 500 rooms take a few round trips to the log, few
	// enough not to crowd out the rooms' own traffic. Each room is an
	// append and a wait for the room to apply it; on a busy server both
	// wait in queues, not on work, so more at once goes faster.
	announceParallel = 64
	// announceRoomTimeout bounds the work in one room, loading the room
	// included, so that one room that hangs cannot hold up the answer.
	announceRoomTimeout = 30 * time.Second
)

// Announcement is an organizer's request to every room of an event: a text
// to show, a step to move every room to, or both. ID is chosen by the
// client (or, if empty, by the server); a request sent again with the same
// ID takes effect once per room.
type Announcement struct {
	ID   string
	Text string
	Step *int
}

// AnnounceResult is what an announcement did, room by room. Rooms deleted
// meanwhile are counted nowhere.
type AnnounceResult struct {
	// ID is the announcement's id: send it again with a retry.
	ID string `json:"id"`
	// Rooms is the number of rooms in the event.
	Rooms int `json:"rooms"`
	// Announced counts rooms that got the text with this request.
	Announced int `json:"announced"`
	// Already counts rooms that had the text before this request.
	Already int `json:"already"`
	// Moved counts rooms moved to the step with this request.
	Moved int `json:"moved"`
	// Failed lists the rooms the request could not complete; a retry with
	// the same ID completes them without repeating anything.
	Failed []AnnounceFailure `json:"failed"`
}

// AnnounceFailure is a room an announcement could not complete.
type AnnounceFailure struct {
	Name    string    `json:"name"`
	Room    string    `json:"room"`
	Code    wire.Code `json:"code"`
	Message string    `json:"message"`
	Retry   bool      `json:"retry"`
}

// Retry reports whether sending the announcement again may complete the
// rooms that failed.
func (r *AnnounceResult) Retry() bool {
	for _, f := range r.Failed {
		if f.Retry {
			return true
		}
	}
	return false
}

// roomOutcome is what an announcement did in one room.
type roomOutcome struct {
	announced, already, moved bool
	err                       error
}

// Announce sends an announcement to every room of an event, up to
// announceParallel rooms at a time, and moves every room that has not
// ended to the step if one is given. Every room is attempted even when
// some fail; the failures are listed in the result. A room that already
// has the announcement's id does not get the text again, nor is it moved
// again for it, so a failed request can be sent again with the same id.
func (h *Hub) Announce(ctx context.Context, id, key string, a Announcement) (*AnnounceResult, error) {
	rec, err := h.OrganizerEvent(ctx, id, key)
	if err != nil {
		return nil, err
	}
	if rec.Closed {
		return nil, wire.Errorf(wire.CodeEnded, "the event is closed")
	}
	if a.Text, err = wire.CheckText(strings.TrimSpace(a.Text), MaxAnnouncement); err != nil {
		return nil, err
	}
	if a.Text == "" && a.Step == nil {
		return nil, wire.Errorf(wire.CodeInvalid, "give a text, a step, or both")
	}
	if a.Step != nil && *a.Step < 0 {
		return nil, wire.Errorf(wire.CodeInvalid, "step %d does not exist", *a.Step)
	}
	if a.ID == "" {
		a.ID = randomString(12)
	} else if !validAnnouncementID(a.ID) {
		return nil, wire.Errorf(wire.CodeInvalid, "an announcement id is 1 to %d letters, digits, '-' or '_'", MaxAnnouncementID)
	}
	outcomes := make([]roomOutcome, len(rec.Rooms))
	sem := make(chan struct{}, announceParallel)
	var wg sync.WaitGroup
	for i, er := range rec.Rooms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outcomes[i] = h.announceRoom(ctx, er.Room, a)
		}()
	}
	wg.Wait()
	res := &AnnounceResult{ID: a.ID, Rooms: len(rec.Rooms), Failed: []AnnounceFailure{}}
	for i, o := range outcomes {
		if o.announced {
			res.Announced++
		}
		if o.already {
			res.Already++
		}
		if o.moved {
			res.Moved++
		}
		if o.err != nil {
			e := wire.AsError(o.err)
			if e.Code == wire.CodeInternal {
				h.logger.Error("announcement failed in a room", "event", rec.ID, "room", rec.Rooms[i].Room, "err", o.err)
			}
			res.Failed = append(res.Failed, AnnounceFailure{Name: rec.Rooms[i].Name, Room: rec.Rooms[i].Room,
				Code: e.Code, Message: e.Message, Retry: e.Retry || e.Code == wire.CodeStale})
		}
	}
	if len(res.Failed) == len(rec.Rooms) && res.Announced+res.Moved == 0 && !res.Retry() {
		// Nothing could be done anywhere, and trying again will not help
		// (a step the plan does not have, an id reused for another text).
		return nil, outcomes[0].err
	}
	if len(res.Failed) > 0 {
		h.logger.Warn("announcement incomplete", "event", rec.ID, "announcement", a.ID, "failed", len(res.Failed), "rooms", len(rec.Rooms))
	}
	return res, nil
}

// validAnnouncementID allows ids that are safe in log message ids and
// need no escaping anywhere.
func validAnnouncementID(id string) bool {
	if id == "" || len(id) > MaxAnnouncementID {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// announceRoom shows an announcement in one room and moves the room, each
// at most once per announcement id.
func (h *Hub) announceRoom(ctx context.Context, roomID string, a Announcement) (out roomOutcome) {
	ctx, cancel := context.WithTimeout(ctx, announceRoomTimeout)
	defer cancel()
	out.err = h.withRunner(ctx, roomID, func(r *runner) error {
		if h.cfg.FailAnnounce != nil && h.cfg.FailAnnounce(roomID) {
			return wire.Errorf(wire.CodeUnavailable, "the server cannot store this right now; try again")
		}
		var mark room.AnnounceMark
		var steps int
		r.view(func(st *room.State) {
			mark, _ = st.Announced(a.ID)
			steps = len(st.Steps)
		})
		if a.Step != nil && *a.Step >= steps {
			return wire.Errorf(wire.CodeInvalid, "step %d does not exist; the plan has steps 0 to %d", *a.Step, steps-1)
		}
		if a.Text != "" {
			got, err := h.announceText(ctx, r, a, mark)
			if err != nil {
				return err
			}
			out.announced, out.already = got, !got
		}
		if a.Step != nil {
			moved, err := h.moveRoom(ctx, r, *a.Step, a.ID)
			if err != nil {
				return fmt.Errorf("move room %s: %w", roomID, err)
			}
			out.moved = moved
		}
		return nil
	})
	return out
}

// announceText appends the announcement's text to a room unless the room
// has it already. It reports whether this call put it on the room's
// screens; it returns once the room's state has the text either way.
func (h *Hub) announceText(ctx context.Context, r *runner, a Announcement, mark room.AnnounceMark) (bool, error) {
	if mark.Pos != 0 {
		if mark.Text != a.Text {
			return false, wire.Errorf(wire.CodeInvalid, "announcement %s was sent with another text", a.ID)
		}
		return false, nil
	}
	ev := &room.Event{Type: room.EvAnnounce, At: h.now(), Announce: &room.Announcement{ID: a.ID, Text: a.Text}}
	pos, dup, err := h.appendDup(ctx, r.id, ev, r.id+"/announce/"+a.ID, 0)
	if err != nil {
		return false, err
	}
	if err := r.waitApplied(ctx, pos); err != nil {
		return false, err
	}
	// Another request with the same id (on any instance) may have been
	// first; the room took whichever came first in its log.
	r.view(func(st *room.State) { mark, _ = st.Announced(a.ID) })
	if mark.Pos != pos {
		if mark.Text != a.Text {
			return false, wire.Errorf(wire.CodeInvalid, "announcement %s was sent with another text", a.ID)
		}
		return false, nil
	}
	return !dup, nil
}

// moveRoom moves a room to a step unless it is there, has ended, or was
// moved for the same announcement before (announcement may be empty).
func (h *Hub) moveRoom(ctx context.Context, r *runner, to int, announcement string) (bool, error) {
	pos, err := h.appendControl(ctx, r, "", func(st *room.State) (*room.Event, error) {
		if st.Ended || st.Step == to {
			return nil, nil
		}
		if m, ok := st.Announced(announcement); ok && m.Moved {
			return nil, nil
		}
		ev, err := room.Decide(st, room.Actor{Role: wire.RoleFacilitator}, gotoFrame(to), randomSeed())
		if err != nil {
			return nil, err
		}
		if ev.Goto != nil {
			ev.Goto.Announce = announcement
		}
		return ev, nil
	})
	return pos > 0, err
}

func gotoFrame(to int) wire.In {
	return wire.In{Type: wire.TypeGoto, Data: []byte(fmt.Sprintf(`{"step":%d}`, to))}
}
