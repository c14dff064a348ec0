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

var statusOf = map[wire.Code]int{
	wire.CodeBadJSON:      http.StatusBadRequest,
	wire.CodeInvalid:      http.StatusBadRequest,
	wire.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	wire.CodeUnauthorized: http.StatusUnauthorized,
	wire.CodeNotAllowed:   http.StatusForbidden,
	wire.CodeNotFound:     http.StatusNotFound,
	wire.CodeRateLimited:  http.StatusTooManyRequests,
	wire.CodeUnavailable:  http.StatusServiceUnavailable,
	wire.CodeShuttingDown: http.StatusServiceUnavailable,
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
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	c.AbortWithStatusJSON(status, apiError{Code: string(e.Code), Message: e.Message, Retry: e.Retry})
}
