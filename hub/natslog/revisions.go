package natslog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RevisionsBucket holds every saved version of every uploaded or edited
// plan, and the newest of each (its head).
const RevisionsBucket = "stp_plan_revisions"

// Revision is one saved version of a plan.
type Revision struct {
	N     int       `json:"n"`
	Saved time.Time `json:"saved"`
	// By and ByName are the account that saved it ("" without accounts).
	By     string `json:"by,omitempty"`
	ByName string `json:"by_name,omitempty"`
	// Draft: the version did not validate; it is kept for its author but
	// rooms are started from the newest version that did.
	Draft  bool   `json:"draft,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Shared bool   `json:"shared,omitempty"`
	// Source is the plan's YAML.
	Source string `json:"source"`
	// Plan is the plan as the editor saved it (JSON): a draft's too,
	// which may not validate.
	Plan json.RawMessage `json:"plan,omitempty"`
}

// ErrNotFound: the plan has no saved version, or not that one.
var ErrNotFound = errors.New("natslog: no such plan version")

// ErrConflict: the plan was saved by someone else since the version the
// saver started from.
var ErrConflict = errors.New("natslog: the plan changed since it was opened")

// Revisions stores plan versions in a key-value bucket: "h.<id>" the
// newest (compare-and-set, so two editors never lose a save silently),
// "r.<id>.<n>" each version.
type Revisions struct {
	kv jetstream.KeyValue
}

// OpenRevisions creates or opens the revisions bucket.
func OpenRevisions(ctx context.Context, s *Store, replicas int) (*Revisions, error) {
	kv, err := s.planBucket(ctx, RevisionsBucket, "Stoppunkt plan versions", replicas)
	if err != nil {
		return nil, err
	}
	return &Revisions{kv: kv}, nil
}

func headKey(id string) string       { return "h." + id }
func revKey(id string, n int) string { return "r." + id + "." + strconv.Itoa(n) }

// Head returns a plan's newest version and the sequence to save the next
// one against; ErrNotFound when it has none.
func (r *Revisions) Head(ctx context.Context, id string) (*Revision, uint64, error) {
	e, err := r.kv.Get(ctx, headKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("plan head: %w", err)
	}
	var rev Revision
	if err := json.Unmarshal(e.Value(), &rev); err != nil {
		return nil, 0, fmt.Errorf("plan head: %w", err)
	}
	return &rev, e.Revision(), nil
}

// Save stores rev as the plan's next version if the head is still at
// base (0: the plan has no version yet). On a conflict it returns
// ErrConflict with the head that won.
func (r *Revisions) Save(ctx context.Context, id string, base uint64, rev Revision) (*Revision, uint64, error) {
	head, seq, err := r.Head(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, 0, err
	}
	if seq != base {
		return head, seq, ErrConflict
	}
	rev.N = 1
	if head != nil {
		rev.N = head.N + 1
	}
	b, err := json.Marshal(rev)
	if err != nil {
		return nil, 0, err
	}
	var next uint64
	if base == 0 {
		next, err = r.kv.Create(ctx, headKey(id), b)
	} else {
		next, err = r.kv.Update(ctx, headKey(id), b, base)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err) {
		head, seq, herr := r.Head(ctx, id)
		if herr != nil {
			return nil, 0, herr
		}
		return head, seq, ErrConflict
	}
	if err != nil {
		return nil, 0, fmt.Errorf("save plan: %w", err)
	}
	if _, err := r.kv.Put(ctx, revKey(id, rev.N), b); err != nil {
		return nil, 0, fmt.Errorf("save plan version: %w", err)
	}
	return &rev, next, nil
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// List returns a plan's versions without their sources, newest first.
func (r *Revisions) List(ctx context.Context, id string) ([]Revision, error) {
	lister, err := r.kv.ListKeysFiltered(ctx, "r."+id+".*")
	if err != nil {
		return nil, fmt.Errorf("list plan versions: %w", err)
	}
	var out []Revision
	for k := range lister.Keys() {
		n, err := strconv.Atoi(k[strings.LastIndexByte(k, '.')+1:])
		if err != nil {
			continue
		}
		rev, err := r.Get(ctx, id, n)
		if err != nil {
			continue
		}
		rev.Source = ""
		out = append(out, *rev)
	}
	slices.SortFunc(out, func(a, b Revision) int { return cmp.Compare(b.N, a.N) })
	return out, nil
}

// Get returns one version of a plan.
func (r *Revisions) Get(ctx context.Context, id string, n int) (*Revision, error) {
	e, err := r.kv.Get(ctx, revKey(id, n))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("plan version: %w", err)
	}
	var rev Revision
	if err := json.Unmarshal(e.Value(), &rev); err != nil {
		return nil, fmt.Errorf("plan version: %w", err)
	}
	return &rev, nil
}

// Delete removes every version of a plan.
func (r *Revisions) Delete(ctx context.Context, id string) error {
	lister, err := r.kv.ListKeysFiltered(ctx, "r."+id+".*", headKey(id))
	if err != nil {
		return fmt.Errorf("list plan versions: %w", err)
	}
	for k := range lister.Keys() {
		if err := r.kv.Purge(ctx, k); err != nil {
			return fmt.Errorf("delete plan version: %w", err)
		}
	}
	return nil
}
