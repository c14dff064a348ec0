package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/accounts"
)

// member is one person a room or event is shared with.
type member struct {
	User  string        `json:"user"`
	Name  string        `json:"name"`
	Email string        `json:"email"`
	Part  accounts.Part `json:"part"`
}

// myRoom is a row of "my rooms".
type myRoom struct {
	accounts.Link
	Members []member `json:"members"`
}

// handleMyRooms lists the signed-in user's rooms and events, newest
// first, each with whom it is shared.
func (s *Server) handleMyRooms(c *gin.Context) {
	si := s.signedInOr401(c)
	if si == nil {
		return
	}
	ctx := c.Request.Context()
	links, err := s.deps.Accounts.Links(ctx, si.user.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]myRoom, 0, len(links))
	for _, l := range links {
		row := myRoom{Link: l, Members: []member{}}
		if l.Kind == accounts.KindEvent && l.Part != accounts.PartOwner {
			row.Key = ""
		}
		ms, err := s.deps.Accounts.Members(ctx, l.Kind, l.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, m := range ms {
			row.Members = append(row.Members, member{User: m.User, Name: m.Name, Email: m.Email, Part: m.Part})
		}
		out = append(out, row)
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"rooms": out})
}

type shareRequest struct {
	Email string        `json:"email"`
	Part  accounts.Part `json:"part"`
}

// ownerLink returns the signed-in user's link to a room when they own
// it, or answers the request.
func (s *Server) ownerLink(c *gin.Context) (*signedIn, *accounts.Link) {
	si := s.signedInOr401(c)
	if si == nil {
		return nil, nil
	}
	l, err := s.deps.Accounts.LinkOf(c.Request.Context(), si.user.ID, accounts.KindRoom, c.Param("room"))
	if err != nil || l.Part != accounts.PartOwner {
		s.fail(c, wire.Errorf(wire.CodeNotAllowed, "only the room's owner may share it"))
		return nil, nil
	}
	return si, l
}

// handleShare gives another account a part in a room: co-facilitator,
// observer or safeguarding. Sharing again changes the part.
func (s *Server) handleShare(c *gin.Context) {
	si, own := s.ownerLink(c)
	if own == nil {
		return
	}
	var req shareRequest
	if !s.decodeJSON(c, &req, "email and part") {
		return
	}
	if !req.Part.Valid() || req.Part == accounts.PartOwner {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "part must be cofacilitator, observer or safeguarding"))
		return
	}
	ctx := c.Request.Context()
	u, err := s.deps.Accounts.UserByEmail(ctx, req.Email)
	if err != nil || u.Disabled {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "nobody with that e-mail address has an account on this server; ask an administrator to invite them"))
		return
	}
	if u.ID == si.user.ID {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "you own this room already"))
		return
	}
	l := *own
	l.User, l.Part, l.Name, l.Email = u.ID, req.Part, u.Name, u.Email
	if !req.Part.Runs() {
		l.PresenterKey = ""
	}
	l.Key = ""
	if err := s.deps.Accounts.PutLink(ctx, l); err != nil {
		s.fail(c, err)
		return
	}
	s.auditEntry(c, accounts.Entry{Action: accounts.ActRoomShared, Target: own.Code, Subject: u.Email, Part: string(req.Part)})
	c.Status(http.StatusNoContent)
}

// handleUnshare takes a part in a room away.
func (s *Server) handleUnshare(c *gin.Context) {
	si, own := s.ownerLink(c)
	if own == nil {
		return
	}
	if c.Param("user") == si.user.ID {
		s.fail(c, wire.Errorf(wire.CodeInvalid, "the owner stays"))
		return
	}
	ctx := c.Request.Context()
	gone, err := s.deps.Accounts.LinkOf(ctx, c.Param("user"), accounts.KindRoom, own.ID)
	if err != nil {
		s.fail(c, wire.Errorf(wire.CodeNotFound, "no such member"))
		return
	}
	if err := s.deps.Accounts.RemoveLink(ctx, gone.User, accounts.KindRoom, own.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.auditEntry(c, accounts.Entry{Action: accounts.ActRoomUnshared, Target: own.Code, Subject: gone.Email})
	c.Status(http.StatusNoContent)
}
