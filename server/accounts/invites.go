package accounts

import (
	"context"
	"errors"
	"time"
)

// Invite is an administrator's invitation to make an account.
type Invite struct {
	Email   string    `json:"email"`
	Role    Role      `json:"role"`
	By      string    `json:"by"`
	Expires time.Time `json:"expires"`
}

// CreateInvite stores an invitation and returns its one-time token, for
// a link the administrator passes on.
func (s *Store) CreateInvite(ctx context.Context, email string, role Role, by string) (string, *Invite, error) {
	token := NewSecret()
	inv := &Invite{Email: NormaliseEmail(email), Role: role, By: by, Expires: s.now().UTC().Add(s.cfg.InviteLifetime)}
	if err := putJSON(ctx, s.invites, hashKey(token), inv); err != nil {
		return "", nil, err
	}
	return token, inv, nil
}

// PeekInvite returns an invitation without using it.
func (s *Store) PeekInvite(ctx context.Context, token string) (*Invite, error) {
	var inv Invite
	if !isKeyPart(token) {
		return nil, ErrNotFound
	}
	if _, err := getJSON(ctx, s.invites, hashKey(token), &inv); err != nil {
		return nil, err
	}
	if s.now().After(inv.Expires) {
		return nil, ErrNotFound
	}
	return &inv, nil
}

// AcceptInvite uses an invitation once: it makes the account with a
// password and returns it. A second use, on any instance, gets ErrUsed
// or ErrNotFound.
func (s *Store) AcceptInvite(ctx context.Context, token, name, password string) (*User, error) {
	if !isKeyPart(token) {
		return nil, ErrNotFound
	}
	var inv Invite
	if err := take(ctx, s.invites, hashKey(token), &inv); err != nil {
		return nil, err
	}
	if s.now().After(inv.Expires) {
		return nil, ErrNotFound
	}
	u, err := s.CreateUser(ctx, NewUser{Email: inv.Email, Name: name, Password: password, Role: inv.Role})
	if errors.Is(err, ErrExists) {
		return nil, ErrExists
	}
	return u, err
}
