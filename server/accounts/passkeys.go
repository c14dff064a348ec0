package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxPasskeys bounds how many passkeys one account may hold.
const MaxPasskeys = 20

// ceremonyLifetime bounds how long a passkey registration or sign-in may
// take between its two requests.
const ceremonyLifetime = 5 * time.Minute

// Passkey is a WebAuthn credential of an account. Data is the credential
// as the WebAuthn library keeps it (public key, sign count, flags); this
// package stores it and never reads it.
type Passkey struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Created  time.Time       `json:"created"`
	LastUsed time.Time       `json:"last_used,omitzero"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// passkeyPrefix is the start of the keys of user's passkeys.
func passkeyPrefix(user string) string { return "pk." + user + "." }

func passkeyKey(user, id string) string { return passkeyPrefix(user) + id }

// PasskeyID is the stored id of a credential id: a hash, so that keys
// stay within what a key-value key may hold.
func PasskeyID(credentialID []byte) string { return hashKey(string(credentialID)) }

// AddPasskey stores a new passkey of user; ErrExists when the account has
// it already, ErrTooMany past MaxPasskeys.
func (s *Store) AddPasskey(ctx context.Context, user string, pk Passkey) error {
	have, err := keysWith(ctx, s.users, passkeyPrefix(user))
	if err != nil {
		return err
	}
	if len(have) >= MaxPasskeys {
		return ErrTooMany
	}
	pk.Created = s.now().UTC()
	return createJSON(ctx, s.users, passkeyKey(user, pk.ID), pk)
}

// ErrTooMany: the account holds MaxPasskeys passkeys already.
var ErrTooMany = errors.New("accounts: too many passkeys")

// Passkeys lists user's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, user string) ([]Passkey, error) {
	keys, err := keysWith(ctx, s.users, passkeyPrefix(user))
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, 0, len(keys))
	for _, k := range keys {
		var pk Passkey
		if _, err := getJSON(ctx, s.users, k, &pk); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, pk)
	}
	slices.SortFunc(out, func(a, b Passkey) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// UsedPasskey records a sign-in with a passkey: its credential data as
// the sign-in left it (the sign count) and when.
func (s *Store) UsedPasskey(ctx context.Context, user, id string, data json.RawMessage) error {
	var pk Passkey
	if _, err := getJSON(ctx, s.users, passkeyKey(user, id), &pk); err != nil {
		return err
	}
	pk.Data, pk.LastUsed = data, s.now().UTC()
	return putJSON(ctx, s.users, passkeyKey(user, id), pk)
}

// RemovePasskey deletes one of user's passkeys; ErrNotFound when it has no
// such passkey.
func (s *Store) RemovePasskey(ctx context.Context, user, id string) error {
	if !isKeyPart(id) || len(id) != 32 {
		return ErrNotFound
	}
	if _, err := s.users.Get(ctx, passkeyKey(user, id)); err != nil {
		if errors.Is(err, errKeyNotFound) {
			return ErrNotFound
		}
		return fmt.Errorf("accounts: read passkey: %w", err)
	}
	if err := s.users.Purge(ctx, passkeyKey(user, id)); err != nil {
		return fmt.Errorf("accounts: remove passkey: %w", err)
	}
	return nil
}

// ceremony is a passkey registration or sign-in between its two requests.
type ceremony struct {
	User    string          `json:"user,omitempty"`
	Data    json.RawMessage `json:"data"`
	Started time.Time       `json:"started"`
}

// StartCeremony keeps what the second request of a passkey registration
// (for user) or sign-in (user "") must check, under a new random id it
// returns. Any instance may take the second request.
func (s *Store) StartCeremony(ctx context.Context, user string, data json.RawMessage) (string, error) {
	id := NewSecret()
	if err := putJSON(ctx, s.pending, "wa."+hashKey(id), ceremony{User: user, Data: data, Started: s.now().UTC()}); err != nil {
		return "", err
	}
	return id, nil
}

// TakeCeremony uses a ceremony once, for the same user it was started
// for: a replayed, expired or foreign one gets ErrNotFound or ErrUsed.
func (s *Store) TakeCeremony(ctx context.Context, id, user string) (json.RawMessage, error) {
	if !isKeyPart(id) || len(id) != 26 {
		return nil, ErrNotFound
	}
	var c ceremony
	if err := take(ctx, s.pending, "wa."+hashKey(id), &c); err != nil {
		return nil, err
	}
	if c.User != user || s.now().Sub(c.Started) > ceremonyLifetime {
		return nil, ErrNotFound
	}
	return c.Data, nil
}
