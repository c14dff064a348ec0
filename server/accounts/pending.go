package accounts

import (
	"context"
	"time"
)

// pendingLifetime bounds how long a single sign-on may take.
const pendingLifetime = 10 * time.Minute

// Pending is a single sign-on in progress: what the callback must find
// to accept the provider's answer.
type Pending struct {
	Provider string    `json:"provider"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"` // PKCE code verifier
	Next     string    `json:"next,omitempty"`
	Redirect string    `json:"redirect"`
	Invite   string    `json:"invite,omitempty"`
	Started  time.Time `json:"started"`
}

// StartPending stores a sign-on's state under a new random state value,
// which it returns for the authorization request.
func (s *Store) StartPending(ctx context.Context, p Pending) (string, error) {
	state := NewSecret()
	p.Started = s.now().UTC()
	if err := putJSON(ctx, s.pending, hashKey(state), p); err != nil {
		return "", err
	}
	return state, nil
}

// TakePending uses a sign-on's state once: a replayed state gets
// ErrNotFound or ErrUsed, on any instance.
func (s *Store) TakePending(ctx context.Context, state string) (*Pending, error) {
	if !isKeyPart(state) || len(state) != 26 {
		return nil, ErrNotFound
	}
	var p Pending
	if err := take(ctx, s.pending, hashKey(state), &p); err != nil {
		return nil, err
	}
	if s.now().Sub(p.Started) > pendingLifetime {
		return nil, ErrNotFound
	}
	return &p, nil
}
