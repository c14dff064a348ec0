package webtest

import (
	"fmt"
	"testing"
)

// TestBrowserRequired: a missing Chromium or axe-core fails the browser
// tests where CI or STOPPUNKT_REQUIRE_BROWSER (set by `make test`) says
// so, and skips them only in a plain `go test`.
func TestBrowserRequired(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"CI": "true"}, true},
		{map[string]string{"CI": "1"}, true},
		{map[string]string{"CI": "yes"}, true},
		{map[string]string{"CI": "TRUE "}, true},
		{map[string]string{"CI": ""}, false},
		{map[string]string{"CI": "false"}, false},
		{map[string]string{"CI": "0"}, false},
		{map[string]string{"STOPPUNKT_REQUIRE_BROWSER": "1"}, true},
		{map[string]string{"STOPPUNKT_REQUIRE_BROWSER": "0"}, false},
		// Nothing turns off what CI turns on.
		{map[string]string{"CI": "true", "STOPPUNKT_REQUIRE_BROWSER": "0"}, true},
		{map[string]string{"CI": "false", "STOPPUNKT_REQUIRE_BROWSER": "1"}, true},
	}
	for _, tt := range tests {
		getenv := func(k string) string { return tt.env[k] }
		if got := browserRequired(getenv); got != tt.want {
			t.Errorf("browserRequired(%v) = %v, want %v", tt.env, got, tt.want)
		}
		var rec outcome
		missingDependency(&rec, getenv, "no Chromium at /nowhere")
		if rec.failed != tt.want || rec.skipped == tt.want || rec.msg == "" {
			t.Errorf("%v: missing Chromium: failed %v, skipped %v, want failed %v", tt.env, rec.failed, rec.skipped, tt.want)
		}
	}
}

// outcome records what missingDependency did to a test.
type outcome struct {
	failed, skipped bool
	msg             string
}

func (o *outcome) Helper() {}

func (o *outcome) Fatalf(format string, args ...any) {
	o.failed, o.msg = true, fmt.Sprintf(format, args...)
}

func (o *outcome) Skipf(format string, args ...any) {
	o.skipped, o.msg = true, fmt.Sprintf(format, args...)
}
