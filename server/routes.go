package server

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes is the whole HTTP surface on one page.
func (s *Server) routes() {
	e := s.engine
	e.Use(s.requestID(), s.accessLog(), s.recover())

	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.deps.Metrics, promhttp.HandlerOpts{})))

	api := e.Group("/api")
	api.GET("/plans", s.handlePlanList)
	api.GET("/plans/:id", s.handlePlanGet)
	api.POST("/plans", s.handlePlanUpload)
	api.POST("/rooms", s.handleRoomCreate)
	api.GET("/rooms/:room/report", s.handleRoomReport)
	api.DELETE("/rooms/:room", s.handleRoomDelete)

	e.GET("/ws", s.handleWebsocket)
	e.GET("/qr/:file", s.handleQR)

	s.staticRoutes()
}
