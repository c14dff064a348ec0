package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/stoppunkt/stoppunkt/hub/room"
)

// Charts are inline SVG drawn on the server, so that the printed page
// needs no script. Every text in them is escaped. Sizes are in user units
// of a chartWidth-wide box that the stylesheet scales to the page; text is
// wrapped here by an estimate of its width that errs on the wide side.

const (
	chartWidth = 640
	// charWidth is the widest average advance of a sans-serif character,
	// as a share of the font size, that the wrapping assumes.
	charWidth = 0.6
	labelSize = 14
	lineGap   = 18
)

// svgEsc escapes a text for SVG content and attributes.
func svgEsc(s string) string { return html.EscapeString(s) }

// wrap breaks a text into lines of at most width user units at a font
// size, breaking words that are wider than a line.
func wrap(s string, size, width float64) []string {
	max := int(width / (size * charWidth))
	if max < 1 {
		max = 1
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for utf8.RuneCountInString(word) > max {
			r := []rune(word)
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			lines = append(lines, string(r[:max]))
			word = string(r[max:])
		}
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= max:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

type svg struct {
	b strings.Builder
	y float64
}

func (s *svg) text(x, y float64, class, anchor, t string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" class="%s" text-anchor="%s">%s</text>`, x, y, class, anchor, svgEsc(t))
}

func (s *svg) rect(x, y, w, h float64, class string) {
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"/>`, x, y, w, h, class)
}

// done wraps the drawing in its svg element with a label for screen
// readers.
func (s *svg) done(label string, height float64) template.HTML {
	h := math.Ceil(height)
	// A margin on both sides takes the overhang of glyphs at the edges.
	const pad = 6
	return template.HTML(fmt.Sprintf(`<svg class="chart" viewBox="%d 0 %d %.0f" width="%d" height="%.0f" role="img" aria-label="%s">%s</svg>`,
		-pad, chartWidth+2*pad, h, chartWidth+2*pad, h, svgEsc(label), s.b.String()))
}

// barChart draws one horizontal bar per option, as its share of those who
// answered, with the option's text above its bar.
func barChart(l *lang, counts []Count, answered int) template.HTML {
	const barArea = 470.0
	var s svg
	var aria []string
	for _, c := range counts {
		for _, line := range wrap(c.Option, labelSize, chartWidth) {
			s.y += lineGap
			s.text(0, s.y, "lbl", "start", line)
		}
		s.y += 6
		share := 0.0
		if answered > 0 {
			share = float64(c.Count) / float64(answered)
		}
		s.rect(0, s.y, barArea, 20, "track")
		if w := share * barArea; w > 0 {
			s.rect(0, s.y, math.Max(w, 2), 20, "bar")
		}
		value := l.int(c.Count) + " (" + l.percent(c.Count, answered) + ")"
		s.text(barArea+10, s.y+15, "val", "start", value)
		s.y += 20 + 10
		aria = append(aria, c.Option+": "+value)
	}
	return s.done(strings.Join(aria, "; "), s.y)
}

// scaleChart draws a scale's distribution as columns, one per value, each
// as its share of those who answered, with the median marked.
func scaleChart(l *lang, sc *Scale, answered int) template.HTML {
	const top, colArea, left = 26.0, 150.0, 20.0
	n := len(sc.Counts)
	if n == 0 {
		return ""
	}
	var s svg
	step := (chartWidth - 2*left) / float64(n)
	base := top + colArea
	var aria []string
	for i, c := range sc.Counts {
		x := left + float64(i)*step
		share := 0.0
		if answered > 0 {
			share = float64(c) / float64(answered)
		}
		h := share * colArea
		s.rect(x+step*0.15, base-h, step*0.7, math.Max(h, 1), "bar")
		s.text(x+step/2, base-h-6, "val", "middle", l.int(c))
		s.text(x+step/2, base+20, "lbl", "middle", fmt.Sprint(sc.Min+i))
		aria = append(aria, fmt.Sprintf("%d: %s", sc.Min+i, l.int(c)))
	}
	// The median between columns: value v sits at the centre of column v-min.
	mx := left + (sc.Median-float64(sc.Min))*step + step/2
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="median"/>`, mx, top-8, mx, base)
	anchor := "middle"
	switch {
	case mx < 120:
		anchor = "start"
	case mx > chartWidth-120:
		anchor = "end"
	}
	medianText := l.w.Median + " " + l.num(sc.Median)
	s.text(mx, top-12, "val median-lbl", anchor, medianText)
	s.y = base + 24
	// End labels under the first and last columns, each in half the width.
	ends := []struct {
		text, anchor string
		x            float64
	}{{sc.MinLabel, "start", 0}, {sc.MaxLabel, "end", chartWidth}}
	lowest := s.y
	for _, e := range ends {
		y := s.y
		for _, line := range wrap(e.text, labelSize-1, chartWidth/2-10) {
			y += lineGap
			s.text(e.x, y, "lbl end", e.anchor, line)
		}
		lowest = math.Max(lowest, y)
	}
	label := strings.Join(aria, "; ") + "; " + medianText
	if sc.MinLabel != "" || sc.MaxLabel != "" {
		label += fmt.Sprintf(" (%d: %s, %d: %s)", sc.Min, sc.MinLabel, sc.Max, sc.MaxLabel)
	}
	return s.done(label, lowest+8)
}

// wordCloud lays words out in centred rows, larger the more often they
// were given, most frequent first.
func wordCloud(l *lang, words []room.WordCount) template.HTML {
	if len(words) == 0 {
		return ""
	}
	const minSize, maxSize, gap = 14.0, 40.0, 18.0
	most := words[0].Count
	least := words[len(words)-1].Count
	type placed struct {
		word          string
		size, w       float64
		colour, count int
	}
	var rows [][]*placed
	var rowW []float64
	for i, wc := range words {
		size := minSize
		if most > least {
			size += (maxSize - minSize) * float64(wc.Count-least) / float64(most-least)
		} else {
			size = (minSize + maxSize) / 2
		}
		runes := float64(utf8.RuneCountInString(wc.Word))
		if w := runes * size * charWidth; w > chartWidth {
			size = chartWidth / (runes * charWidth)
		}
		p := &placed{word: wc.Word, size: size, w: runes * size * charWidth, colour: i % 4, count: wc.Count}
		if len(rows) == 0 || rowW[len(rows)-1]+gap+p.w > chartWidth {
			rows = append(rows, nil)
			rowW = append(rowW, -gap)
		}
		k := len(rows) - 1
		rows[k] = append(rows[k], p)
		rowW[k] += gap + p.w
	}
	var s svg
	var aria []string
	for k, row := range rows {
		height := 0.0
		for _, p := range row {
			height = math.Max(height, p.size)
		}
		s.y += height * 1.25
		x := (chartWidth - rowW[k]) / 2
		for _, p := range row {
			fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" class="word c%d" font-size="%.1f" text-anchor="middle">%s</text>`,
				x+p.w/2, s.y, p.colour, p.size, svgEsc(p.word))
			x += p.w + gap
			aria = append(aria, fmt.Sprintf("%s (%s)", p.word, l.int(p.count)))
		}
	}
	return s.done(strings.Join(aria, ", "), s.y+12)
}
