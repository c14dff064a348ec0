package plan

import (
	"fmt"
	"html"
	"regexp"
	"strings"
)

// The body of a step is written in a small, safe subset of Markdown:
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
	inlineLinkRE  = regexp.MustCompile(`^\[([^\]]+)\]\((https://[^)\s"'<>]+)\)`)
)

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
			case strings.TrimSpace(m[1]) == "":
				msgs = append(msgs, fmt.Sprintf("the link to %q has no text", m[2])+where(i))
			case !httpsURL(m[2]):
				msgs = append(msgs, fmt.Sprintf("link %q must point to an https:// address", m[2])+where(i))
			}
		}
	}
	return msgs
}

// RenderBody turns a body written in the Markdown subset into HTML that is
// safe to insert into a page: all text is escaped, and the only elements are
// p, ul, li, em, strong and a (https links, opened in a new tab).
func RenderBody(body string) string {
	var out strings.Builder
	var para, items []string
	flush := func() {
		if len(para) > 0 {
			out.WriteString("<p>" + renderInline(strings.Join(para, "\n")) + "</p>\n")
			para = nil
		}
		if len(items) > 0 {
			out.WriteString("<ul>\n")
			for _, it := range items {
				out.WriteString("<li>" + renderInline(it) + "</li>\n")
			}
			out.WriteString("</ul>\n")
			items = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "- ") || t == "-":
			if len(para) > 0 {
				flush()
			}
			items = append(items, strings.TrimSpace(t[1:]))
		case len(items) > 0 && (line[0] == ' ' || line[0] == '\t'):
			items[len(items)-1] += " " + t
		default:
			if len(items) > 0 {
				flush()
			}
			para = append(para, t)
		}
	}
	flush()
	return out.String()
}

// renderInline renders emphasis, strong, links and escapes in one line or
// paragraph, escaping everything else.
func renderInline(s string) string {
	var b strings.Builder
	lit := 0 // start of the pending literal run
	emit := func(i int) { b.WriteString(html.EscapeString(s[lit:i])) }
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\*[]()_-#!", s[i+1]) >= 0:
			emit(i)
			b.WriteString(html.EscapeString(s[i+1 : i+2]))
			i += 2
			lit = i
			continue
		case strings.HasPrefix(s[i:], "**"):
			if j := closing(s[i+2:], "**"); j > 0 {
				emit(i)
				b.WriteString("<strong>" + renderInline(s[i+2:i+2+j]) + "</strong>")
				i += 4 + j
				lit = i
				continue
			}
		case s[i] == '*':
			if j := closing(s[i+1:], "*"); j > 0 {
				emit(i)
				b.WriteString("<em>" + renderInline(s[i+1:i+1+j]) + "</em>")
				i += 2 + j
				lit = i
				continue
			}
		case s[i] == '[':
			if m := inlineLinkRE.FindStringSubmatch(s[i:]); m != nil && httpsURL(m[2]) {
				emit(i)
				fmt.Fprintf(&b, `<a href="%s" rel="noopener noreferrer" target="_blank">%s</a>`,
					html.EscapeString(m[2]), renderInline(m[1]))
				i += len(m[0])
				lit = i
				continue
			}
		}
		i++
	}
	emit(len(s))
	return b.String()
}

// closing returns the index in s of the delimiter that closes an emphasis
// opened just before s, or -1. The emphasised text must not be empty nor
// start or end with a space, so "2 * 3 * 4" stays as it is.
func closing(s, delim string) int {
	if s == "" || s[0] == ' ' || strings.HasPrefix(s, delim) {
		return -1
	}
	for off := 0; ; {
		j := strings.Index(s[off:], delim)
		if j < 0 {
			return -1
		}
		j += off
		if s[j-1] != ' ' && s[j-1] != '\\' {
			return j
		}
		off = j + len(delim)
	}
}
