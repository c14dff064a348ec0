package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
)

// Duration is a length of time. In YAML it is written as a Go duration string
// ("45m", "90s", "1h30m"); in JSON it is a whole number of seconds.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Seconds returns d in whole seconds, rounded down.
func (d Duration) Seconds() int64 { return int64(time.Duration(d) / time.Second) }

// String formats d the way a person writes it in a plan: "45m", "1h30m",
// "90s" becomes "1m30s"; zero is "0s". Sub-second parts are dropped.
func (d Duration) String() string {
	s := d.Seconds()
	if s == 0 {
		return "0s"
	}
	var b strings.Builder
	if s < 0 {
		b.WriteByte('-')
		if s == math.MinInt64 {
			return time.Duration(d).String()
		}
		s = -s
	}
	if h := s / 3600; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := s % 3600 / 60; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec := s % 60; sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// ParseDuration reads a duration as written in a plan ("10m", "90s",
// "1h30m"). A bare number is refused: it needs a unit.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration: write it like 10m, 90s or 1h30m")
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q needs a unit: write it like %sm (minutes) or %ss (seconds)", s, s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write it like 10m, 90s or 1h30m", s)
	}
	return Duration(d), nil
}

// MarshalJSON writes d as a whole number of seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, d.Seconds(), 10), nil
}

// UnmarshalJSON reads a whole number of seconds.
func (d *Duration) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("plan: a duration in JSON is a number of seconds, not %s", data)
	}
	s, err := n.Int64()
	if err != nil || s < 0 || s > math.MaxInt64/int64(time.Second) {
		return fmt.Errorf("plan: a duration in JSON is a whole, non-negative number of seconds, not %s", data)
	}
	*d = Duration(time.Duration(s) * time.Second)
	return nil
}

// MarshalYAML writes d as a duration string such as "45m".
func (d Duration) MarshalYAML() (any, error) {
	return d.String(), nil
}

// UnmarshalYAML reads a duration string such as "45m".
func (d *Duration) UnmarshalYAML(n ast.Node) error {
	line, _ := tokenAt(n)
	var text string
	switch v := n.(type) {
	case *ast.StringNode:
		text = v.Value
	case *ast.IntegerNode, *ast.FloatNode:
		text = v.GetToken().Value
	default:
		return fmt.Errorf("line %d: a duration is written like 10m, 90s or 1h30m", line)
	}
	v, err := ParseDuration(text)
	if err != nil {
		return fmt.Errorf("line %d: %w", line, err)
	}
	*d = v
	return nil
}
