package server

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// roomInfo is what GET /api/rooms/{room} tells the holder of the
// facilitator key: enough for a list of one's rooms, nothing any
// participant wrote.
type roomInfo struct {
	Room         string    `json:"room"`
	Code         string    `json:"code"`
	Title        string    `json:"title"`
	Plan         string    `json:"plan"`
	Language     string    `json:"language"`
	Event        string    `json:"event,omitempty"`
	Name         string    `json:"name,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Step         int       `json:"step"`
	Steps        int       `json:"steps"`
	Participants int       `json:"participants"`
	Locked       bool      `json:"locked"`
	Ended        bool      `json:"ended"`
	// Forgotten: the room's texts were forgotten; only its report is kept.
	Forgotten bool `json:"forgotten,omitempty"`
	// ForgetAfterReport is the room setting "forget after the report".
	ForgetAfterReport bool `json:"forget_after_report,omitempty"`
	// PlanRevision is the saved version of the plan the room started from.
	PlanRevision int `json:"plan_revision,omitempty"`
	// Part is the signed-in user's part in the room, when they came in by
	// their account rather than the key.
	Part accounts.Part `json:"part,omitempty"`
}

// roomCode is a room's join code, for the audit log ("" if unknown).
func (s *Server) roomCode(ctx context.Context, roomID, key string) string {
	code := ""
	_ = s.deps.Hub.WithRoom(ctx, roomID, key, func(st *room.State) { code = st.Code })
	return code
}

// handleRoomInfo answers whether a room still exists and where it stands,
// for the facilitator key in the Authorization header.
func (s *Server) handleRoomInfo(c *gin.Context) {
	var info roomInfo
	ctx, link := s.roomAccess(c, accounts.KindRoom, c.Param("room"), false)
	if link != nil {
		info.Part = link.Part
	}
	err := s.deps.Hub.WithRoom(ctx, c.Param("room"), bearer(c), func(st *room.State) {
		info = roomInfo{Part: info.Part,
			Room: st.RoomID, Code: st.Code, Title: st.Plan.Title, Plan: st.Plan.ID, Language: st.Plan.Language,
			Event: st.Event, Name: st.Name,
			CreatedAt: s.inZone(st.CreatedAt), ExpiresAt: s.inZone(st.ExpiresAt),
			Step: st.Step, Steps: len(st.Plan.Steps), Participants: st.ActiveCount(), Locked: st.Locked, Ended: st.Ended, Forgotten: st.Forgotten != nil, ForgetAfterReport: st.ForgetAfterReport, PlanRevision: st.PlanRevision,
		}
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(200, info)
}

// inZone is a room's time in milliseconds, in the server's time zone.
func (s *Server) inZone(ms int64) time.Time {
	t := time.UnixMilli(ms)
	if s.cfg.TimeZone != nil {
		t = t.In(s.cfg.TimeZone)
	}
	return t
}
