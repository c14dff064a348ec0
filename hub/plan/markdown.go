package plan

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The body of a step is written in a small, safe subset of Markdown
// (docs/plans.md, "Body text"), which the screens draw with
// web/static/js/markdown.js:
//
//   - paragraphs, separated by a blank line;
//   - *emphasis* and **strong**;
//   - lists, one "- " item per line (an indented line continues the item);
//   - links written [text](https://...), https only;
//   - a backslash escapes the next character (\*, \[, \\).
//
// Anything else is shown as the text it is. HTML, images and headings are
// refused by the validator, so that a plan cannot carry markup the screens
// would not show as the author meant.
var (
	bodyLinkRE    = regexp.MustCompile(`\[([^\]]*)\]\(([^)]*)\)`)
	bodyImageRE   = regexp.MustCompile(`!\[[^\]]*\]\(`)
	bodyHTMLRE    = regexp.MustCompile(`<[A-Za-z/!?]`)
	bodyHeadingRE = regexp.MustCompile(`^\s{0,3}#{1,6}(\s|$)`)
)

// The links a plan may hold, and the addresses of its videos and images:
// https, a host of letters, digits and hyphens (any script), an optional
// port, and a path, query and fragment without spaces, control or format
// characters, quotes, angle brackets, backslashes, brackets or stray "%".
// web/static/js/markdown.js draws a link only for the same addresses, with
// the same patterns; hub/plan/testdata/links.json is the table of cases
// both are tested against (TestLinkCases here and in web/webtest).
var (
	httpsRE = regexp.MustCompile(`^https://(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)*[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?` +
		`(?::([0-9]{1,5}))?(?:[/?#](?:[^\p{Z}\p{C}"'<>\\^` + "`" + `{|}%()\[\]]|%[0-9A-Fa-f]{2})*)?$`)
	// visibleRE is what a link's text needs at least one of.
	visibleRE = regexp.MustCompile(`[\p{L}\p{N}\p{P}\p{S}]`)
)

// httpsURL reports whether s is an https address a plan may hold.
func httpsURL(s string) bool {
	m := httpsRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	if m[1] != "" {
		if port, err := strconv.Atoi(m[1]); err != nil || port > 65535 {
			return false
		}
	}
	return true
}

// checkBody returns the problems with a body's Markdown, one message each.
func checkBody(body string) []string {
	var msgs []string
	lines := strings.Split(body, "\n")
	where := func(i int) string {
		if len(lines) == 1 {
			return ""
		}
		return fmt.Sprintf(" (body line %d)", i+1)
	}
	for i, line := range lines {
		if bodyHeadingRE.MatchString(line) {
			msgs = append(msgs, "headings are not supported in a body; the step's title is its heading"+where(i))
		}
		if bodyHTMLRE.MatchString(line) {
			msgs = append(msgs, "HTML is not allowed in a body; use *emphasis*, **strong**, \"- \" lists and [links](https://...)"+where(i))
		}
		if bodyImageRE.MatchString(line) {
			msgs = append(msgs, "images are not allowed in a body; a scenario step has an image field"+where(i))
			line = bodyImageRE.ReplaceAllString(line, "(")
		}
		for _, m := range bodyLinkRE.FindAllStringSubmatch(line, -1) {
			switch {
			case !visibleRE.MatchString(m[1]):
				msgs = append(msgs, fmt.Sprintf("the link to %q has no text", m[2])+where(i))
			case !httpsURL(m[2]):
				msgs = append(msgs, fmt.Sprintf("link %q must point to an https:// address", m[2])+where(i))
			}
		}
	}
	return msgs
}
