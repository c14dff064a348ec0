package wire

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code sent in error frames and REST errors.
type Code string

// Error codes. docs/protocol.md lists when each is sent.
const (
	CodeBadJSON      Code = "bad_json"      // not valid JSON, invalid UTF-8, or too deeply nested
	CodeTooLarge     Code = "too_large"     // frame or field over its limit
	CodeUnknownType  Code = "unknown_type"  // no such message type
	CodeInvalid      Code = "invalid"       // fields missing, of the wrong type, or out of range
	CodeProtocol     Code = "protocol"      // hello missing, repeated, or of an unsupported version
	CodeUnauthorized Code = "unauthorized"  // bad facilitator key or participant token
	CodeNotAllowed   Code = "not_allowed"   // the role may not send this
	CodeNotFound     Code = "not_found"     // no live room with that code or id
	CodeWrongRoom    Code = "wrong_room"    // the token or item belongs to another room or group
	CodeLocked       Code = "room_locked"   // joining is locked
	CodeFull         Code = "room_full"     // the room reached its participant cap
	CodeEnded        Code = "room_ended"    // the room has ended
	CodeRemoved      Code = "removed"       // this participant was removed
	CodeRateLimited  Code = "rate_limited"  // too many messages or joins; slow down
	CodeStale        Code = "stale"         // the command was based on a state that has moved on
	CodeNotOpen      Code = "not_open"      // the step does not take input now
	CodeUnavailable  Code = "unavailable"   // storage is unreachable; retry later
	CodeInternal     Code = "internal"      // a bug; details are in the server log
	CodeShuttingDown Code = "shutting_down" // the instance is draining; reconnect elsewhere
)

// Codes lists every error code, for tables that must cover them all (the
// REST status of each, the documentation).
var Codes = []Code{
	CodeBadJSON, CodeTooLarge, CodeUnknownType, CodeInvalid, CodeProtocol,
	CodeUnauthorized, CodeNotAllowed, CodeNotFound, CodeWrongRoom, CodeLocked,
	CodeFull, CodeEnded, CodeRemoved, CodeRateLimited, CodeStale, CodeNotOpen,
	CodeUnavailable, CodeInternal, CodeShuttingDown,
}

// Retryable reports whether a client may send the same frame again later.
func (c Code) Retryable() bool {
	return c == CodeUnavailable || c == CodeRateLimited || c == CodeShuttingDown || c == CodeInternal
}

// Error is a refusal a client may see: a code and a human-readable message
// that never contains user text or secrets.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Retry is true when sending the same frame again later may succeed.
	Retry bool `json:"retry,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retry: code.Retryable()}
}

// AsError returns err as an *Error, turning anything else into CodeInternal
// so that no internal detail reaches a client.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error", Retry: true}
}
