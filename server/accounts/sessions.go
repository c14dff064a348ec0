package accounts

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Session is one sign-in of one user on one browser.
type Session struct {
	// ID names the session in lists; it is a hash of the secret the
	// browser holds and cannot be used to sign in.
	ID   string `json:"id"`
	User string `json:"user"`
	// CSRF must come back in the X-CSRF-Token header of every request
	// that changes something.
	CSRF     string    `json:"csrf"`
	Method   string    `json:"method"` // "password" or "oidc:<provider>"
	Agent    string    `json:"agent,omitempty"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"`
}

// touchEvery is how often a used session's LastSeen is written, at the
// most: a quarter of the idle limit when that is shorter.
const touchEvery = 5 * time.Minute

func (s *Store) touchAfter() time.Duration {
	return min(touchEvery, s.cfg.SessionIdle/4)
}

// KeepAlive is how often a page in use asks who is signed in, so that a
// sign-in used only by a long-lived connection (a dashboard through a
// three-hour session) is not ended as idle: a third of the idle limit.
func (s *Store) KeepAlive() time.Duration { return s.cfg.SessionIdle / 3 }

func sessionKey(user, id string) string { return user + "." + id }

// splitCookie reads a session cookie, "<user id>.<secret>".
func splitCookie(cookie string) (user, secret string, ok bool) {
	user, secret, ok = strings.Cut(cookie, ".")
	if !ok || len(user) == 0 || len(user) > 32 || len(secret) != 26 || !isKeyPart(user) || !isKeyPart(secret) {
		return "", "", false
	}
	return user, secret, true
}

func isKeyPart(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// CreateSession signs a user in: it returns the session and the cookie
// value that stands for it. Every sign-in makes a new session, so a
// session id planted before sign-in is never promoted.
func (s *Store) CreateSession(ctx context.Context, u *User, method, agent string) (*Session, string, error) {
	secret := NewSecret()
	now := s.now().UTC()
	ses := &Session{ID: hashKey(secret), User: u.ID, CSRF: NewSecret(), Method: method, Agent: agent,
		Created: now, LastSeen: now, Expires: now.Add(s.cfg.SessionLifetime)}
	if err := putJSON(ctx, s.sessions, sessionKey(u.ID, ses.ID), ses); err != nil {
		return nil, "", err
	}
	_ = s.UpdateUser(ctx, u.ID, func(u *User) error { u.LastSignIn = now; return nil })
	return ses, u.ID + "." + secret, nil
}

// ErrSignedOut: the session expired, was revoked, or its account is
// disabled.
var ErrSignedOut = errors.New("accounts: not signed in")

// CheckSession finds the session and user a cookie stands for. It reads
// the buckets on every call, so a session revoked on any instance is
// refused at once.
func (s *Store) CheckSession(ctx context.Context, cookie string) (*Session, *User, error) {
	user, secret, ok := splitCookie(cookie)
	if !ok {
		return nil, nil, ErrSignedOut
	}
	var ses Session
	_, err := getJSON(ctx, s.sessions, sessionKey(user, hashKey(secret)), &ses)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrSignedOut
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if now.After(ses.Expires) || now.Sub(ses.LastSeen) > s.cfg.SessionIdle || ses.User != user {
		return nil, nil, ErrSignedOut
	}
	u, err := s.User(ctx, user)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrSignedOut
	}
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, ErrSignedOut
	}
	if now.Sub(ses.LastSeen) > s.touchAfter() {
		ses.LastSeen = now.UTC()
		_ = putJSON(ctx, s.sessions, sessionKey(user, ses.ID), &ses)
	}
	return &ses, u, nil
}

// CheckCSRF reports whether token is the session's CSRF token.
func (ses *Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(ses.CSRF)) == 1
}

// Sessions lists a user's sessions, newest first.
func (s *Store) Sessions(ctx context.Context, user string) ([]Session, error) {
	keys, err := keysWith(ctx, s.sessions, user+".")
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []Session
	for _, k := range keys {
		var ses Session
		if _, err := getJSON(ctx, s.sessions, k, &ses); err != nil {
			continue
		}
		if now.After(ses.Expires) || now.Sub(ses.LastSeen) > s.cfg.SessionIdle {
			continue
		}
		ses.CSRF = ""
		out = append(out, ses)
	}
	slices.SortFunc(out, func(a, b Session) int { return cmp.Compare(b.Created.UnixNano(), a.Created.UnixNano()) })
	return out, nil
}

// RevokeSession ends one of a user's sessions, leaving nothing of it in
// the bucket.
func (s *Store) RevokeSession(ctx context.Context, user, id string) error {
	if !isKeyPart(id) || !isKeyPart(user) {
		return ErrNotFound
	}
	if _, err := s.sessions.Get(ctx, sessionKey(user, id)); err != nil {
		return ErrNotFound
	}
	if err := s.sessions.Purge(ctx, sessionKey(user, id)); err != nil {
		return fmt.Errorf("accounts: revoke session: %w", err)
	}
	return nil
}

// RevokeAll ends every session of a user.
func (s *Store) RevokeAll(ctx context.Context, user string) error {
	keys, err := keysWith(ctx, s.sessions, user+".")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.sessions.Purge(ctx, k); err != nil {
			return fmt.Errorf("accounts: revoke sessions: %w", err)
		}
	}
	return nil
}
