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
