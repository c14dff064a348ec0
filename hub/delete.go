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
	if granted(ctx, roomID) {
		return r, nil
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
	// An instance that had not applied the tombstone yet may still append
	// input it decided on before: within one append's time. Purge again
	// once that has passed (followers that apply such input purge too).
	time.AfterFunc(2*h.cfg.AppendTimeout, func() { h.purgeLate(r.id) })
	if code != "" {
		if err := h.reg.Release(ctx, code, r.id); err != nil {
			return fmt.Errorf("delete room: %w", err)
		}
	}
	h.metrics.RoomsDeleted.Inc()
	return nil
}

// purgeLate purges a deleted room's log again, down to its tombstone,
// for input appended after the first purge. Best effort: the stream's
// own age limit is the backstop.
func (h *Hub) purgeLate(roomID string) {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.AppendTimeout)
	defer cancel()
	if err := h.log.Purge(ctx, roomID); err != nil {
		h.logger.Warn("purge input that came after a room was deleted", "room", roomID, "err", err)
	}
}

// SweepExpired deletes every room whose retention has run out, and every
// conference event whose retention has run out with all of its rooms. It
// returns the number of rooms deleted. A room or event that cannot be
// deleted now is counted (RetentionFailures) and left for the next sweep;
// the sweep goes on with the others and returns the first error. Every
// instance may run it; deleting twice does no harm.
func (h *Hub) SweepExpired(ctx context.Context) (int, error) {
	var first error
	failed := func(err error) {
		h.metrics.RetentionFailures.Inc()
		if first == nil {
			first = err
		}
	}
	n := h.sweepRooms(ctx, failed)
	ids, err := h.reg.ExpiredEvents(ctx, h.cfg.Now())
	if err != nil {
		failed(fmt.Errorf("list expired events: %w", err))
	}
	for _, id := range ids {
		if err := h.deleteEvent(ctx, id); err != nil {
			failed(fmt.Errorf("delete expired event: %w", err))
		}
	}
	return n, first
}

func (h *Hub) sweepRooms(ctx context.Context, failed func(error)) int {
	refs, err := h.reg.Expired(ctx, h.cfg.Now())
	if err != nil {
		failed(fmt.Errorf("list expired rooms: %w", err))
		return 0
	}
	n := 0
	for _, ref := range refs {
		if ctx.Err() != nil {
			failed(fmt.Errorf("sweep cut short with %d rooms left: %w", len(refs)-n, ctx.Err()))
			break
		}
		if err := h.sweepRoom(ctx, ref); err != nil {
			failed(fmt.Errorf("delete expired room %s: %w", ref.ID, err))
			continue
		}
		n++
	}
	return n
}

// sweepRoom deletes one expired room.
func (h *Hub) sweepRoom(ctx context.Context, ref RoomRef) error {
	if h.cfg.FailSweep != nil && h.cfg.FailSweep(ref.ID) {
		return ErrUnavailable
	}
	r, err := h.acquire(ctx, ref.ID)
	if errors.Is(err, ErrNotFound) {
		// Nothing left in the log: only the registry remembers it.
		return h.reg.Release(ctx, ref.Code, ref.ID)
	}
	if err != nil {
		return err
	}
	defer h.release(r)
	return h.deleteRoom(ctx, r)
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
			n, err := h.SweepExpired(ctx)
			if err != nil {
				h.logger.Warn("retention sweep left rooms for the next round", "err", err)
			}
			if n > 0 {
				h.logger.Info("retention sweep deleted rooms", "rooms", n)
			}
			cancel()
		}
	}
}
