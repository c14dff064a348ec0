package wsclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Envelope is a server frame with its payload still raw. Data points into
// the buffer the frame was read from.
type Envelope struct {
	Type string
	Seq  uint64
	ID   string
	Data []byte
	// Size is the whole frame's length in bytes.
	Size int
}

// Server frame types of docs/protocol.md. Interning them here means
// parsing a frame allocates no string for its type.
var knownTypes = []string{
	"welcome", "snapshot", "ack", "error", "pong", "room", "step", "timer", "you",
	"results", "progress", "roster", "removed", "group", "groups", "item", "screen",
	"announcement", "overview",
}

func internType(b []byte) string {
	for _, t := range knownTypes {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}

var (
	prefixType = []byte(`{"type":"`)
	prefixSeq  = []byte(`,"seq":`)
	prefixID   = []byte(`,"id":"`)
	prefixData = []byte(`,"data":`)
)

// ParseEnvelope reads a server frame. The server encodes frames with the
// fields in a fixed order ({"type":..,"seq":..,"id":..,"data":..}); that
// form is read without a JSON decoder. Anything else (escapes in the id,
// other field order, spaces) goes through encoding/json.
func ParseEnvelope(b []byte) (Envelope, error) {
	if env, ok := fastEnvelope(b); ok {
		env.Size = len(b)
		return env, nil
	}
	var raw struct {
		Type string          `json:"type"`
		Seq  uint64          `json:"seq"`
		ID   string          `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Envelope{}, fmt.Errorf("frame is not a JSON object: %w", err)
	}
	if raw.Type == "" {
		return Envelope{}, errors.New("frame has no type")
	}
	return Envelope{Type: internType([]byte(raw.Type)), Seq: raw.Seq, ID: raw.ID, Data: raw.Data, Size: len(b)}, nil
}

func fastEnvelope(b []byte) (Envelope, bool) {
	var env Envelope
	if !bytes.HasPrefix(b, prefixType) {
		return env, false
	}
	p := len(prefixType)
	end := bytes.IndexByte(b[p:], '"')
	if end <= 0 || bytes.IndexByte(b[p:p+end], '\\') >= 0 {
		return env, false
	}
	env.Type = internType(b[p : p+end])
	p += end + 1
	if bytes.HasPrefix(b[p:], prefixSeq) {
		p += len(prefixSeq)
		start := p
		var n uint64
		for p < len(b) && b[p] >= '0' && b[p] <= '9' {
			n = n*10 + uint64(b[p]-'0')
			p++
		}
		if p == start || p-start > 19 {
			return env, false
		}
		env.Seq = n
	}
	if bytes.HasPrefix(b[p:], prefixID) {
		p += len(prefixID)
		end := bytes.IndexByte(b[p:], '"')
		if end < 0 || bytes.IndexByte(b[p:p+end], '\\') >= 0 {
			return env, false
		}
		env.ID = string(b[p : p+end])
		p += end + 1
	}
	if bytes.HasPrefix(b[p:], prefixData) {
		p += len(prefixData)
		if len(b)-p < 2 || b[len(b)-1] != '}' {
			return env, false
		}
		env.Data = b[p : len(b)-1]
		if env.Data[0] != '{' {
			return env, false
		}
		return env, true
	}
	return env, p == len(b)-1 && b[p] == '}'
}

// DecodeError reads an error frame's data; data without a code comes back
// as the code "unparsable".
func DecodeError(data []byte) *wire.Error {
	var e wire.Error
	if err := json.Unmarshal(data, &e); err != nil || e.Code == "" {
		return &wire.Error{Code: "unparsable", Message: "error frame without a code"}
	}
	return &e
}
