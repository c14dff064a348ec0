// Package web holds the browser screens: the phone, the facilitator's
// dashboard and the big screen, as plain HTML, CSS and JavaScript modules
// with no build step.
package web

import "embed"

// Files are the pages at the root and their assets under static/.
//
//go:embed *.html static
var Files embed.FS
