// Package webtest holds the browser tests of the web screens: the phone,
// the facilitator's dashboard, the big screen and the start pages, driven
// in Debian's Chromium through chromedp against a real Stoppunkt instance.
//
// The tests need /usr/bin/chromium (or STOPPUNKT_CHROMIUM) and, for the
// accessibility audit, axe-core (STOPPUNKT_AXE, or .cache/axe in the
// repository). `make test` installs both and passes where they are; there,
// and wherever CI is set, a test whose browser or axe-core is missing
// fails. A plain `go test` elsewhere skips it. Screenshots of every screen go to a folder the tests print
// (STOPPUNKT_SHOTS to choose it).
package webtest
