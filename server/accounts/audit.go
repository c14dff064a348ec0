package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Entry is one line of the audit log: who did what to which room, event,
// plan or account, and when. Never the content, never a nickname.
type Entry struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	// Actor is the account that acted; empty for a key holder or a
	// failed sign-in.
	Actor      string `json:"actor,omitempty"`
	ActorEmail string `json:"actor_email,omitempty"`
	// Target is the room code, event, plan id or e-mail address acted on;
	// for a sign-in, how ("password" or "oidc:<provider>").
	Target string `json:"target,omitempty"`
	// Subject is the e-mail address of the account a room was shared
	// with (or taken from), and Part the part given ("" when taken).
	Subject string `json:"subject,omitempty"`
	Part    string `json:"part,omitempty"`
	// Addr is the client's network address, for sign-ins.
	Addr string `json:"addr,omitempty"`
}

// Audit actions.
const (
	ActSignIn         = "sign_in"
	ActSignInFailed   = "sign_in_failed"
	ActSignOut        = "sign_out"
	ActSessionRevoke  = "session_revoked"
	ActPasskeyAdded   = "passkey_added"
	ActPasskeyRemoved = "passkey_removed"
	ActSetup          = "first_admin_created"
	ActInvite         = "user_invited"
	ActUserCreated    = "user_created"
	ActUserChanged    = "user_changed"
	ActRoomCreated    = "room_created"
	ActRoomShared     = "room_shared"
	ActRoomUnshared   = "room_unshared"
	ActRoomEnded      = "room_ended"
	ActRoomExported   = "room_exported"
	ActRoomForgotten  = "room_forgotten"
	ActRoomDeleted    = "room_deleted"
	ActEventCreated   = "event_created"
	ActEventClosed    = "event_closed"
	ActEventExported  = "event_exported"
	ActEventDeleted   = "event_deleted"
	ActPlanUploaded   = "plan_uploaded"
	ActPlanShared     = "plan_shared"
	ActPlanDeleted    = "plan_deleted"
	ActOrgChanged     = "settings_changed"
)

// Record appends an entry to the audit log.
func (s *Store) Record(ctx context.Context, e Entry) error {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := s.js.Publish(ctx, auditSubject, b); err != nil {
		return fmt.Errorf("accounts: audit: %w", err)
	}
	return nil
}

// MaxAuditPage bounds one read of the audit log.
const MaxAuditPage = 500

// Audit returns up to limit entries, newest first, from before sequence
// before (0: the newest), and the sequence to ask for the next page with
// (0 when there is none).
func (s *Store) Audit(ctx context.Context, before uint64, limit int) ([]Entry, uint64, error) {
	if limit <= 0 || limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	info, err := s.audit.Info(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("accounts: audit info: %w", err)
	}
	last, first := info.State.LastSeq, info.State.FirstSeq
	if before == 0 || before > last+1 {
		before = last + 1
	}
	var out []Entry
	seq := before - 1
	for ; seq >= first && seq > 0 && len(out) < limit; seq-- {
		m, err := s.audit.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("accounts: audit read: %w", err)
		}
		var e Entry
		if json.Unmarshal(m.Data, &e) == nil {
			out = append(out, e)
		}
	}
	next := uint64(0)
	if seq >= first && seq > 0 {
		next = seq + 1
	}
	return out, next, nil
}
