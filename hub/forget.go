package hub

import (
	"context"
	"fmt"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// ForgetRoom forgets everything of an ended room but its report of
// approved texts: report builds that report from the room's state (in the
// form of the JSON report), a forgotten event carrying it is appended, and
// the room's log is purged down to that event, so that no raw text, answer
// or participant stays in the log. The room stays open to its facilitator
// until its retention ends, with only the report. Forgetting a room
// already forgotten does nothing.
func (h *Hub) ForgetRoom(ctx context.Context, roomID, key string, report func(st *room.State) ([]byte, error)) error {
	r, err := h.acquireStaff(ctx, roomID, key)
	if err != nil {
		return err
	}
	defer h.release(r)
	pos, err := h.appendControl(ctx, r, "", func(st *room.State) (*room.Event, error) {
		if !st.Ended {
			return nil, wire.Errorf(wire.CodeInvalid, "end the session before forgetting its texts")
		}
		if st.Forgotten != nil {
			return nil, nil
		}
		rep, err := report(st)
		if err != nil {
			return nil, fmt.Errorf("forget room: keep the report: %w", err)
		}
		return st.ForgetEvent(rep), nil
	})
	if err != nil {
		return err
	}
	if pos == 0 {
		return nil
	}
	if err := r.waitApplied(ctx, pos); err != nil {
		return err
	}
	if err := h.log.PurgeBefore(ctx, r.id, pos); err != nil {
		return fmt.Errorf("forget room: %w", err)
	}
	h.metrics.RoomsForgotten.Inc()
	return nil
}
