package wire

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestProtocolDocumentIsComplete fails when a message type or error code
// exists in the code but is not documented in docs/protocol.md.
func TestProtocolDocumentIsComplete(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"wire.go", "errors.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Type") && !strings.HasPrefix(name.Name, "Code") && !strings.HasPrefix(name.Name, "Role") {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if !strings.Contains(string(doc), "`"+v+"`") {
						t.Errorf("%s (%q) is not documented in docs/protocol.md", name.Name, v)
					}
				}
			}
		}
	}
}

// TestCodesListsEveryCode keeps Codes in step with the constants.
func TestCodesListsEveryCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[Code]bool{}
	for _, c := range Codes {
		listed[c] = true
	}
	n := 0
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			for i, name := range spec.(*ast.ValueSpec).Names {
				if !strings.HasPrefix(name.Name, "Code") {
					continue
				}
				n++
				v, _ := strconv.Unquote(spec.(*ast.ValueSpec).Values[i].(*ast.BasicLit).Value)
				if !listed[Code(v)] {
					t.Errorf("%s is missing from Codes", name.Name)
				}
			}
		}
	}
	if n != len(Codes) {
		t.Errorf("Codes has %d entries, errors.go declares %d codes", len(Codes), n)
	}
}
