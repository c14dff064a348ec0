package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// Formats a report can be written in.
const (
	FormatMarkdown = "md"
	FormatCSV      = "csv"
	FormatJSON     = "json"
	FormatXLSX     = "xlsx"
	FormatHTML     = "html"
)

// Formats lists every format, in the order the API documents them.
var Formats = []string{FormatMarkdown, FormatCSV, FormatJSON, FormatXLSX, FormatHTML}

// ContentType returns the MIME type of a format, or "" if unknown.
func ContentType(format string) string {
	switch format {
	case FormatMarkdown:
		return "text/markdown; charset=utf-8"
	case FormatCSV:
		return "text/csv; charset=utf-8"
	case FormatJSON:
		return "application/json"
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return ""
}

// Write renders the report in a format. The page (FormatHTML) links its
// stylesheet and script at /static/; WriteHTML can point it elsewhere.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case FormatMarkdown:
		return r.writeMarkdown(w)
	case FormatCSV:
		return r.writeCSV(w)
	case FormatJSON:
		return writeJSON(w, r)
	case FormatXLSX:
		return r.writeXLSX(w)
	case FormatHTML:
		return r.WriteHTML(w, "")
	}
	return fmt.Errorf("report: unknown format %q", format)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}

// l returns the report's language table; a Report made by hand (not
// by Build) is written in its Language.
func (r *Report) l() *lang {
	if r.lang == nil {
		r.lang = langFor(r.Language)
	}
	return r.lang
}
