package plan

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestCheckBody(t *testing.T) {
	ok := []string{
		"Vanlig tekst med *uthevet* og [lenke](https://plikt.no).",
		"- punkt\n- punkt to\n\n#1 er ikke en overskrift",
		"Mindre enn: 3 < 4",
	}
	for _, body := range ok {
		if msgs := checkBody(body); len(msgs) > 0 {
			t.Errorf("checkBody(%q) = %v", body, msgs)
		}
	}
	bad := map[string]string{
		"# Overskrift":                "headings are not supported",
		"<iframe src=x>":              "HTML is not allowed",
		"![bilde](https://a/b.png)":   "images are not allowed",
		"[her](http://plikt.no)":      `link "http://plikt.no" must point to an https:// address`,
		"[](https://plikt.no)":        "has no text",
		"ok\n[her](mailto:a@b.no)":    "(body line 2)",
		"[x](https://a.example/ b c)": "must point to an https:// address",
	}
	for body, want := range bad {
		msgs := checkBody(body)
		if len(msgs) != 1 || !strings.Contains(msgs[0], want) {
			t.Errorf("checkBody(%q) = %q, want one message containing %q", body, msgs, want)
		}
	}
}

// linkCase is a case of testdata/links.json, the table the validator and
// the browser's renderer (web/webtest) are both tested against.
type linkCase struct {
	Text     *string `json:"text"`
	Target   string  `json:"target"`
	Accepted bool    `json:"accepted"`
	Why      string  `json:"why"`
}

// TestLinkCases: the validator accepts a link in a body exactly when the
// table says so.
func TestLinkCases(t *testing.T) {
	data, err := os.ReadFile("testdata/links.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct{ Cases []linkCase }
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, c := range table.Cases {
		text := "Les mer"
		if c.Text != nil {
			text = *c.Text
		}
		msgs := checkBody("[" + text + "](" + c.Target + ")")
		if got := len(msgs) == 0; got != c.Accepted {
			t.Errorf("[%s](%s) (%s): accepted %v, want %v; problems: %q", text, c.Target, c.Why, got, c.Accepted, msgs)
		}
		if c.Accepted {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(table.Cases) {
		t.Fatalf("the table has %d cases, %d accepted: it needs both kinds", len(table.Cases), accepted)
	}
}
