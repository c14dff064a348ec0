package plan

import (
	"strings"
	"testing"
)

func TestRenderBody(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hei", "<p>Hei</p>\n"},
		{"En *viktig* og **sterk** setning.", "<p>En <em>viktig</em> og <strong>sterk</strong> setning.</p>\n"},
		{"Første avsnitt\nfortsetter.\n\nAndre avsnitt.", "<p>Første avsnitt\nfortsetter.</p>\n<p>Andre avsnitt.</p>\n"},
		{"Liste:\n- én\n- to\n  fortsatt\n\nSlutt", "<p>Liste:</p>\n<ul>\n<li>én</li>\n<li>to fortsatt</li>\n</ul>\n<p>Slutt</p>\n"},
		{"Se [plikt.no](https://plikt.no) nå", `<p>Se <a href="https://plikt.no" rel="noopener noreferrer" target="_blank">plikt.no</a> nå</p>` + "\n"},
		{"<script>alert(1)</script> & \"x\"", "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;</p>\n"},
		{"[klikk](javascript:alert(1))", "<p>[klikk](javascript:alert(1))</p>\n"},
		{`[x](https://a.example/"onmouseover="y)`, "<p>[x](https://a.example/&#34;onmouseover=&#34;y)</p>\n"},
		{"2 * 3 * 4 og **ikke lukket", "<p>2 * 3 * 4 og **ikke lukket</p>\n"},
		{`\*ikke uthevet\*`, "<p>*ikke uthevet*</p>\n"},
		{"**[lenke](https://a.example/b?c=1&d=2)**", `<p><strong><a href="https://a.example/b?c=1&amp;d=2" rel="noopener noreferrer" target="_blank">lenke</a></strong></p>` + "\n"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RenderBody(tt.in); got != tt.want {
			t.Errorf("RenderBody(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

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
