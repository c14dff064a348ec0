package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Decode parses one client frame. It checks size, UTF-8 and nesting before
// handing the bytes to encoding/json, and returns an *Error for anything it
// refuses.
func Decode(frame []byte) (In, error) {
	var in In
	if len(frame) > MaxFrameBytes {
		return in, Errorf(CodeTooLarge, "frame is %d bytes; the limit is %d", len(frame), MaxFrameBytes)
	}
	if !utf8.Valid(frame) {
		return in, Errorf(CodeBadJSON, "frame is not valid UTF-8")
	}
	if err := checkDepth(frame, MaxDepth); err != nil {
		return in, err
	}
	if !isObject(frame) {
		return in, Errorf(CodeBadJSON, "a frame must be one JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(frame))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, jsonError(err)
	}
	if dec.More() {
		return in, Errorf(CodeBadJSON, "frame holds more than one JSON value")
	}
	if in.Type == "" {
		return in, Errorf(CodeInvalid, "field type is required")
	}
	if len(in.ID) > MaxIDLength {
		return in, Errorf(CodeTooLarge, "field id is longer than %d characters", MaxIDLength)
	}
	return in, nil
}

// DecodeData decodes a frame's payload into v, refusing unknown fields.
// A missing payload decodes as an empty object.
func DecodeData(in In, v any) error {
	data := in.Data
	if len(data) == 0 || string(data) == "null" {
		data = []byte("{}")
	}
	if !isObject(data) {
		return Errorf(CodeInvalid, "field data must be an object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	return nil
}

// NoData refuses a payload on a message type that takes none: data may be
// left out, null or {}, like every other unknown field.
func NoData(in In) error {
	var none struct{}
	return DecodeData(in, &none)
}

// isObject reports whether b, after leading white space, starts an object.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func jsonError(err error) *Error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "(frame)"
		}
		return Errorf(CodeInvalid, "field %s must be %s, not %s", field, jsonKind(typeErr.Type.Kind().String()), jsonValue(typeErr.Value))
	}
	var synErr *json.SyntaxError
	if errors.As(err, &synErr) {
		return Errorf(CodeBadJSON, "malformed JSON at byte %d", synErr.Offset)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return Errorf(CodeInvalid, "unknown field %s", strings.TrimPrefix(msg, "json: unknown field "))
	}
	if strings.Contains(msg, "unexpected EOF") || msg == "EOF" {
		return Errorf(CodeBadJSON, "malformed JSON: unexpected end")
	}
	return Errorf(CodeBadJSON, "malformed JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32":
		return "a whole number"
	case "uint64", "uint32", "uint":
		return "a whole number, 0 or more"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return k
}

// jsonValue names the kind of value encoding/json found, as a person says it.
func jsonValue(v string) string {
	switch {
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	case v == "number":
		return "another number"
	case v == "array":
		return "an array"
	case v == "object":
		return "an object"
	case v == "bool":
		return "true or false"
	case v == "string":
		return "a string"
	}
	return v
}

// checkDepth refuses JSON nested deeper than max without building anything.
func checkDepth(b []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return Errorf(CodeBadJSON, "JSON is nested deeper than %d levels", max)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// CheckName validates a nickname: 1 to maxRunes characters of printable
// text, without control, zero-width or direction-override characters, which
// could disguise one name as another. Surrounding space is trimmed.
func CheckName(s string, maxRunes int) (string, error) {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", Errorf(CodeTooLarge, "name is %d characters; the limit is %d", n, maxRunes)
	}
	for _, r := range s {
		if unicode.IsControl(r) || isInvisible(r) {
			return "", Errorf(CodeInvalid, "name contains an invisible or control character (U+%04X)", r)
		}
	}
	return s, nil
}

// CheckText validates free text: at most maxRunes characters, no control
// characters other than newline and tab, and no direction overrides. Zero-
// width joiners stay legal because emoji sequences need them.
func CheckText(s string, maxRunes int) (string, error) {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return "", Errorf(CodeTooLarge, "text is %d characters; the limit is %d", n, maxRunes)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || isBidiOverride(r) {
			return "", Errorf(CodeInvalid, "text contains a control or direction-override character (U+%04X)", r)
		}
	}
	return s, nil
}

func isBidiOverride(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

func isInvisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E:
		return true
	}
	return isBidiOverride(r) || unicode.Is(unicode.Cf, r)
}
