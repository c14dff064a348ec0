package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/helpcard"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// settingsView is GET /api/admin/settings: the organisation's settings and
// the server's, which bound them.
type settingsView struct {
	Name      string   `json:"name"`
	HelpLines []string `json:"help_lines"`
	// RetentionHours keeps new rooms for this long (0: the server's).
	RetentionHours int `json:"retention_hours"`
	// ServerRetentionHours is --retention, the longest allowed.
	ServerRetentionHours int `json:"server_retention_hours"`
	// ServerHelpLines are --help-file's lines, shown after the
	// organisation's.
	ServerHelpLines []string  `json:"server_help_lines"`
	Updated         time.Time `json:"updated,omitzero"`
}

// maxOrgName bounds the organisation's name.
const maxOrgName = 120

func (s *Server) handleSettingsGet(c *gin.Context) {
	if s.adminOr403(c) == nil {
		return
	}
	o, err := s.deps.Accounts.Org(c.Request.Context())
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the server cannot reach its storage; try again"))
		return
	}
	cfg := s.deps.Hub.Config()
	lines := cfg.HelpCard.Lines
	if lines == nil {
		lines = []string{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, settingsView{Name: o.Name, HelpLines: o.HelpLines, RetentionHours: int(o.Retention / time.Hour),
		ServerRetentionHours: int(cfg.Retention / time.Hour), ServerHelpLines: lines, Updated: o.Updated})
}

type settingsRequest struct {
	Name           string   `json:"name"`
	HelpLines      []string `json:"help_lines"`
	RetentionHours int      `json:"retention_hours"`
}

// handleSettingsPut saves the organisation's settings. They apply to
// rooms created from then on; a running room keeps what it started with.
func (s *Server) handleSettingsPut(c *gin.Context) {
	si := s.adminOr403(c)
	if si == nil {
		return
	}
	var req settingsRequest
	if !s.decodeJSON(c, &req, "name, help_lines and retention_hours") {
		return
	}
	name, err := wire.CheckName(strings.TrimSpace(req.Name), maxOrgName)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the name must be one line of at most %d characters", maxOrgName))
		return
	}
	lines, _, err := helpcard.CheckLines(req.HelpLines)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "help lines: %v", err))
		return
	}
	max := int(s.deps.Hub.Config().Retention / time.Hour)
	if req.RetentionHours < 0 || req.RetentionHours > max {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "retention_hours must be from 0 (the server's) to %d", max))
		return
	}
	o := accounts.Org{Name: name, HelpLines: lines, Retention: time.Duration(req.RetentionHours) * time.Hour}
	if err := s.deps.Accounts.SetOrg(c.Request.Context(), o, si.user.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, accounts.ActOrgChanged, "")
	c.Status(http.StatusNoContent)
}

// orgRoom is what the organisation's settings give a new room. Settings
// that cannot be read give nothing: the server's own then apply.
func (s *Server) orgRoom(ctx context.Context) hub.OrgRoomSettings {
	if s.deps.Accounts == nil {
		return hub.OrgRoomSettings{}
	}
	o, err := s.deps.Accounts.Org(ctx)
	if err != nil {
		s.deps.Logger.Warn("organisation settings not read; the server's apply", "err", err)
		return hub.OrgRoomSettings{}
	}
	return hub.OrgRoomSettings{HelpLines: o.HelpLines, Retention: o.Retention}
}
