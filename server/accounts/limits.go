package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Limits bounds failed local sign-ins, counted in the failures bucket so
// that every instance counts together.
type Limits struct {
	// PerAccount failures in a Window pause password sign-in for that
	// account until the window has passed (default 10).
	PerAccount int
	// PerAddress failures in a Window from one network address pause
	// password sign-in from it (default 100: a school's staff room behind
	// one address, mistyping, is not an attacker).
	PerAddress int
	// Window is the counting window (default 15 minutes).
	Window time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.PerAccount <= 0 {
		l.PerAccount = 10
	}
	if l.PerAddress <= 0 {
		l.PerAddress = 100
	}
	if l.Window <= 0 {
		l.Window = 15 * time.Minute
	}
	return l
}

type failureCount struct {
	N     int       `json:"n"`
	Since time.Time `json:"since"`
}

func accountFailKey(email string) string { return "a." + hashKey(NormaliseEmail(email)) }
func addressFailKey(addr string) string  { return "n." + hashKey(addr) }

// SignInAllowed reports whether a password sign-in for email from addr
// may be tried now.
func (s *Store) SignInAllowed(ctx context.Context, email, addr string) (bool, error) {
	for _, k := range []struct {
		key   string
		limit int
	}{{accountFailKey(email), s.cfg.Limits.PerAccount}, {addressFailKey(addr), s.cfg.Limits.PerAddress}} {
		n, err := s.failureCount(ctx, k.key)
		if err != nil {
			return false, err
		}
		if n >= k.limit {
			return false, nil
		}
	}
	return true, nil
}

func (s *Store) failureCount(ctx context.Context, key string) (int, error) {
	var fc failureCount
	_, err := getJSON(ctx, s.failures, key, &fc)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if s.now().Sub(fc.Since) > s.cfg.Limits.Window {
		return 0, nil
	}
	return fc.N, nil
}

// SignInFailed counts a failed password sign-in against the account and
// the address.
func (s *Store) SignInFailed(ctx context.Context, email, addr string) error {
	for _, key := range []string{accountFailKey(email), addressFailKey(addr)} {
		if err := s.countFailure(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) countFailure(ctx context.Context, key string) error {
	for attempt := 0; attempt < 10; attempt++ {
		var fc failureCount
		rev, err := getJSON(ctx, s.failures, key, &fc)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		now := s.now().UTC()
		if rev == 0 || now.Sub(fc.Since) > s.cfg.Limits.Window {
			fc = failureCount{Since: now}
		}
		fc.N++
		b, _ := json.Marshal(fc)
		if rev == 0 {
			_, err = s.failures.Create(ctx, key, b)
		} else {
			_, err = s.failures.Update(ctx, key, b, rev)
		}
		if err == nil {
			return nil
		}
		if !isWrongRevision(err) && !errors.Is(err, errKeyExists) {
			return fmt.Errorf("accounts: count failure: %w", err)
		}
	}
	return fmt.Errorf("accounts: count failure: too much contention")
}

// SignInSucceeded clears an account's failures.
func (s *Store) SignInSucceeded(ctx context.Context, email string) {
	_ = s.failures.Purge(ctx, accountFailKey(email))
}

// AddressAllowed reports whether a sign-in from addr that names no
// account (a passkey's) may be tried now.
func (s *Store) AddressAllowed(ctx context.Context, addr string) (bool, error) {
	n, err := s.failureCount(ctx, addressFailKey(addr))
	if err != nil {
		return false, err
	}
	return n < s.cfg.Limits.PerAddress, nil
}

// AddressFailed counts a failed sign-in that names no account against
// the address.
func (s *Store) AddressFailed(ctx context.Context, addr string) error {
	return s.countFailure(ctx, addressFailKey(addr))
}
