package hub

import (
	"context"
	"errors"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// appendControl decides a control event on the room's current state and
// appends it expecting the state's control sequence; when another control
// event wins the race it decides again on the newer state. decide returns
// a nil event when there is nothing (left) to do; then pos is 0. The
// event's At is set here.
func (h *Hub) appendControl(ctx context.Context, r *runner, msgID string, decide func(st *room.State) (*room.Event, error)) (pos uint64, err error) {
	synced := false
	for attempt := 0; attempt < maxCommandAttempts; attempt++ {
		var ev *room.Event
		var ctlSeq uint64
		r.view(func(st *room.State) {
			ctlSeq = st.CtlSeq
			ev, err = decide(st)
		})
		retry, err := r.retryStale(ctx, err, &synced)
		if retry {
			continue
		}
		if err != nil || ev == nil {
			return 0, err
		}
		ev.At = h.now()
		pos, err = h.append(ctx, r.id, ev, msgID, ctlSeq)
		if !errors.Is(err, ErrConflict) {
			return pos, err
		}
		r.waitCtlChange(ctx, ctlSeq)
	}
	return 0, wire.Errorf(wire.CodeStale, "the room kept changing; try again")
}
