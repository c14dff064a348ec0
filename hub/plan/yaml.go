package plan

import (
	"bytes"
	"errors"
	"fmt"

	goyaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	goparser "github.com/goccy/go-yaml/parser"
)

// A plan file is read with goccy/go-yaml's parser, which tells where a
// syntax error is (line and column of the mistake, not of the block
// around it), into a small tree of nodes that keep their position; the
// parser in parse.go reads the plan from that tree.

type nodeKind uint8

const (
	scalarNode nodeKind = iota + 1
	mappingNode
	sequenceNode
)

// Scalar tags, as YAML's core schema resolves a scalar.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagBool  = "!!bool"
	tagFloat = "!!float"
	tagNull  = "!!null"
)

// node is one YAML node with its position (1-based line and column of its
// first character, or of its anchor or tag).
type node struct {
	kind      nodeKind
	tag       string // of a scalar
	value     string // a scalar's text: the string itself for !!str, as written otherwise
	num       int64  // an !!int's value
	numOK     bool   // the !!int fits in an int64
	truth     bool   // a !!bool's value
	line, col int
	content   []*node // mapping: key, value, key, value, ...; sequence: the items
}

// parseYAML parses data into its documents; a syntax error comes back as
// goccy/go-yaml's error, which carries the position, and a file of a
// shape no plan has as a *shapeError (see checkShape).
func parseYAML(data []byte) (f *ast.File, err error) {
	if err := checkShape(data); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, errors.New("the YAML could not be read")
		}
	}()
	// Duplicate fields are refused by the plan parser, with a message
	// that names the first one.
	return goparser.ParseBytes(data, 0, goparser.AllowDuplicateMapKey())
}

// errorPosition returns where goccy/go-yaml places an error, and its
// message without the position and the excerpt of the file.
func errorPosition(err error) (line, col int, msg string, ok bool) {
	var ge goyaml.Error
	if !errors.As(err, &ge) || ge.GetToken() == nil || ge.GetToken().Position == nil {
		return 0, 0, "", false
	}
	p := ge.GetToken().Position
	return p.Line, p.Column, ge.GetMessage(), p.Line > 0
}

// converter turns goccy/go-yaml's syntax tree into nodes. An alias stands
// for the very node of its anchor (shared, not copied), so an alias bomb
// costs nothing.
type converter struct {
	anchors map[string]*node
}

// A yamlError is a problem with the YAML itself found while converting,
// with its position.
type yamlError struct {
	line, col int
	msg       string
}

func (e *yamlError) Error() string { return e.msg }

// tokenAt returns the position of a node's token, or 0, 0.
func tokenAt(n ast.Node) (line, col int) {
	if n == nil {
		return 0, 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line, tk.Position.Column
	}
	return 0, 0
}

func (c *converter) convert(n ast.Node) (*node, error) {
	line, col := tokenAt(n)
	out := &node{kind: scalarNode, line: line, col: col}
	switch v := n.(type) {
	case nil:
		out.tag = tagNull
	case *ast.NullNode:
		out.tag = tagNull
	case *ast.StringNode:
		out.tag, out.value = tagStr, v.Value
	case *ast.LiteralNode:
		out.tag = tagStr
		if v.Value != nil {
			out.value = v.Value.Value
		}
	case *ast.IntegerNode:
		out.tag, out.value = tagInt, v.Token.Value
		switch i := v.Value.(type) {
		case int64:
			out.num, out.numOK = i, true
		case uint64:
			out.num, out.numOK = int64(i), i <= 1<<63-1
		}
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		out.tag, out.value = tagFloat, v.GetToken().Value
	case *ast.BoolNode:
		out.tag, out.value, out.truth = tagBool, v.Token.Value, v.Value
	case *ast.MergeKeyNode:
		out.tag, out.value = "!!merge", "<<"
	case *ast.MappingKeyNode:
		return c.convert(v.Value)
	case *ast.TagNode:
		inner, err := c.convert(v.Value)
		if err != nil {
			return nil, err
		}
		if v.Start != nil && v.Start.Value == tagStr && inner.kind == scalarNode {
			inner.tag = tagStr
		}
		inner.line, inner.col = line, col
		return inner, nil
	case *ast.AnchorNode:
		inner, err := c.convert(v.Value)
		if err != nil {
			return nil, err
		}
		inner.line, inner.col = line, col
		if c.anchors == nil {
			c.anchors = make(map[string]*node)
		}
		c.anchors[anchorName(v.Name)] = inner
		return inner, nil
	case *ast.AliasNode:
		name := anchorName(v.Value)
		target, ok := c.anchors[name]
		if !ok {
			return nil, &yamlError{line, col, fmt.Sprintf("unknown anchor %q: an alias (*%s) needs an anchor (&%s) before it", name, name, name)}
		}
		return target, nil
	case *ast.MappingNode:
		out.kind = mappingNode
		if !v.IsFlowStyle && len(v.Values) > 0 {
			out.line, out.col = tokenAt(v.Values[0].Key)
		}
		for _, mv := range v.Values {
			if err := c.pair(out, mv); err != nil {
				return nil, err
			}
		}
	case *ast.MappingValueNode:
		out.kind = mappingNode
		out.line, out.col = tokenAt(v.Key)
		if err := c.pair(out, v); err != nil {
			return nil, err
		}
	case *ast.SequenceNode:
		out.kind = sequenceNode
		for _, item := range v.Values {
			cn, err := c.convert(item)
			if err != nil {
				return nil, err
			}
			out.content = append(out.content, cn)
		}
	default:
		return nil, &yamlError{line, col, fmt.Sprintf("%s is not supported in a plan", n.Type())}
	}
	return out, nil
}

// pair converts one key and value into mapping m.
func (c *converter) pair(m *node, mv *ast.MappingValueNode) error {
	k, err := c.convert(mv.Key)
	if err != nil {
		return err
	}
	v, err := c.convert(mv.Value)
	if err != nil {
		return err
	}
	if v.line == 0 {
		v.line, v.col = k.line, k.col
	}
	m.content = append(m.content, k, v)
	return nil
}

// anchorName is the name of an anchor or alias.
func anchorName(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

// Limits on a plan file's shape, checked before it is parsed: the time
// goccy/go-yaml's parser takes grows faster than the depth of the
// nesting, and with the square of the fields of one block mapping and of
// the documents in the file. A plan nests a few levels, has a few dozen
// fields per step and one document, so these refuse only hostile or
// broken files, and keep parsing any file of MaxFileSize to milliseconds.
const (
	maxNesting   = 200 // levels, counting indentation and brackets (see nestingDepth)
	maxFields    = 200 // fields of one block mapping
	maxDocuments = 3   // "---" lines
)

// A shapeError is a file refused by checkShape, with the line it was
// refused at (0 when the whole file is).
type shapeError struct {
	line, col int
	msg       string
}

func (e *shapeError) Error() string { return e.msg }

// checkShape refuses a file that nests too deeply, has too many fields in
// one block mapping, or too many documents. Counting is by lines, without
// parsing, and errs towards counting more: every line that starts with a
// key counts as a field of the block at its indentation, except inside a
// block scalar (a "|" or ">" text).
func checkShape(data []byte) error {
	if nestingDepth(data) > maxNesting {
		return &shapeError{msg: fmt.Sprintf("the file nests more than %d levels deep (counting indentation and brackets); a plan needs only a few", maxNesting)}
	}
	type run struct{ col, fields int }
	var runs []run // open block mappings, innermost last
	scalar := -1   // indentation of the line that opened a block scalar; -1: none
	docs := 0
	for n, line := range bytes.Split(data, []byte("\n")) {
		text := bytes.TrimLeft(line, " ")
		indent := len(line) - len(text)
		if len(bytes.TrimSpace(text)) == 0 || text[0] == '#' {
			continue
		}
		if scalar >= 0 {
			if indent > scalar {
				continue
			}
			scalar = -1
		}
		if indent == 0 && (startsWord(text, "---") || startsWord(text, "...")) {
			if startsWord(text, "---") {
				if docs++; docs > maxDocuments {
					return &shapeError{line: n + 1, col: 1, msg: `a plan file holds one YAML document; remove the "---" line and what follows, or put it in a file of its own`}
				}
			}
			runs = runs[:0]
			continue
		}
		col, item := indent, false
		for len(text) > 0 && text[0] == '-' && (len(text) == 1 || text[1] == ' ') {
			rest := bytes.TrimLeft(text[1:], " ")
			col += len(text) - len(rest)
			text, item = rest, true
		}
		for len(runs) > 0 && runs[len(runs)-1].col > col {
			runs = runs[:len(runs)-1]
		}
		value := text
		if k := keyEnd(text); k >= 0 {
			value = bytes.TrimLeft(text[k:], " ")
			switch {
			case len(runs) > 0 && runs[len(runs)-1].col == col && !item:
				runs[len(runs)-1].fields++
			case len(runs) > 0 && runs[len(runs)-1].col == col:
				runs[len(runs)-1].fields = 1 // a new item's mapping
			default:
				runs = append(runs, run{col: col, fields: 1})
			}
			if runs[len(runs)-1].fields > maxFields {
				return &shapeError{line: n + 1, col: col + 1, msg: fmt.Sprintf("more than %d fields in one mapping; a plan's steps have a few dozen at most", maxFields)}
			}
		}
		if opensBlockScalar(value) {
			scalar = indent
		}
	}
	return nil
}

// startsWord reports whether text starts with w followed by a space or
// nothing.
func startsWord(text []byte, w string) bool {
	return bytes.HasPrefix(text, []byte(w)) && (len(text) == len(w) || text[len(w)] == ' ' || text[len(w)] == '\r')
}

// keyEnd returns the index just past the ":" of a line that starts with
// a key ("title: ...", "? ..."), or -1.
func keyEnd(text []byte) int {
	if len(text) == 0 {
		return -1
	}
	if text[0] == '?' && (len(text) == 1 || text[1] == ' ') {
		return 1
	}
	if text[0] == '[' || text[0] == '{' || text[0] == '#' {
		return -1
	}
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '#' && i > 0 && text[i-1] == ' ':
			return -1
		case text[i] == ':' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\r'):
			return i + 1
		}
	}
	return -1
}

// opensBlockScalar reports whether a value starts a block scalar: "|" or
// ">", with chomping and indentation indicators, and maybe a comment.
func opensBlockScalar(value []byte) bool {
	if len(value) == 0 || (value[0] != '|' && value[0] != '>') {
		return false
	}
	for _, c := range value[1:] {
		switch {
		case c == '-' || c == '+' || c >= '0' && c <= '9':
		case c == ' ' || c == '\r':
		case c == '#':
			return true
		default:
			return false
		}
	}
	return true
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
