package hub

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// WithRoom checks a facilitator key and runs fn on the room's state. The
// state must not be kept or changed after fn returns.
func (h *Hub) WithRoom(ctx context.Context, roomID, key string, fn func(st *room.State)) error {
	r, err := h.acquireStaff(ctx, roomID, key)
	if err != nil {
		return err
	}
	defer h.release(r)
	r.view(fn)
	return nil
}

func (h *Hub) acquireStaff(ctx context.Context, roomID, key string) (*runner, error) {
	if !validRoomID(roomID) {
		return nil, wire.Errorf(wire.CodeNotFound, "no room with that id")
	}
	r, err := h.acquire(ctx, roomID)
	if errors.Is(err, ErrNotFound) {
		return nil, wire.Errorf(wire.CodeNotFound, "no room with that id")
	}
	if err != nil {
		return nil, err
	}
	var want string
	r.view(func(st *room.State) { want = st.KeyHash })
	if key == "" || subtle.ConstantTimeCompare([]byte(HashSecret(key)), []byte(want)) != 1 {
		h.release(r)
		return nil, wire.Errorf(wire.CodeUnauthorized, "the facilitator key is not valid for this room")
	}
	return r, nil
}

// DeleteRoom deletes a room's data at once: every connection to it is
// closed (4004), its log is purged down to a tombstone with no content,
// and its join code is freed.
func (h *Hub) DeleteRoom(ctx context.Context, roomID, key string) error {
	r, err := h.acquireStaff(ctx, roomID, key)
	if err != nil {
		return err
	}
	defer h.release(r)
	return h.deleteRoom(ctx, r)
}

func (h *Hub) deleteRoom(ctx context.Context, r *runner) error {
	var code string
	r.view(func(st *room.State) { code = st.Code })
	pos, err := h.appendControl(ctx, r, "", func(st *room.State) (*room.Event, error) {
		if st.Deleted {
			return nil, nil
		}
		return &room.Event{Type: room.EvDeleted}, nil
	})
	if err != nil {
		return err
	}
	if pos > 0 {
		if err := r.waitApplied(ctx, pos); err != nil {
			return err
		}
	}
	if err := h.log.Purge(ctx, r.id); err != nil {
		return fmt.Errorf("delete room: %w", err)
	}
	if code != "" {
		if err := h.reg.Release(ctx, code, r.id); err != nil {
			return fmt.Errorf("delete room: %w", err)
		}
	}
	h.metrics.RoomsDeleted.Inc()
	return nil
}

// SweepExpired deletes every room whose retention has run out, and every
// conference event whose retention has run out with all of its rooms. It
// returns the number of rooms deleted. Every instance may run it; deleting
// twice does no harm.
func (h *Hub) SweepExpired(ctx context.Context) (int, error) {
	n, err := h.sweepRooms(ctx)
	if err != nil {
		return n, err
	}
	ids, err := h.reg.ExpiredEvents(ctx, h.cfg.Now())
	if err != nil {
		return n, err
	}
	for _, id := range ids {
		if err := h.deleteEvent(ctx, id); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (h *Hub) sweepRooms(ctx context.Context) (int, error) {
	refs, err := h.reg.Expired(ctx, h.cfg.Now())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ref := range refs {
		r, err := h.acquire(ctx, ref.ID)
		if errors.Is(err, ErrNotFound) {
			// Nothing left in the log: only the registry remembers it.
			if err := h.reg.Release(ctx, ref.Code, ref.ID); err != nil {
				return n, err
			}
			n++
			continue
		}
		if err != nil {
			return n, err
		}
		err = h.deleteRoom(ctx, r)
		h.release(r)
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// sweepLoop runs SweepExpired every interval until the hub closes.
func (h *Hub) sweepLoop(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-h.stopFlush:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			if n, err := h.SweepExpired(ctx); err != nil {
				h.logger.Warn("retention sweep failed", "err", err)
			} else if n > 0 {
				h.logger.Info("retention sweep deleted rooms", "rooms", n)
			}
			cancel()
		}
	}
}
