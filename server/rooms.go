package server

import (
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub"
	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
	"github.com/stoppunkt/stoppunkt/server/publicurl"
)

// createRoomRequest is the body of POST /api/rooms.
type createRoomRequest struct {
	Plan            string `json:"plan"`
	MaxParticipants int    `json:"max_participants"`
	// ForgetAfterReport is the room setting "forget after the report".
	ForgetAfterReport bool `json:"forget_after_report"`
}

// createRoomResponse is what the creator gets; the key is shown only here.
type createRoomResponse struct {
	Room           string    `json:"room"`
	Code           string    `json:"code"`
	Key            string    `json:"key"`
	JoinURL        string    `json:"join_url"`
	FacilitatorURL string    `json:"facilitator_url"`
	PresenterURL   string    `json:"presenter_url"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// maxBodyBytes bounds REST request bodies.
const maxBodyBytes = 1 << 20

func (s *Server) handleRoomCreate(c *gin.Context) {
	owner, ok := s.creator(c)
	if !ok {
		s.fail(c, s.creatorError("creating rooms"))
		return
	}
	var req createRoomRequest
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(c, wire.Errorf(wire.CodeBadJSON, "the body must be a JSON object with a plan id"))
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
	created, err := s.deps.Hub.CreateRoom(c.Request.Context(), hub.NewRoom{Plan: p, MaxParticipants: req.MaxParticipants, Org: s.orgRoom(c.Request.Context()),
		ForgetAfterReport: req.ForgetAfterReport, PlanRevision: revision})
	if err != nil {
		s.fail(c, err)
		return
	}
	if owner != nil {
		l := accounts.Link{Kind: accounts.KindRoom, ID: created.RoomID, User: owner.ID, Part: accounts.PartOwner,
			Code: created.Code, Title: p.Title, Plan: p.ID, Created: time.Now().UTC(), Expires: created.ExpiresAt,
			PresenterKey: hub.PresenterKey(created.Key), Name: owner.Name, Email: owner.Email}
		if err := s.deps.Accounts.PutLink(c.Request.Context(), l); err != nil {
			s.deps.Logger.Warn("room not added to its owner's list", "err", err)
		}
	}
	s.audit(c, accounts.ActRoomCreated, created.Code)
	base := s.ownURL(c)
	c.JSON(http.StatusCreated, createRoomResponse{
		Room: created.RoomID, Code: created.Code, Key: created.Key,
		JoinURL:        s.joinBase(c) + "/j/" + created.Code,
		FacilitatorURL: base + "/f/" + created.RoomID + "#key=" + created.Key,
		PresenterURL:   base + "/p/" + created.RoomID + "#key=" + hub.PresenterKey(created.Key),
		ExpiresAt:      created.ExpiresAt,
	})
}

// creator decides who may create rooms, events and plans, and returns
// the account that will own them (nil for none): a signed-in facilitator
// or administrator; the organizer access code; or, on a server that has
// neither accounts nor an access code, anyone on this machine (loopback).
// A proxy on this machine makes every request look local, so a forwarded
// request is never counted as local unless the proxy is trusted.
func (s *Server) creator(c *gin.Context) (*accounts.User, bool) {
	if si := s.who(c); si != nil {
		return si.user, si.user.Role.Valid()
	}
	if s.cfg.AccessCode != "" {
		got, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		return nil, ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.AccessCode)) == 1
	}
	return nil, !s.hasAccounts(c.Request.Context()) && s.local(c)
}

// creatorError says what creating (doing) needs on this server.
func (s *Server) creatorError(doing string) error {
	if s.accountsExist.Load() {
		return wire.Errorf(wire.CodeUnauthorized, "%s on this server needs you to sign in", doing)
	}
	return wire.Errorf(wire.CodeUnauthorized, "%s on this server needs its access code", doing)
}

// joinBase is the base of the join links made for this request, which
// phones open: the configured public URL, the request's own host, or this
// machine's LAN address when the request came to localhost
// (publicurl.Choose has the rule).
func (s *Server) joinBase(c *gin.Context) string { return s.joinBaseFor(s.linkRequest(c)) }

// joinBaseFor is joinBase for a request's link details. It reads the
// machine's interfaces (a few system calls) only for a request to
// localhost.
func (s *Server) joinBaseFor(req publicurl.Request) string {
	var lan []netip.Addr
	if s.cfg.PublicURL == "" && s.cfg.LAN != nil && publicurl.Local(req.Host) {
		lan = s.cfg.LAN()
	}
	return publicurl.Choose(s.cfg.PublicURL, req, lan)
}

// ownURL is the base of links for the person who asked (their dashboard,
// big screen or event overview): the configured public URL, or the
// address they asked on, so that they stay on the origin their browser
// keeps their rooms under.
func (s *Server) ownURL(c *gin.Context) string {
	return publicurl.Choose(s.cfg.PublicURL, s.linkRequest(c), nil)
}

func (s *Server) linkRequest(c *gin.Context) publicurl.Request {
	req := publicurl.Request{Scheme: "http", Host: c.Request.Host}
	if c.Request.TLS != nil {
		req.Scheme = "https"
	}
	if a, ok := c.Request.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			req.Port = port
		}
	}
	return req
}
