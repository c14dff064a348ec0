package server

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole HTTP surface on one page.
func (s *Server) routes() {
	e := s.engine
	e.Use(s.requestID(), s.accessLog(), s.recover())

	s.getAndHead("/healthz", s.handleHealth)
	s.getAndHead("/readyz", s.handleReady)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.deps.Metrics, promhttp.HandlerOpts{})))

	api := e.Group("/api", s.guard())
	api.GET("/accessibility", s.handleAccessibility)
	api.GET("/auth/me", s.handleMe)
	api.POST("/auth/setup", s.handleSetup)
	api.POST("/auth/signin", s.handleSignIn)
	api.POST("/auth/signout", s.handleSignOut)
	api.GET("/auth/sessions", s.handleSessions)
	api.DELETE("/auth/sessions/:id", s.handleSessionRevoke)
	api.GET("/auth/passkeys", s.handlePasskeys)
	api.POST("/auth/passkeys/begin", s.handlePasskeyAddBegin)
	api.POST("/auth/passkeys/finish", s.handlePasskeyAddFinish)
	api.DELETE("/auth/passkeys/:id", s.handlePasskeyRemove)
	api.POST("/auth/passkey/begin", s.handlePasskeySignInBegin)
	api.POST("/auth/passkey/finish", s.handlePasskeySignInFinish)
	api.GET("/auth/invite/:token", s.handleInvitePeek)
	api.POST("/auth/invite", s.handleInviteAccept)
	api.GET("/admin/users", s.handleUsers)
	api.PATCH("/admin/users/:id", s.handleUserChange)
	api.POST("/admin/invites", s.handleInvite)
	api.GET("/admin/audit", s.handleAudit)
	api.GET("/admin/settings", s.handleSettingsGet)
	api.PUT("/admin/settings", s.handleSettingsPut)
	api.GET("/my/rooms", s.handleMyRooms)
	api.GET("/plans", s.handlePlanList)
	api.GET("/plans/:id", s.handlePlanGet)
	api.GET("/plan-fields", s.handlePlanFields)
	api.POST("/plan-validate", s.handlePlanValidate)
	api.POST("/plan-preview", s.handlePlanPreview)
	api.POST("/plan-parse", s.handlePlanParse)
	api.POST("/plans", s.handlePlanUpload)
	api.POST("/plans/:id/share", s.handlePlanShare)
	api.GET("/plans/:id/yaml", s.handlePlanYAML)
	api.GET("/plans/:id/edit", s.handlePlanEdit)
	api.POST("/plans/:id/copy", s.handlePlanCopy)
	api.GET("/plans/:id/revisions", s.handlePlanRevisions)
	api.POST("/plans/:id/revisions", s.handlePlanSave)
	api.GET("/plans/:id/revisions/:n", s.handlePlanRevision)
	api.POST("/plans/:id/revisions/:n/restore", s.handlePlanRestore)
	api.POST("/plans/:id/images", s.handleImageUpload)
	api.DELETE("/plans/:id", s.handlePlanDelete)
	api.POST("/rooms", s.handleRoomCreate)
	api.GET("/rooms/:room", s.handleRoomInfo)
	api.GET("/rooms/:room/report", s.handleRoomReport)
	api.DELETE("/rooms/:room", s.handleRoomDelete)
	api.POST("/rooms/:room/forget", s.handleRoomForget)
	api.POST("/rooms/:room/members", s.handleShare)
	api.DELETE("/rooms/:room/members/:user", s.handleUnshare)
	api.POST("/events", s.handleEventCreate)
	api.GET("/events/:event", s.handleEventGet)
	api.GET("/events/:event/sheet.csv", s.handleEventSheetCSV)
	api.GET("/events/:event/report", s.handleEventReport)
	api.POST("/events/:event/announce", s.handleEventAnnounce)
	api.POST("/events/:event/close", s.handleEventClose)
	api.DELETE("/events/:event", s.handleEventDelete)

	e.GET("/ws", s.handleWebsocket)
	e.GET("/auth/oidc/:provider", s.handleSSOStart)
	e.GET("/auth/oidc/:provider/callback", s.handleSSOCallback)
	s.getAndHead("/qr/:file", s.handleQR)
	s.getAndHead("/media/:plan/:file", s.handleMedia)

	s.staticRoutes()
}

// getAndHead routes GET and HEAD to one handler: load balancers, uptime
// checks and link checkers ask with HEAD (net/http sends no body for it).
func (s *Server) getAndHead(path string, h gin.HandlerFunc) {
	s.engine.GET(path, h)
	s.engine.HEAD(path, h)
}
