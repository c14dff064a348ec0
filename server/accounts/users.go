package accounts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Role is what a user may do on the server.
type Role string

// The server roles.
const (
	// RoleAdmin manages facilitators, invitations and reads the audit log,
	// and is a facilitator too.
	RoleAdmin Role = "admin"
	// RoleFacilitator creates and runs rooms and events and owns plans.
	RoleFacilitator Role = "facilitator"
)

// Valid reports whether r is a server role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleFacilitator }

// User is an account.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// Disabled accounts cannot sign in, and their sessions are refused.
	Disabled bool `json:"disabled,omitempty"`
	// PasswordHash is set for local accounts (Argon2id, PHC format).
	PasswordHash string `json:"password_hash,omitempty"`
	// Provider and Subject name the account at an OpenID Connect
	// provider, for accounts made by single sign-on.
	Provider string    `json:"provider,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	Created  time.Time `json:"created"`
	// LastSignIn is when the user last signed in.
	LastSignIn time.Time `json:"last_sign_in,omitzero"`
}

// Public is the user without secrets, for lists and pages.
func (u User) Public() User {
	u.PasswordHash = ""
	u.Subject = ""
	return u
}

// Keys of the users bucket: an account by id, and indexes from a
// normalised e-mail address and from a provider's subject to the id.
func userKey(id string) string               { return "u." + id }
func emailKey(email string) string           { return "e." + hashKey(NormaliseEmail(email)) }
func subjectKey(provider, sub string) string { return "s." + hashKey(provider+"\x00"+sub) }

// setupKey is created once, by the first administrator.
const setupKey = "setup"

// NormaliseEmail lowercases and trims an e-mail address.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidEmail reports whether email is one plain address.
func ValidEmail(email string) bool {
	a, err := mail.ParseAddress(email)
	return err == nil && a.Address == email && len(email) <= 254 && strings.Contains(email, "@")
}

// ValidName reports whether a display name is acceptable.
func ValidName(name string) bool {
	n := len([]rune(name))
	return n >= 1 && n <= 100 && !strings.ContainsAny(name, "\r\n\t")
}

// HasUsers reports whether any account exists: before the first, the
// server works without sign-in.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	_, err := s.users.Get(ctx, setupKey)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, errKeyNotFound) {
		return false, nil
	}
	return false, fmt.Errorf("accounts: read setup: %w", err)
}

// NewUser is an account to create.
type NewUser struct {
	Email, Name, Password string
	Role                  Role
	Provider, Subject     string
}

// CreateFirstAdmin creates the first administrator; once one exists it
// returns ErrSetupDone, however many instances try at once.
func (s *Store) CreateFirstAdmin(ctx context.Context, nu NewUser) (*User, error) {
	if _, err := s.users.Create(ctx, setupKey, []byte(s.now().UTC().Format(time.RFC3339))); err != nil {
		if errors.Is(err, errKeyExists) {
			return nil, ErrSetupDone
		}
		return nil, fmt.Errorf("accounts: setup: %w", err)
	}
	nu.Role = RoleAdmin
	u, err := s.CreateUser(ctx, nu)
	if err != nil {
		_ = s.users.Purge(ctx, setupKey)
		return nil, err
	}
	return u, nil
}

// CreateUser creates an account; ErrExists when the e-mail address has one.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	email := NormaliseEmail(nu.Email)
	if !ValidEmail(email) || !ValidName(nu.Name) || !nu.Role.Valid() {
		return nil, fmt.Errorf("accounts: create user: invalid e-mail, name or role")
	}
	u := &User{ID: NewSecret()[:12], Email: email, Name: strings.TrimSpace(nu.Name), Role: nu.Role,
		Provider: nu.Provider, Subject: nu.Subject, Created: s.now().UTC()}
	if nu.Password != "" {
		u.PasswordHash = HashPassword(nu.Password)
	}
	if err := createJSON(ctx, s.users, emailKey(email), u.ID); err != nil {
		return nil, err
	}
	if u.Provider != "" {
		if err := createJSON(ctx, s.users, subjectKey(u.Provider, u.Subject), u.ID); err != nil && !errors.Is(err, ErrExists) {
			return nil, err
		}
	}
	if err := putJSON(ctx, s.users, userKey(u.ID), u); err != nil {
		return nil, err
	}
	if _, err := s.users.Create(ctx, setupKey, []byte(u.Created.Format(time.RFC3339))); err != nil && !errors.Is(err, errKeyExists) {
		return nil, fmt.Errorf("accounts: mark setup: %w", err)
	}
	return u, nil
}

// User returns an account by id.
func (s *Store) User(ctx context.Context, id string) (*User, error) {
	var u User
	if _, err := getJSON(ctx, s.users, userKey(id), &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByEmail returns the account with an e-mail address.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var id string
	if _, err := getJSON(ctx, s.users, emailKey(email), &id); err != nil {
		return nil, err
	}
	return s.User(ctx, id)
}

// UserBySubject returns the account a provider's subject signed in as.
func (s *Store) UserBySubject(ctx context.Context, provider, sub string) (*User, error) {
	var id string
	if _, err := getJSON(ctx, s.users, subjectKey(provider, sub), &id); err != nil {
		return nil, err
	}
	return s.User(ctx, id)
}

// LinkSubject ties an existing account to a provider's subject, for the
// facilitator invited by e-mail who then signs in with single sign-on.
func (s *Store) LinkSubject(ctx context.Context, u *User, provider, sub string) error {
	if err := createJSON(ctx, s.users, subjectKey(provider, sub), u.ID); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	return s.UpdateUser(ctx, u.ID, func(u *User) error {
		if u.Provider == "" {
			u.Provider, u.Subject = provider, sub
		}
		return nil
	})
}

// UpdateUser changes an account with compare-and-set, retrying when
// another instance changed it first.
func (s *Store) UpdateUser(ctx context.Context, id string, change func(u *User) error) error {
	for attempt := 0; attempt < 5; attempt++ {
		var u User
		rev, err := getJSON(ctx, s.users, userKey(id), &u)
		if err != nil {
			return err
		}
		if err := change(&u); err != nil {
			return err
		}
		b, err := jsonBytes(u)
		if err != nil {
			return err
		}
		if _, err = s.users.Update(ctx, userKey(id), b, rev); err == nil {
			return nil
		}
		if !isWrongRevision(err) {
			return fmt.Errorf("accounts: update user: %w", err)
		}
	}
	return fmt.Errorf("accounts: update user: changed by others too often")
}

// Users lists every account, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	keys, err := keysWith(ctx, s.users, "u.")
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(keys))
	for _, k := range keys {
		var u User
		if _, err := getJSON(ctx, s.users, k, &u); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, u.Public())
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Email, b.Email)) })
	return out, nil
}

// Admins counts the administrators who can sign in.
func (s *Store) Admins(ctx context.Context) (int, error) {
	users, err := s.Users(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		if u.Role == RoleAdmin && !u.Disabled {
			n++
		}
	}
	return n, nil
}
