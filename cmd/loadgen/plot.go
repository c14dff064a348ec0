package main

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"sort"
)

// plotPanel is one chart of a soak plot: a figure of every instance over
// time.
type plotPanel struct {
	Title string
	Unit  string
	Y     func(SoakSample) float64
}

// Plot geometry, in SVG user units.
const (
	plotWidth   = 900
	panelHeight = 170
	plotLeft    = 70
	plotRight   = 20
	plotTop     = 40
	panelGap    = 40
)

var plotColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"}

// renderPlot draws the panels stacked, one line per instance through the
// continuous samples and a dot per quiet sample, minutes on the x axis.
func renderPlot(w io.Writer, title string, panels []plotPanel, samples, quiet []SoakSample) error {
	bw := bufio.NewWriter(w)
	height := plotTop + len(panels)*(panelHeight+panelGap) + 30
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(bw, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", plotLeft, html.EscapeString(title))
	instances := instanceNames(samples, quiet)
	tMax := 1.0
	for _, s := range append(append([]SoakSample(nil), samples...), quiet...) {
		tMax = math.Max(tMax, s.T)
	}
	for i, p := range panels {
		top := plotTop + i*(panelHeight+panelGap)
		drawPanel(bw, p, top, tMax, instances, samples, quiet)
	}
	// Legend.
	y := height - 12
	x := plotLeft
	for i, name := range instances {
		fmt.Fprintf(bw, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			x, y-4, plotColors[i%len(plotColors)], x+18, y, html.EscapeString(name))
		x += 130
	}
	fmt.Fprintf(bw, `<text x="%d" y="%d">dots: between generations, after a forced collection, no rooms or phones left</text>`+"\n", x, y)
	fmt.Fprintln(bw, `</svg>`)
	return bw.Flush()
}

// drawPanel draws one panel with its axes, grid and lines.
func drawPanel(w io.Writer, p plotPanel, top int, tMax float64, instances []string, samples, quiet []SoakSample) {
	yMax := 0.0
	for _, s := range samples {
		yMax = math.Max(yMax, p.Y(s))
	}
	for _, s := range quiet {
		yMax = math.Max(yMax, p.Y(s))
	}
	yMax = niceCeil(yMax * 1.05)
	inner := plotWidth - plotLeft - plotRight
	px := func(t float64) float64 { return plotLeft + t/tMax*float64(inner) }
	py := func(v float64) float64 { return float64(top+panelHeight) - v/yMax*panelHeight }
	label := p.Title
	if p.Unit != "" {
		label += " (" + p.Unit + ")"
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", plotLeft, top-6, html.EscapeString(label))
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", plotLeft, top, inner, panelHeight)
	for k := 0; k <= 4; k++ {
		v := yMax * float64(k) / 4
		y := py(v)
		fmt.Fprintf(w, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", plotLeft, plotLeft+inner, y, y)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotLeft-6, y+4, fmtTick(v))
	}
	minutes := tMax / 60
	step := niceCeil(minutes / 8)
	for m := 0.0; m <= minutes+1e-9; m += step {
		x := px(m * 60)
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e5e5e5"/>`+"\n", x, x, top, top+panelHeight)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%s min</text>`+"\n", x, top+panelHeight+14, fmtTick(m))
	}
	for i, name := range instances {
		color := plotColors[i%len(plotColors)]
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.2" points="`, color)
		for _, s := range samples {
			if s.Instance == name {
				fmt.Fprintf(w, "%.1f,%.1f ", px(s.T), py(p.Y(s)))
			}
		}
		fmt.Fprintln(w, `"/>`)
		for _, s := range quiet {
			if s.Instance == name {
				fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`+"\n", px(s.T), py(p.Y(s)), color)
			}
		}
	}
}

// instanceNames lists the instances in the samples, sorted.
func instanceNames(lists ...[]SoakSample) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !seen[s.Instance] {
				seen[s.Instance] = true
				out = append(out, s.Instance)
			}
		}
	}
	sort.Strings(out)
	return out
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}

// fmtTick prints an axis value without needless decimals.
func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
