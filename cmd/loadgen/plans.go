package main

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The plans the scenarios run. Servers loadgen starts load them with
// --plans; for a server you run yourself, write them with
// "loadgen plans -out DIR" and start it with --plans DIR.
const (
	planKeynote    = "loadgen-keynote"
	planVotes      = "loadgen-votes"
	planConference = "loadgen-conference"
	planSmoke      = "loadgen-smoke"
)

//go:embed plans/*.yaml
var planFiles embed.FS

// keynoteBody is a realistic step body: a paragraph or two of a talk.
const keynoteBody = `Avvergingsplikten gjelder alle, også når du har taushetsplikt. Den
handler ikke om å ha bevis, men om å handle når det er mest sannsynlig at
et alvorlig lovbrudd vil skje eller fortsette. Det er bedre å melde fra en
gang for mye enn en gang for lite.

Plikten kan oppfylles ved å varsle politiet eller på annen måte forsøke å
avverge handlingen. Når du er i tvil: snakk med en kollega eller lederen din,
og skriv ned hva du har sett og hørt, med dato og klokkeslett.`

// keynotePlan is a talk of 100 info steps (the most a plan may have).
func keynotePlan() string {
	var b strings.Builder
	b.WriteString("id: " + planKeynote + "\ntitle: Lasttest – foredrag\nlanguage: nb\nduration: 1h\n")
	b.WriteString("audience: Simulerte deltakere (loadgen)\nsteps:\n")
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&b, "  - kind: info\n    title: \"Del %d av foredraget\"\n    body: |\n", i)
		for _, line := range strings.Split(keynoteBody, "\n") {
			b.WriteString("      " + line + "\n")
		}
		fmt.Fprintf(&b, "    notes: Notat %d for foredragsholderen.\n", i)
	}
	return b.String()
}

// votesPlan is an intro and ten polls, one per vote burst.
func votesPlan() string {
	var b strings.Builder
	b.WriteString("id: " + planVotes + "\ntitle: Lasttest – avstemninger\nlanguage: nb\nduration: 10m\n")
	b.WriteString("audience: Simulerte deltakere (loadgen)\nsteps:\n  - kind: info\n    title: Velkommen\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "  - kind: poll\n    title: \"Avstemning %d: er plikten utløst?\"\n    options: [\"Ja\", \"Nei\", \"Usikker\"]\n", i)
	}
	return b.String()
}

// planSources returns every plan by file name.
func planSources() (map[string]string, error) {
	out := map[string]string{
		planKeynote + ".yaml": keynotePlan(),
		planVotes + ".yaml":   votesPlan(),
	}
	entries, err := planFiles.ReadDir("plans")
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	for _, e := range entries {
		b, err := planFiles.ReadFile("plans/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("plans: %w", err)
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}

// writePlans writes every plan into dir.
func writePlans(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plans folder: %w", err)
	}
	srcs, err := planSources()
	if err != nil {
		return err
	}
	for name, src := range srcs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			return fmt.Errorf("write plan %s: %w", name, err)
		}
	}
	return nil
}
