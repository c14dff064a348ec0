package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	goyaml "github.com/goccy/go-yaml"
	goparser "github.com/goccy/go-yaml/parser"
	"gopkg.in/yaml.v3"
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

// maxProblems is the most problems Parse reports for one file; a file with
// more is not worth reading problem by problem.
const maxProblems = 100

type position struct{ line, col int }

// parser turns a YAML node tree into a Plan, recording the position of every
// field it sees (so that problems found later by Validate can be located)
// and the problems it finds on the way.
type parser struct {
	file     string
	problems []Problem
	pos      map[string]position // field path -> position of its value
	bad      map[string]bool     // field paths with a problem already
}

func (ps *parser) problem(n *yaml.Node, field, format string, args ...any) {
	pr := Problem{File: ps.file, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
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

var yamlErrorRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserErrors are the messages of yaml.v3's parser (not its scanner),
// whose line numbers it prints 0-based.
var yamlParserErrors = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found duplicate %TAG directive":         true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// document decodes data into its root node; nil if it cannot.
func (ps *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			ps.problem(nil, "", "the file is empty; a plan starts with id:, title:, language:, duration: and steps:")
		} else {
			ps.syntaxError(data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		ps.problem(&extra, "", `a plan file holds one YAML document; remove the "---" line and what follows, or put it in a file of its own`)
	case !errors.Is(err, io.EOF):
		ps.syntaxError(data, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
		ps.problem(nil, "", "the file is empty; a plan starts with id:, title:, language:, duration: and steps:")
		return nil
	}
	root := resolve(doc.Content[0])
	ps.pos[""] = position{root.Line, root.Column}
	if root.Kind != yaml.MappingNode {
		ps.problem(root, "", "a plan must be a mapping of fields (id: ..., title: ..., steps: ...), not %s", describe(root))
		return nil
	}
	return root
}

// syntaxError turns a YAML syntax error into a problem. yaml.v3 reports the
// line where the enclosing block starts rather than where the mistake is, so
// the position comes from goccy/go-yaml's parser when it finds the mistake
// too.
func (ps *parser) syntaxError(data []byte, err error) {
	pr := Problem{File: ps.file}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlErrorRE.FindStringSubmatch(err.Error()); m != nil {
		pr.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if yamlParserErrors[msg] {
			pr.Line++ // yaml.v3 prints the parser's 0-based line
		}
	}
	if line, col, gmsg, ok := locateSyntaxError(data); ok {
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
		switch line := lineAt(data, pr.Line); {
		case strings.Contains(pr.Message, "tabs"):
		case strings.Contains(msg, "not allowed in this context"):
			pr.Message += " (check the indentation and the colons here and on the line above)"
		case strings.Contains(line, "[") && strings.Contains(line, "?"):
			pr.Message += ` (a "?" inside [...] confuses YAML: put that item in quotes, or write one "- item" per line)`
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

// maxLocateDepth bounds the nesting of a file handed to goccy/go-yaml,
// whose parser slows down sharply on deeply nested input. Plans nest a few
// levels deep; anything past this is hostile or broken, and keeps yaml.v3's
// line.
const maxLocateDepth = 64

// locateSyntaxError asks goccy/go-yaml where the syntax error in data is.
func locateSyntaxError(data []byte) (line, col int, msg string, ok bool) {
	if nestingDepth(data) > maxLocateDepth {
		return 0, 0, "", false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := goparser.ParseBytes(data, 0)
	var ge goyaml.Error
	if !errors.As(err, &ge) || ge.GetToken() == nil || ge.GetToken().Position == nil {
		return 0, 0, "", false
	}
	p := ge.GetToken().Position
	return p.Line, p.Column, ge.GetMessage(), p.Line > 0
}

// nestingDepth over-estimates how deeply data nests: the deepest run of
// unclosed brackets and braces (quotes ignored), or the widest indentation
// plus "- " markers at the start of a line.
func nestingDepth(data []byte) int {
	deepest, flow := 0, 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		block := 0
		for _, c := range line {
			if c != ' ' && c != '-' {
				break
			}
			block++
		}
		deepest = max(deepest, block)
		for _, c := range line {
			switch c {
			case '[', '{':
				flow++
				deepest = max(deepest, flow)
			case ']', '}':
				flow = max(0, flow-1)
			}
		}
	}
	return deepest
}

// resolve follows an alias to the node it stands for.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// describe names a node's type for a message: "a list", "a mapping", or
// its value.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "empty"
	case "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

// fields walks a mapping, checking keys and recording positions, and calls
// fn for every field with its path and value.
func (ps *parser) fields(n *yaml.Node, prefix string, fn func(key, path string, k, v *yaml.Node)) {
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		switch {
		case k.Kind != yaml.ScalarNode:
			ps.problem(k, prefix, "a field name must be a word such as title, not %s", describe(k))
			continue
		case k.Value == "<<":
			ps.problem(k, path, "merge keys (<<) are not supported; write the fields out")
			continue
		}
		if line, dup := seen[k.Value]; dup {
			ps.problem(k, path, "field %s is set twice (first on line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		ps.pos[path] = position{v.Line, v.Column}
		fn(k.Value, path, k, v)
	}
}

func (ps *parser) plan(root *yaml.Node) *Plan {
	p := &Plan{}
	ps.fields(root, "", func(key, path string, k, v *yaml.Node) {
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
		case "steps":
			p.Steps = ps.steps(v, path)
		default:
			ps.problem(k, path, "%s", unknownField(key, planFields))
		}
	})
	return p
}

func (ps *parser) steps(n *yaml.Node, path string) []Step {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		ps.problem(n, path, "steps must be a list of steps, each starting with \"- kind:\", not %s", describe(n))
		return nil
	}
	items := n.Content
	if len(items) > MaxSteps {
		ps.problem(n, path, "a plan can have at most %d steps; this one has %d", MaxSteps, len(items))
		items = items[:MaxSteps]
	}
	steps := make([]Step, len(items))
	for i, item := range items {
		item = resolve(item)
		sp := fmt.Sprintf("%s[%d]", path, i)
		ps.pos[sp] = position{item.Line, item.Column}
		if item.Kind != yaml.MappingNode {
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

func (ps *parser) step(n *yaml.Node, path string, s *Step) {
	// Read the kind first, wherever it is, to know which fields belong.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := resolve(n.Content[i]), resolve(n.Content[i+1]); k.Value == "kind" && v.Kind == yaml.ScalarNode {
			s.Kind = Kind(v.Value)
		}
	}
	given := make(map[string]bool)
	ps.fields(n, path, func(key, fpath string, k, v *yaml.Node) {
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
func (ps *parser) value(n *yaml.Node, path, name string, typ valueType, dst any) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if typ == typeList {
		if n.Kind != yaml.SequenceNode {
			ps.problem(n, path, "%s must be a list (one \"- item\" per line, or [a, b]), not %s", name, describe(n))
			return
		}
		list := make([]string, 0, len(n.Content))
		ok := true
		for i, item := range n.Content {
			item = resolve(item)
			ip := fmt.Sprintf("%s[%d]", path, i)
			ps.pos[ip] = position{item.Line, item.Column}
			if item.Kind != yaml.ScalarNode {
				ps.problem(item, ip, "each item of %s must be text, not %s", name, describe(item))
				ok = false
				continue
			}
			list = append(list, item.Value)
		}
		if ok {
			*dst.(*[]string) = list
		}
		return
	}
	if n.Kind != yaml.ScalarNode {
		ps.problem(n, path, "%s must be %s, not %s", name, typeNames[typ], describe(n))
		return
	}
	switch typ {
	case typeString:
		*dst.(*string) = n.Value
	case typeInt:
		var i int
		if n.Tag != "!!int" || n.Decode(&i) != nil {
			ps.problem(n, path, "%s must be a whole number, not %s", name, describe(n))
			return
		}
		*dst.(*int) = i
	case typeBool:
		var b bool
		if n.Tag != "!!bool" || n.Decode(&b) != nil {
			ps.problem(n, path, "%s must be true or false, not %s", name, describe(n))
			return
		}
		*dst.(*bool) = b
	case typeDuration:
		d, err := ParseDuration(n.Value)
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
