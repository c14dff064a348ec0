package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// adminOr403 returns the signed-in administrator or answers 401/403.
func (s *Server) adminOr403(c *gin.Context) *signedIn {
	si := s.signedInOr401(c)
	if si == nil {
		return nil
	}
	if si.user.Role != accounts.RoleAdmin {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "only administrators may do this"))
		return nil
	}
	return si
}

func (s *Server) handleUsers(c *gin.Context) {
	if s.adminOr403(c) == nil {
		return
	}
	users, err := s.deps.Accounts.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"users": users})
}

type inviteRequest struct {
	Email string        `json:"email"`
	Role  accounts.Role `json:"role"`
}

// handleInvite makes a one-time invitation link for a new facilitator or
// administrator; the administrator passes it on.
func (s *Server) handleInvite(c *gin.Context) {
	si := s.adminOr403(c)
	if si == nil {
		return
	}
	var req inviteRequest
	if !s.decodeJSON(c, &req, "email and role") {
		return
	}
	email := accounts.NormaliseEmail(req.Email)
	if !accounts.ValidEmail(email) {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the e-mail address is not valid"))
		return
	}
	if !req.Role.Valid() {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "role must be admin or facilitator"))
		return
	}
	if _, err := s.deps.Accounts.UserByEmail(c.Request.Context(), email); err == nil {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "that e-mail address has an account already"))
		return
	}
	token, inv, err := s.deps.Accounts.CreateInvite(c.Request.Context(), email, req.Role, si.user.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, accounts.ActInvite, email)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, gin.H{"url": s.ownURL(c) + "/signin#invite=" + token, "email": inv.Email, "role": inv.Role, "expires": inv.Expires})
}

type userChange struct {
	Role     *accounts.Role `json:"role"`
	Disabled *bool          `json:"disabled"`
}

// handleUserChange changes a user's role or disables them (which ends
// their sessions). The last administrator cannot be demoted or disabled.
func (s *Server) handleUserChange(c *gin.Context) {
	si := s.adminOr403(c)
	if si == nil {
		return
	}
	var req userChange
	if !s.decodeJSON(c, &req, "role or disabled") {
		return
	}
	if req.Role != nil && !req.Role.Valid() {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "role must be admin or facilitator"))
		return
	}
	ctx := c.Request.Context()
	target, err := s.deps.Accounts.User(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such user"))
		return
	}
	losesAdmin := target.Role == accounts.RoleAdmin && !target.Disabled &&
		(req.Role != nil && *req.Role != accounts.RoleAdmin || req.Disabled != nil && *req.Disabled)
	if losesAdmin {
		if n, err := s.deps.Accounts.Admins(ctx); err != nil || n <= 1 {
			s.fail(c, wire.Errorf(wire.CodeNotAllowed, "the server needs at least one administrator"))
			return
		}
	}
	err = s.deps.Accounts.UpdateUser(ctx, target.ID, func(u *accounts.User) error {
		if req.Role != nil {
			u.Role = *req.Role
		}
		if req.Disabled != nil {
			u.Disabled = *req.Disabled
		}
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Disabled != nil && *req.Disabled {
		_ = s.deps.Accounts.RevokeAll(ctx, target.ID)
	}
	s.audit(c, accounts.ActUserChanged, target.Email)
	c.Status(http.StatusNoContent)
}

// handleAudit pages through the audit log, newest first:
// ?before=<seq>&limit=<n>.
func (s *Server) handleAudit(c *gin.Context) {
	if s.adminOr403(c) == nil {
		return
	}
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "100"))
	entries, next, err := s.deps.Accounts.Audit(c.Request.Context(), before, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	if entries == nil {
		entries = []accounts.Entry{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"entries": entries, "next": next})
}
