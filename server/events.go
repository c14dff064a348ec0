package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/report"
	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// createEventRequest is the body of POST /api/events.
type createEventRequest struct {
	Plan  string   `json:"plan"`
	Name  string   `json:"name"`
	Rooms int      `json:"rooms"`
	Names []string `json:"room_names"`
	// ForgetAfterReport is every room's setting "forget after the report".
	ForgetAfterReport bool `json:"forget_after_report"`
}

// eventSheet is an event with every room's links: what the organizer
// prints and hands out. Facilitator links carry keys: keep it private.
type eventSheet struct {
	Event       string      `json:"event"`
	Name        string      `json:"name"`
	Plan        string      `json:"plan"`
	Key         string      `json:"key,omitempty"`
	Closed      bool        `json:"closed"`
	ExpiresAt   time.Time   `json:"expires_at"`
	OverviewURL string      `json:"overview_url"`
	SheetURL    string      `json:"sheet_url"`
	Rooms       []sheetRoom `json:"rooms"`
}

type sheetRoom struct {
	Name           string `json:"name"`
	Room           string `json:"room"`
	Code           string `json:"code"`
	JoinURL        string `json:"join_url"`
	FacilitatorURL string `json:"facilitator_url"`
	PresenterURL   string `json:"presenter_url"`
	QRURL          string `json:"qr_url"`
}

// sheet lists the event's rooms. The overview and sheet links are for the
// organizer who asked (ownURL); every room's links are handed out to
// facilitators and phones on other machines, so they use the join base.
func (s *Server) sheet(c *gin.Context, rec *hub.EventRecord, key string) eventSheet {
	own, base := s.ownURL(c), s.joinBase(c)
	out := eventSheet{Event: rec.ID, Name: rec.Name, Plan: rec.Plan, Closed: rec.Closed,
		ExpiresAt:   time.UnixMilli(rec.ExpiresAt).UTC(),
		OverviewURL: own + "/e/" + rec.ID + "#key=" + key,
		SheetURL:    own + "/e/" + rec.ID + "/sheet#key=" + key}
	for _, r := range rec.Rooms {
		rk := hub.DeriveRoomKey(key, r.Room)
		out.Rooms = append(out.Rooms, sheetRoom{Name: r.Name, Room: r.Room, Code: r.Code,
			JoinURL:        base + "/j/" + r.Code,
			FacilitatorURL: base + "/f/" + r.Room + "#key=" + rk,
			PresenterURL:   base + "/p/" + r.Room + "#key=" + hub.PresenterKey(rk),
			QRURL:          base + "/qr/" + r.Code + ".png"})
	}
	return out
}

func (s *Server) handleEventCreate(c *gin.Context) {
	owner, ok := s.creator(c)
	if !ok {
		s.fail(c, s.creatorError("creating events"))
		return
	}
	var req createEventRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object with plan, name and rooms or room_names"))
		return
	}
	p, ok := s.visiblePlan(c, req.Plan)
	if !ok {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no plan with that id"))
		return
	}
	p, revision, ok := s.startable(c, p)
	if !ok {
		return
	}
	created, err := s.deps.Hub.CreateEvent(c.Request.Context(), hub.NewEvent{Name: req.Name, Plan: p, Count: req.Rooms, Names: req.Names, Org: s.orgRoom(c.Request.Context()),
		ForgetAfterReport: req.ForgetAfterReport, PlanRevision: revision})
	if err != nil {
		s.fail(c, err)
		return
	}
	if owner != nil {
		l := accounts.Link{Kind: accounts.KindEvent, ID: created.Record.ID, User: owner.ID, Part: accounts.PartOwner,
			Title: created.Record.Name, Plan: p.ID, Created: time.Now().UTC(), Expires: time.UnixMilli(created.Record.ExpiresAt).UTC(),
			Key: created.Key, Name: owner.Name, Email: owner.Email}
		if err := s.deps.Accounts.PutLink(c.Request.Context(), l); err != nil {
			s.deps.Logger.Warn("event not added to its owner's list", "err", err)
		}
	}
	s.audit(c, accounts.ActEventCreated, created.Record.Name)
	out := s.sheet(c, created.Record, created.Key)
	out.Key = created.Key
	c.JSON(http.StatusCreated, out)
}

func (s *Server) handleEventGet(c *gin.Context) {
	rec, err := s.deps.Hub.OrganizerEvent(c.Request.Context(), c.Param("event"), s.eventKey(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, s.sheet(c, rec, s.eventKey(c)))
}

// handleEventSheetCSV is the printable sheet as CSV.
func (s *Server) handleEventSheetCSV(c *gin.Context) {
	rec, err := s.deps.Hub.OrganizerEvent(c.Request.Context(), c.Param("event"), s.eventKey(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	sh := s.sheet(c, rec, s.eventKey(c))
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"name", "code", "join_url", "facilitator_url", "presenter_url"})
	for _, r := range sh.Rooms {
		_ = w.Write([]string{report.CSVSafe(r.Name), r.Code, r.JoinURL, r.FacilitatorURL, r.PresenterURL})
	}
	w.Flush()
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `attachment; filename="stoppunkt-event-`+rec.ID+`.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

type announceRequest struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Step *int   `json:"step"`
}

// announceResponse is an announcement's result; when some rooms failed it
// also carries the error fields of every REST error, so that a client that
// reads only those sees a retryable failure.
type announceResponse struct {
	*hub.AnnounceResult
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Retry   bool   `json:"retry,omitempty"`
}

func (s *Server) handleEventAnnounce(c *gin.Context) {
	var req announceRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object with text and/or step, and optionally id"))
		return
	}
	res, err := s.deps.Hub.Announce(c.Request.Context(), c.Param("event"), s.eventKey(c), hub.Announcement{ID: req.ID, Text: req.Text, Step: req.Step})
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(res.Failed) == 0 {
		c.JSON(http.StatusOK, announceResponse{AnnounceResult: res})
		return
	}
	// Some rooms failed: the status is that of a failure a retry may
	// complete (else of the first), and the body says which rooms, and
	// that sending the same id again completes them.
	first := res.Failed[0]
	for _, f := range res.Failed {
		if f.Retry {
			first = f
			break
		}
	}
	status := StatusOf(first.Code)
	msg := fmt.Sprintf("the announcement failed in %d of %d rooms (%s)", len(res.Failed), res.Rooms, first.Message)
	if res.Retry() {
		msg += "; send the same request again, with the same id, to complete them"
	}
	c.JSON(status, announceResponse{AnnounceResult: res, Code: string(first.Code), Message: msg, Retry: res.Retry()})
}

func (s *Server) handleEventClose(c *gin.Context) {
	if err := s.deps.Hub.CloseEvent(c.Request.Context(), c.Param("event"), s.eventKey(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, accounts.ActEventClosed, c.Param("event"))
	c.Status(http.StatusNoContent)
}

func (s *Server) handleEventDelete(c *gin.Context) {
	if err := s.deps.Hub.DeleteEvent(c.Request.Context(), c.Param("event"), s.eventKey(c)); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.deps.Accounts.ForgetLinks(c.Request.Context(), accounts.KindEvent, c.Param("event")); err != nil {
		s.deps.Logger.Warn("links to a deleted event not removed", "err", err)
	}
	s.audit(c, accounts.ActEventDeleted, c.Param("event"))
	c.Status(http.StatusNoContent)
}

func (s *Server) handleEventReport(c *gin.Context) {
	format, ok := s.reportFormat(c, report.EventFormats)
	if !ok {
		return
	}
	opts := s.reportOptions(c)
	var b *report.EventBuilder
	rec, err := s.deps.Hub.EventRooms(c.Request.Context(), c.Param("event"), s.eventKey(c), func(er hub.EventRoom, st *room.State) {
		if b == nil {
			b = report.NewEventBuilder(st.Event, "", st.Plan.ID, st.Plan.Language, opts)
		}
		b.Add(er.Name, st)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if b == nil {
		lang := ""
		if p, ok := s.deps.Plans.Get(rec.Plan); ok {
			lang = p.Language
		}
		b = report.NewEventBuilder(rec.ID, rec.Name, rec.Plan, lang, opts)
	}
	rep := b.Finish()
	rep.Event, rep.Name, rep.Plan = rec.ID, rec.Name, rec.Plan
	var buf bytes.Buffer
	if err := rep.Write(&buf, format); err != nil {
		s.fail(c, fmt.Errorf("write event report: %w", err))
		return
	}
	s.audit(c, accounts.ActEventExported, rec.Name)
	s.sendReport(c, "stoppunkt-event-"+rec.ID, format, buf.Bytes())
}

// eventKey is the organizer key a request acts with: the Authorization
// header's, or for the signed-in owner of the event the key kept with
// their link to it.
func (s *Server) eventKey(c *gin.Context) string {
	if k := bearer(c); k != "" {
		return k
	}
	si := s.who(c)
	if si == nil {
		return ""
	}
	l, err := s.deps.Accounts.LinkOf(c.Request.Context(), si.user.ID, accounts.KindEvent, c.Param("event"))
	if err != nil || l.Part != accounts.PartOwner {
		return ""
	}
	return l.Key
}
