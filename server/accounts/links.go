package accounts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Part is a user's part in a room or an event.
type Part string

// The parts.
const (
	// PartOwner created it: runs it, shares it, downloads its report.
	PartOwner Part = "owner"
	// PartCoFacilitator runs it with the owner and may download reports.
	PartCoFacilitator Part = "cofacilitator"
	// PartObserver sees the dashboard and cannot act.
	PartObserver Part = "observer"
	// PartSafeguarding sees the dashboard and the private "I need to talk"
	// signals, and cannot act otherwise.
	PartSafeguarding Part = "safeguarding"
)

// Valid reports whether p is a part that can be given.
func (p Part) Valid() bool {
	return p == PartOwner || p == PartCoFacilitator || p == PartObserver || p == PartSafeguarding
}

// Runs reports whether the part may act: move steps, moderate, export.
func (p Part) Runs() bool { return p == PartOwner || p == PartCoFacilitator }

// SeesSignals reports whether the part sees "I need to talk" signals.
func (p Part) SeesSignals() bool { return p.Runs() || p == PartSafeguarding }

// Kinds of link.
const (
	KindRoom  = "room"
	KindEvent = "event"
)

// Link is a user's part in one room or event, with what their list shows.
type Link struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	User  string `json:"user"`
	Part  Part   `json:"part"`
	Code  string `json:"code,omitempty"`
	Title string `json:"title"`
	// Plan is the room's plan id.
	Plan    string    `json:"plan,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// PresenterKey opens the room's big screen (read-only), for those who
	// run it without holding its facilitator key.
	PresenterKey string `json:"presenter_key,omitempty"`
	// Key is an event's organizer key, kept for its owner, who may open
	// the event's overview and sheet on any device.
	Key string `json:"key,omitempty"`
	// Name and Email are the user's, for the list of whom it is shared with.
	Name  string `json:"name"`
	Email string `json:"email"`
}

func linkKey(user, kind, id string) string { return user + "." + kind[:1] + "." + id }

// validID reports whether a room or event id can be a key part.
func validID(id string) bool { return len(id) > 0 && len(id) <= 64 && isKeyPart(id) }

// PutLink stores a user's part in a room or event.
func (s *Store) PutLink(ctx context.Context, l Link) error {
	if !validID(l.ID) || !isKeyPart(l.User) || (l.Kind != KindRoom && l.Kind != KindEvent) || !l.Part.Valid() {
		return fmt.Errorf("accounts: invalid link")
	}
	return putJSON(ctx, s.links, linkKey(l.User, l.Kind, l.ID), l)
}

// LinkOf returns a user's part in a room or event; ErrNotFound if none.
func (s *Store) LinkOf(ctx context.Context, user, kind, id string) (*Link, error) {
	if !validID(id) || !isKeyPart(user) || (kind != KindRoom && kind != KindEvent) {
		return nil, ErrNotFound
	}
	var l Link
	if _, err := getJSON(ctx, s.links, linkKey(user, kind, id), &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Links lists a user's rooms and events, newest first.
func (s *Store) Links(ctx context.Context, user string) ([]Link, error) {
	if !isKeyPart(user) {
		return nil, nil
	}
	keys, err := keysWith(ctx, s.links, user+".")
	if err != nil {
		return nil, err
	}
	return s.readLinks(ctx, keys)
}

// Members lists everyone with a part in a room or event, the owner first.
func (s *Store) Members(ctx context.Context, kind, id string) ([]Link, error) {
	if !validID(id) {
		return nil, nil
	}
	lister, err := s.links.ListKeysFiltered(ctx, "*."+kind[:1]+"."+id)
	if err != nil {
		return nil, fmt.Errorf("accounts: list members: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	ls, err := s.readLinks(ctx, keys)
	slices.SortStableFunc(ls, func(a, b Link) int {
		return cmp.Or(cmp.Compare(partOrder(a.Part), partOrder(b.Part)), strings.Compare(a.Name, b.Name))
	})
	return ls, err
}

func partOrder(p Part) int {
	return slices.Index([]Part{PartOwner, PartCoFacilitator, PartSafeguarding, PartObserver}, p)
}

func (s *Store) readLinks(ctx context.Context, keys []string) ([]Link, error) {
	out := make([]Link, 0, len(keys))
	for _, k := range keys {
		var l Link
		if _, err := getJSON(ctx, s.links, k, &l); err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Link) int { return cmp.Compare(b.Created.UnixNano(), a.Created.UnixNano()) })
	return out, nil
}

// RemoveLink takes a user's part in a room or event away.
func (s *Store) RemoveLink(ctx context.Context, user, kind, id string) error {
	if !validID(id) || !isKeyPart(user) {
		return ErrNotFound
	}
	if err := s.links.Purge(ctx, linkKey(user, kind, id)); err != nil {
		return fmt.Errorf("accounts: remove link: %w", err)
	}
	return nil
}

// ForgetLinks removes every link to a room or event, when it is deleted.
func (s *Store) ForgetLinks(ctx context.Context, kind, id string) error {
	ls, err := s.Members(ctx, kind, id)
	if err != nil {
		return err
	}
	for _, l := range ls {
		if err := s.RemoveLink(ctx, l.User, kind, id); err != nil {
			return err
		}
	}
	return nil
}
