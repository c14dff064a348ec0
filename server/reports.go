package server

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// bearer returns the secret of an Authorization: Bearer header. Keys never
// travel in URLs, which proxies and servers log.
func bearer(c *gin.Context) string {
	got, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return got
}

// reportFormat reads ?format= (default md) and checks it is one of
// formats; it answers the request itself when it is not.
func (s *Server) reportFormat(c *gin.Context, formats []string) (string, bool) {
	format := c.DefaultQuery("format", report.FormatMarkdown)
	if !slices.Contains(formats, format) {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "format must be %s", strings.Join(formats, ", ")))
		return "", false
	}
	return format, true
}

// reportOptions are a report's options from the request and the server's
// time zone.
func (s *Server) reportOptions(c *gin.Context) report.Options {
	return report.Options{IncludeAll: c.Query("include") == "all", Now: time.Now(), Location: s.cfg.TimeZone}
}

// sendReport sends a written report: the page to print inline, under the
// same Content-Security-Policy as every page, anything else as a download.
func (s *Server) sendReport(c *gin.Context, name, format string, body []byte) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	if format == report.FormatHTML {
		c.Header("Content-Security-Policy", contentSecurityPolicy)
		c.Header("Referrer-Policy", "no-referrer")
		c.Header("Content-Disposition", `inline; filename="`+name+`.html"`)
	} else {
		c.Header("Content-Disposition", `attachment; filename="`+name+`.`+format+`"`)
	}
	c.Data(http.StatusOK, report.ContentType(format), body)
}

// handleRoomReport exports a room: ?format=md|csv|json|xlsx|html,
// ?include=all for texts not approved.
func (s *Server) handleRoomReport(c *gin.Context) {
	format, ok := s.reportFormat(c, report.Formats)
	if !ok {
		return
	}
	opts := s.reportOptions(c)
	var rep *report.Report
	var kept error
	ctx, _ := s.roomAccess(c, accounts.KindRoom, c.Param("room"), true)
	err := s.deps.Hub.WithRoom(ctx, c.Param("room"), bearer(c), func(st *room.State) {
		if st.Forgotten != nil {
			// Only the report kept when the texts were forgotten is left.
			rep, kept = forgottenReport(st)
			return
		}
		rep = report.Build(st, opts)
	})
	if err == nil {
		err = kept
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, format); err != nil {
		s.fail(c, fmt.Errorf("write room report: %w", err))
		return
	}
	s.audit(c, accounts.ActRoomExported, rep.Code)
	s.sendReport(c, "stoppunkt-"+rep.Code, format, buf.Bytes())
}

// handleRoomDelete deletes a room's data now.
func (s *Server) handleRoomDelete(c *gin.Context) {
	ctx, _ := s.roomAccess(c, accounts.KindRoom, c.Param("room"), true)
	code := s.roomCode(ctx, c.Param("room"), bearer(c))
	if err := s.deps.Hub.DeleteRoom(ctx, c.Param("room"), bearer(c)); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.deps.Accounts.ForgetLinks(c.Request.Context(), accounts.KindRoom, c.Param("room")); err != nil {
		s.deps.Logger.Warn("links to a deleted room not removed", "err", err)
	}
	s.audit(c, accounts.ActRoomDeleted, code)
	c.Status(http.StatusNoContent)
}
