package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// MaxNickname is the longest nickname, in characters.
const MaxNickname = 40

// strikeLimit is how many rate-limited frames a connection may send before
// it is disconnected; strikes decay by one for every frame within limits.
const strikeLimit = 50

// Session is one connection's conversation with the hub: it authenticates
// the hello, attaches to the room, and turns frames into commands. The
// websocket layer calls Handle from its single reader goroutine and Closed
// once when the connection ends.
type Session struct {
	hub  *Hub
	conn Conn
	addr string
	// joinBase gives the start of the join link in staff welcomes
	// (SetJoinBase); nil: none.
	joinBase func() string
	// access tells what the signed-in user (if any) may do in a room
	// (SetAccess), eventAccess whether they own an event
	// (SetEventAccess); nil: nobody signed in.
	access      AccessFunc
	eventAccess EventAccessFunc

	// Set by the hello, before the session is attached and visible to the
	// runner's fan-out; never changed afterwards.
	role string
	aud  room.Audience
	pid  string
	// observer: a signed-in user who may watch the facilitator's view
	// but not act; user is a signed-in staff member's account id.
	observer bool
	user     string
	runner   *runner
	// overview is set for organizer sessions instead of runner.
	overview *overview

	limiter   *rate.Limiter
	strikes   int
	closed    atomic.Bool
	helloSeen atomic.Bool
}

// Connect starts a session for a new connection from the client address addr.
func (h *Hub) Connect(conn Conn, addr string) *Session {
	s := &Session{hub: h, conn: conn, addr: addr,
		limiter: rate.NewLimiter(rate.Limit(h.cfg.MessageRate), h.cfg.MessageBurst)}
	h.mu.Lock()
	h.sessions[s] = struct{}{}
	h.mu.Unlock()
	h.metrics.Connections.WithLabelValues("pending").Inc()
	return s
}

// SetJoinBase gives the session the base of the room's join link
// (scheme://host[:port], as worked out for the request that opened the
// connection); staff welcomes then carry join_url. base is called once,
// for a staff hello only. Call SetJoinBase before the connection's first
// frame is handled.
func (s *Session) SetJoinBase(base func() string) { s.joinBase = base }

// HelloTimeout is how long the connection may wait for its hello.
func (s *Session) HelloTimeout() time.Duration { return s.hub.cfg.HelloTimeout }

// HelloReceived reports whether a hello has arrived (it may still be
// being processed: a join under load waits for storage).
func (s *Session) HelloReceived() bool { return s.helloSeen.Load() }

// Attached reports whether the hello succeeded.
func (s *Session) Attached() bool { return s.runner != nil || s.overview != nil }

// Closed ends the session; the websocket layer calls it once.
func (s *Session) Closed() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	h := s.hub
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
	switch {
	case s.runner != nil:
		s.runner.detach(s)
		h.release(s.runner)
		h.metrics.Connections.WithLabelValues(s.role).Dec()
	case s.overview != nil:
		h.detachOrganizer(s)
		h.metrics.Connections.WithLabelValues(s.role).Dec()
	default:
		h.metrics.Connections.WithLabelValues("pending").Dec()
	}
}

// Handle processes one frame from the client. It never panics on input; a
// refused frame is answered with an error frame and the connection stays
// usable, except for abuse, which closes it. A panic while handling a
// frame (a bug) is answered with internal, counted and logged, and the
// connection stays usable.
func (s *Session) Handle(ctx context.Context, data []byte) {
	var in wire.In
	defer func() {
		if p := recover(); p != nil {
			s.recovered(in, p)
		}
	}()
	in, err := wire.Decode(data)
	s.hub.metrics.in(in.Type)
	if err == nil && s.hub.cfg.BeforeHandle != nil {
		s.hub.cfg.BeforeHandle(in)
	}
	if !s.limiter.Allow() {
		s.strikes++
		s.hub.metrics.RateLimited.Inc()
		if s.strikes > strikeLimit {
			s.conn.Close(ClosePolicy, "too many messages")
			return
		}
		// The id tells the client which frame to send again later.
		s.replyErr(in.ID, wire.Errorf(wire.CodeRateLimited, "too many messages; slow down"))
		return
	}
	if s.strikes > 0 {
		s.strikes--
	}
	if err != nil {
		s.replyErr(in.ID, err)
		return
	}
	switch {
	case in.Type == wire.TypePing:
		if err := wire.NoData(in); err != nil {
			s.replyErr(in.ID, err)
			return
		}
		s.send(wire.Out{Type: wire.TypePong, ID: in.ID})
	case in.Type == wire.TypeHello:
		s.helloSeen.Store(true)
		if s.Attached() {
			s.replyErr(in.ID, wire.Errorf(wire.CodeProtocol, "hello was already sent on this connection"))
			return
		}
		if !s.hub.beginWork() {
			s.replyErr(in.ID, errShuttingDown)
			return
		}
		defer s.hub.endWork()
		hctx, cancel := context.WithTimeout(ctx, s.hub.cfg.HelloDeadline)
		defer cancel()
		if err := s.hello(hctx, in); err != nil {
			s.replyErr(in.ID, helloError(hctx, err))
		}
	case !s.Attached():
		s.replyErr(in.ID, wire.Errorf(wire.CodeProtocol, "send hello first"))
	case s.overview != nil:
		s.replyErr(in.ID, wire.Errorf(wire.CodeNotAllowed, "the overview takes no commands; announcements go through the REST API"))
	default:
		if !s.hub.beginWork() {
			// Resent to the instance the client reconnects to after 1012.
			s.replyErr(in.ID, errShuttingDown)
			return
		}
		defer s.hub.endWork()
		if err := s.submit(ctx, in); err != nil {
			s.replyErr(in.ID, err)
		}
	}
}

// helloError is what a client is told about a failed hello: a refusal as
// it is; storage that did not answer, or not within the hello's deadline,
// as unavailable, which the client may retry.
func helloError(ctx context.Context, err error) error {
	var e *wire.Error
	if errors.As(err, &e) {
		return e
	}
	if ctx.Err() != nil || errors.Is(err, ErrUnavailable) {
		return wire.Errorf(wire.CodeUnavailable, "the server could not answer in time; try again")
	}
	return err
}

// recovered answers a frame whose handling panicked. The log names the
// frame's type and the session's room and role, never the frame's content
// or the panic's value (either may hold what people wrote).
func (s *Session) recovered(in wire.In, p any) {
	s.hub.metrics.HandlePanics.Inc()
	roomID := ""
	if s.runner != nil {
		roomID = s.runner.id
	}
	s.hub.logger.Error("frame handling panicked", "type", knownType(in.Type), "role", s.role, "room", roomID,
		"panic", panicSummary(p), "stack", string(debug.Stack()))
	e := wire.Errorf(wire.CodeInternal, "internal error; the server's log has the details")
	s.hub.metrics.Errors.WithLabelValues(string(e.Code)).Inc()
	s.send(wire.Out{Type: wire.TypeError, ID: in.ID, Data: e})
}

// errShuttingDown refuses work that arrives once Drain has begun.
var errShuttingDown = wire.Errorf(wire.CodeShuttingDown, "this server is restarting; send it again after reconnecting")

// send encodes and queues a frame for this connection only.
func (s *Session) send(o wire.Out) {
	f, err := wire.NewFrame(o)
	if err != nil {
		s.hub.logger.Error("encode frame", "type", o.Type, "err", err)
		return
	}
	// Counted before it is queued: the client may act on it at once.
	s.hub.metrics.out(o.Type, 1)
	s.conn.Send(f)
}

func (s *Session) replyErr(id string, err error) {
	e := wire.AsError(err)
	if e.Code == wire.CodeInternal {
		s.hub.logger.Error("request failed", "err", err)
	}
	s.hub.metrics.Errors.WithLabelValues(string(e.Code)).Inc()
	s.send(wire.Out{Type: wire.TypeError, ID: id, Data: e})
}

// wants reports whether a frame for audience to (or the listed
// participants) is for this session.
func (s *Session) wants(to room.Audience, pids []string) bool {
	if pids != nil {
		return s.pid != "" && slices.Contains(pids, s.pid)
	}
	return s.aud&to != 0
}

// participantHello resumes a participant by token or joins a new one.
func (s *Session) participantHello(ctx context.Context, r *runner, hello wire.Hello, w *wire.Welcome) error {
	if hello.Token == "" {
		return s.join(ctx, r, hello, w)
	}
	var p *room.Participant
	var code string
	r.view(func(st *room.State) {
		code = st.Code
		if found, ok := st.ParticipantByToken(HashSecret(hello.Token)); ok {
			cp := *found
			p = &cp
		}
	})
	if hello.Code != "" {
		// The token names its room; a code that names another room is
		// the phone mixing up two sessions, which it should hear about.
		if c, ok := NormaliseCode(hello.Code); ok && c != code {
			return s.failed(wire.Errorf(wire.CodeWrongRoom, "this participant token belongs to another room"))
		}
	}
	switch {
	case p == nil:
		return s.failed(wire.Errorf(wire.CodeUnauthorized, "unknown participant token; join again without it"))
	case p.Removed:
		return wire.Errorf(wire.CodeRemoved, "you were removed from this room")
	case p.Left:
		return wire.Errorf(wire.CodeRemoved, "you left this room")
	}
	s.pid, w.Participant = p.ID, p.ID
	return nil
}

// join adds a new participant. With a nonce the join is idempotent: the
// token is derived from the nonce, so a join sent again (after a timeout
// that hid the first welcome) finds the participant the first one made
// and gets the same token, instead of making a second participant.
func (s *Session) join(ctx context.Context, r *runner, hello wire.Hello, w *wire.Welcome) error {
	nick, err := wire.CheckName(hello.Nickname, MaxNickname)
	if err != nil {
		return err
	}
	token := r.id + "." + randomString(tokenLength)
	if hello.Nonce != "" {
		if !validNonce(hello.Nonce) {
			return wire.Errorf(wire.CodeInvalid, "nonce must be 22 to 64 letters, digits, - or _")
		}
		token = nonceToken(r.id, hello.Nonce)
	}
	hash := HashSecret(token)
	if again, err := s.joinedBefore(r, hash, w, token); again {
		return err
	}
	if !s.hub.joins.allow(s.addr) {
		return wire.Errorf(wire.CodeRateLimited, "too many joins from your network; try again shortly")
	}
	var refusal *wire.Error
	r.view(func(st *room.State) { refusal = st.JoinRefusal() })
	if refusal != nil {
		return refusal
	}
	pid := randomString(10)
	ev := &room.Event{Type: room.EvJoined, PID: pid, At: s.hub.now(), Joined: &room.Joined{TokenHash: hash, Nickname: nick}}
	pos, _, err := s.hub.appendInput(ctx, r, ev, "join/"+hash)
	if err != nil {
		return err
	}
	if err := r.waitApplied(ctx, pos); err != nil {
		return err
	}
	if again, err := s.joinedBefore(r, hash, w, token); again {
		// Ours, or (a retry racing the first join) the first one's.
		return err
	}
	r.view(func(st *room.State) { refusal = st.JoinRefusal() })
	if refusal != nil {
		return refusal
	}
	return wire.Errorf(wire.CodeUnavailable, "joining failed; try again")
}

// joinedBefore looks for the participant a token hash belongs to. If there
// is one, the hello is answered as that participant (with the token again,
// since the first welcome may have been lost), or refused if they are gone.
func (s *Session) joinedBefore(r *runner, hash string, w *wire.Welcome, token string) (bool, error) {
	var p *room.Participant
	r.view(func(st *room.State) {
		if found, ok := st.ParticipantByToken(hash); ok {
			cp := *found
			p = &cp
		}
	})
	switch {
	case p == nil:
		return false, nil
	case !p.Active():
		return true, wire.Errorf(wire.CodeRemoved, "you are no longer in this room")
	}
	s.pid, w.Participant, w.Token = p.ID, p.ID, token
	return true, nil
}

// validNonce reports whether a hello's nonce is usable: long enough to be
// unguessable (it stands in for the token until the welcome arrives).
func validNonce(n string) bool {
	if len(n) < 22 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// nonceToken derives a participant token from a join nonce, so that the
// same nonce always gives the same token in a room.
func nonceToken(roomID, nonce string) string {
	sum := sha256.Sum256([]byte("stoppunkt/join/v1\x00" + roomID + "\x00" + nonce))
	enc := strings.ToLower(b32.EncodeToString(sum[:]))
	return roomID + "." + enc[:tokenLength]
}

// resumeWait bounds how long a resuming client waits for this instance to
// apply the room as far as the client has seen it. Past it, the client
// gets a snapshot.
const resumeWait = 5 * time.Second

// maxCommandAttempts bounds retries of a control command that lost a race.
const maxCommandAttempts = 8

// submit decides a command or submission on the current state, appends it,
// and acknowledges it once it has been applied. A control command that
// loses a race is decided again on the newer state, where it may now be
// stale.
func (s *Session) submit(ctx context.Context, in wire.In) error {
	r := s.runner
	if s.observer {
		return wire.Errorf(wire.CodeNotAllowed, "you are observing this room and cannot change it")
	}
	who := room.Actor{Role: s.role, PID: s.pid}
	ctx, cancel := context.WithTimeout(ctx, s.hub.cfg.AppendTimeout)
	defer cancel()
	seed := randomSeed()
	synced := false
	for attempt := 0; attempt < maxCommandAttempts; attempt++ {
		var ev *room.Event
		var ctlSeq, seenSeq uint64
		var seen bool
		var err error
		r.view(func(st *room.State) {
			if in.ID != "" && s.pid != "" {
				// A resent submission that already took effect is answered
				// from the record, not checked against the (newer) state:
				// in the same look, so that it cannot take effect between
				// the two.
				if seenSeq, seen = st.SeenSubmission(s.pid, in.ID); seen {
					return
				}
			}
			ev, err = room.Decide(st, who, in, seed)
			ctlSeq = st.CtlSeq
		})
		if seen {
			s.send(wire.Out{Type: wire.TypeAck, ID: in.ID, Data: wire.Ack{Seq: seenSeq, Duplicate: true}})
			return nil
		}
		retry, err := r.retryStale(ctx, err, &synced)
		if retry {
			continue
		}
		if errors.Is(err, room.ErrNoChange) {
			var seq uint64
			r.view(func(st *room.State) { seq = st.Seq })
			s.send(wire.Out{Type: wire.TypeAck, ID: in.ID, Data: wire.Ack{Seq: seq}})
			return nil
		}
		if err != nil {
			return err
		}
		ev.At = s.hub.now()
		msgID := ""
		if ev.ID != "" {
			msgID = r.id + "/" + ev.PID + "/" + ev.ID
		}
		dying := s.hub.cfg.DieAfterAppend != nil && s.hub.cfg.DieAfterAppend()
		var pos uint64
		var dup bool
		if room.Batchable(ev.Type) {
			pos, dup, err = s.hub.appendInput(ctx, r, ev, msgID)
		} else {
			pos, dup, err = s.hub.appendDup(ctx, r.id, ev, msgID, ctlSeq)
		}
		if dying {
			return nil // appended, never acknowledged
		}
		if errors.Is(err, ErrConflict) {
			r.waitCtlChange(ctx, ctlSeq)
			continue
		}
		if err != nil {
			return err
		}
		if err := r.waitApplied(ctx, pos); err != nil {
			return err
		}
		switch {
		case ev.ID != "" && dup:
			// The first append's ack may have gone to a connection that
			// died; answer this one from the de-duplication record.
			return s.ackDuplicate(r, ev)
		case ev.ID != "":
			// Participant submissions are acknowledged by the apply itself,
			// on whichever instance the participant is connected to.
			return nil
		}
		var seq uint64
		r.view(func(st *room.State) { seq = st.Seq })
		s.send(wire.Out{Type: wire.TypeAck, ID: in.ID, Data: wire.Ack{Seq: seq}})
		if in.Type == wire.TypeEnd && s.hub.cfg.OnEnded != nil {
			s.hub.cfg.OnEnded(r.id, s.user)
		}
		return nil
	}
	return wire.Errorf(wire.CodeStale, "the room changed while the command was sent; look and try again")
}

func (s *Session) ackDuplicate(r *runner, ev *room.Event) error {
	var seq uint64
	var ok bool
	var refusal *wire.Error
	r.view(func(st *room.State) {
		seq, ok = st.SeenSubmission(ev.PID, ev.ID)
		if !ok && ev.Answer != nil {
			refusal = st.CheckAnswer(ev.PID, ev.Answer)
		}
	})
	if !ok {
		if refusal != nil {
			return refusal
		}
		return wire.Errorf(wire.CodeStale, "the submission was not accepted")
	}
	s.send(wire.Out{Type: wire.TypeAck, ID: ev.ID, Data: wire.Ack{Seq: seq, Duplicate: true}})
	return nil
}

// append writes an event to the room's log.
func (h *Hub) append(ctx context.Context, roomID string, ev *room.Event, msgID string, expect uint64) (uint64, error) {
	pos, _, err := h.appendDup(ctx, roomID, ev, msgID, expect)
	return pos, err
}

func (h *Hub) appendDup(ctx context.Context, roomID string, ev *room.Event, msgID string, expect uint64) (uint64, bool, error) {
	data, err := ev.Encode()
	if err != nil {
		return 0, false, err
	}
	return h.appendData(ctx, roomID, ev.Type, data, msgID, expect)
}

func (h *Hub) now() int64 { return h.cfg.Now().UnixMilli() }

// HashSecret is how keys and tokens are stored: the hex SHA-256. They are
// random 128-bit-plus secrets, so a plain hash is enough.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
