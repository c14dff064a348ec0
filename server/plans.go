package server

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// viewer is the account id plans are listed for ("" when not signed in).
func (s *Server) viewer(c *gin.Context) string {
	if si := s.who(c); si != nil {
		return si.user.ID
	}
	return ""
}

func (s *Server) handlePlanList(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"plans": s.deps.Plans.ListFor(s.viewer(c), false)})
}

// visiblePlan returns a plan the request may see and use: nobody's,
// shared, or the signed-in user's own. Another's private plan is
// answered as if it did not exist.
func (s *Server) visiblePlan(c *gin.Context, id string) (*plan.Plan, bool) {
	p, ok := s.deps.Plans.Get(id)
	if !ok || !s.deps.Plans.Visible(id, s.viewer(c)) {
		return nil, false
	}
	return p, true
}

func (s *Server) handlePlanGet(c *gin.Context) {
	p, ok := s.visiblePlan(c, c.Param("id"))
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no plan with that id"))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, p)
}

// maxPlanBytes bounds an uploaded plan, as the plan parser does.
const maxPlanBytes = 256 << 10

// handlePlanUpload validates a YAML plan and stores it for every instance.
// It needs the same right as creating rooms. A signed-in user's plan is
// theirs: private until they share it (?shared=true shares it at once).
func (s *Server) handlePlanUpload(c *gin.Context) {
	owner, ok := s.creator(c)
	if !ok {
		s.fail(c, s.creatorError("uploading plans"))
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
	ownerID := ""
	if owner != nil {
		ownerID = owner.ID
	}
	if prev, _ := s.deps.Plans.Owner(p.ID); prev != "" && prev != ownerID {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "another facilitator's plan has the id %s; choose another id", p.ID))
		return
	}
	shared := c.Query("shared") == "true"
	if _, was := s.deps.Plans.Owner(p.ID); was && c.Query("shared") == "" {
		shared = was // a new version keeps its sharing
	}
	if err := s.storePlan(c, p, string(src), ownerID, shared); err != nil {
		return
	}
	s.audit(c, accounts.ActPlanUploaded, p.ID)
	sum := p.Summary()
	sum.Source, sum.Mine, sum.Shared = plan.SourceUpload, ownerID != "", ownerID != "" && shared
	c.JSON(http.StatusCreated, sum)
}

// storePlan saves a plan's source for every instance and offers it here
// at once (the store's watch brings it to the others); it answers the
// request itself on failure.
func (s *Server) storePlan(c *gin.Context, p *plan.Plan, src, owner string, shared bool) error {
	if owner == "" {
		shared = false
	}
	if err := s.deps.PlanStore.Save(c.Request.Context(), p.ID, plan.EncodeStored(plan.Stored{Owner: owner, Shared: shared, Source: src})); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be stored; try again"))
		return err
	}
	if err := s.deps.Plans.AddOwned(p, plan.SourceUpload, owner, shared); err != nil {
		s.fail(c, err)
		return err
	}
	return nil
}

type planShareRequest struct {
	Shared bool `json:"shared"`
}

// handlePlanShare shares one's own uploaded plan with the organisation,
// or makes it private again.
func (s *Server) handlePlanShare(c *gin.Context) {
	si := s.signedInOr401(c)
	if si == nil {
		return
	}
	id := c.Param("id")
	p, ok := s.deps.Plans.Get(id)
	owner, _ := s.deps.Plans.Owner(id)
	if !ok || owner != si.user.ID {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "you have no plan with that id"))
		return
	}
	var req planShareRequest
	if !s.decodeJSON(c, &req, "shared") {
		return
	}
	src, ok := s.deps.PlanStore.Source(c.Request.Context(), id)
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be read; try again"))
		return
	}
	if err := s.storePlan(c, p, src, owner, req.Shared); err != nil {
		return
	}
	s.audit(c, accounts.ActPlanShared, id)
	c.Status(http.StatusNoContent)
}
