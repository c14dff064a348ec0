package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// handleRoomForget forgets an ended room's texts, keeping only its report
// of approved texts: POST /api/rooms/{room}/forget with the facilitator key.
func (s *Server) handleRoomForget(c *gin.Context) {
	loc := s.cfg.TimeZone
	keep := func(st *room.State) ([]byte, error) {
		rep := report.Build(st, report.Options{Now: time.Now(), Location: loc})
		var buf bytes.Buffer
		if err := rep.Write(&buf, report.FormatJSON); err != nil {
			return nil, fmt.Errorf("write the report to keep: %w", err)
		}
		return buf.Bytes(), nil
	}
	ctx, _ := s.roomAccess(c, accounts.KindRoom, c.Param("room"), true)
	if err := s.deps.Hub.ForgetRoom(ctx, c.Param("room"), bearer(c), keep); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, accounts.ActRoomForgotten, s.roomCode(ctx, c.Param("room"), bearer(c)))
	c.Status(http.StatusNoContent)
}

// forgottenReport is the report kept when a room's texts were forgotten.
func forgottenReport(st *room.State) (*report.Report, error) {
	var rep report.Report
	if err := json.Unmarshal(st.Forgotten, &rep); err != nil {
		return nil, fmt.Errorf("read the kept report: %w", err)
	}
	return &rep, nil
}
