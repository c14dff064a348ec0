package hub

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// hello authenticates a connection's first frame and attaches it to its
// room (or, for an organizer, to an event's overview).
func (s *Session) hello(ctx context.Context, in wire.In) error {
	var hello wire.Hello
	if err := wire.DecodeData(in, &hello); err != nil {
		return err
	}
	if hello.Protocol != wire.Version {
		return wire.Errorf(wire.CodeProtocol, "protocol %d is not supported; this server speaks %d", hello.Protocol, wire.Version)
	}
	s.hub.mu.Lock()
	draining := s.hub.draining
	s.hub.mu.Unlock()
	if draining {
		return wire.Errorf(wire.CodeShuttingDown, "this server is restarting; connect again")
	}
	switch hello.Role {
	case wire.RoleParticipant, wire.RoleFacilitator, wire.RolePresenter, wire.RoleOrganizer:
	default:
		return wire.Errorf(wire.CodeInvalid, "role must be participant, facilitator, presenter or organizer")
	}
	if hello.Role == wire.RoleOrganizer {
		return s.organizerHello(ctx, hello)
	}
	roomID, err := s.resolveRoom(ctx, hello)
	if err != nil {
		return err
	}
	r, err := s.hub.acquire(ctx, roomID)
	if errors.Is(err, ErrNotFound) {
		return s.failed(wire.Errorf(wire.CodeNotFound, "no room with that code"))
	}
	if err != nil {
		return err
	}
	if hello.LastSeq > 0 && hello.Epoch == s.hub.log.Epoch() {
		// The client saw the room up to LastSeq on another instance; this
		// one may not have applied that far yet. Resuming now would hand
		// it a snapshot from before what it has, and then those events
		// again (or, for a participant who joined there a moment ago,
		// not know their token).
		wctx, cancel := context.WithTimeout(ctx, resumeWait)
		r.waitSeq(wctx, hello.LastSeq)
		cancel()
	}
	w := wire.Welcome{Protocol: wire.Version, Role: hello.Role, Room: roomID, Instance: s.hub.cfg.Instance, ServerTime: s.hub.now()}
	if hello.Role == wire.RoleParticipant {
		err = s.participantHello(ctx, r, hello, &w)
	} else {
		err = s.staffHello(ctx, r, hello, &w)
	}
	if err != nil {
		s.hub.release(r)
		return err
	}
	s.role = hello.Role
	if s.aud == 0 {
		s.aud = room.AudienceOf(hello.Role)
	}
	r.view(func(st *room.State) { w.Code = st.Code })
	if s.joinBase != nil && hello.Role != wire.RoleParticipant {
		if base := s.joinBase(); base != "" {
			w.JoinURL = base + "/j/" + w.Code
		}
	}
	s.runner = r
	s.hub.metrics.Connections.WithLabelValues("pending").Dec()
	s.hub.metrics.Connections.WithLabelValues(s.role).Inc()
	r.attach(s, w, hello.LastSeq, hello.Epoch)
	return nil
}

// failed counts a failed lookup (an unknown code or room, a wrong key or
// token) against the client's address and returns the error to answer
// with. Past the address's limit every failing hello is answered
// rate_limited instead, and joins by code are refused before the lookup
// (see guessable), so that guessing learns nothing. Hellos with a valid
// token or key never count and are never refused by this limit: a school
// behind one address where some mistype the code is not an attacker.
func (s *Session) failed(err *wire.Error) error {
	if !s.hub.failures.allow(s.addr) {
		s.hub.metrics.RateLimited.Inc()
		return errFailuresLimited
	}
	return err
}

var errFailuresLimited = wire.Errorf(wire.CodeRateLimited, "too many failed attempts from your network; wait a minute")

// guessable reports whether a hello looks a room up by its join code alone
// (a new participant): the only lookup a guesser can win.
func guessable(hello wire.Hello) bool {
	return hello.Role == wire.RoleParticipant && hello.Token == ""
}

// organizerHello attaches an organizer to their event's overview.
func (s *Session) organizerHello(ctx context.Context, hello wire.Hello) error {
	if hello.Key == "" && s.eventAccess != nil && s.eventAccess(ctx, hello.Event) {
		ctx = Granted(ctx, hello.Event)
	}
	rec, err := s.hub.OrganizerEvent(ctx, hello.Event, hello.Key)
	if err != nil {
		if e := wire.AsError(err); e.Code == wire.CodeNotFound || e.Code == wire.CodeUnauthorized {
			return s.failed(e)
		}
		return err
	}
	s.role = wire.RoleOrganizer
	s.hub.metrics.Connections.WithLabelValues("pending").Dec()
	s.hub.metrics.Connections.WithLabelValues(s.role).Inc()
	s.hub.attachOrganizer(s, rec, wire.Welcome{Protocol: wire.Version, Role: wire.RoleOrganizer, Room: rec.ID,
		Instance: s.hub.cfg.Instance, ServerTime: s.hub.now(), Epoch: s.hub.log.Epoch()})
	return nil
}

// resolveRoom finds the room a hello names: for a returning participant by
// the room id their token carries, for staff by room id, otherwise by join
// code. Unknown codes all get the same answer, so that guessing learns
// nothing, and count as failures for the address's limit.
func (s *Session) resolveRoom(ctx context.Context, hello wire.Hello) (string, error) {
	if hello.Role == wire.RoleParticipant && hello.Token != "" {
		roomID, ok := tokenRoom(hello.Token)
		if !ok {
			return "", s.failed(wire.Errorf(wire.CodeUnauthorized, "unknown participant token; join again without it"))
		}
		return roomID, nil
	}
	if hello.Role != wire.RoleParticipant && hello.Room != "" {
		if !validRoomID(hello.Room) {
			return "", s.failed(wire.Errorf(wire.CodeNotFound, "no room with that code"))
		}
		return hello.Room, nil
	}
	if guessable(hello) && !s.hub.failures.allowed(s.addr) {
		s.hub.metrics.RateLimited.Inc()
		return "", errFailuresLimited
	}
	code, ok := NormaliseCode(hello.Code)
	if !ok {
		return "", s.failed(wire.Errorf(wire.CodeNotFound, "no room with that code"))
	}
	roomID, err := s.hub.reg.Lookup(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return "", s.failed(wire.Errorf(wire.CodeNotFound, "no room with that code"))
	}
	if err != nil {
		return "", wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again")
	}
	return roomID, nil
}

// tokenLength is the length of the secret part of a participant token.
const tokenLength = 22

// tokenRoom returns the room id a participant token is for, if the token
// has the shape of one: "<room id>.<22 characters>".
func tokenRoom(token string) (string, bool) {
	roomID, secret, ok := strings.Cut(token, ".")
	if !ok || !validRoomID(roomID) || len(secret) != tokenLength {
		return "", false
	}
	for _, c := range secret {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return "", false
		}
	}
	return roomID, true
}

// staffHello checks a staff key: the facilitator key for either role, or
// for the big screen its own read-only key. The facilitator's welcome
// carries the presenter key, for the big-screen link.
func (s *Session) staffHello(ctx context.Context, r *runner, hello wire.Hello, w *wire.Welcome) error {
	var want, presenter string
	r.view(func(st *room.State) { want, presenter = st.KeyHash, st.PresenterKeyHash })
	got := []byte(HashSecret(hello.Key))
	switch {
	case hello.Key == "" && s.access != nil:
		return s.accountHello(ctx, r.id, hello, w)
	case hello.Key == "":
	case subtle.ConstantTimeCompare(got, []byte(want)) == 1:
		if hello.Role == wire.RoleFacilitator && presenter != "" {
			w.PresenterKey = PresenterKey(hello.Key)
		}
		return nil
	case hello.Role == wire.RolePresenter && presenter != "" && subtle.ConstantTimeCompare(got, []byte(presenter)) == 1:
		return nil
	}
	return s.failed(wire.Errorf(wire.CodeUnauthorized, "the key is not valid for this room and role"))
}

// accountHello admits staff without a key by what their signed-in
// account may do in the room: run it, or watch it (an observer, who gets
// the facilitator's view and may not act; with Care also the signals).
func (s *Session) accountHello(ctx context.Context, roomID string, hello wire.Hello, w *wire.Welcome) error {
	a := s.access(ctx, roomID)
	switch {
	case a.Run:
		s.aud = room.AudienceOf(hello.Role)
		if hello.Role == wire.RoleFacilitator {
			w.PresenterKey = a.PresenterKey
		}
	case a.Observe:
		s.aud = room.AudienceOf(hello.Role)
		if hello.Role == wire.RoleFacilitator {
			s.observer = true
			s.aud = room.ToStaff
			w.Access = wire.AccessObserver
			if a.Care {
				s.aud |= room.ToCare
				w.Access = wire.AccessSafeguarding
			}
		}
	default:
		return s.failed(wire.Errorf(wire.CodeUnauthorized, "your account has no part in this room; ask its owner to share it with you"))
	}
	s.user = a.User
	return nil
}
