package hub

import (
	"context"
	"slices"
)

// Access is what a signed-in user may do in a room, as the server decided
// from their part in it. The zero value is no access.
type Access struct {
	// Run: act as a facilitator (owner or co-facilitator).
	Run bool
	// Observe: see the facilitator's view without acting.
	Observe bool
	// Care: see the private "I need to talk" signals (implied by Run).
	Care bool
	// PresenterKey is the room's big-screen key, for the welcome.
	PresenterKey string
	// User is the account id, for the audit log.
	User string
}

// AccessFunc tells a session what its signed-in user may do in a room;
// the server sets one for each websocket whose request carried a
// session cookie.
type AccessFunc func(ctx context.Context, roomID string) Access

// SetAccess gives the session its signed-in user's access (see
// AccessFunc). Staff hellos without a key are then checked with it.
func (s *Session) SetAccess(fn AccessFunc) { s.access = fn }

// EventAccessFunc reports whether the signed-in user owns an event.
type EventAccessFunc func(ctx context.Context, eventID string) bool

// SetEventAccess lets an organizer hello without a key open the events
// the signed-in user owns.
func (s *Session) SetEventAccess(fn EventAccessFunc) { s.eventAccess = fn }

type grantKey struct{}

// Granted returns a context in which the hub's key-checked calls for the
// room or event ids pass without a key: the server has checked that the
// signed-in user may run them.
func Granted(ctx context.Context, ids ...string) context.Context {
	prev, _ := ctx.Value(grantKey{}).([]string)
	return context.WithValue(ctx, grantKey{}, append(slices.Clip(prev), ids...))
}

// granted reports whether ctx grants the id (see Granted).
func granted(ctx context.Context, id string) bool {
	ids, _ := ctx.Value(grantKey{}).([]string)
	return id != "" && slices.Contains(ids, id)
}
