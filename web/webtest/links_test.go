package webtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// linkCase is a case of hub/plan/testdata/links.json, the table the plan
// validator (hub/plan TestLinkCases) and markdown.js are both tested
// against.
type linkCase struct {
	Text     *string `json:"text"`
	Target   string  `json:"target"`
	Accepted bool    `json:"accepted"`
	Why      string  `json:"why"`
}

// TestLinkCases: markdown.js, imported in a real page, draws a link for
// a body's [text](target) exactly when the shared table says the plan
// validator accepts it, with the target as it was written.
func TestLinkCases(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "hub", "plan", "testdata", "links.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table struct{ Cases []linkCase }
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	cases, _ := json.Marshal(table.Cases)
	startBrowser(t)
	in := server(t, nil)
	p := newPage(t, "links", laptopW, laptopH)
	p.open(in.URL() + "/")
	var got []struct {
		Link bool   `json:"link"`
		Href string `json:"href"`
		HTML string `json:"html"`
	}
	p.eval(`import('/static/js/markdown.js').then((md) => `+string(cases)+`.map((c) => {
		const host = document.createElement('div');
		host.append(md.renderBody('[' + (c.text ?? 'Les mer') + '](' + c.target + ')'));
		const a = host.querySelector('a');
		return {link: a !== null, href: a ? a.getAttribute('href') : '', html: host.innerHTML};
	}))`, &got)
	if len(got) != len(table.Cases) {
		t.Fatalf("%d results for %d cases", len(got), len(table.Cases))
	}
	for i, c := range table.Cases {
		g := got[i]
		if g.Link != c.Accepted || (g.Link && g.Href != c.Target) {
			t.Errorf("%q (%s): drawn as %s, want a link: %v", c.Target, c.Why, g.HTML, c.Accepted)
		}
	}
}
