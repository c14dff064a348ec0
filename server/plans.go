package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/natslog"
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
	src, ok := s.readPlanBody(c, maxPlanBytes)
	if !ok {
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
	// An upload is the plan's next version, whatever was saved before;
	// its file is kept as written (comments and all).
	_, base, err := s.deps.PlanRevisions.Head(c.Request.Context(), p.ID)
	if err != nil && !errors.Is(err, natslog.ErrNotFound) {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be stored; try again"))
		return
	}
	canonical, _ := json.Marshal(p)
	rev := natslog.Revision{Saved: time.Now().UTC(), Owner: ownerID, Shared: shared, Source: string(src), Plan: canonical}
	if owner != nil {
		rev.By, rev.ByName = owner.ID, owner.Name
	}
	saved, _, err := s.deps.PlanRevisions.Save(c.Request.Context(), p.ID, base, rev)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be stored; try again"))
		return
	}
	if err := s.storePlanVersion(c, p, ownerID, shared, saved.N); err != nil {
		return
	}
	s.audit(c, accounts.ActPlanUploaded, p.ID)
	sum := p.Summary()
	sum.Source, sum.Mine, sum.Shared, sum.Revision = plan.SourceUpload, ownerID != "", ownerID != "" && shared, saved.N
	c.JSON(http.StatusCreated, sum)
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
	// The catalog's plan carries the file it was read from (p.Source).
	if err := s.storePlanVersion(c, p, owner, req.Shared, s.deps.Plans.Revision(id)); err != nil {
		return
	}
	s.audit(c, accounts.ActPlanShared, id)
	c.Status(http.StatusNoContent)
}
