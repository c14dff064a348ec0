package plan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testPlan returns a small valid plan file with the given id and title.
func testPlan(id, title string) string {
	return fmt.Sprintf("id: %s\ntitle: %s\nlanguage: en\nduration: 30m\nsteps:\n  - kind: info\n    title: Welcome\n", id, title)
}

func mustParse(t *testing.T, data string) *Plan {
	t.Helper()
	p, err := Parse("test.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCatalog(t *testing.T) {
	c := NewCatalog()
	for _, p := range Builtin() {
		if err := c.Add(p, SourceBuiltin); err != nil {
			t.Fatal(err)
		}
	}
	builtinID := Builtin()[0].ID

	// A built-in id cannot be taken, nor removed.
	err := c.Add(mustParse(t, testPlan(builtinID, "Mine")), SourceUpload)
	if !errors.Is(err, ErrBuiltinID) {
		t.Errorf("Add over a built-in: err = %v, want ErrBuiltinID", err)
	}
	if err := c.Remove(builtinID); !errors.Is(err, ErrBuiltinID) {
		t.Errorf("Remove of a built-in: err = %v", err)
	}

	// Other plans replace each other.
	if err := c.Add(mustParse(t, testPlan("mine", "Zebra")), SourceDir); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(mustParse(t, testPlan("mine", "Alpha")), SourceUpload); err != nil {
		t.Fatal(err)
	}
	if p, ok := c.Get("mine"); !ok || p.Title != "Alpha" {
		t.Errorf("Get(mine) = %v, %v", p, ok)
	}
	if src, _ := c.Source("mine"); src != SourceUpload {
		t.Errorf("Source(mine) = %q", src)
	}
	if err := c.Add(mustParse(t, testPlan("dir-plan", "Beta")), SourceDir); err != nil {
		t.Fatal(err)
	}

	list := c.List()
	if len(list) != len(Builtin())+2 {
		t.Fatalf("List has %d entries", len(list))
	}
	var order []string
	for _, s := range list {
		order = append(order, s.Source+"/"+s.Title)
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Source > list[i].Source ||
			list[i-1].Source == list[i].Source && list[i-1].Title > list[i].Title {
			t.Errorf("List not sorted by source, then title: %v", order)
		}
	}
	if last := list[len(list)-1]; last.ID != "mine" || last.Source != SourceUpload || last.Steps != 1 {
		t.Errorf("last entry = %+v", last)
	}

	// Invalid plans, unknown sources and nil are refused.
	bad := mustParse(t, testPlan("bad-plan", "Bad"))
	bad.Steps[0].Title = ""
	var ve *ValidationError
	if err := c.Add(bad, SourceUpload); !errors.As(err, &ve) || ve.Problems[0].Field != "steps[0].title" {
		t.Errorf("Add(invalid) = %v", err)
	}
	if err := c.Add(mustParse(t, testPlan("x-plan", "X")), "usb"); err == nil {
		t.Errorf("unknown source accepted")
	}
	if err := c.Add(nil, SourceUpload); err == nil {
		t.Errorf("nil plan accepted")
	}
	if err := c.Remove("mine"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("mine"); ok {
		t.Errorf("removed plan still there")
	}
}

func TestCatalogConcurrent(t *testing.T) {
	c := NewCatalog()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				id := fmt.Sprintf("plan-%d-%d", g, i%5)
				p, err := Parse(id+".yaml", []byte(testPlan(id, "T")))
				if err == nil {
					err = c.Add(p, SourceUpload)
				}
				if err != nil {
					t.Error(err)
					return
				}
				c.Get(id)
				c.List()
			}
		}(g)
	}
	wg.Wait()
	if n := len(c.List()); n != 40 {
		t.Errorf("%d plans, want 40", n)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", testPlan("plan-a", "A"))
	write("b.yml", testPlan("plan-b", "B"))
	write("c.yaml", testPlan("plan-a", "Same id as a"))
	write("d.yaml", "id: plan-d\ntitle: D\nlanguage: xx\nduration: 30m\nsteps:\n  - kind: info\n    title: Hi\n")
	write("notes.txt", "not a plan")
	write(".hidden.yaml", "not: [a plan")
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}

	plans, err := LoadDir(dir)
	if len(plans) != 2 || plans[0].ID != "plan-a" || plans[1].ID != "plan-b" {
		t.Errorf("LoadDir returned %d plans", len(plans))
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	want := []string{
		filepath.Join(dir, "c.yaml") + `:1:1: id: plan id "plan-a" is already used by a.yaml`,
		filepath.Join(dir, "d.yaml") + `:3:11: language: unknown language "xx": use one of nb, nn, da, sv, en`,
	}
	if got := ve.Error(); got != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}

	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil || errors.As(err, &ve) {
		t.Errorf("missing dir: err = %v, want a plain error", err)
	}
	empty := t.TempDir()
	if plans, err := LoadDir(empty); err != nil || len(plans) != 0 {
		t.Errorf("empty dir: %v, %v", plans, err)
	}
}
