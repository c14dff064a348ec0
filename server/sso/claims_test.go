package sso

import (
	"errors"
	"testing"
)

func TestRules(t *testing.T) {
	cfg := Provider{ID: "entra", EmailClaim: "email", GroupClaim: "groups",
		AllowedDomains: []string{"@skole.no"}, AllowedGroups: []string{"teachers"}, AdminGroups: []string{"admins"}}
	cases := []struct {
		name   string
		claims map[string]any
		ok     bool
		admin  bool
	}{
		{"domain", map[string]any{"email": "Kari@Skole.no"}, true, false},
		{"other domain, allowed group", map[string]any{"email": "kari@other.no", "groups": []any{"x", "teachers"}}, true, false},
		{"admin group as one string", map[string]any{"email": "ola@other.no", "groups": "admins"}, true, true},
		{"groups as an object", map[string]any{"email": "ola@other.no", "groups": map[string]any{"admins": true}}, true, true},
		{"neither", map[string]any{"email": "eve@other.no", "groups": []any{"x"}}, false, false},
		{"no e-mail", map[string]any{"groups": []any{"teachers"}}, false, false},
		{"unverified e-mail", map[string]any{"email": "kari@skole.no", "email_verified": false}, false, false},
		{"subdomain is another domain", map[string]any{"email": "kari@evil.skole.no.example"}, false, false},
	}
	for _, c := range cases {
		id := identityOf(cfg, "sub", c.claims)
		err := allowed(cfg, id)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrNotAllowed)) || id.Admin != c.admin {
			t.Errorf("%s: allowed %v, admin %v; want %v, %v", c.name, err, id.Admin, c.ok, c.admin)
		}
	}
	// A provider without rules admits anyone it vouches for with an
	// address; the caller then signs in only existing accounts (Open).
	open := Provider{ID: "p", EmailClaim: "email"}
	if err := allowed(open, identityOf(open, "s", map[string]any{"email": "a@b.no"})); err != nil {
		t.Errorf("no rules: %v", err)
	}
	set := &Set{list: []*entry{{cfg: open}, {cfg: cfg}}}
	if set.Open("p") || !set.Open("entra") {
		t.Error("Open: only a provider with rules makes new accounts")
	}
	if id := identityOf(cfg, "s", map[string]any{"email": "a@skole.no", "given_name": "Kari", "family_name": "Nordmann"}); id.Name != "Kari Nordmann" {
		t.Errorf("name from given and family names: %q", id.Name)
	}
}
