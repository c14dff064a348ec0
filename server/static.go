package server

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// staticRoutes serves the web screens. The phone, dashboard and big screen
// are single pages; their paths carry the code or room id, which the page
// reads itself.
func (s *Server) staticRoutes() {
	assets, err := fs.Sub(s.deps.Web, "static")
	if err != nil {
		assets = s.deps.Web
	}
	files := http.FS(assets)
	page := func(name string) gin.HandlerFunc {
		return func(c *gin.Context) {
			data, err := fs.ReadFile(s.deps.Web, name)
			if err != nil {
				c.Status(http.StatusNotFound)
				return
			}
			c.Header("Cache-Control", "no-cache")
			c.Header("Content-Security-Policy", contentSecurityPolicy)
			c.Header("X-Content-Type-Options", "nosniff")
			c.Header("Referrer-Policy", "no-referrer")
			c.Data(http.StatusOK, "text/html; charset=utf-8", data)
		}
	}
	s.engine.GET("/", page("index.html"))
	s.engine.GET("/j/:code", page("index.html"))
	s.engine.GET("/f/:room", page("facilitator.html"))
	s.engine.GET("/p/:room", page("presenter.html"))
	s.engine.GET("/static/*path", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Header("X-Content-Type-Options", "nosniff")
		c.FileFromFS(c.Param("path"), files)
	})
}

// contentSecurityPolicy forbids inline script and foreign origins, so that
// even text that slipped into the page as markup could not run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
