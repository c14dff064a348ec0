package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// CodeAlphabet is the join-code alphabet: capitals and digits without the
// look-alikes 0/O, 1/I/L. Codes are CodeLength characters.
const (
	CodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	CodeLength   = 6
)

// NewRoom is a request to create a room.
type NewRoom struct {
	Plan *plan.Plan
	// MaxParticipants caps joins (zero: room.DefaultMaxParticipants).
	MaxParticipants int
	// Org is the organisation's part in the room: its help-card lines
	// and a shorter retention.
	Org OrgRoomSettings
	// ForgetAfterReport sets the room to forget its texts once its report
	// is taken (see room.Created).
	ForgetAfterReport bool
	// PlanRevision is the saved version of the plan the room starts from
	// (0: a built-in or folder plan).
	PlanRevision int
}

// OrgRoomSettings are what an organisation's settings change in the rooms
// it creates.
type OrgRoomSettings struct {
	// HelpLines come on every help card after the plan's own lines and
	// before the server's and the national ones.
	HelpLines []string
	// Retention keeps the room for less than the server's retention; zero
	// or more than the server's: the server's.
	Retention time.Duration
}

// CreatedRoom is what the creator of a room gets back. Key is shown once:
// only its hash is stored.
type CreatedRoom struct {
	RoomID    string
	Code      string
	Key       string
	ExpiresAt time.Time
}

// CreateRoom reserves a join code and starts the room's log with the plan.
func (h *Hub) CreateRoom(ctx context.Context, req NewRoom) (*CreatedRoom, error) {
	if req.Plan == nil {
		return nil, wire.Errorf(wire.CodeInvalid, "a plan is required")
	}
	if problems := req.Plan.Validate(); len(problems) > 0 {
		return nil, &plan.ValidationError{Problems: problems}
	}
	if req.MaxParticipants < 0 || req.MaxParticipants > room.DefaultMaxParticipants*4 {
		return nil, wire.Errorf(wire.CodeInvalid, "max_participants must be between 0 and %d", room.DefaultMaxParticipants*4)
	}
	return h.createRoom(ctx, req, strings.ToLower(randomString(20)), randomString(32), "", "")
}

// createRoom creates a room with a given id and facilitator key, in an
// event or on its own.
func (h *Hub) createRoom(ctx context.Context, req NewRoom, roomID, key, event, name string) (*CreatedRoom, error) {
	now := h.cfg.Now()
	retention := h.cfg.Retention
	if r := req.Org.Retention; r > 0 && r < retention {
		retention = r
	}
	expires := now.Add(retention)
	card := h.cfg.HelpCard
	if len(req.Org.HelpLines) > 0 {
		card.Lines = append(slices.Clip(req.Org.HelpLines), card.Lines...)
	}
	var code string
	for attempt := 0; ; attempt++ {
		if attempt == 20 {
			return nil, fmt.Errorf("create room: no free join code after %d attempts", attempt)
		}
		code = randomCode()
		err := h.reg.Reserve(ctx, code, roomID, expires)
		if errors.Is(err, ErrTaken) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create room: reserve code: %w", err)
		}
		break
	}
	ev := &room.Event{Type: room.EvCreated, At: now.UnixMilli(), Created: &room.Created{
		Room: roomID, Code: code, KeyHash: HashSecret(key), PresenterKeyHash: HashSecret(PresenterKey(key)), Plan: card.Apply(req.Plan),
		ExpiresAt: expires.UnixMilli(), MaxParticipants: req.MaxParticipants,
		Event: event, Name: name, ForgetAfterReport: req.ForgetAfterReport, PlanRevision: req.PlanRevision,
	}}
	data, err := ev.Encode()
	if err != nil {
		return nil, err
	}
	if _, _, err := h.log.Append(ctx, roomID, true, data, roomID+"/created", 0); err != nil {
		return nil, fmt.Errorf("create room: append: %w", err)
	}
	h.metrics.RoomsCreated.Inc()
	return &CreatedRoom{RoomID: roomID, Code: code, Key: key, ExpiresAt: expires}, nil
}

// PresenterKey derives the big screen's read-only key from a room's
// facilitator key: whoever holds the facilitator key can always make it
// again, and nothing more is stored than its hash. A presenter key opens
// the big screen and nothing else.
func PresenterKey(facilitatorKey string) string {
	sum := sha256.Sum256([]byte("stoppunkt/presenter/v1\x00" + facilitatorKey))
	return strings.ToLower(b32.EncodeToString(sum[:]))[:32]
}

// NormaliseCode upper-cases a typed join code, drops spaces and dashes, and
// reports whether the result can be a code at all.
func NormaliseCode(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(s) != CodeLength {
		return "", false
	}
	for _, c := range s {
		if !strings.ContainsRune(CodeAlphabet, c) {
			return "", false
		}
	}
	return s, true
}

func validRoomID(s string) bool {
	if len(s) != 20 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func randomCode() string {
	b := make([]byte, CodeLength)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	out := make([]byte, CodeLength)
	for i, v := range b {
		// 256 is not a multiple of 31; rejection sampling keeps codes uniform.
		for int(v) >= 256/len(CodeAlphabet)*len(CodeAlphabet) {
			var one [1]byte
			_, _ = rand.Read(one[:])
			v = one[0]
		}
		out[i] = CodeAlphabet[int(v)%len(CodeAlphabet)]
	}
	return string(out)
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// randomString returns n characters of base32 from crypto/rand: 5 bits each.
func randomString(n int) string {
	b := make([]byte, (n*5+7)/8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return strings.ToLower(b32.EncodeToString(b)[:n])
}

// randomSeed draws a seed for events that shuffle (forming groups).
func randomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return binary.LittleEndian.Uint64(b[:])
}
