package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/stoppunkt/stoppunkt/hub/plan"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// apiError is the body of every REST error.
type apiError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Retry   bool           `json:"retry,omitempty"`
	Details []plan.Problem `json:"problems,omitempty"`
}

// statusOf is the HTTP status of every wire code (docs/protocol.md has
// the same table; a test checks that every code has one).
var statusOf = map[wire.Code]int{
	wire.CodeBadJSON:      http.StatusBadRequest,
	wire.CodeInvalid:      http.StatusBadRequest,
	wire.CodeUnknownType:  http.StatusBadRequest,
	wire.CodeProtocol:     http.StatusBadRequest,
	wire.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	wire.CodeUnauthorized: http.StatusUnauthorized,
	wire.CodeNotAllowed:   http.StatusForbidden,
	wire.CodeRemoved:      http.StatusForbidden,
	wire.CodeNotFound:     http.StatusNotFound,
	wire.CodeWrongRoom:    http.StatusConflict,
	wire.CodeLocked:       http.StatusConflict,
	wire.CodeFull:         http.StatusConflict,
	wire.CodeStale:        http.StatusConflict,
	wire.CodeNotOpen:      http.StatusConflict,
	wire.CodeEnded:        http.StatusGone,
	wire.CodeRateLimited:  http.StatusTooManyRequests,
	wire.CodeInternal:     http.StatusInternalServerError,
	wire.CodeUnavailable:  http.StatusServiceUnavailable,
	wire.CodeShuttingDown: http.StatusServiceUnavailable,
}

// StatusOf returns the HTTP status a REST error with the code is sent with.
func StatusOf(c wire.Code) int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// fail writes err as a JSON error: plan problems with their lines, wire
// errors with their code, anything else as an internal error that is
// logged but not shown.
func (s *Server) fail(c *gin.Context, err error) {
	var verr *plan.ValidationError
	if errors.As(err, &verr) {
		c.AbortWithStatusJSON(http.StatusUnprocessableEntity, apiError{Code: string(wire.CodeInvalid), Message: "the plan is not valid", Details: verr.Problems})
		return
	}
	e := wire.AsError(err)
	if e.Code == wire.CodeInternal {
		s.deps.Logger.Error("request failed", "request_id", c.GetString("request_id"), "route", c.FullPath(), "err", err)
	}
	c.AbortWithStatusJSON(StatusOf(e.Code), apiError{Code: string(e.Code), Message: e.Message, Retry: e.Retry})
}
