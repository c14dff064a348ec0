// Package hub runs rooms. For every room that has connections on this
// instance it follows the room's log, applies each event to the room's
// state machine (package room) and fans the frames out to the local
// connections. Commands go the other way: decided against the local state,
// appended to the log, and take effect when the log delivers them back, on
// every instance alike.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/helpcard"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/screening"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Conn is one client connection as the hub sees it. The websocket layer
// (package client) implements it.
type Conn interface {
	// Send queues a frame without blocking. It returns false if the
	// connection is closed; a connection whose queue is over its byte limit
	// closes itself as too slow and returns false.
	Send(f *wire.Frame) bool
	// SendMany queues frames together (one wake-up of the writer).
	SendMany(fs []*wire.Frame) bool
	// Close sends a close frame with the code and reason after whatever is
	// queued, then closes the connection.
	Close(code int, reason string)
}

// Log is the durable, ordered log of every room (JetStream in production).
type Log interface {
	// Append adds an event to a room's log and returns its position. A
	// control event is appended only if the position of the room's last
	// control event is still expect; otherwise ErrConflict. msgID, when not
	// empty, makes the append idempotent within the log's duplicate window:
	// a repeat returns the first position and dup=true. ErrUnavailable means
	// the log cannot be reached and the caller may retry later.
	Append(ctx context.Context, roomID string, control bool, data []byte, msgID string, expect uint64) (pos uint64, dup bool, err error)
	// LastPos returns the position of the room's newest event, or
	// ErrNotFound if the room has no log.
	LastPos(ctx context.Context, roomID string) (uint64, error)
	// Follow calls fn for every event of the room, oldest first, from one
	// goroutine, until stop is called. It recovers from connection loss
	// without skipping or repeating events.
	Follow(ctx context.Context, roomID string, fn func(pos uint64, data []byte)) (stop func(), err error)
	// FollowAll calls fn for every event of every room appended after the
	// call, in log order, from one goroutine, until the subscription is
	// stopped. Like Follow, it recovers from connection loss without
	// skipping or repeating events. onErr, when not nil, is told of every
	// error the follow meets on the way (it goes on by itself, or tries
	// to); it must not block.
	FollowAll(ctx context.Context, fn func(roomID string, pos uint64, data []byte), onErr func(error)) (Subscription, error)
	// Epoch names this incarnation of the log; it changes if the log is
	// recreated, which makes every client's remembered position void.
	Epoch() string
	// Purge deletes every event of the room but the newest, which must be
	// the content-free tombstone that tells followers the room is gone.
	Purge(ctx context.Context, roomID string) error
	// PurgeBefore deletes every event of the room before position pos,
	// which becomes the first event of its log.
	PurgeBefore(ctx context.Context, roomID string, pos uint64) error
}

// Subscription is a running FollowAll.
type Subscription interface {
	// Stop ends the follow.
	Stop()
	// Pending returns how many events the log holds that the follow has
	// not delivered yet. An error means the log cannot say (its consumer
	// is gone or the log is unreachable).
	Pending(ctx context.Context) (uint64, error)
}

// Registry maps join codes to rooms and remembers when rooms expire.
type Registry interface {
	// Reserve claims a join code for a room; ErrTaken if a live room has it.
	Reserve(ctx context.Context, code, roomID string, expiresAt time.Time) error
	// Lookup returns the room a join code belongs to, or ErrNotFound.
	Lookup(ctx context.Context, code string) (roomID string, err error)
	// Release frees a room's join code and forgets the room, leaving no
	// history behind.
	Release(ctx context.Context, code, roomID string) error
	// Expired lists the rooms whose expiry time has passed.
	Expired(ctx context.Context, now time.Time) ([]RoomRef, error)
	// SaveEvent stores a conference event's record (create or update).
	SaveEvent(ctx context.Context, ev *EventRecord) error
	// Event returns an event's record, or ErrNotFound.
	Event(ctx context.Context, id string) (*EventRecord, error)
	// ForgetEvent deletes an event's record and its history.
	ForgetEvent(ctx context.Context, id string) error
	// ExpiredEvents lists the events whose expiry time has passed.
	ExpiredEvents(ctx context.Context, now time.Time) ([]string, error)
}

// Bus carries throw-away messages between instances (core NATS): what a
// listener misses is simply sent again later.
type Bus interface {
	Publish(subject string, data []byte) error
	Subscribe(subject string, fn func(data []byte)) (unsubscribe func(), err error)
}

// RoomRef names a room in the registry.
type RoomRef struct {
	ID   string
	Code string
}

// Errors the Log and Registry return.
var (
	ErrConflict    = errors.New("log position has moved")
	ErrUnavailable = errors.New("log unavailable")
	ErrNotFound    = errors.New("not found")
	ErrTaken       = errors.New("already taken")
)

// Config tunes a hub. The zero value of every field means its default.
type Config struct {
	// Instance names this server in welcomes and logs.
	Instance string
	// Retention is how long a room lives after it is created (30 days).
	Retention time.Duration
	// ReplayWindow is how many recent frames per room are kept for
	// reconnecting clients (1024). Older gaps get a snapshot.
	ReplayWindow int
	// FlushInterval is how often coalesced parts (tallies, counts) are
	// redrawn (200ms).
	FlushInterval time.Duration
	// Linger keeps a room followed after its last local connection leaves,
	// so that a reconnect does not replay the log again (30s).
	Linger time.Duration
	// HelloTimeout is how long a new connection may take to say hello (10s).
	HelloTimeout time.Duration
	// HelloDeadline bounds the work of answering one hello: finding the
	// room, loading it, storing a join and seeing it applied (10s). Past
	// it the client gets unavailable and may say hello again.
	HelloDeadline time.Duration
	// AppendTimeout bounds one append to the log (5s).
	AppendTimeout time.Duration
	// MessageRate and MessageBurst limit frames per connection (20/s, 40).
	MessageRate  float64
	MessageBurst int
	// JoinRate and JoinBurst limit joins per client address (50/s, 500).
	JoinRate  float64
	JoinBurst int
	// FailureRate and FailureBurst limit failed lookups of codes, tokens and
	// keys per client address (60 a minute, bursts of 60).
	FailureRate  float64
	FailureBurst int
	// FeedStallAfter is how long the instance's feed of the room log may
	// hold undelivered events without delivering any, or be unable to say,
	// before readiness turns false (20s).
	FeedStallAfter time.Duration
	// HelpCard is the server's part of the help card on closing steps:
	// the organisation's own lines and the country of the national
	// helplines for plans in languages of no one country (Norway).
	HelpCard helpcard.Card
	// ScreeningTerms are the term lists for possible disclosures
	// (screening.Shipped, extended with the organisation's own terms).
	ScreeningTerms *screening.Terms
	// SweepInterval is how often expired rooms are deleted (1m); negative
	// turns the sweep off.
	SweepInterval time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// DieAfterAppend, when set, is asked before a client's event is
	// appended. If it returns true (having cut the instance's connections
	// itself), the append is still made but the session stops there and
	// never acknowledges it: from outside, the instance died right after
	// appending. It exists for fault-injection tests.
	DieAfterAppend func() bool
	// FailAnnounce, when set, is asked before an organizer's announcement
	// is sent to a room; if it returns true, that room fails as if its log
	// were unavailable. It exists for fault-injection tests.
	FailAnnounce func(roomID string) bool
	// FailSweep, when set, is asked before the retention sweep deletes a
	// room; if it returns true, that room fails as if the log were
	// unavailable. It exists for fault-injection tests.
	FailSweep func(roomID string) bool
	// BeforeFeed, when set, is called by the instance's feed before it
	// hands an event to the room's runner; blocking in it makes this
	// instance lag behind the log. It exists for fault-injection tests.
	BeforeFeed func(roomID string)
	// BeforeApply, when set, is called with every event of a room's log
	// just before the room applies it, and BeforeHandle with every frame a
	// session takes, once decoded. A panic in either is taken like a bug in
	// the reducer or the session: the event is skipped, the frame answered
	// with internal. They exist for fault-injection tests.
	BeforeApply  func(roomID string, ev *room.Event)
	BeforeHandle func(in wire.In)
	// OnEnded, when set, is told when a facilitator ends a room over the
	// websocket, with the account id of a signed-in facilitator (empty for
	// a key holder), for the audit log. It must not block.
	OnEnded func(roomID, user string)
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Retention, 30*24*time.Hour)
	def(&c.FlushInterval, 200*time.Millisecond)
	def(&c.Linger, 30*time.Second)
	def(&c.HelloTimeout, 10*time.Second)
	def(&c.HelloDeadline, 10*time.Second)
	def(&c.AppendTimeout, 5*time.Second)
	def(&c.FeedStallAfter, 20*time.Second)
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Minute
	}
	if c.ReplayWindow <= 0 {
		c.ReplayWindow = 1024
	}
	if c.MessageRate <= 0 {
		c.MessageRate, c.MessageBurst = 20, 40
	}
	if c.JoinRate <= 0 {
		c.JoinRate, c.JoinBurst = 50, 500
	}
	if c.FailureRate <= 0 {
		c.FailureRate, c.FailureBurst = 1, 60
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ScreeningTerms == nil {
		c.ScreeningTerms = screening.Shipped()
	}
	if c.HelpCard.Country == "" {
		c.HelpCard.Country = helpcard.Norway
	}
	return c
}

// Hub runs the rooms of one instance.
type Hub struct {
	cfg     Config
	log     Log
	reg     Registry
	bus     Bus
	metrics *Metrics
	logger  *slog.Logger

	joins    *addrLimiter
	failures *addrLimiter
	presence presenceBook
	feed     *feed

	mu        sync.Mutex
	rooms     map[string]*runner
	overviews map[string]*overview
	sessions  map[*Session]struct{}
	draining  bool // readiness is false and hellos are refused
	// stopping is set by Drain: from then on a session's frame that would
	// start work (a hello, a command, a submission) is refused with
	// shutting_down, so that busy drops to zero and stays there.
	stopping bool
	busy     int           // frames being worked on (see beginWork)
	idle     chan struct{} // closed when busy reaches zero while stopping

	// overviewHook, when set, is called by attachOrganizer and
	// detachOrganizer at the point where the other may interleave ("attach",
	// "detach"). It exists for tests that force that interleaving.
	overviewHook func(step string)

	stopFlush chan struct{}
	flushDone chan struct{}
	closeOnce sync.Once
}

// New returns a hub. Call Close when done.
func New(cfg Config, log Log, reg Registry, bus Bus, metrics *Metrics, logger *slog.Logger) *Hub {
	cfg = cfg.withDefaults()
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	h := &Hub{
		cfg: cfg, log: log, reg: reg, bus: bus, metrics: metrics, logger: logger,
		overviews: map[string]*overview{},
		joins:     newAddrLimiter(cfg.JoinRate, cfg.JoinBurst),
		failures:  newAddrLimiter(cfg.FailureRate, cfg.FailureBurst),
		rooms:     map[string]*runner{},
		sessions:  map[*Session]struct{}{},
		stopFlush: make(chan struct{}),
		flushDone: make(chan struct{}),
	}
	h.feed = &feed{hub: h, rooms: map[string]*runner{}}
	go h.flushLoop()
	go h.presenceLoop()
	if cfg.SweepInterval > 0 {
		go h.sweepLoop(cfg.SweepInterval)
	}
	return h
}

// Config returns the hub's effective configuration.
func (h *Hub) Config() Config { return h.cfg }

// flushLoop redraws the coalesced parts of every room a few times a second.
func (h *Hub) flushLoop() {
	defer close(h.flushDone)
	t := time.NewTicker(h.cfg.FlushInterval)
	defer t.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	count := time.NewTicker(2 * time.Second)
	defer count.Stop()
	for {
		select {
		case <-h.stopFlush:
			return
		case <-count.C:
			h.feed.check(h.cfg.Now())
			n := 0
			for _, r := range h.liveRooms() {
				r.view(func(st *room.State) {
					if st.Exists() {
						n += st.ActiveCount()
					}
				})
			}
			h.metrics.Participants.Set(float64(n))
		case <-t.C:
			for _, r := range h.liveRooms() {
				r.flush()
			}
		case <-sweep.C:
			now := h.cfg.Now()
			h.joins.sweep(now)
			h.failures.sweep(now)
		}
	}
}

func (h *Hub) liveRooms() []*runner {
	h.mu.Lock()
	defer h.mu.Unlock()
	rs := make([]*runner, 0, len(h.rooms))
	for _, r := range h.rooms {
		rs = append(rs, r)
	}
	return rs
}

// BeginDrain turns readiness false and refuses new connections, without
// closing the connected ones yet.
func (h *Hub) BeginDrain() {
	h.mu.Lock()
	h.draining = true
	h.mu.Unlock()
}

// Drain prepares a shutdown: new connections are refused, frames that
// would start new work get shutting_down, and once the work under way has
// finished (an append that was made is acknowledged), connected clients
// are told to reconnect elsewhere (close code 1012). It returns when they
// have gone, or when ctx ends.
func (h *Hub) Drain(ctx context.Context) error {
	h.mu.Lock()
	h.draining, h.stopping = true, true
	idle := h.idle
	if h.busy > 0 && idle == nil {
		idle = make(chan struct{})
		h.idle = idle
	}
	sessions := make([]*Session, 0, len(h.sessions))
	for s := range h.sessions {
		sessions = append(sessions, s)
	}
	h.mu.Unlock()
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, s := range sessions {
		s.conn.Close(CloseServiceRestart, "server restarting; reconnect")
	}
	// Wait until the close frames are out and the sessions have ended, so
	// that closing the sockets afterwards does not cut them off.
	for {
		h.mu.Lock()
		n := len(h.sessions)
		h.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// beginWork counts a frame's work as under way, unless Drain has begun;
// then it reports false and the frame must be refused. Every true must be
// paired with an endWork.
func (h *Hub) beginWork() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopping {
		return false
	}
	h.busy++
	return true
}

// endWork ends what beginWork began, waking Drain when it was the last.
func (h *Hub) endWork() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.busy--
	if h.busy == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// Close stops every room this hub follows. It may be called more than once.
func (h *Hub) Close() {
	h.closeOnce.Do(func() { close(h.stopFlush) })
	<-h.flushDone
	h.mu.Lock()
	rooms := h.rooms
	h.rooms = map[string]*runner{}
	h.mu.Unlock()
	for _, r := range rooms {
		r.stop()
	}
	h.feed.close()
}

// Websocket close codes the hub uses.
const (
	CloseNormal         = 1000
	ClosePolicy         = 1008 // abuse: rate limits exceeded
	CloseServiceRestart = 1012 // draining; reconnect elsewhere
	CloseRemoved        = 4001 // the participant was removed
	CloseDeleted        = 4004 // the room's data was deleted
	CloseHelloTimeout   = 4008 // no hello in time
)

// Draining reports whether Drain has begun; readiness turns false then.
func (h *Hub) Draining() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.draining
}

// SlowDropped counts a connection dropped for being too slow.
func (h *Hub) SlowDropped() { h.metrics.SlowDropped.Inc() }
