package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// previewCode is the join code a preview shows: well formed, and never a
// room's (codes of rooms are drawn at random; this one is reserved here
// for the picture only and joins nothing).
const previewCode = "PRVWSS"

type previewRequest struct {
	Plan json.RawMessage `json:"plan"`
	Step int             `json:"step"`
}

// handlePlanPreview answers what the big screen (and a phone's preview)
// would be sent for a step of a plan, with no room: a room's state is made
// in memory from the plan by the same code that runs rooms, moved to the
// step, and its welcome and snapshot for the presenter role are returned.
// The editor feeds them to the real phone and big-screen pages in frames.
func (s *Server) handlePlanPreview(c *gin.Context) {
	if _, ok := s.creator(c); !ok {
		s.fail(c, s.creatorError("previewing plans"))
		return
	}
	body, ok := s.readPlanBody(c, maxEditBytes)
	if !ok {
		return
	}
	var req previewRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object with plan and step"))
		return
	}
	var p plan.Plan
	if err := json.Unmarshal(req.Plan, &p); err != nil || len(p.Steps) == 0 || len(p.Steps) > plan.MaxSteps {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the plan cannot be shown"))
		return
	}
	if req.Step < 0 || req.Step >= len(p.Steps) {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "no step %d", req.Step))
		return
	}
	now := time.Now().UnixMilli()
	st := room.New()
	room.Apply(st, 1, &room.Event{Type: room.EvCreated, At: now, Created: &room.Created{Room: "preview", Code: previewCode,
		Plan: s.deps.Hub.Config().HelpCard.Apply(&p), ExpiresAt: now + time.Hour.Milliseconds()}})
	room.Apply(st, 2, &room.Event{Type: room.EvJoinPanel, At: now, JoinPanel: &room.JoinPanelChange{Size: room.JoinSmall}})
	seq := uint64(2)
	if req.Step > 0 {
		seq++
		room.Apply(st, seq, &room.Event{Type: room.EvGoto, At: now, Goto: &room.Goto{From: 0, To: req.Step}})
	}
	if !st.Exists() {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the plan cannot be shown"))
		return
	}
	frames := []wire.Out{
		{Type: wire.TypeWelcome, Data: wire.Welcome{Protocol: wire.Version, Role: wire.RolePresenter, Room: "preview", Code: previewCode,
			Epoch: "preview", Seq: seq, ServerTime: now}},
		{Type: wire.TypeSnapshot, Seq: seq, Data: room.Snapshot(st, wire.RolePresenter, "")},
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"frames": frames})
}
