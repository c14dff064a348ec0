package server

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

func (s *Server) handlePlanList(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"plans": s.deps.Plans.List()})
}

func (s *Server) handlePlanGet(c *gin.Context) {
	p, ok := s.deps.Plans.Get(c.Param("id"))
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no plan with that id"))
		return
	}
	c.JSON(http.StatusOK, p)
}

// maxPlanBytes bounds an uploaded plan, as the plan parser does.
const maxPlanBytes = 256 << 10

// handlePlanUpload validates a YAML plan and stores it for every instance.
// It needs the same right as creating rooms.
func (s *Server) handlePlanUpload(c *gin.Context) {
	if !s.mayCreate(c) {
		s.fail(c, wire.Errorf(wire.CodeUnauthorized, "uploading plans on this server needs its access code"))
		return
	}
	src, err := io.ReadAll(io.LimitReader(c.Request.Body, maxPlanBytes+1))
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "could not read the plan"))
		return
	}
	if len(src) > maxPlanBytes {
		s.fail(c, wire.Errorf(wire.CodeTooLarge, "a plan may be at most %d KiB", maxPlanBytes>>10))
		return
	}
	p, err := plan.Parse("upload.yaml", src)
	if err != nil {
		s.fail(c, err)
		return
	}
	if src, ok := s.deps.Plans.Source(p.ID); ok && src != plan.SourceUpload {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "a %s plan already has the id %s; choose another id", src, p.ID))
		return
	}
	if err := s.deps.PlanStore.Save(c.Request.Context(), p.ID, src); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be stored; try again"))
		return
	}
	// Offer it here at once; the store's watch brings it to the others.
	if err := s.deps.Plans.Add(p, plan.SourceUpload); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, p.Summary())
}
