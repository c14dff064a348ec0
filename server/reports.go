package server

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// bearer returns the secret of an Authorization: Bearer header. Keys never
// travel in URLs, which proxies and servers log.
func bearer(c *gin.Context) string {
	got, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return got
}

// handleRoomReport exports a room: ?format=md|csv|json, ?include=all for
// texts not approved.
func (s *Server) handleRoomReport(c *gin.Context) {
	format := c.DefaultQuery("format", report.FormatMarkdown)
	ctype := report.ContentType(format)
	if ctype == "" {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "format must be md, csv or json"))
		return
	}
	includeAll := c.Query("include") == "all"
	var rep *report.Report
	err := s.deps.Hub.WithRoom(c.Request.Context(), c.Param("room"), bearer(c), func(st *room.State) {
		rep = report.Build(st, includeAll, time.Now())
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, format); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="stoppunkt-`+rep.Code+`.`+format+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, ctype, buf.Bytes())
}

// handleRoomDelete deletes a room's data now.
func (s *Server) handleRoomDelete(c *gin.Context) {
	if err := s.deps.Hub.DeleteRoom(c.Request.Context(), c.Param("room"), bearer(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
