package plan

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin returns the plans embedded in the binary, sorted by id. They are
// parsed once and shared: treat them as read-only.
func Builtin() []*Plan {
	return append([]*Plan(nil), builtinPlans()...)
}

var builtinPlans = sync.OnceValue(func() []*Plan {
	plans, err := loadFS(builtinFS, "builtin")
	if err != nil {
		// The tests parse every built-in plan; this cannot happen in a
		// released binary.
		panic(fmt.Sprintf("plan: a built-in plan is invalid:\n%v", err))
	}
	return plans
})

// LoadDir parses every *.yaml and *.yml file in dir (not its subfolders).
// Problems of all files come back together in one *ValidationError, each
// naming its file as dir joined with the file's name; two files with the
// same plan id are a problem too. The plans that parsed are returned even when
// the error is not nil, so a server can serve them and log the rest. An
// unreadable dir is a plain error and no plans.
func LoadDir(dir string) ([]*Plan, error) {
	plans, err := loadFS(os.DirFS(dir), ".")
	var ve *ValidationError
	if errors.As(err, &ve) {
		for i := range ve.Problems {
			ve.Problems[i].File = filepath.Join(dir, filepath.FromSlash(ve.Problems[i].File))
		}
		return plans, ve
	}
	if err != nil {
		return nil, fmt.Errorf("plan: loading plans from %s: %w", dir, err)
	}
	return plans, nil
}

// loadFS parses the plan files in dir of fsys, sorted by id.
func loadFS(fsys fs.FS, dir string) ([]*Plan, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var (
		plans    []*Plan
		problems []Problem
		files    = make(map[string]string) // plan id -> file
	)
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(path.Ext(name))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") || strings.HasPrefix(name, ".") {
			continue
		}
		file := path.Join(dir, name)
		if dir == "." {
			file = name
		}
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			problems = append(problems, Problem{File: file, Message: fmt.Sprintf("cannot read the file: %v", err)})
			continue
		}
		p, err := Parse(file, data)
		var ve *ValidationError
		if errors.As(err, &ve) {
			problems = append(problems, ve.Problems...)
			continue
		}
		if other, dup := files[p.ID]; dup {
			problems = append(problems, Problem{File: file, Line: idLine(data), Column: 1, Field: "id",
				Message: fmt.Sprintf("plan id %q is already used by %s", p.ID, other)})
			continue
		}
		files[p.ID] = file
		plans = append(plans, p)
	}
	sort.Slice(plans, func(i, j int) bool { return plans[i].ID < plans[j].ID })
	if len(problems) > 0 {
		return plans, &ValidationError{Problems: problems}
	}
	return plans, nil
}

// idLine returns the line of a plan file's top-level "id:" field, or 0.
func idLine(data []byte) int {
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "id:") {
			return i + 1
		}
	}
	return 0
}

// ErrBuiltinID is returned (wrapped) by Catalog.Add for a plan whose id is
// the id of a built-in plan: built-in plans cannot be replaced.
var ErrBuiltinID = errors.New("the id belongs to a built-in plan, which cannot be replaced; choose another id")

// Catalog holds the plans a server offers: the built-in ones, a plans folder
// and uploads. It is safe for concurrent use.
type Catalog struct {
	mu      sync.RWMutex
	entries map[string]catalogEntry
}

type catalogEntry struct {
	plan   *Plan
	source string
	// owner is the account that uploaded the plan (empty: uploaded
	// without an account, or not uploaded); shared makes an owned plan
	// visible to the whole organisation.
	owner  string
	shared bool
	// revision is the saved version of an uploaded or edited plan.
	revision int
}

// NewCatalog returns an empty catalog; add Builtin() plans to it first.
func NewCatalog() *Catalog {
	return &Catalog{entries: make(map[string]catalogEntry)}
}

// Add adds p from source (SourceBuiltin, SourceDir or SourceUpload). A plan
// with the id of a built-in plan is refused with ErrBuiltinID; any other
// plan with the same id is replaced. A plan that does not validate is
// refused with a *ValidationError. The catalog keeps p itself: do not modify
// it afterwards.
func (c *Catalog) Add(p *Plan, source string) error { return c.AddOwned(p, source, "", false) }

// AddOwned is Add for a plan uploaded by an account: only its owner sees
// it, and everyone once it is shared (see Visible).
func (c *Catalog) AddOwned(p *Plan, source, owner string, shared bool) error {
	switch source {
	case SourceBuiltin, SourceDir, SourceUpload:
	default:
		return fmt.Errorf("plan: unknown plan source %q", source)
	}
	if p == nil {
		return errors.New("plan: cannot add a nil plan")
	}
	if problems := p.Validate(); len(problems) > 0 {
		for i := range problems {
			problems[i].File = p.ID
		}
		return &ValidationError{Problems: problems}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[p.ID]; ok && old.source == SourceBuiltin {
		return fmt.Errorf("plan %q: %w", p.ID, ErrBuiltinID)
	}
	c.entries[p.ID] = catalogEntry{plan: p, source: source, owner: owner, shared: shared}
	return nil
}

// SetRevision records which saved version of a plan the catalog holds.
func (c *Catalog) SetRevision(id string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok {
		e.revision = n
		c.entries[id] = e
	}
}

// Revision returns the saved version of a plan the catalog holds (0 for
// built-in and folder plans, and uploads from before versions).
func (c *Catalog) Revision(id string) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.entries[id].revision
}

// Owner returns the account that owns a plan ("" for plans nobody owns)
// and whether it is shared with the organisation.
func (c *Catalog) Owner(id string) (owner string, shared bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[id]
	return e.owner, e.shared
}

// Visible reports whether the account user ("" for someone not signed
// in) may see and use a plan: plans nobody owns, shared plans, and one's
// own.
func (c *Catalog) Visible(id, user string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[id]
	return ok && (e.owner == "" || e.shared || user != "" && e.owner == user)
}

// Remove removes the plan with the given id, if there is one. Built-in plans
// cannot be removed (ErrBuiltinID).
func (c *Catalog) Remove(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok && e.source == SourceBuiltin {
		return fmt.Errorf("plan %q: %w", id, ErrBuiltinID)
	}
	delete(c.entries, id)
	return nil
}

// Get returns the plan with the given id.
func (c *Catalog) Get(id string) (*Plan, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[id]
	return e.plan, ok
}

// Source returns where the plan with the given id came from.
func (c *Catalog) Source(id string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[id]
	return e.source, ok
}

// List returns a summary of every plan, sorted by source (builtin, dir,
// upload), then title, then id.
func (c *Catalog) List() []Summary { return c.ListFor("", true) }

// ListFor lists the plans the account user may see (all of them with
// everything), sorted as List.
func (c *Catalog) ListFor(user string, everything bool) []Summary {
	c.mu.RLock()
	list := make([]Summary, 0, len(c.entries))
	for _, e := range c.entries {
		if !everything && e.owner != "" && !e.shared && e.owner != user {
			continue
		}
		s := e.plan.Summary()
		s.Source = e.source
		s.Mine = user != "" && e.owner == user
		s.Revision = e.revision
		s.Shared = e.owner != "" && e.shared
		list = append(list, s)
	}
	c.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Title != b.Title {
			return a.Title < b.Title
		}
		return a.ID < b.ID
	})
	return list
}
