package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/stoppunkt/stoppunkt/hub/plan"
)

// planUsage is printed for `stoppunkt plan` without a valid subcommand.
const planUsage = `usage:
  stoppunkt plan validate FILE|DIR...     check plan files and print every problem
  stoppunkt plan list [--plans DIR]       list the built-in plans and those in DIR
  stoppunkt plan show [--plans DIR] ID    print a plan's YAML as it was written

--plans defaults to $STOPPUNKT_PLANS, the folder the server loads plans from.

A plan is a YAML file; the format is described in docs/plans.md. To adapt a
built-in plan: stoppunkt plan show ID > my-plan.yaml, give it a new id, edit
it, and check it with stoppunkt plan validate my-plan.yaml.
`

// runPlanCommand runs `stoppunkt plan ...`. args are the words after "plan"
// (os.Args[2:]; a leading "plan" is skipped too). It returns the exit code:
// 0 on success, 1 when a plan has problems or cannot be found, 2 on a usage
// error.
func runPlanCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "plan" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, planUsage)
		return 2
	}
	switch args[0] {
	case "validate":
		return planValidate(args[1:], stdout, stderr)
	case "list":
		return planList(args[1:], stdout, stderr)
	case "show":
		return planShow(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, planUsage)
		return 0
	}
	fmt.Fprintf(stderr, "stoppunkt plan: unknown command %q\n\n%s", args[0], planUsage)
	return 2
}

// planFlags are the options of the plan subcommands.
type planFlags struct {
	dir  string   // --plans DIR
	help bool     // -h, --help
	args []string // everything that is not an option
}

// parsePlanFlags reads options anywhere among the arguments, so that both
// `show --plans DIR ID` and `show ID --plans DIR` work. allowDir says whether
// the subcommand takes --plans.
func parsePlanFlags(args []string, allowDir bool) (planFlags, error) {
	var f planFlags
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			f.args = append(f.args, args[i+1:]...)
			return f, nil
		case a == "-h" || a == "-help" || a == "--help":
			f.help = true
		case allowDir && (a == "--plans" || a == "-plans"):
			if i+1 >= len(args) {
				return f, fmt.Errorf("%s needs a folder", a)
			}
			i++
			f.dir = args[i]
		case allowDir && (strings.HasPrefix(a, "--plans=") || strings.HasPrefix(a, "-plans=")):
			f.dir = a[strings.IndexByte(a, '=')+1:]
		case len(a) > 1 && a[0] == '-':
			return f, fmt.Errorf("unknown option %s", a)
		default:
			f.args = append(f.args, a)
		}
	}
	return f, nil
}

// planUsageError prints a usage problem and returns exit code 2.
func planUsageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "stoppunkt plan %s: %s\n\n%s", cmd, fmt.Sprintf(format, args...), planUsage)
	return 2
}

func planValidate(args []string, stdout, stderr io.Writer) int {
	f, err := parsePlanFlags(args, false)
	switch {
	case err != nil:
		return planUsageError(stderr, "validate", "%v", err)
	case f.help:
		fmt.Fprint(stdout, planUsage)
		return 0
	case len(f.args) == 0:
		return planUsageError(stderr, "validate", "name at least one plan file or folder")
	}
	files, err := expandPlanFiles(f.args)
	if err != nil {
		fmt.Fprintf(stderr, "stoppunkt plan validate: %v\n", err)
		return 1
	}
	builtin := make(map[string]bool)
	for _, p := range plan.Builtin() {
		builtin[p.ID] = true
	}
	ids := make(map[string]string) // plan id -> first file with it
	problems, bad := 0, 0
	for _, file := range files {
		var found []plan.Problem
		data, err := os.ReadFile(file)
		if err != nil {
			found = append(found, plan.Problem{File: file, Message: fmt.Sprintf("cannot read the file: %v", err)})
		} else if p, err := plan.Parse(file, data); err != nil {
			var ve *plan.ValidationError
			if !errors.As(err, &ve) {
				fmt.Fprintf(stderr, "stoppunkt plan validate: %s: %v\n", file, err)
				return 1
			}
			found = ve.Problems
		} else {
			found = planIDProblems(file, data, p, builtin, ids)
			if len(found) == 0 {
				fmt.Fprintf(stdout, "%s: ok (%d steps)\n", file, len(p.Steps))
			}
		}
		for _, pr := range found {
			fmt.Fprintln(stdout, pr.String())
		}
		if len(found) > 0 {
			problems += len(found)
			bad++
		}
	}
	if problems > 0 {
		fmt.Fprintf(stderr, "%s in %s of %s\n", planPlural(problems, "problem"), planPlural(bad, "file"), planPlural(len(files), "file"))
		return 1
	}
	return 0
}

// planIDProblems reports a plan id that a built-in plan or an earlier file
// already has: such a plan could not be loaded next to them.
func planIDProblems(file string, data []byte, p *plan.Plan, builtin map[string]bool, ids map[string]string) []plan.Problem {
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "id:") {
			line = i + 1
			break
		}
	}
	at := plan.Problem{File: file, Line: line, Field: "id"}
	if line > 0 {
		at.Column = 1
	}
	switch other, dup := ids[p.ID]; {
	case builtin[p.ID]:
		at.Message = fmt.Sprintf("%q is the id of a built-in plan, which cannot be replaced; give your plan an id of its own", p.ID)
	case dup:
		at.Message = fmt.Sprintf("plan id %q is already used by %s", p.ID, other)
	default:
		ids[p.ID] = file
		return nil
	}
	return []plan.Problem{at}
}

// expandPlanFiles replaces every folder among names by the *.yaml and *.yml
// files in it.
func expandPlanFiles(names []string) ([]string, error) {
	var files []string
	for _, name := range names {
		info, err := os.Stat(name)
		if err != nil || !info.IsDir() {
			files = append(files, name) // a missing file is reported when read
			continue
		}
		entries, err := os.ReadDir(name)
		if err != nil {
			return nil, fmt.Errorf("reading folder %s: %w", name, err)
		}
		var found []string
		for _, e := range entries {
			ext := strings.ToLower(filepath.Ext(e.Name()))
			if !e.IsDir() && (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(e.Name(), ".") {
				found = append(found, filepath.Join(name, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("folder %s has no .yaml or .yml files", name)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

// loadPlanCatalog builds the catalog of built-in plans and the plans in dir
// (default $STOPPUNKT_PLANS), printing problems with the folder to stderr;
// ok is false if there were any.
func loadPlanCatalog(dir string, stderr io.Writer) (c *plan.Catalog, ok bool) {
	if dir == "" {
		dir = os.Getenv("STOPPUNKT_PLANS")
	}
	c = plan.NewCatalog()
	for _, p := range plan.Builtin() {
		if err := c.Add(p, plan.SourceBuiltin); err != nil {
			fmt.Fprintf(stderr, "stoppunkt plan: built-in plan %s: %v\n", p.ID, err)
			return c, false
		}
	}
	if dir == "" {
		return c, true
	}
	ok = true
	plans, err := plan.LoadDir(dir)
	if err != nil {
		ok = false
		var ve *plan.ValidationError
		if errors.As(err, &ve) {
			for _, pr := range ve.Problems {
				fmt.Fprintln(stderr, pr.String())
			}
		} else {
			fmt.Fprintf(stderr, "stoppunkt plan: %v\n", err)
		}
	}
	for _, p := range plans {
		if err := c.Add(p, plan.SourceDir); err != nil {
			ok = false
			fmt.Fprintf(stderr, "stoppunkt plan: %s: %v\n", dir, err)
		}
	}
	return c, ok
}

func planList(args []string, stdout, stderr io.Writer) int {
	f, err := parsePlanFlags(args, true)
	switch {
	case err != nil:
		return planUsageError(stderr, "list", "%v", err)
	case f.help:
		fmt.Fprint(stdout, planUsage)
		return 0
	case len(f.args) > 0:
		return planUsageError(stderr, "list", "unexpected argument %q", f.args[0])
	}
	c, ok := loadPlanCatalog(f.dir, stderr)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLANG\tDURATION\tSTEPS\tTITLE")
	for _, s := range c.List() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.ID, s.Language, s.Duration, s.Steps, s.Title)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "stoppunkt plan list: %v\n", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

func planShow(args []string, stdout, stderr io.Writer) int {
	f, err := parsePlanFlags(args, true)
	switch {
	case err != nil:
		return planUsageError(stderr, "show", "%v", err)
	case f.help:
		fmt.Fprint(stdout, planUsage)
		return 0
	case len(f.args) != 1:
		return planUsageError(stderr, "show", "name exactly one plan id")
	}
	c, _ := loadPlanCatalog(f.dir, stderr) // problems in other files are only reported
	p, found := c.Get(f.args[0])
	if !found {
		fmt.Fprintf(stderr, "stoppunkt plan show: no plan has the id %q; `stoppunkt plan list` shows them all\n", f.args[0])
		return 1
	}
	if _, err := stdout.Write(p.Source); err != nil {
		fmt.Fprintf(stderr, "stoppunkt plan show: %v\n", err)
		return 1
	}
	return 0
}

// planPlural formats a count with its noun: "1 file", "2 files".
func planPlural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
