package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// requestID gives every request an id, taken from X-Request-ID when a
// proxy set a sane one, and returns it in the response.
func (s *Server) requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || !isToken(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set("request_id", id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

func isToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// accessLog logs each request without its query string, headers or body,
// so that no key, token or text ends up in a log.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		path := c.FullPath()
		if path == "" {
			path = "(unmatched)"
		}
		level := s.deps.Logger.Debug
		if c.Writer.Status() >= 500 {
			level = s.deps.Logger.Warn
		}
		level("http request",
			"request_id", c.GetString("request_id"),
			"method", c.Request.Method,
			"route", path,
			"status", c.Writer.Status(),
			"duration_ms", time.Since(start).Milliseconds(),
		)
	}
}

// recover turns a panic in a handler into a 500 and a log line.
func (s *Server) recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				s.deps.Logger.Error("handler panic", "request_id", c.GetString("request_id"), "panic", v)
				c.AbortWithStatusJSON(http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error"})
			}
		}()
		c.Next()
	}
}
