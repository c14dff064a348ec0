// Package natslog keeps the room logs and the join-code registry in NATS
// JetStream. Every room's events live in one stream under
// stp.room.<id>.c (control) and stp.room.<id>.i (input); join codes live
// in a key-value bucket. It implements hub.Log and hub.Registry.
package natslog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stoppunkt/stoppunkt/hub"
)

// Names of the JetStream assets.
const (
	StreamName   = "STP_ROOMS"
	SubjectRoot  = "stp.room"
	CodesBucket  = "stp_codes"
	RoomsBucket  = "stp_rooms"
	maxEventSize = 1 << 20
)

// Config shapes the JetStream assets. Zero values mean the defaults.
type Config struct {
	// Replicas for the stream and buckets (1; 3 on a cluster).
	Replicas int
	// Retention is the stream's MaxAge, a backstop behind the explicit
	// expiry of rooms (30 days).
	Retention time.Duration
	// DuplicateWindow is how long JetStream remembers message ids (2m).
	DuplicateWindow time.Duration
}

// MaxFollowers bounds the consumers on the room log: the rooms followed
// at once, summed over all instances.
const MaxFollowers = 100_000

// Store is the JetStream-backed room log and registry.
type Store struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	codes  jetstream.KeyValue
	rooms  jetstream.KeyValue
	epoch  string

	replicas   int
	retention  time.Duration
	eventsOnce sync.Once
	eventsKV   jetstream.KeyValue
	eventsErr  error
}

var (
	_ hub.Log      = (*Store)(nil)
	_ hub.Registry = (*Store)(nil)
	_ hub.Bus      = (*Store)(nil)
)

// Open creates or updates the stream and buckets and returns a Store.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = 2 * time.Minute
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Stoppunkt room logs",
		Subjects:    []string{SubjectRoot + ".>"},
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		// A day of slack past retention: rooms are purged explicitly when
		// they expire; MaxAge only catches what a sweep missed.
		MaxAge:      cfg.Retention + 24*time.Hour,
		Duplicates:  cfg.DuplicateWindow,
		MaxMsgSize:  maxEventSize,
		Discard:     jetstream.DiscardOld,
		AllowDirect: true,
		// Every instance follows every room it serves with its own
		// consumer; NATS's default of 1,000 per stream is one conference
		// of 500 rooms on two instances.
		MaxConsumers: MaxFollowers,
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", StreamName, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream info: %w", err)
	}
	kv := func(name, desc string) (jetstream.KeyValue, error) {
		b, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: name, Description: desc, History: 1,
			Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
			// A backstop like the stream's: a key of a room whose sweep
			// never came goes a day after the room's retention.
			TTL: cfg.Retention + 24*time.Hour,
		})
		if err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", name, err)
		}
		return b, nil
	}
	codes, err := kv(CodesBucket, "Stoppunkt join codes of live rooms")
	if err != nil {
		return nil, err
	}
	rooms, err := kv(RoomsBucket, "Stoppunkt rooms and when they expire")
	if err != nil {
		return nil, err
	}
	return &Store{nc: nc, js: js, stream: stream, codes: codes, rooms: rooms, replicas: cfg.Replicas,
		retention: cfg.Retention, epoch: strconv.FormatInt(info.Created.UnixNano(), 36)}, nil
}

// JetStream is the store's JetStream context, for other parts of the
// server that keep their state in the same NATS (accounts).
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Epoch names this incarnation of the stream.
func (s *Store) Epoch() string { return s.epoch }

func subject(roomID string, control bool) string {
	if control {
		return SubjectRoot + "." + roomID + ".c"
	}
	return SubjectRoot + "." + roomID + ".i"
}

func roomSubjects(roomID string) string { return SubjectRoot + "." + roomID + ".>" }

// Append adds an event to a room's log.
func (s *Store) Append(ctx context.Context, roomID string, control bool, data []byte, msgID string, expect uint64) (uint64, bool, error) {
	if !s.nc.IsConnected() {
		return 0, false, fmt.Errorf("append: %w: not connected to NATS", hub.ErrUnavailable)
	}
	opts := []jetstream.PublishOpt{}
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	if control {
		opts = append(opts, jetstream.WithExpectLastSequencePerSubject(expect))
	}
	ack, err := s.js.Publish(ctx, subject(roomID, control), data, opts...)
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			return 0, false, hub.ErrConflict
		}
		return 0, false, fmt.Errorf("append to room log: %w: %w", hub.ErrUnavailable, err)
	}
	return ack.Sequence, ack.Duplicate, nil
}

// LastPos returns the position of a room's newest event.
func (s *Store) LastPos(ctx context.Context, roomID string) (uint64, error) {
	msg, err := s.stream.GetLastMsgForSubject(ctx, roomSubjects(roomID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, hub.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("last event of room: %w: %w", hub.ErrUnavailable, err)
	}
	return msg.Sequence, nil
}

// Follow delivers a room's events in order from the first. The ordered
// consumer recreates itself after a disconnect from the last position it
// delivered, so nothing is skipped or repeated.
func (s *Store) Follow(ctx context.Context, roomID string, fn func(pos uint64, data []byte)) (func(), error) {
	f, err := s.consume(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{roomSubjects(roomID)},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}, func(_ string, pos uint64, data []byte) { fn(pos, data) }, nil)
	if err != nil {
		return nil, fmt.Errorf("follow room: %w", err)
	}
	return f.Stop, nil
}

// FollowAll delivers every event appended to any room from now on, with
// its room, in log order, from one goroutine, until stop is called. It
// recovers from connection loss without skipping or repeating events. One
// such consumer serves every room of an instance: NATS finds a filtered
// consumer's next message by looking through the messages of every room
// in between, so one consumer per room would cost it in proportion to the
// rooms interleaved in the stream.
func (s *Store) FollowAll(ctx context.Context, fn func(roomID string, pos uint64, data []byte), onErr func(error)) (hub.Subscription, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("follow all rooms: %w: %w", hub.ErrUnavailable, err)
	}
	// From the next sequence rather than "new": an ordered consumer that
	// resets before it delivered anything starts again from here, not
	// from whatever is new by then.
	f, err := s.consume(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   info.State.LastSeq + 1,
	}, func(subj string, pos uint64, data []byte) {
		if roomID, ok := roomOfSubject(subj); ok {
			fn(roomID, pos, data)
		} else if onErr != nil {
			onErr(fmt.Errorf("a message at position %d on a subject that is no room's", pos))
		}
	}, onErr)
	if err != nil {
		return nil, fmt.Errorf("follow all rooms: %w", err)
	}
	return f, nil
}

// follow is a running consumer of the room log.
type follow struct {
	cons jetstream.Consumer
	stop func()
	// handled is the stream position of the last message handed out and
	// done with.
	handled atomic.Uint64
}

// Stop ends the follow and deletes its consumer.
func (f *follow) Stop() { f.stop() }

// Pending counts the messages that wait for the follow: those JetStream
// has not delivered yet, and those it delivered that the follow has not
// finished handing out (a handler that hangs holds them).
func (f *follow) Pending(ctx context.Context) (uint64, error) {
	info, err := f.cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer info: %w", err)
	}
	n := info.NumPending
	if d, h := info.Delivered.Stream, f.handled.Load(); d > h {
		n += d - h
	}
	return n, nil
}

// consume runs an ordered consumer on the room log and hands fn every
// message's subject, stream position and data.
// onErr, when not nil, hears of consumer errors and of messages that
// cannot be placed (no metadata): such a message is skipped, so it must
// be known.
func (s *Store) consume(ctx context.Context, cfg jetstream.OrderedConsumerConfig, fn func(subj string, pos uint64, data []byte), onErr func(error)) (*follow, error) {
	cons, err := s.js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("ordered consumer: %w", err)
	}
	opts := []jetstream.PullConsumeOpt{}
	if onErr != nil {
		opts = append(opts, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			onErr(fmt.Errorf("consumer: %w", err))
		}))
	}
	f := &follow{cons: cons}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		meta, err := msg.Metadata()
		if err != nil {
			if onErr != nil {
				onErr(fmt.Errorf("skipped a message whose position cannot be read: %w", err))
			}
			return
		}
		fn(msg.Subject(), meta.Sequence.Stream, msg.Data())
		f.handled.Store(meta.Sequence.Stream)
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("consume: %w", err)
	}
	f.stop = func() {
		cc.Stop()
		// The server keeps a stopped consumer until it has been inactive
		// for minutes; a room's catch-up follow is done within seconds, so
		// it is deleted now rather than left to linger.
		if info := cons.CachedInfo(); info != nil {
			go s.deleteConsumer(info.Name)
		}
	}
	return f, nil
}

// deleteConsumer removes a consumer that is no longer read. It is best
// effort: a consumer that cannot be deleted now expires on its own.
func (s *Store) deleteConsumer(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.js.DeleteConsumer(ctx, StreamName, name)
}

// roomOfSubject is the room id in stp.room.<id>.c or .i.
func roomOfSubject(subj string) (string, bool) {
	rest, ok := strings.CutPrefix(subj, SubjectRoot+".")
	if !ok || len(rest) < 3 || rest[len(rest)-2] != '.' {
		return "", false
	}
	return rest[:len(rest)-2], true
}

// Reserve claims a join code.
func (s *Store) Reserve(ctx context.Context, code, roomID string, expiresAt time.Time) error {
	if _, err := s.codes.Create(ctx, code, []byte(roomID)); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return hub.ErrTaken
		}
		return fmt.Errorf("reserve code: %w", err)
	}
	if _, err := s.rooms.Put(ctx, roomID, []byte(code+" "+strconv.FormatInt(expiresAt.UnixMilli(), 10))); err != nil {
		return fmt.Errorf("record room: %w", err)
	}
	return nil
}

// Lookup returns the room of a join code.
func (s *Store) Lookup(ctx context.Context, code string) (string, error) {
	e, err := s.codes.Get(ctx, code)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", hub.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("look up code: %w", err)
	}
	return string(e.Value()), nil
}

// Ready checks that JetStream answers.
func (s *Store) Ready(ctx context.Context) error {
	if !s.nc.IsConnected() {
		return errors.New("not connected to NATS")
	}
	if _, err := s.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// Purge removes a room's events: all input, and all control events but
// the newest, which is the content-free tombstone.
func (s *Store) Purge(ctx context.Context, roomID string) error {
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subject(roomID, false))); err != nil {
		return fmt.Errorf("purge room input: %w", err)
	}
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subject(roomID, true)), jetstream.WithPurgeKeep(1)); err != nil {
		return fmt.Errorf("purge room control: %w", err)
	}
	return nil
}

// PurgeBefore removes every event of a room before position pos: all its
// input (there is none after pos: the room has ended) and its control
// events before pos, so that the event at pos starts the room's log.
func (s *Store) PurgeBefore(ctx context.Context, roomID string, pos uint64) error {
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subject(roomID, false)), jetstream.WithPurgeSequence(pos)); err != nil {
		return fmt.Errorf("purge room input: %w", err)
	}
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subject(roomID, true)), jetstream.WithPurgeSequence(pos)); err != nil {
		return fmt.Errorf("purge room control: %w", err)
	}
	return nil
}

// Release frees a join code and forgets the room, leaving nothing of
// either in the buckets: not the values, not their history, not even the
// markers a KV delete or purge leaves (see forgetKey). A code that another
// room has taken since is left alone. Any error is returned, so that the
// caller (the retention sweep) tries again rather than leak the code.
func (s *Store) Release(ctx context.Context, code, roomID string) error {
	e, err := s.codes.Get(ctx, code)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
	case err != nil:
		return fmt.Errorf("release code: %w", err)
	case string(e.Value()) == roomID:
		if err := s.forgetKey(ctx, CodesBucket, code); err != nil {
			return fmt.Errorf("release code: %w", err)
		}
	}
	if err := s.forgetKey(ctx, RoomsBucket, roomID); err != nil {
		return fmt.Errorf("forget room: %w", err)
	}
	return nil
}

// forgetKey removes every message of a key from a bucket's stream. A KV
// delete or purge would leave a marker naming the key behind, which is
// kept until someone purges deleted keys; purging the key's subject in
// the bucket's stream leaves nothing.
func (s *Store) forgetKey(ctx context.Context, bucket, key string) error {
	st, err := s.js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject("$KV."+bucket+"."+key)); err != nil {
		return fmt.Errorf("purge key in %s: %w", bucket, err)
	}
	return nil
}

// Expired lists rooms whose expiry time has passed.
func (s *Store) Expired(ctx context.Context, now time.Time) ([]hub.RoomRef, error) {
	lister, err := s.rooms.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	var out []hub.RoomRef
	for key := range lister.Keys() {
		e, err := s.rooms.Get(ctx, key)
		if err != nil {
			continue
		}
		code, exp, ok := parseRoomRecord(e.Value())
		if ok && exp <= now.UnixMilli() {
			out = append(out, hub.RoomRef{ID: key, Code: code})
		}
	}
	return out, nil
}

func parseRoomRecord(v []byte) (code string, expiresAt int64, ok bool) {
	c, e, found := strings.Cut(string(v), " ")
	if !found {
		return "", 0, false
	}
	n, err := strconv.ParseInt(e, 10, 64)
	return c, n, err == nil
}

// EventsBucket holds conference event records by id.
const EventsBucket = "stp_events"

func (s *Store) events(ctx context.Context) (jetstream.KeyValue, error) {
	s.eventsOnce.Do(func() {
		s.eventsKV, s.eventsErr = s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: EventsBucket, Description: "Stoppunkt conference events", History: 1,
			Storage: jetstream.FileStorage, Replicas: s.replicas, TTL: s.retention + 24*time.Hour,
		})
	})
	return s.eventsKV, s.eventsErr
}

// SaveEvent stores an event record.
func (s *Store) SaveEvent(ctx context.Context, ev *hub.EventRecord) error {
	kv, err := s.events(ctx)
	if err != nil {
		return fmt.Errorf("events bucket: %w", err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, ev.ID, data); err != nil {
		return fmt.Errorf("save event: %w", err)
	}
	return nil
}

// Event returns an event record.
func (s *Store) Event(ctx context.Context, id string) (*hub.EventRecord, error) {
	kv, err := s.events(ctx)
	if err != nil {
		return nil, fmt.Errorf("events bucket: %w", err)
	}
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, hub.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get event: %w", err)
	}
	var ev hub.EventRecord
	if err := json.Unmarshal(e.Value(), &ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return &ev, nil
}

// ForgetEvent deletes an event record and its history.
func (s *Store) ForgetEvent(ctx context.Context, id string) error {
	kv, err := s.events(ctx)
	if err != nil {
		return fmt.Errorf("events bucket: %w", err)
	}
	_ = kv
	if err := s.forgetKey(ctx, EventsBucket, id); err != nil {
		return fmt.Errorf("forget event: %w", err)
	}
	return nil
}

// ExpiredEvents lists the events whose expiry time has passed.
func (s *Store) ExpiredEvents(ctx context.Context, now time.Time) ([]string, error) {
	kv, err := s.events(ctx)
	if err != nil {
		return nil, fmt.Errorf("events bucket: %w", err)
	}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("list events: %w", err)
	}
	var out []string
	for key := range lister.Keys() {
		e, err := kv.Get(ctx, key)
		if err != nil {
			continue
		}
		var ev hub.EventRecord
		if json.Unmarshal(e.Value(), &ev) == nil && ev.ExpiresAt <= now.UnixMilli() {
			out = append(out, key)
		}
	}
	return out, nil
}

// Publish sends a throw-away message over core NATS.
func (s *Store) Publish(subject string, data []byte) error { return s.nc.Publish(subject, data) }

// Subscribe listens for throw-away messages on core NATS.
func (s *Store) Subscribe(subject string, fn func(data []byte)) (func(), error) {
	sub, err := s.nc.Subscribe(subject, func(m *nats.Msg) { fn(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
