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

	api := e.Group("/api")
	api.GET("/accessibility", s.handleAccessibility)
	api.GET("/plans", s.handlePlanList)
	api.GET("/plans/:id", s.handlePlanGet)
	api.POST("/plans", s.handlePlanUpload)
	api.POST("/rooms", s.handleRoomCreate)
	api.GET("/rooms/:room", s.handleRoomInfo)
	api.GET("/rooms/:room/report", s.handleRoomReport)
	api.DELETE("/rooms/:room", s.handleRoomDelete)
	api.POST("/rooms/:room/forget", s.handleRoomForget)
	api.POST("/events", s.handleEventCreate)
	api.GET("/events/:event", s.handleEventGet)
	api.GET("/events/:event/sheet.csv", s.handleEventSheetCSV)
	api.GET("/events/:event/report", s.handleEventReport)
	api.POST("/events/:event/announce", s.handleEventAnnounce)
	api.POST("/events/:event/close", s.handleEventClose)
	api.DELETE("/events/:event", s.handleEventDelete)

	e.GET("/ws", s.handleWebsocket)
	s.getAndHead("/qr/:file", s.handleQR)

	s.staticRoutes()
}

// getAndHead routes GET and HEAD to one handler: load balancers, uptime
// checks and link checkers ask with HEAD (net/http sends no body for it).
func (s *Server) getAndHead(path string, h gin.HandlerFunc) {
	s.engine.GET(path, h)
	s.engine.HEAD(path, h)
}
