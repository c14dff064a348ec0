package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The accessibility contact line reaches the server's configuration, and
// a line that could not be shown as one line is refused at start.
func TestAccessibilityContactSetting(t *testing.T) {
	for env, want := range map[string]string{"": "", " uu@kommune.no ": "uu@kommune.no", "https://kommune.no/uu": "https://kommune.no/uu"} {
		s := newSettings(&bytes.Buffer{})
		o := registerSettings(s)
		if err := s.parse(nil, func(k string) string { return map[string]string{"STOPPUNKT_ACCESSIBILITY_CONTACT": env}[k] }); err != nil {
			t.Fatal(err)
		}
		cfg, err := o.config()
		if err != nil {
			t.Fatalf("contact %q: %v", env, err)
		}
		if cfg.Server.AccessibilityContact != want {
			t.Errorf("contact %q: the server gets %q, want %q", env, cfg.Server.AccessibilityContact, want)
		}
	}
	for _, bad := range []string{strings.Repeat("x", 201), "line one\nline two"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"--accessibility-contact", bad}, noEnv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "--accessibility-contact") {
			t.Errorf("contact %q: want an error naming --accessibility-contact, got %v", bad, err)
		}
	}
}
