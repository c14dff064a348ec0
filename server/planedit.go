package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	goyaml "github.com/goccy/go-yaml"

	"github.com/stoppunkt/stoppunkt/hub/natslog"
	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// handlePlanYAML downloads a plan the caller may see as its YAML, built-in
// plans too: what `stoppunkt plan show` prints, and what POST /api/plans
// takes back.
func (s *Server) handlePlanYAML(c *gin.Context) {
	p, ok := s.visiblePlan(c, c.Param("id"))
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no plan with that id"))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="`+p.ID+`.yaml"`)
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", p.Source)
}

// planYAML writes a plan as a plan file.
func planYAML(p *plan.Plan) (string, error) {
	b, err := goyaml.MarshalWithOptions(p, goyaml.UseLiteralStyleIfMultiline(true), goyaml.Indent(2))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// editor is the signed-in user who may edit plan id, or "" for the
// server without accounts; ok is false (and the request answered) when
// they may not. A plan nobody owns may be edited by whoever may create
// plans; an owned one only by its owner. Built-in and folder plans are
// copied, not edited.
func (s *Server) editor(c *gin.Context, id string) (user *accounts.User, ok bool) {
	user, may := s.creator(c)
	if !may {
		s.fail(c, s.creatorError("editing plans"))
		return nil, false
	}
	if src, found := s.deps.Plans.Source(id); found && src != plan.SourceUpload {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "a %s plan cannot be changed; make a copy of it", src))
		return nil, false
	}
	owner, _ := s.deps.Plans.Owner(id)
	head, _, err := s.deps.PlanRevisions.Head(c.Request.Context(), id)
	if err == nil {
		owner = head.Owner
	}
	if _, found := s.deps.Plans.Source(id); !found && head == nil {
		// A new plan: whoever saves it first owns it.
		return user, true
	}
	me := ""
	if user != nil {
		me = user.ID
	}
	if owner != me {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "you have no plan with that id"))
		return nil, false
	}
	return user, true
}

// readPlanBody reads a request body of at most max bytes, or answers the
// request (too_large beyond it).
func (s *Server) readPlanBody(c *gin.Context, max int) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, int64(max)+1))
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "could not read the plan"))
		return nil, false
	}
	if len(body) > max {
		s.fail(c, wire.Errorf(wire.CodeTooLarge, "a plan may be at most %d KiB", max>>10))
		return nil, false
	}
	return body, true
}

// editView is what the editor opens: the newest version of the plan (a
// draft too), and the sequence to save the next one against.
type editView struct {
	Plan     json.RawMessage `json:"plan"`
	Revision int             `json:"revision"`
	Base     uint64          `json:"base"`
	Draft    bool            `json:"draft"`
	Problems []plan.Problem  `json:"problems"`
	Saved    time.Time       `json:"saved,omitzero"`
	ByName   string          `json:"by_name,omitempty"`
	Shared   bool            `json:"shared"`
}

func (s *Server) handlePlanEdit(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.editor(c, id); !ok {
		return
	}
	head, seq, err := s.deps.PlanRevisions.Head(c.Request.Context(), id)
	var v editView
	switch {
	case err == nil:
		v = editView{Plan: head.Plan, Revision: head.N, Base: seq, Draft: head.Draft, Saved: head.Saved, ByName: head.ByName, Shared: head.Shared}
		v.Problems = problemsOf(head.Plan)
	case errors.Is(err, natslog.ErrNotFound):
		p, found := s.deps.Plans.Get(id)
		if !found {
			s.fail(c, wire.Errorf(wire.CodeNotFound, "no plan with that id"))
			return
		}
		b, _ := json.Marshal(p)
		_, shared := s.deps.Plans.Owner(id)
		v = editView{Plan: b, Shared: shared}
	default:
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be read; try again"))
		return
	}
	if v.Problems == nil {
		v.Problems = []plan.Problem{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, v)
}

// problemsOf validates a saved plan's JSON (a draft's problems).
func problemsOf(raw json.RawMessage) []plan.Problem {
	var p plan.Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		return []plan.Problem{{Message: err.Error()}}
	}
	return p.Validate()
}

type saveRequest struct {
	Plan json.RawMessage `json:"plan"`
	Base uint64          `json:"base"`
}

// saveAnswer is the answer to a save: the version made, and what to save
// the next one against.
type saveAnswer struct {
	Revision int            `json:"revision"`
	Base     uint64         `json:"base"`
	Draft    bool           `json:"draft"`
	Problems []plan.Problem `json:"problems"`
}

// conflictAnswer is a save that lost to another: both versions, so that
// nothing is lost.
type conflictAnswer struct {
	apiError
	Yours  json.RawMessage `json:"yours"`
	Theirs editView        `json:"theirs"`
}

// maxEditBytes bounds a saved plan's JSON.
const maxEditBytes = 512 << 10

// handlePlanSave saves the editor's plan as the next version: a plan that
// validates is offered for rooms at once on every instance; one that does
// not is kept as a draft with its problems.
func (s *Server) handlePlanSave(c *gin.Context) {
	id := c.Param("id")
	user, ok := s.editor(c, id)
	if !ok {
		return
	}
	body, ok := s.readPlanBody(c, maxEditBytes)
	if !ok {
		return
	}
	var req saveRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || len(req.Plan) == 0 {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object with plan and base"))
		return
	}
	var p plan.Plan
	if err := json.Unmarshal(req.Plan, &p); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the plan has a field that plans do not have: %v", err))
		return
	}
	if p.ID != id {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "a plan keeps its id; make a copy to give it another"))
		return
	}
	// Sharing is changed apart from saving (POST /api/plans/{id}/share),
	// so the catalog knows it best; a plan only ever saved as a draft is
	// not in the catalog.
	_, shared := s.deps.Plans.Owner(id)
	if _, inCatalog := s.deps.Plans.Get(id); !inCatalog {
		if head, _, err := s.deps.PlanRevisions.Head(c.Request.Context(), id); err == nil {
			shared = head.Shared
		}
	}
	s.saveVersion(c, &p, req.Plan, req.Base, user, shared, http.StatusCreated)
}

// saveVersion validates p, stores it as the plan's next version against
// base, offers it for rooms when it validates, and answers the request.
func (s *Server) saveVersion(c *gin.Context, p *plan.Plan, raw json.RawMessage, base uint64, user *accounts.User, shared bool, status int) {
	problems := p.Validate()
	src, err := planYAML(p)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the plan could not be written as YAML"))
		return
	}
	draft := len(problems) > 0
	var parsed *plan.Plan
	if !draft {
		// What is stored is what a file would be: it must read back, and
		// what it reads back as is what rooms get.
		if parsed, err = plan.Parse(p.ID+".yaml", []byte(src)); err != nil {
			draft, problems = true, []plan.Problem{{Message: err.Error()}}
		}
	}
	canonical, _ := json.Marshal(p)
	if raw == nil || !draft {
		raw = canonical
	}
	rev := natslog.Revision{Saved: time.Now().UTC(), Draft: draft, Source: src, Plan: raw, Shared: shared}
	if user != nil {
		rev.By, rev.ByName, rev.Owner = user.ID, user.Name, user.ID
	}
	saved, next, err := s.deps.PlanRevisions.Save(c.Request.Context(), p.ID, base, rev)
	if errors.Is(err, natslog.ErrConflict) {
		theirs := editView{Revision: saved.N, Base: next, Draft: saved.Draft, Saved: saved.Saved, ByName: saved.ByName, Plan: saved.Plan, Shared: saved.Shared}
		theirs.Problems = problemsOf(saved.Plan)
		c.AbortWithStatusJSON(http.StatusConflict, conflictAnswer{
			apiError: apiError{Code: string(wire.CodeStale), Message: "someone else saved this plan since you opened it; both versions are here"},
			Yours:    raw, Theirs: theirs})
		return
	}
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be saved; try again"))
		return
	}
	if !draft {
		if err := s.storePlanVersion(c, parsed, rev.Owner, shared, saved.N); err != nil {
			return
		}
	}
	s.audit(c, accounts.ActPlanUploaded, p.ID+" #"+strconv.Itoa(saved.N))
	if problems == nil {
		problems = []plan.Problem{}
	}
	c.JSON(status, saveAnswer{Revision: saved.N, Base: next, Draft: draft, Problems: problems})
}

// storePlanVersion offers a saved version for rooms on every instance: p
// is the plan as parsed from its file (p.Source).
func (s *Server) storePlanVersion(c *gin.Context, p *plan.Plan, owner string, shared bool, n int) error {
	if owner == "" {
		shared = false
	}
	st := plan.Stored{Owner: owner, Shared: shared, Revision: n, Source: string(p.Source)}
	if err := s.deps.PlanStore.Save(c.Request.Context(), p.ID, plan.EncodeStored(st)); err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the plan could not be stored; try again"))
		return err
	}
	if err := s.deps.Plans.AddOwned(p, plan.SourceUpload, owner, shared); err != nil {
		s.fail(c, err)
		return err
	}
	s.deps.Plans.SetRevision(p.ID, n)
	return nil
}

// startable returns the plan version a room starts from, and its number:
// the newest saved version, read from the store (the catalog of this
// instance may not have heard of a save on another instance a moment
// ago). A newest version that is a draft with problems cannot be started:
// the request is answered and ok is false.
func (s *Server) startable(c *gin.Context, p *plan.Plan) (*plan.Plan, int, bool) {
	n := s.deps.Plans.Revision(p.ID)
	if src, _ := s.deps.Plans.Source(p.ID); src != plan.SourceUpload {
		return p, n, true
	}
	head, _, err := s.deps.PlanRevisions.Head(c.Request.Context(), p.ID)
	if err != nil {
		return p, n, true
	}
	if head.Draft {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "the plan's newest version has problems; fix them in the editor before starting a room"))
		return nil, 0, false
	}
	if head.N != n {
		if newer, err := plan.Parse(p.ID+".yaml", []byte(head.Source)); err == nil {
			return newer, head.N, true
		}
	}
	return p, n, true
}

// handlePlanRevisions lists a plan's versions, newest first.
func (s *Server) handlePlanRevisions(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.editor(c, id); !ok {
		return
	}
	list, err := s.deps.PlanRevisions.List(c.Request.Context(), id)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeUnavailable, "the versions could not be read; try again"))
		return
	}
	if list == nil {
		list = []natslog.Revision{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"revisions": list})
}

// handlePlanRevision returns one version of a plan, for comparing.
func (s *Server) handlePlanRevision(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.editor(c, id); !ok {
		return
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such version"))
		return
	}
	rev, err := s.deps.PlanRevisions.Get(c.Request.Context(), id, n)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such version"))
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, rev)
}

type restoreRequest struct {
	Base uint64 `json:"base"`
}

// handlePlanRestore saves an earlier version again, as the newest.
func (s *Server) handlePlanRestore(c *gin.Context) {
	id := c.Param("id")
	user, ok := s.editor(c, id)
	if !ok {
		return
	}
	var req restoreRequest
	if !s.decodeJSON(c, &req, "base") {
		return
	}
	n, _ := strconv.Atoi(c.Param("n"))
	rev, err := s.deps.PlanRevisions.Get(c.Request.Context(), id, n)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such version"))
		return
	}
	var p plan.Plan
	if err := json.Unmarshal(rev.Plan, &p); err != nil {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "that version cannot be read"))
		return
	}
	s.saveVersion(c, &p, rev.Plan, req.Base, user, rev.Shared, http.StatusCreated)
}

type copyRequest struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// handlePlanCopy makes a new plan, the caller's, from any plan they may
// see: the way to adapt a built-in plan.
func (s *Server) handlePlanCopy(c *gin.Context) {
	user, may := s.creator(c)
	if !may {
		s.fail(c, s.creatorError("copying plans"))
		return
	}
	from, ok := s.visiblePlan(c, c.Param("id"))
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no plan with that id"))
		return
	}
	var req copyRequest
	if !s.decodeJSON(c, &req, "id and title") {
		return
	}
	req.ID = strings.TrimSpace(req.ID)
	if _, taken := s.deps.Plans.Get(req.ID); taken {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "a plan already has the id %s; choose another", req.ID))
		return
	}
	if _, _, err := s.deps.PlanRevisions.Head(c.Request.Context(), req.ID); err == nil {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "a plan already has the id %s; choose another", req.ID))
		return
	}
	b, _ := json.Marshal(from)
	var p plan.Plan
	_ = json.Unmarshal(b, &p)
	p.ID = req.ID
	if t := strings.TrimSpace(req.Title); t != "" {
		p.Title = t
	}
	if problems := p.Validate(); len(problems) > 0 {
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, apiError{Code: string(wire.CodeInvalid), Message: "the copy is not valid", Details: problems})
		return
	}
	s.saveVersion(c, &p, nil, 0, user, false, http.StatusCreated)
}

// handlePlanFields tells an editor what a plan may hold: the step kinds,
// the languages, and every step field with its type and kinds.
func (s *Server) handlePlanFields(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	c.JSON(http.StatusOK, gin.H{"kinds": plan.Kinds, "languages": plan.Languages, "step_fields": plan.StepFields(),
		"max_image_bytes": MaxImageBytes})
}

// handlePlanValidate checks a plan as the editor has it, without saving:
// its problems, each with the field it is about.
func (s *Server) handlePlanValidate(c *gin.Context) {
	if _, ok := s.creator(c); !ok {
		s.fail(c, s.creatorError("editing plans"))
		return
	}
	body, ok := s.readPlanBody(c, maxEditBytes)
	if !ok {
		return
	}
	var p plan.Plan
	if err := json.Unmarshal(body, &p); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the plan has a field that plans do not have: %v", err))
		return
	}
	problems := p.Validate()
	if problems == nil {
		problems = []plan.Problem{}
	}
	c.JSON(http.StatusOK, gin.H{"problems": problems})
}

// handlePlanParse reads a YAML plan file into the plan the editor holds,
// without saving it: {"plan": {…}, "problems": […]}; a file that is not a
// plan at all (YAML syntax, unknown fields) is 422 with its problems,
// each with its line.
func (s *Server) handlePlanParse(c *gin.Context) {
	if _, ok := s.creator(c); !ok {
		s.fail(c, s.creatorError("editing plans"))
		return
	}
	src, ok := s.readPlanBody(c, maxPlanBytes)
	if !ok {
		return
	}
	p, err := plan.ParseDraft("upload.yaml", src)
	if err != nil {
		s.fail(c, err)
		return
	}
	problems := p.Validate()
	if problems == nil {
		problems = []plan.Problem{}
	}
	c.JSON(http.StatusOK, gin.H{"plan": p, "problems": problems})
}
