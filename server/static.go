package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// staticRoutes serves the web screens. The phone, dashboard, big screen
// and an event's overview and printable sheet are single pages; their paths carry the code or room id, which the page
// reads itself. Every file is read from the embedded front end once, at
// start, and compressible ones are gzipped then too, so that a phone on a
// slow network downloads as little as possible and the server does no
// compression work per request.
func (s *Server) staticRoutes() {
	files, err := loadAssets(s.deps.Web)
	if err != nil {
		s.deps.Logger.Error("cannot read the embedded web files", "err", err)
		files = map[string]*asset{}
	}
	page := func(name string) gin.HandlerFunc {
		a := files[name]
		return func(c *gin.Context) {
			if a == nil {
				c.Status(http.StatusNotFound)
				return
			}
			c.Header("Cache-Control", "no-cache")
			c.Header("Content-Security-Policy", contentSecurityPolicy)
			c.Header("X-Content-Type-Options", "nosniff")
			c.Header("Referrer-Policy", "no-referrer")
			a.serve(c)
		}
	}
	s.getAndHead("/", page("index.html"))
	s.getAndHead("/j/:code", page("index.html"))
	s.getAndHead("/new", page("new.html"))
	s.getAndHead("/signin", page("signin.html"))
	s.getAndHead("/account", page("account.html"))
	s.getAndHead("/plans", page("plans.html"))
	s.getAndHead("/plans/:id/edit", page("plan-edit.html"))
	s.getAndHead("/plans/:id/try", page("plan-try.html"))
	s.getAndHead("/accessibility", page("accessibility.html"))
	s.getAndHead("/f/:room", page("facilitator.html"))
	s.getAndHead("/p/:room", page("presenter.html"))
	s.getAndHead("/e/:event", page("event.html"))
	s.getAndHead("/e/:event/sheet", page("sheet.html"))
	s.getAndHead("/static/*path", func(c *gin.Context) {
		a := files["static/"+strings.TrimPrefix(c.Param("path"), "/")]
		if a == nil {
			c.Status(http.StatusNotFound)
			return
		}
		// Files have no content hash in their names, so browsers keep them
		// briefly and then revalidate with the ETag.
		c.Header("Cache-Control", "public, max-age=300")
		c.Header("X-Content-Type-Options", "nosniff")
		a.serve(c)
	})
}

// contentSecurityPolicy forbids inline script and foreign origins, so that
// even text that slipped into the page as markup could not run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"

// asset is one embedded file, ready to send: as it is and, when that is
// smaller, gzipped.
type asset struct {
	body  []byte
	gz    []byte // nil when gzip would not help
	ctype string
	etag  string // of body; the gzipped form's ETag adds "-gz"
}

// compressible are the types worth gzipping; images such as PNG are
// compressed already.
var compressible = map[string]bool{
	".html": true, ".js": true, ".css": true, ".svg": true, ".json": true, ".txt": true, ".map": true,
}

// loadAssets reads every file of the front end, keyed by its path
// ("index.html", "static/js/phone.js").
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	out := map[string]*asset{}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		a := &asset{body: body, ctype: contentType(ext)}
		sum := sha256.Sum256(body)
		a.etag = hex.EncodeToString(sum[:8])
		if compressible[ext] {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if buf.Len() < len(body) {
				a.gz = buf.Bytes()
			}
		}
		out[name] = a
		return nil
	})
	return out, err
}

func contentType(ext string) string {
	switch ext {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json":
		return "application/json"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// serve writes the asset, gzipped when the client accepts it, and answers
// a matching If-None-Match with 304.
func (a *asset) serve(c *gin.Context) {
	body, etag := a.body, `"`+a.etag+`"`
	if a.gz != nil {
		c.Header("Vary", "Accept-Encoding")
		if acceptsGzip(c.GetHeader("Accept-Encoding")) {
			body, etag = a.gz, `"`+a.etag+`-gz"`
			c.Header("Content-Encoding", "gzip")
		}
	}
	c.Header("ETag", etag)
	if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatches(inm, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Data(http.StatusOK, a.ctype, body)
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || strings.HasPrefix(q, "q=0.0") && strings.Trim(q[4:], "0") == "" {
			return false
		}
		return true
	}
	return false
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
