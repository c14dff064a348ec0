package plan

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Parse reads a plan file. file names the file in problems; data is its
// content, at most MaxFileSize bytes. The returned plan has every default
// filled in and its Source set to a copy of data.
//
// When anything is wrong, Parse returns a nil plan and a *ValidationError
// with every problem it found (not just the first), each with its line and
// column; a YAML syntax error is a problem too.
func Parse(file string, data []byte) (*Plan, error) {
	if len(data) > MaxFileSize {
		return nil, &ValidationError{Problems: []Problem{{File: file,
			Message: fmt.Sprintf("the file is %d KiB; a plan file can be at most %d KiB", (len(data)+1023)>>10, MaxFileSize>>10)}}}
	}
	ps := &parser{file: file, pos: make(map[string]position), bad: make(map[string]bool)}
	root := ps.document(data)
	if root == nil {
		return nil, &ValidationError{Problems: ps.problems}
	}
	p := ps.plan(root)
	for _, prob := range p.Validate() {
		if ps.reported(prob.Field) {
			continue
		}
		at := ps.locate(prob.Field)
		prob.File, prob.Line, prob.Column = file, at.line, at.col
		ps.problems = append(ps.problems, prob)
	}
	if len(ps.problems) > 0 {
		sort.SliceStable(ps.problems, func(i, j int) bool {
			a, b := ps.problems[i], ps.problems[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		if n := len(ps.problems); n > maxProblems {
			ps.problems = append(ps.problems[:maxProblems:maxProblems], Problem{File: file,
				Message: fmt.Sprintf("%d more problems not shown; fix the ones above first", n-maxProblems)})
		}
		return nil, &ValidationError{Problems: ps.problems}
	}
	p.Source = bytes.Clone(data)
	return p, nil
}

// ParseDraft reads a plan file for an editor: like Parse, but a file that
// reads as a plan and only breaks the validation rules comes back without
// an error, so that its problems (Validate) can be fixed in the editor. A
// file that cannot be read as a plan (its YAML, a field plans do not have,
// a value of the wrong type) is an error with its problems, as from Parse.
func ParseDraft(file string, data []byte) (*Plan, error) {
	if len(data) > MaxFileSize {
		return Parse(file, data)
	}
	ps := &parser{file: file, pos: make(map[string]position), bad: make(map[string]bool)}
	root := ps.document(data)
	if root == nil {
		return nil, &ValidationError{Problems: ps.problems}
	}
	p := ps.plan(root)
	if len(ps.problems) > 0 {
		return nil, &ValidationError{Problems: ps.problems}
	}
	p.Source = bytes.Clone(data)
	return p, nil
}

// maxProblems is the most problems Parse reports for one file; a file with
// more is not worth reading problem by problem.
const maxProblems = 100

type position struct{ line, col int }

// parser turns a YAML node tree (yaml.go) into a Plan, recording the position of every
// field it sees (so that problems found later by Validate can be located)
// and the problems it finds on the way.
type parser struct {
	file     string
	problems []Problem
	pos      map[string]position // field path -> position of its value
	bad      map[string]bool     // field paths with a problem already
}

func (ps *parser) problem(n *node, field, format string, args ...any) {
	pr := Problem{File: ps.file, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.line, n.col
	}
	ps.problems = append(ps.problems, pr)
	ps.bad[field] = true
}

// reported reports whether a problem was already found at field, inside it
// or around it, so that Validate does not report the same thing again.
func (ps *parser) reported(field string) bool {
	for f := range ps.bad {
		if f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[") ||
			strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+"[") {
			return true
		}
	}
	return false
}

// locate finds the position of a field, or of the nearest enclosing field
// that has one.
func (ps *parser) locate(field string) position {
	for {
		if at, ok := ps.pos[field]; ok {
			return at
		}
		if field == "" {
			return position{1, 1}
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			field = ""
		} else {
			field = field[:i]
		}
	}
}

// document parses data into its root node; nil if it cannot.
func (ps *parser) document(data []byte) *node {
	f, err := parseYAML(data)
	if err != nil {
		ps.syntaxError(data, err)
		return nil
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		ps.problem(nil, "", "the file is empty; a plan starts with id:, title:, language:, duration: and steps:")
		return nil
	}
	if len(f.Docs) > 1 {
		extra := &node{}
		if d := f.Docs[1]; d.Start != nil && d.Start.Position != nil {
			extra.line, extra.col = d.Start.Position.Line, d.Start.Position.Column
		} else {
			extra.line, extra.col = tokenAt(d.Body)
		}
		ps.problem(extra, "", `a plan file holds one YAML document; remove the "---" line and what follows, or put it in a file of its own`)
	}
	root, err := (&converter{}).convert(f.Docs[0].Body)
	if err != nil {
		var ye *yamlError
		if errors.As(err, &ye) {
			ps.problem(&node{line: ye.line, col: ye.col}, "", "YAML syntax error: %s", ye.msg)
		} else {
			ps.problem(nil, "", "YAML syntax error: %s", err)
		}
		return nil
	}
	if root.kind == scalarNode && root.tag == tagNull {
		ps.problem(nil, "", "the file is empty; a plan starts with id:, title:, language:, duration: and steps:")
		return nil
	}
	ps.pos[""] = position{root.line, root.col}
	if root.kind != mappingNode {
		ps.problem(root, "", "a plan must be a mapping of fields (id: ..., title: ..., steps: ...), not %s", describe(root))
		return nil
	}
	return root
}

// syntaxError turns a YAML syntax error into a problem at the mistake,
// with a hint for the usual causes.
func (ps *parser) syntaxError(data []byte, err error) {
	pr := Problem{File: ps.file}
	var se *shapeError
	if errors.As(err, &se) {
		pr.Line, pr.Column, pr.Message = se.line, se.col, se.msg
		ps.problems = append(ps.problems, pr)
		return
	}
	msg := err.Error()
	if line, col, gmsg, ok := errorPosition(err); ok {
		pr.Line, pr.Column, msg = line, col, strings.ReplaceAll(gmsg, "'\t'", "a tab")
	}
	pr.Message = "YAML syntax error: " + msg
	if pr.Line > 0 {
		lines := bytes.Split(data, []byte("\n"))
		lo := min(max(0, pr.Line-2), len(lines))
		for _, l := range lines[lo:max(lo, min(len(lines), pr.Line+1))] {
			if bytes.HasPrefix(bytes.TrimLeft(l, " "), []byte("\t")) {
				pr.Message += " (indent with spaces, not tabs)"
				break
			}
		}
		if !strings.Contains(pr.Message, "tabs") && strings.Contains(msg, "not allowed in this context") {
			pr.Message += " (check the indentation and the colons here and on the line above)"
		}
	}
	ps.problems = append(ps.problems, pr)
}

// lineAt returns line n (1-based) of data, or "".
func lineAt(data []byte, n int) string {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return string(lines[n-1])
}

// describe names a node's type for a message: "a list", "a mapping", or
// its value.
func describe(n *node) string {
	switch n.kind {
	case mappingNode:
		return "a mapping"
	case sequenceNode:
		return "a list"
	}
	switch n.tag {
	case tagNull:
		return "empty"
	case tagStr:
		return strconv.Quote(n.value)
	}
	return n.value
}

// fields walks a mapping, checking keys and recording positions, and calls
// fn for every field with its path and value.
func (ps *parser) fields(n *node, prefix string, fn func(key, path string, k, v *node)) {
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.content); i += 2 {
		k, v := n.content[i], n.content[i+1]
		path := k.value
		if prefix != "" {
			path = prefix + "." + k.value
		}
		switch {
		case k.kind != scalarNode:
			ps.problem(k, prefix, "a field name must be a word such as title, not %s", describe(k))
			continue
		case k.value == "<<":
			ps.problem(k, path, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if line, dup := seen[k.value]; dup {
			ps.problem(k, path, "field %s is set twice (first on line %d)", k.value, line)
			continue
		}
		seen[k.value] = k.line
		ps.pos[path] = position{v.line, v.col}
		fn(k.value, path, k, v)
	}
}

func (ps *parser) plan(root *node) *Plan {
	p := &Plan{}
	ps.fields(root, "", func(key, path string, k, v *node) {
		switch key {
		case "id":
			ps.value(v, path, key, typeString, &p.ID)
		case "title":
			ps.value(v, path, key, typeString, &p.Title)
		case "language":
			ps.value(v, path, key, typeString, &p.Language)
		case "duration":
			ps.value(v, path, key, typeDuration, &p.Duration)
		case "audience":
			ps.value(v, path, key, typeString, &p.Audience)
		case "description":
			ps.value(v, path, key, typeString, &p.Description)
		case "questions":
			ps.value(v, path, key, typeBool, &p.Questions)
		case "steps":
			p.Steps = ps.steps(v, path)
		default:
			ps.problem(k, path, "%s", unknownField(key, planFields))
		}
	})
	return p
}

func (ps *parser) steps(n *node, path string) []Step {
	if n.kind == scalarNode && n.tag == tagNull {
		return nil
	}
	if n.kind != sequenceNode {
		ps.problem(n, path, "steps must be a list of steps, each starting with \"- kind:\", not %s", describe(n))
		return nil
	}
	items := n.content
	if len(items) > MaxSteps {
		ps.problem(n, path, "a plan can have at most %d steps; this one has %d", MaxSteps, len(items))
		items = items[:MaxSteps]
	}
	steps := make([]Step, len(items))
	for i, item := range items {
		sp := fmt.Sprintf("%s[%d]", path, i)
		ps.pos[sp] = position{item.line, item.col}
		if item.kind != mappingNode {
			ps.problem(item, sp, "a step must be a mapping of fields (kind: ..., title: ...), not %s", describe(item))
			continue
		}
		ps.step(item, sp, &steps[i])
		if steps[i].ID == "" {
			steps[i].ID = defaultStepID(i)
		}
	}
	return steps
}

func (ps *parser) step(n *node, path string, s *Step) {
	// Read the kind first, wherever it is, to know which fields belong.
	for i := 0; i+1 < len(n.content); i += 2 {
		if k, v := n.content[i], n.content[i+1]; k.value == "kind" && v.kind == scalarNode {
			s.Kind = Kind(v.value)
		}
	}
	given := make(map[string]bool)
	ps.fields(n, path, func(key, fpath string, k, v *node) {
		f, ok := stepFieldByName[key]
		switch {
		case !ok:
			names := make([]string, len(stepFields))
			for i := range stepFields {
				names[i] = stepFields[i].name
			}
			ps.problem(k, fpath, "%s", unknownField(key, names))
		case s.Kind.Valid() && !f.usedBy(s.Kind):
			ps.problem(k, fpath, "%s", notUsedMessage(key, s.Kind))
		default:
			given[key] = true
			ps.value(v, fpath, key, f.typ, f.ptr(s))
		}
	})
	s.applyDefaults(func(name string) bool { return given[name] })
}

// value decodes a scalar or a list of scalars into dst, which matches typ.
// An empty value ("title:" with nothing after it) leaves dst as it is.
func (ps *parser) value(n *node, path, name string, typ valueType, dst any) {
	if n.kind == scalarNode && n.tag == tagNull {
		return
	}
	if typ == typeList {
		if n.kind != sequenceNode {
			ps.problem(n, path, "%s must be a list (one \"- item\" per line, or [a, b]), not %s", name, describe(n))
			return
		}
		list := make([]string, 0, len(n.content))
		ok := true
		for i, item := range n.content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			ps.pos[ip] = position{item.line, item.col}
			if item.kind != scalarNode {
				ps.problem(item, ip, "each item of %s must be text, not %s", name, describe(item))
				ok = false
				continue
			}
			list = append(list, item.value)
		}
		if ok {
			*dst.(*[]string) = list
		}
		return
	}
	if n.kind != scalarNode {
		ps.problem(n, path, "%s must be %s, not %s", name, typeNames[typ], describe(n))
		return
	}
	switch typ {
	case typeString:
		*dst.(*string) = n.value
	case typeInt:
		if n.tag != tagInt || !n.numOK || int64(int(n.num)) != n.num {
			ps.problem(n, path, "%s must be a whole number, not %s", name, describe(n))
			return
		}
		*dst.(*int) = int(n.num)
	case typeBool:
		if n.tag != tagBool {
			ps.problem(n, path, "%s must be true or false, not %s", name, describe(n))
			return
		}
		*dst.(*bool) = n.truth
	case typeDuration:
		d, err := ParseDuration(n.value)
		if err != nil {
			ps.problem(n, path, "%s", err)
			return
		}
		*dst.(*Duration) = d
	}
}

var typeNames = map[valueType]string{
	typeString:   "text",
	typeInt:      "a whole number",
	typeBool:     "true or false",
	typeDuration: "a duration such as 10m",
	typeList:     "a list",
}

// unknownField is the message for a field name that is not in known,
// suggesting the closest known name when there is one.
func unknownField(name string, known []string) string {
	msg := fmt.Sprintf("unknown field %q", name)
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", best)
	}
	return msg
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
