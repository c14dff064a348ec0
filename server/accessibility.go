package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// accessibilityInfo is what the accessibility statement fills in from the
// server's settings.
type accessibilityInfo struct {
	// Contact is --accessibility-contact; "" when not set.
	Contact string `json:"contact"`
}

// handleAccessibility answers GET /api/accessibility: the operator's
// contact line for the statement at /accessibility.
func (s *Server) handleAccessibility(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, accessibilityInfo{Contact: s.cfg.AccessibilityContact})
}
