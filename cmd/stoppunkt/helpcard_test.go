package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The help card settings reach the hub: the country of the national lines
// and the organisation's own lines from the file, comments and empty lines
// skipped; a wrong country or a file that does not fit a help card is
// refused at start, naming the setting.
func TestHelpCardSettings(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "help.txt")
	if err := os.WriteFile(good, []byte("# our own\nBedriftshelsetjenesten: 22 00 00 00\n\n  HR: https://intra.example.no/hjelp  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSettings(&bytes.Buffer{})
	o := registerSettings(s)
	env := map[string]string{"STOPPUNKT_HELP_COUNTRY": "DK", "STOPPUNKT_HELP_FILE": good}
	if err := s.parse(nil, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hub.HelpCard.Country != "dk" || !slices.Equal(cfg.Hub.HelpCard.Lines, []string{"Bedriftshelsetjenesten: 22 00 00 00", "HR: https://intra.example.no/hjelp"}) {
		t.Errorf("help card %+v", cfg.Hub.HelpCard)
	}

	tooMany := filepath.Join(dir, "many.txt")
	_ = os.WriteFile(tooMany, []byte(strings.Repeat("Linje: 123\n", 11)), 0o600)
	tooLong := filepath.Join(dir, "long.txt")
	_ = os.WriteFile(tooLong, []byte(strings.Repeat("x", 201)+"\n"), 0o600)
	for _, c := range []struct{ args []string }{
		{[]string{"--help-country", "se"}},
		{[]string{"--help-file", filepath.Join(dir, "missing.txt")}},
		{[]string{"--help-file", tooMany}},
		{[]string{"--help-file", tooLong}},
	} {
		var out bytes.Buffer
		err := run(context.Background(), c.args, noEnv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.args[0], "")) {
			t.Errorf("%v: want an error naming %s, got %v", c.args, c.args[0], err)
		}
	}
}

// The organisation's own screening terms extend the shipped lists; a line
// without a known language is refused at start.
func TestScreeningTermsSetting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "terms.txt")
	_ = os.WriteFile(file, []byte("# ours\nnb: violence: mobbet*\nda: mobbet*\n"), 0o600)
	s := newSettings(&bytes.Buffer{})
	o := registerSettings(s)
	if err := s.parse([]string{"--screening-terms", file}, noEnv); err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if ms := cfg.Hub.ScreeningTerms.Disclosures("nb", "Sjefen min mobbet meg hele våren."); len(ms) != 1 {
		t.Errorf("the extended list finds %v", ms)
	}
	bad := filepath.Join(dir, "bad.txt")
	_ = os.WriteFile(bad, []byte("de: schlagen\n"), 0o600)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--screening-terms", bad}, noEnv, &out, &out); err == nil || !strings.Contains(err.Error(), "--screening-terms") {
		t.Errorf("a line in an unknown language: %v", err)
	}
}
