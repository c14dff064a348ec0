package webtest

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stoppunkt/stoppunkt/server/instance"
)

const badPlan = `id: web-bad
title: Feil
language: de
duration: 10m
steps:
  - kind: poll
    title: Bare ett valg
    options: [Ja]
`

const uploadPlan = `id: web-upload
title: Opplastet plan
language: da
duration: 20m
steps:
  - kind: info
    title: Velkommen
`

// TestStartPage: with an access code the start page asks for it; a plan
// with mistakes is refused with its lines; a good one is uploaded, chosen
// and a room made from it.
func TestStartPage(t *testing.T) {
	startBrowser(t)
	t.Logf("screenshots: %s", shotsDir(t))
	in := server(t, map[string]string{"web-session": sessionPlan}, func(c *instance.Config) {
		c.Server.AccessCode = "hemmelig-kode"
	})
	base := in.URL()
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "good.yaml")
	_ = os.WriteFile(bad, []byte(badPlan), 0o600)
	_ = os.WriteFile(good, []byte(uploadPlan), 0o600)

	p := newPage(t, "new", laptopW, laptopH)
	p.open(base + "/new")
	p.wait("plans", `document.querySelector('#plan-web-session')`)

	// Without the access code: refused, and the field opens.
	p.click("#create-btn")
	p.wait("asks for the access code", `document.querySelector('#access').open && !document.querySelector('#create-error').hidden`)
	p.shot("access")

	p.typeInto("#access-code", "hemmelig-kode")
	p.click("#upload summary")
	p.run(chromedp.SetUploadFiles(chromedp.CSS("#plan-file"), []string{bad}))
	p.click("#upload-btn")
	p.wait("problems listed", `document.querySelector('#upload-result .problems li')`)
	if got := p.text("#upload-result .problems"); !strings.Contains(got, "language") || !strings.Contains(got, "3:") {
		t.Errorf("problems: %q", got)
	}
	p.shot("problems")

	p.run(chromedp.SetUploadFiles(chromedp.CSS("#plan-file"), []string{good}))
	p.click("#upload-btn")
	p.wait("uploaded and chosen", `document.querySelector('#plan-web-upload') && document.querySelector('#plan-web-upload').checked`)
	p.click("#create-btn")
	p.wait("room created", `!document.querySelector('#created').hidden`)
	code := p.text("#created-code")
	if link := p.str(`document.querySelector('#join-link').value`); link != base+"/j/"+code {
		t.Errorf("join link %q", link)
	}
	p.shot("created")

	// The dashboard of the new room runs the uploaded plan.
	p.click("#open-dashboard")
	p.wait("dashboard", `document.querySelector('#current-title').textContent === 'Velkommen'`)
}

// TestQRCode: the QR image and the join link of a code come from the
// server; malformed codes are refused.
func TestQRCode(t *testing.T) {
	in := server(t, nil)
	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(in.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get("/qr/ABC234.png")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Errorf("png: %s %s %q", resp.Status, resp.Header.Get("Content-Type"), body[:min(8, len(body))])
	}
	resp, body = get("/qr/abc-234.txt")
	if resp.StatusCode != http.StatusOK || string(body) != in.URL()+"/j/ABC234" {
		t.Errorf("txt: %s %q", resp.Status, body)
	}
	for _, bad := range []string{"/qr/ABC23.png", "/qr/ABC234.gif", "/qr/IIIIII.png", "/qr/ABC234"} {
		if resp, _ := get(bad); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", bad, resp.Status)
		}
	}
}

// TestStaticFiles: pages and assets are gzipped for clients that accept it,
// plain otherwise, with validators; pages keep their security headers.
func TestStaticFiles(t *testing.T) {
	in := server(t, nil)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	fetch := func(path, enc, inm string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, in.URL()+path, nil)
		if enc != "" {
			req.Header.Set("Accept-Encoding", enc)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/", "/j/ABC234", "/new", "/f/aaaaaaaaaaaaaaaaaaaa", "/p/aaaaaaaaaaaaaaaaaaaa", "/static/js/phone.js", "/static/css/base.css", "/static/i18n/nb.js"} {
		z := fetch(path, "gzip, deflate, br", "")
		if z.StatusCode != http.StatusOK || z.Header.Get("Content-Encoding") != "gzip" || z.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s with gzip: %s, encoding %q, vary %q", path, z.Status, z.Header.Get("Content-Encoding"), z.Header.Get("Vary"))
		}
		plain := fetch(path, "", "")
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s without gzip: encoding %q", path, plain.Header.Get("Content-Encoding"))
		}
		if z.Header.Get("ETag") == plain.Header.Get("ETag") {
			t.Errorf("%s: the gzipped and plain forms share the ETag %s", path, z.Header.Get("ETag"))
		}
		if again := fetch(path, "gzip", z.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation gave %s", path, again.Status)
		}
		if !strings.HasPrefix(path, "/static/") && !strings.Contains(z.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, z.Header.Get("Content-Security-Policy"))
		}
	}
	if r := fetch("/static/js/nothing.js", "gzip", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing file: %s", r.Status)
	}
	if r := fetch("/static/../index.html", "", ""); r.StatusCode == http.StatusOK && r.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("a path with .. reached a page without its headers")
	}
	if r := fetch("/static/icons/icon.svg", "identity;q=1, gzip;q=0", ""); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 still got %q", r.Header.Get("Content-Encoding"))
	}
}
