package accounts

import (
	"context"
	"errors"
	"time"
)

// Org is the organisation's settings, made by its administrators: what
// every room created on the server gets from it.
type Org struct {
	// Name is the organisation's name, on the sign-in page.
	Name string `json:"name"`
	// HelpLines are the organisation's own lines on every help card
	// ("name: number" or "name: https://address").
	HelpLines []string `json:"help_lines"`
	// Retention keeps new rooms for this long, less than the server's
	// --retention; zero: the server's.
	Retention time.Duration `json:"retention"`
	// Updated is when, and UpdatedBy by whom, they were last changed.
	Updated   time.Time `json:"updated,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// orgKey holds the settings in the users bucket.
const orgKey = "org"

// Org returns the organisation's settings (the zero value before an
// administrator saved any).
func (s *Store) Org(ctx context.Context) (Org, error) {
	var o Org
	if _, err := getJSON(ctx, s.users, orgKey, &o); err != nil && !errors.Is(err, ErrNotFound) {
		return Org{}, err
	}
	if o.HelpLines == nil {
		o.HelpLines = []string{}
	}
	return o, nil
}

// SetOrg saves the organisation's settings.
func (s *Store) SetOrg(ctx context.Context, o Org, by string) error {
	o.Updated, o.UpdatedBy = s.now().UTC(), by
	return putJSON(ctx, s.users, orgKey, o)
}
