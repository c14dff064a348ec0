package webtest

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// webDir is the web/ folder of the repository.
func webDir() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..")
}

var (
	keyLine   = regexp.MustCompile(`(?m)^\s*'([a-z0-9_.]+)':`)
	tCall     = regexp.MustCompile(`\bt\('([a-z0-9_.]+)'`)
	tTernary  = regexp.MustCompile(`\bt\([^()]*\?\s*'([a-z0-9_.]+)'\s*:\s*'([a-z0-9_.]+)'`)
	dataI18n  = regexp.MustCompile(`data-i18n="([^"]+)"`)
	dataAttr  = regexp.MustCompile(`data-i18n-attr="([^"]+)"`)
	tagOrDecl = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)
	// A JavaScript string of two or more words starting with a capital
	// letter reads like interface text.
	proseLiteral = regexp.MustCompile(`['"` + "`" + `]([A-ZÆØÅ][a-zæøå]+ [a-zæøåA-ZÆØÅ]+[^'"` + "`" + `]*)['"` + "`" + `]`)
)

func readAll(t *testing.T, pattern string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(webDir(), pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func keysOf(src string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keyLine.FindAllStringSubmatch(src, -1) {
		m[k[1]] = true
	}
	return m
}

// TestTranslationsComplete: nb, da and en have the same keys, and every key
// the pages and scripts use exists, also those built from codes and kinds.
func TestTranslationsComplete(t *testing.T) {
	langs := readAll(t, "static/i18n/*.js")
	if n := len(keysOf(langs["en.js"])); n < 100 {
		t.Fatalf("en.js has only %d keys", n)
	}
	// The shared dictionary and every page's extra one (i18n.js extra:
	// NAME-LANG.js) have the same keys in nb, da and en.
	en := map[string]bool{}
	for file, src := range langs {
		base, ok := strings.CutSuffix(file, "en.js")
		if !ok {
			continue
		}
		enKeys := keysOf(src)
		for k := range enKeys {
			if en[k] {
				t.Errorf("%s repeats %s from another dictionary", file, k)
			}
			en[k] = true
		}
		for _, lang := range []string{"nb.js", "da.js"} {
			name := base + lang
			other := keysOf(langs[name])
			for k := range enKeys {
				if !other[k] {
					t.Errorf("%s lacks %s", name, k)
				}
			}
			for k := range other {
				if !enKeys[k] {
					t.Errorf("%s has %s, which %s lacks", name, k, file)
				}
			}
		}
	}
	has := func(k string) bool { return en[k] || (en[k+".one"] && en[k+".other"]) }

	used := map[string]string{}
	use := func(k, where string) {
		if !strings.HasSuffix(k, ".") && !strings.HasSuffix(k, "_") { // a prefix: see families
			used[k] = where
		}
	}
	for name, src := range readAll(t, "static/js/*.js") {
		for _, m := range tCall.FindAllStringSubmatch(src, -1) {
			use(m[1], name)
		}
		for _, m := range tTernary.FindAllStringSubmatch(src, -1) {
			use(m[1], name)
			use(m[2], name)
		}
	}
	for name, src := range readAll(t, "*.html") {
		for _, m := range dataI18n.FindAllStringSubmatch(src, -1) {
			used[m[1]] = name
		}
		for _, m := range dataAttr.FindAllStringSubmatch(src, -1) {
			for _, pair := range strings.Split(m[1], ";") {
				if _, k, ok := strings.Cut(pair, ":"); ok {
					used[strings.TrimSpace(k)] = name
				}
			}
		}
	}
	// Keys built at run time from protocol values.
	families := map[string][]string{
		"error.":    {"bad_json", "too_large", "unknown_type", "invalid", "protocol", "unauthorized", "not_allowed", "not_found", "wrong_room", "room_locked", "room_full", "room_ended", "removed", "rate_limited", "stale", "not_open", "unavailable", "internal", "shutting_down", "offline", "timeout"},
		"kind.":     {"info", "scenario", "poll", "scale", "open", "wordcloud", "breakout", "plenary", "actions", "closing"},
		"item.":     {"open", "closing", "group", "action"},
		"status.":   {"pending", "approved", "hidden"},
		"queue.f_":  {"pending", "approved", "hidden", "all"},
		"format.":   {"md", "csv", "json"},
		"planlang.": {"nb", "nn", "da", "sv", "en"},
		"source.":   {"builtin", "dir", "upload", "mine", "shared"},
		"audit.": {"sign_in", "sign_in_failed", "sign_out", "session_revoked", "first_admin_created", "user_invited", "user_created", "user_changed",
			"room_created", "room_shared", "room_unshared", "room_ended", "room_exported", "room_forgotten", "room_deleted",
			"event_created", "event_closed", "event_exported", "event_deleted", "plan_uploaded", "plan_shared", "plan_deleted", "settings_changed"},
		"part.":         {"owner", "cofacilitator", "observer", "safeguarding"},
		"role.":         {"admin", "facilitator"},
		"signin.error_": {"unknown", "unavailable", "expired", "cancelled", "not_allowed", "failed", "no_account"},
	}
	for prefix, names := range families {
		for _, n := range names {
			used[prefix+n] = "(built from " + prefix + ")"
		}
	}
	var missing []string
	for k, where := range used {
		if !has(k) {
			missing = append(missing, k+" (used in "+where+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no translation for %s", m)
	}
}

// TestNoTextOutsideTranslations: the pages hold no text of their own (only
// data-i18n keys), and the scripts no sentences.
func TestNoTextOutsideTranslations(t *testing.T) {
	for name, src := range readAll(t, "*.html") {
		text := tagOrDecl.ReplaceAllString(src, " ")
		text = strings.NewReplacer("&nbsp;", " ").Replace(text)
		if s := strings.TrimSpace(text); s != "" {
			t.Errorf("%s has text outside the translation files: %q", name, short(s))
		}
	}
	for name, src := range readAll(t, "static/js/*.js") {
		for i, line := range strings.Split(src, "\n") {
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, "//") || strings.HasPrefix(trimmed, "*") || strings.HasPrefix(trimmed, "/*") {
				continue
			}
			if m := proseLiteral.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d: a sentence in the code: %q", name, i+1, m[1])
			}
		}
	}
}
