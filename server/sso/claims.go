package sso

import (
	"slices"
	"strings"
)

// identityOf reads an identity from a token's (and user info's) claims.
func identityOf(cfg Provider, sub string, claims map[string]any) *Identity {
	id := &Identity{Provider: cfg.ID, Subject: sub}
	id.Email, _ = claims[cfg.EmailClaim].(string)
	id.Email = strings.ToLower(strings.TrimSpace(id.Email))
	if v, ok := claims["email_verified"].(bool); ok && !v {
		// An address the provider has not checked proves nothing.
		id.Email = ""
	}
	id.Name, _ = claims["name"].(string)
	if id.Name == "" {
		given, _ := claims["given_name"].(string)
		family, _ := claims["family_name"].(string)
		id.Name = strings.TrimSpace(given + " " + family)
	}
	if cfg.GroupClaim != "" {
		id.Groups = stringsOf(claims[cfg.GroupClaim])
	}
	for _, g := range id.Groups {
		if slices.Contains(cfg.AdminGroups, g) {
			id.Admin = true
		}
	}
	return id
}

// stringsOf reads a claim that is a list of strings, a single string,
// or an object whose keys are the values (as some providers send roles).
func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case map[string]any:
		var out []string
		for k := range t {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return nil
}

// allowed applies a provider's rules: an e-mail address is required; with
// allowed domains or groups configured, the person must match one of
// them. Without either, only people who already have an account by that
// address may sign in (decided by the caller: Open is false).
func allowed(cfg Provider, id *Identity) error {
	if id.Email == "" {
		return ErrNotAllowed
	}
	if len(cfg.AllowedDomains) == 0 && len(cfg.AllowedGroups) == 0 && len(cfg.AdminGroups) == 0 {
		return nil
	}
	_, domain, _ := strings.Cut(id.Email, "@")
	for _, d := range cfg.AllowedDomains {
		if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(d), "@"), domain) {
			return nil
		}
	}
	for _, g := range id.Groups {
		if slices.Contains(cfg.AllowedGroups, g) || slices.Contains(cfg.AdminGroups, g) {
			return nil
		}
	}
	return ErrNotAllowed
}

// Open reports whether a provider makes accounts for new people (it has
// allowed domains, allowed groups or admin groups); otherwise only
// existing accounts sign in.
func (s *Set) Open(id string) bool {
	e, err := s.find(id)
	return err == nil && (len(e.cfg.AllowedDomains) > 0 || len(e.cfg.AllowedGroups) > 0 || len(e.cfg.AdminGroups) > 0)
}
