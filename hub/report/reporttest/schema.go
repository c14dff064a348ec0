// Package reporttest checks report exports against the documents that
// promise their shape, for the tests of any package that makes reports.
package reporttest

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaFile is docs/report.schema.json, found from this source file so
// that tests in any folder read the same file.
func SchemaFile() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "..", "docs", "report.schema.json")
}

var compiled struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

// Schema compiles docs/report.schema.json once, asserting formats such
// as date-time.
func Schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	compiled.once.Do(func() {
		src, err := os.ReadFile(SchemaFile())
		if err != nil {
			compiled.err = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
		if err != nil {
			compiled.err = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if compiled.err = c.AddResource("report.schema.json", doc); compiled.err != nil {
			return
		}
		compiled.schema, compiled.err = c.Compile("report.schema.json")
	})
	if compiled.err != nil {
		t.Fatalf("docs/report.schema.json: %v", compiled.err)
	}
	return compiled.schema
}

// CheckJSON fails the test unless data is a JSON report the schema
// accepts.
func CheckJSON(t testing.TB, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the JSON report does not parse: %v", err)
	}
	if err := Schema(t).Validate(inst); err != nil {
		t.Errorf("the JSON report does not match docs/report.schema.json: %v", err)
	}
}
