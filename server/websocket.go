package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/stoppunkt/stoppunkt/client"
	"github.com/stoppunkt/stoppunkt/hub"
)

// upgrader settings: small buffers, because an idle phone should cost
// little; writes borrow from a shared pool, reads use the connection's own
// small buffer (client.Upgrade).
var writePool = new(sharedPool)

func (s *Server) handleWebsocket(c *gin.Context) {
	if s.deps.Hub.Draining() {
		// Before the upgrade, so that a proxy can try another instance.
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, apiError{Code: "shutting_down", Message: "this instance is restarting; connect again", Retry: true})
		return
	}
	up := websocket.Upgrader{
		WriteBufferSize: 4096,
		WriteBufferPool: writePool,
		CheckOrigin:     s.checkOrigin,
	}
	sock, err := client.Upgrade(up, c.Writer, c.Request)
	if err != nil {
		// The upgrader has already written an HTTP error (403 for a foreign
		// origin, 400 for a bad handshake).
		return
	}
	addr, link := c.ClientIP(), s.linkRequest(c)
	var access hub.AccessFunc
	var eventAccess hub.EventAccessFunc
	if cookie, err := c.Cookie(sessionCookie); err == nil && cookie != "" && s.deps.Accounts != nil {
		// A facilitator signed in may open their rooms without the key;
		// the session is checked at every hello.
		access, eventAccess = s.accessFor(cookie), s.eventAccessFor(cookie)
	}
	cfg := s.cfg.Conn
	cfg.OnSlow = s.deps.Hub.SlowDropped
	// Serve returns at once; the connection outlives this handler, which
	// lets the HTTP server's buffers for the request go.
	client.Serve(s.baseCtx, sock, cfg, func(conn *client.Conn) client.Handler {
		sess := s.deps.Hub.Connect(conn, addr)
		// Worked out only for staff, whose welcome carries the join link;
		// a join storm of phones does not read the interfaces.
		sess.SetJoinBase(func() string { return s.joinBaseFor(link) })
		if access != nil {
			sess.SetAccess(access)
			sess.SetEventAccess(eventAccess)
		}
		return sess
	})
}

// checkOrigin allows browsers on this server's own host or an allowed
// origin, for websockets and state-changing API calls. Clients that send
// no Origin (not browsers) are allowed: the check exists to stop other
// web pages from using a visitor's browser.
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// sharedPool is a websocket.BufferPool over sync.Pool.
type sharedPool struct{ p sync.Pool }

func (p *sharedPool) Get() any  { return p.p.Get() }
func (p *sharedPool) Put(v any) { p.p.Put(v) }
