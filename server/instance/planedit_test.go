package instance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/server/instance/instancetest"
)

// planJSON is a plan as the API gives it, decoded loosely for editing.
type planJSON map[string]any

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	code, body := get(t, url)
	if out != nil {
		_ = json.Unmarshal([]byte(body), out)
	}
	return code
}

// postJSON2 posts body as JSON (or bytes as they are) and decodes the
// answer into out.
func postJSON2(t *testing.T, url string, body any, out any) (int, string) {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		raw, _ = json.Marshal(body)
	}
	code, answer := post(t, url, string(raw), nil)
	if out != nil {
		_ = json.Unmarshal([]byte(answer), out)
	}
	return code, answer
}

// sameJSON reports whether two values marshal to the same JSON.
func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestEveryPlanGoesOutAndComesBackAsYAML: every built-in plan, downloaded
// as YAML, reads back as the same plan; and a copy of the plan that sets
// every field, saved through the editor's API, downloads as YAML that
// reads back as the same plan.
func TestEveryPlanGoesOutAndComesBackAsYAML(t *testing.T) {
	ns := instancetest.NATS(t)
	in := instancetest.Start(t, ns.ClientURL())
	var list struct{ Plans []plan.Summary }
	getJSON(t, in.URL()+"/api/plans", &list)
	for _, s := range list.Plans {
		resp, err := http.Get(in.URL() + "/api/plans/" + s.ID + "/yaml")
		if err != nil {
			t.Fatal(err)
		}
		src, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), s.ID+".yaml") {
			t.Fatalf("%s: %s %q", s.ID, resp.Status, resp.Header.Get("Content-Disposition"))
		}
		back, err := plan.Parse(s.ID+".yaml", src)
		if err != nil {
			t.Fatalf("%s: the downloaded YAML does not read back: %v", s.ID, err)
		}
		var served planJSON
		getJSON(t, in.URL()+"/api/plans/"+s.ID, &served)
		var mine planJSON
		b, _ := json.Marshal(back)
		_ = json.Unmarshal(b, &mine)
		if !sameJSON(mine, served) {
			t.Errorf("%s: the YAML reads back as another plan", s.ID)
		}
	}
	// A plan that sets every field of every kind of step: save it through
	// the editor's API, download, read back.
	every := json.RawMessage(`{"id": "every-field", "title": "Every field", "language": "nb", "duration": 3600,
		"audience": "Alle", "description": "Hver **eneste** felt.", "questions": true, "steps": [
		{"kind": "info", "id": "i", "title": "Info", "body": "Tekst\n\n- punkt", "notes": "Notater", "duration": 60, "timer": "auto"},
		{"kind": "scenario", "id": "sc", "title": "Situasjon", "body": "Les", "image": "https://example.org/a.png", "video": "https://example.org/kurs", "alt": "Et bilde"},
		{"kind": "poll", "id": "p", "title": "Avstemning", "options": ["Ja", "Nei", "Vet ikke"], "multiple": true, "duration": 90, "timer": "manual"},
		{"kind": "scale", "id": "s", "title": "Skala", "scale_min": 0, "scale_max": 10, "min_label": "Lite", "max_label": "Mye"},
		{"kind": "open", "id": "o", "title": "Åpent", "max_length": 300},
		{"kind": "wordcloud", "id": "w", "title": "Ordsky", "max_words": 3, "max_word_length": 30},
		{"kind": "breakout", "id": "b", "title": "Grupper", "group_size": 4, "prompts": ["Hva?", "Hvem?"], "max_length": 3000},
		{"kind": "plenary", "id": "pl", "title": "Plenum", "layout": "side-by-side"},
		{"kind": "actions", "id": "a", "title": "Tiltak", "prompts": ["Hva gjør vi?"]},
		{"kind": "closing", "id": "c", "title": "Avslutning", "prompt": "Hva tar du med?", "follow_up": ["Mer", "Nok"], "help": ["Bedriftshelsetjenesten: 22 00 00 00"], "max_length": 400}]}`)
	var made struct {
		Revision int
		Draft    bool
	}
	if code, body := postJSON2(t, in.URL()+"/api/plans/every-field/revisions", map[string]any{"plan": every, "base": 0}, &made); code != 201 || made.Draft {
		t.Fatalf("save: %d %s", code, body)
	}
	var ed struct {
		Plan json.RawMessage
		Base uint64
	}
	getJSON(t, in.URL()+"/api/plans/every-field/edit", &ed)
	resp, _ := http.Get(in.URL() + "/api/plans/every-field/yaml")
	src, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	back, err := plan.Parse("x.yaml", src)
	if err != nil {
		t.Fatalf("saved plan's YAML: %v\n%s", err, src)
	}
	var orig, got planJSON
	_ = json.Unmarshal(ed.Plan, &orig)
	b, _ := json.Marshal(back)
	_ = json.Unmarshal(b, &got)
	if !sameJSON(orig, got) {
		t.Errorf("export then import changed the plan:\n%s\n%s", ed.Plan, b)
	}
}

// TestPlanVersions: a copied plan is edited on one instance and seen on
// another at once; a second editor's save against an old version gets a
// conflict with both versions; a draft with problems is kept but cannot be
// started; an earlier version is restored; a room records the version it
// started from; bad input changes nothing.
func TestPlanVersions(t *testing.T) {
	ns := instancetest.NATS(t)
	a := instancetest.Start(t, ns.ClientURL())
	b := instancetest.Start(t, ns.ClientURL())
	c := instancetest.Start(t, ns.ClientURL())
	if code, body := postJSON2(t, a.URL()+"/api/plans/avvergingsplikten-45/copy", map[string]string{"id": "var-arbeidsplass", "title": "Avvergingsplikten hos oss"}, nil); code != 201 {
		t.Fatalf("copy: %d %s", code, body)
	}
	var ed struct {
		Plan     planJSON
		Base     uint64
		Revision int
	}
	getJSON(t, b.URL()+"/api/plans/var-arbeidsplass/edit", &ed)
	if ed.Revision != 1 || ed.Plan["title"] != "Avvergingsplikten hos oss" {
		t.Fatalf("edit view: %+v", ed)
	}
	oldBase := ed.Base
	steps := ed.Plan["steps"].([]any)
	steps[1].(map[string]any)["title"] = "Situasjonen i vår barnehage"
	var saved struct {
		Revision int
		Base     uint64
		Draft    bool
	}
	if code, body := postJSON2(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": ed.Plan, "base": ed.Base}, &saved); code != 201 || saved.Revision != 2 || saved.Draft {
		t.Fatalf("save: %d %s", code, body)
	}
	start := time.Now()
	for {
		var p planJSON
		getJSON(t, b.URL()+"/api/plans/var-arbeidsplass", &p)
		if st, _ := p["steps"].([]any); len(st) > 1 && st[1].(map[string]any)["title"] == "Situasjonen i vår barnehage" {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the saved plan did not reach the other instance")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("saved on A, in B's catalog after %v", time.Since(start).Round(time.Millisecond))
	var onC struct {
		Revision int
		Plan     planJSON
	}
	getJSON(t, c.URL()+"/api/plans/var-arbeidsplass/edit", &onC)
	if onC.Revision != 2 || onC.Plan["steps"].([]any)[1].(map[string]any)["title"] != "Situasjonen i vår barnehage" {
		t.Errorf("the editor on a third instance opens version %d", onC.Revision)
	}

	// A second editor who opened version 1 saves: a conflict, with both.
	steps[1].(map[string]any)["title"] = "Someone else's title"
	var conflict struct {
		Code   string
		Yours  planJSON
		Theirs struct {
			Revision int
			Plan     planJSON
		}
	}
	if code, body := postJSON2(t, b.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": ed.Plan, "base": oldBase}, &conflict); code != http.StatusConflict || conflict.Code != "stale" ||
		conflict.Theirs.Revision != 2 || conflict.Yours["title"] == nil {
		t.Fatalf("conflict: %d %.300s", code, body)
	}

	// A draft: a poll with one option.
	getJSON(t, a.URL()+"/api/plans/var-arbeidsplass/edit", &ed)
	steps = ed.Plan["steps"].([]any)
	poll := -1
	for i, s := range steps {
		if s.(map[string]any)["kind"] == "poll" {
			poll = i
			s.(map[string]any)["options"] = []string{"Bare ett"}
			break
		}
	}
	var draft struct {
		Revision int
		Base     uint64
		Draft    bool
		Problems []plan.Problem
	}
	if code, body := postJSON2(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": ed.Plan, "base": ed.Base}, &draft); code != 201 || !draft.Draft || len(draft.Problems) == 0 ||
		!strings.HasPrefix(draft.Problems[0].Field, "steps["+itoa(poll)+"].options") {
		t.Fatalf("draft: %d %s", code, body)
	}
	if code, body := postJSON2(t, a.URL()+"/api/rooms", map[string]string{"plan": "var-arbeidsplass"}, nil); code != http.StatusForbidden || !strings.Contains(body, "problems") {
		t.Fatalf("a room from a draft: %d %s", code, body)
	}
	var sum plan.Summary
	getJSON(t, b.URL()+"/api/plans/var-arbeidsplass", nil)
	var list struct{ Plans []plan.Summary }
	getJSON(t, b.URL()+"/api/plans", &list)
	for _, p := range list.Plans {
		if p.ID == "var-arbeidsplass" {
			sum = p
		}
	}
	if sum.Revision != 2 {
		t.Errorf("the catalog offers version %d; want 2, the newest that validates", sum.Revision)
	}

	// Restore version 2: version 4, startable, and the room records it.
	var restored struct {
		Revision int
		Draft    bool
	}
	if code, body := postJSON2(t, b.URL()+"/api/plans/var-arbeidsplass/revisions/2/restore", map[string]any{"base": draft.Base}, &restored); code != 201 || restored.Revision != 4 || restored.Draft {
		t.Fatalf("restore: %d %s", code, body)
	}
	var room instancetest.Room
	if code, body := postJSON2(t, a.URL()+"/api/rooms", map[string]string{"plan": "var-arbeidsplass"}, &room); code != 201 {
		t.Fatalf("room: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", a.URL()+"/api/rooms/"+room.Room, nil)
	req.Header.Set("Authorization", "Bearer "+room.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(info), `"plan_revision":4`) {
		t.Errorf("room info lacks the version: %s", info)
	}
	var revs struct{ Revisions []struct{ N int } }
	getJSON(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", &revs)
	if len(revs.Revisions) != 4 || revs.Revisions[0].N != 4 {
		t.Errorf("versions: %+v", revs.Revisions)
	}

	// Bad input.
	getJSON(t, a.URL()+"/api/plans/var-arbeidsplass/edit", &ed)
	big := cloneJSON(ed.Plan)
	big["description"] = strings.Repeat("x", 1<<20)
	if code, _ := postJSON2(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": big, "base": ed.Base}, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MB in a field: %d", code)
	}
	many := cloneJSON(ed.Plan)
	var lots []any
	for i := 0; i < 500; i++ {
		lots = append(lots, map[string]any{"kind": "info", "title": "Steg"})
	}
	many["steps"] = lots
	if code, body := postJSON2(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": many, "base": ed.Base}, &draft); code != 201 || !draft.Draft || !strings.Contains(body, "steps") {
		t.Errorf("500 steps: %d %.200s", code, body)
	} else {
		ed.Base = draft.Base
	}
	unknown := cloneJSON(ed.Plan)
	unknown["colour"] = "red"
	if code, _ := postJSON2(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": unknown, "base": ed.Base}, nil); code != http.StatusBadRequest {
		t.Errorf("an unknown field: %d", code)
	}
	moved := cloneJSON(ed.Plan)
	moved["id"] = "another-id"
	if code, _ := postJSON2(t, a.URL()+"/api/plans/var-arbeidsplass/revisions", map[string]any{"plan": moved, "base": ed.Base}, nil); code != http.StatusBadRequest {
		t.Errorf("a changed id: %d", code)
	}
	if code, _ := postJSON2(t, a.URL()+"/api/plans/avvergingsplikten-45/revisions", map[string]any{"plan": ed.Plan, "base": 0}, nil); code != http.StatusForbidden {
		t.Errorf("editing a built-in plan: %d", code)
	}
	if code, _ := postJSON2(t, a.URL()+"/api/plans/avvergingsplikten-45/copy", map[string]string{"id": "var-arbeidsplass"}, nil); code != http.StatusForbidden {
		t.Errorf("a copy onto a taken id: %d", code)
	}
}

func cloneJSON(p planJSON) planJSON {
	b, _ := json.Marshal(p)
	var out planJSON
	_ = json.Unmarshal(b, &out)
	return out
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// pngBytes is a valid 1x1 PNG; jpegBytes a valid 1x1 JPEG.
var (
	pngBytes  = mustDecodeHex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5b8d6e90000000049454e44ae426082")
	jpegBytes = mustDecodeHex("ffd8ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")
)

func mustDecodeHex(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		var v byte
		for _, c := range s[2*i : 2*i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			default:
				v |= byte(c-'a') + 10
			}
		}
		b[i] = v
	}
	return b
}

func upload(t *testing.T, url, ctype string, data []byte) (int, string) {
	t.Helper()
	return post(t, url, string(data), map[string]string{"Content-Type": ctype})
}

// TestPlanImages: an image uploaded for a plan is stored in the object
// store and served by every instance with its type and long caching; a
// step shows it with alt text; bad uploads are refused; deleting the plan
// deletes its versions and images.
func TestPlanImages(t *testing.T) {
	ns := instancetest.NATS(t)
	a := instancetest.Start(t, ns.ClientURL())
	b := instancetest.Start(t, ns.ClientURL())
	if code, body := postJSON2(t, a.URL()+"/api/plans/test-plan/copy", map[string]string{"id": "med-bilde"}, nil); code != 201 {
		t.Fatalf("copy: %d %s", code, body)
	}
	var img struct{ Path, Type string }
	code, body := upload(t, a.URL()+"/api/plans/med-bilde/images", "image/png", pngBytes)
	if code != 201 || json.Unmarshal([]byte(body), &img) != nil || !strings.HasPrefix(img.Path, "/media/med-bilde/") || img.Type != "image/png" {
		t.Fatalf("upload: %d %s", code, body)
	}
	resp, err := http.Get(b.URL() + img.Path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, pngBytes) ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "max-age=31536000") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("served on B: %s %v", resp.Status, resp.Header)
	}
	req, _ := http.NewRequest("GET", b.URL()+img.Path, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %v %v", r2.Status, err)
	}
	if code, _ := upload(t, a.URL()+"/api/plans/med-bilde/images", "image/jpeg", jpegBytes); code != 201 {
		t.Errorf("a JPEG: %d", code)
	}
	for name, c := range map[string]struct {
		ctype string
		data  []byte
		want  int
	}{
		"a text file":                     {"image/png", []byte("just some text, not an image"), 400},
		"a JPEG that says it is a PNG":    {"image/png", jpegBytes, 400},
		"a PNG header with nothing after": {"image/png", pngBytes[:12], 400},
		"an SVG (script can hide in it)":  {"image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 400},
		"3 MiB":                           {"image/png", append(slices.Clone(pngBytes), make([]byte, 3<<20)...), 413},
	} {
		if code, body := upload(t, a.URL()+"/api/plans/med-bilde/images", c.ctype, c.data); code != c.want {
			t.Errorf("%s: %d %s, want %d", name, code, body, c.want)
		}
	}
	if code, _ := upload(t, a.URL()+"/api/plans/avvergingsplikten-45/images", "image/png", pngBytes); code != http.StatusForbidden {
		t.Errorf("an image for a built-in plan: %d", code)
	}

	// A scenario step shows it; an image without alt text is a problem.
	var ed struct {
		Plan planJSON
		Base uint64
	}
	getJSON(t, a.URL()+"/api/plans/med-bilde/edit", &ed)
	steps := ed.Plan["steps"].([]any)
	scenario := map[string]any{"kind": "scenario", "id": "bilde", "title": "Situasjonen", "body": "Se på bildet.", "image": img.Path}
	ed.Plan["steps"] = append([]any{scenario}, steps...)
	var saved struct {
		Draft    bool
		Base     uint64
		Problems []plan.Problem
	}
	postJSON2(t, a.URL()+"/api/plans/med-bilde/revisions", map[string]any{"plan": ed.Plan, "base": ed.Base}, &saved)
	if !saved.Draft || len(saved.Problems) == 0 || saved.Problems[0].Field != "steps[0].alt" {
		t.Fatalf("an image without alt text: %+v", saved)
	}
	scenario["alt"] = "En gutt sitter alene i et klasserom"
	if code, body := postJSON2(t, a.URL()+"/api/plans/med-bilde/revisions", map[string]any{"plan": ed.Plan, "base": saved.Base}, &saved); code != 201 || saved.Draft {
		t.Fatalf("with alt text: %d %s", code, body)
	}

	// Deleting the plan deletes its versions and images, on every instance.
	req, _ = http.NewRequest("DELETE", b.URL()+"/api/plans/med-bilde", nil)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", r.Status, err)
	}
	if code := getJSON(t, a.URL()+img.Path, nil); code != http.StatusNotFound {
		t.Errorf("the image after the plan was deleted: %d", code)
	}
	if code := getJSON(t, a.URL()+"/api/plans/med-bilde/revisions", nil); code != http.StatusNotFound && code != http.StatusOK {
		t.Errorf("versions after delete: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for getJSON(t, a.URL()+"/api/plans/med-bilde", nil) != http.StatusNotFound {
		if time.Now().After(deadline) {
			t.Fatal("the deleted plan is still offered on A")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var revs struct{ Revisions []any }
	getJSON(t, a.URL()+"/api/plans/med-bilde/revisions", &revs)
	if len(revs.Revisions) != 0 {
		t.Errorf("versions left after delete: %d", len(revs.Revisions))
	}
}
