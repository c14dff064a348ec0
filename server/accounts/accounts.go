// Package accounts keeps who may run sessions on a server: users (local or
// from an OpenID Connect provider), their sign-in sessions, one-time
// invitations, which rooms and events each user has a part in, and an
// audit log of what was done. Everything lives in JetStream: key-value
// buckets and one stream, so that every instance sees the same accounts
// and a revoked session is refused by all of them at once.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket and stream names.
const (
	UsersBucket    = "stp_users"
	SessionsBucket = "stp_sessions"
	InvitesBucket  = "stp_invites"
	PendingBucket  = "stp_signin_pending"
	FailuresBucket = "stp_signin_failures"
	LinksBucket    = "stp_links"
	AuditStream    = "STP_AUDIT"
	auditSubject   = "stp.audit"
)

// Config sets lifetimes and limits; zero values take the defaults.
type Config struct {
	// Replicas of every bucket and the audit stream (external cluster: 3).
	Replicas int
	// SessionLifetime is how long a sign-in lasts (default 12 hours).
	SessionLifetime time.Duration
	// SessionIdle ends a session nobody used for this long (default 2 hours).
	SessionIdle time.Duration
	// InviteLifetime is how long an invitation link works (default 7 days).
	InviteLifetime time.Duration
	// Retention is how long room links and audit entries are kept
	// (the server's retention).
	Retention time.Duration
	// Limits bounds failed local sign-ins.
	Limits Limits
	// Now is the clock (tests move it).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = 2 * time.Hour
	}
	if c.InviteLifetime <= 0 {
		c.InviteLifetime = 7 * 24 * time.Hour
	}
	if c.Retention <= 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	c.Limits = c.Limits.withDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Store is the accounts of one server, shared by all its instances.
type Store struct {
	cfg      Config
	users    jetstream.KeyValue
	sessions jetstream.KeyValue
	invites  jetstream.KeyValue
	pending  jetstream.KeyValue
	failures jetstream.KeyValue
	links    jetstream.KeyValue
	js       jetstream.JetStream
	audit    jetstream.Stream
}

// Errors callers tell apart.
var (
	// ErrNotFound: no such user, session, invitation or sign-in.
	ErrNotFound = errors.New("accounts: not found")
	// ErrExists: the e-mail address already has an account.
	ErrExists = errors.New("accounts: already exists")
	// ErrUsed: the invitation or sign-in state was used already.
	ErrUsed = errors.New("accounts: already used")
	// ErrSetupDone: the first administrator exists already.
	ErrSetupDone = errors.New("accounts: the first administrator exists")
)

// Open creates or opens the buckets and the audit stream.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, js: js}
	buckets := []struct {
		kv   *jetstream.KeyValue
		name string
		desc string
		ttl  time.Duration
	}{
		{&s.users, UsersBucket, "Stoppunkt accounts", 0},
		{&s.sessions, SessionsBucket, "Stoppunkt sign-in sessions", cfg.SessionLifetime},
		{&s.invites, InvitesBucket, "Stoppunkt invitations", cfg.InviteLifetime},
		{&s.pending, PendingBucket, "Stoppunkt single sign-on in progress", pendingLifetime},
		{&s.failures, FailuresBucket, "Stoppunkt failed sign-ins", cfg.Limits.Window},
		{&s.links, LinksBucket, "Stoppunkt rooms and events of each account", cfg.Retention + 24*time.Hour},
	}
	for _, b := range buckets {
		kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: b.name, Description: b.desc, History: 1, TTL: b.ttl,
			Storage: jetstream.FileStorage, Replicas: cfg.Replicas, MaxValueSize: 64 << 10,
		})
		if err != nil {
			return nil, fmt.Errorf("accounts: create bucket %s: %w", b.name, err)
		}
		*b.kv = kv
	}
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: AuditStream, Description: "Stoppunkt audit log", Subjects: []string{auditSubject},
		Storage: jetstream.FileStorage, Replicas: cfg.Replicas, MaxAge: cfg.Retention,
		MaxMsgSize: 8 << 10, Discard: jetstream.DiscardOld, AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: create stream %s: %w", AuditStream, err)
	}
	s.audit = st
	return s, nil
}

// Config returns the store's settings with their defaults.
func (s *Store) Config() Config { return s.cfg }

// now is the store's clock.
func (s *Store) now() time.Time { return s.cfg.Now() }

// NewSecret returns a random secret of 26 lowercase base32 characters
// (130 bits).
func NewSecret() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])[:26])
}

// hashKey is the key-value key for a secret or an e-mail address: never
// the secret itself, so that reading the bucket gives no one a session.
func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// getJSON reads a JSON value; ErrNotFound when there is none.
func getJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("accounts: get %s: %w", kv.Bucket(), err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("accounts: read %s: %w", kv.Bucket(), err)
	}
	return e.Revision(), nil
}

func putJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("accounts: put %s: %w", kv.Bucket(), err)
	}
	return nil
}

// createJSON stores v under key unless the key exists (ErrExists).
func createJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = kv.Create(ctx, key, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("accounts: create in %s: %w", kv.Bucket(), err)
	}
	return nil
}

// take reads a one-time value and purges it, so that of two instances
// taking it at once only one succeeds (ErrUsed for the other).
func take(ctx context.Context, kv jetstream.KeyValue, key string, v any) error {
	rev, err := getJSON(ctx, kv, key, v)
	if err != nil {
		return err
	}
	err = kv.Purge(ctx, key, jetstream.LastRevision(rev))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return ErrUsed
		}
		return fmt.Errorf("accounts: take from %s: %w", kv.Bucket(), err)
	}
	return nil
}

// keysWith lists the keys under a prefix ("u1." lists "u1.*").
func keysWith(ctx context.Context, kv jetstream.KeyValue, prefix string) ([]string, error) {
	lister, err := kv.ListKeysFiltered(ctx, prefix+">")
	if err != nil {
		return nil, fmt.Errorf("accounts: list %s: %w", kv.Bucket(), err)
	}
	var out []string
	for k := range lister.Keys() {
		out = append(out, k)
	}
	return out, nil
}

// The JetStream errors the store checks for.
var (
	errKeyNotFound = jetstream.ErrKeyNotFound
	errKeyExists   = jetstream.ErrKeyExists
)

func jsonBytes(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("accounts: encode: %w", err)
	}
	return b, nil
}

// isWrongRevision reports a compare-and-set that lost to another writer.
func isWrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
