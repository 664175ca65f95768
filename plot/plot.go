// Package plot draws the history of a training run as an SVG chart, with
// the standard library only: the training and validation loss per epoch,
// the best epoch and the epoch training stopped at, and, when it changed,
// the learning rate in a panel below.
package plot

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/minidl/minidl/callbacks"
)

// Options configures History.
type Options struct {
	Title string
	// LogScale draws the loss axis logarithmically, marked at powers of
	// ten (with 2 and 5 times them, or every digit, when the curve spans
	// few decades); values ≤ 0 are then left out. A linear axis is marked
	// at multiples of 1, 2 or 5 times a power of ten.
	LogScale bool
	// Keys are the series to draw; nil means "loss" and "val_loss".
	Keys []string
	// BestEpoch marks the best epoch; nil means the epoch of the lowest
	// val_loss (or loss, without validation).
	BestEpoch *int
	// Width and Height of the whole image in pixels; 0 means 720 × 420.
	Width, Height int
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

// Save writes the chart of h to the file at path (see History).
func Save(path string, h *callbacks.History, o Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = History(f, h, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// History writes an SVG chart of h to w.
func History(w io.Writer, h *callbacks.History, o Options) error {
	if o.Width == 0 {
		o.Width = 720
	}
	if o.Height == 0 {
		o.Height = 420
	}
	if o.Keys == nil {
		o.Keys = []string{"loss", "val_loss"}
	}
	var series [][]float64
	var names []string
	for _, k := range o.Keys {
		v := h.Values(k)
		if hasFinite(v, o.LogScale) {
			series, names = append(series, v), append(names, k)
		}
	}
	lr := h.Values("lr")
	showLR := changes(lr)

	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", o.Width, o.Height, o.Width, o.Height)
	fmt.Fprintf(bw, `<rect width="%d" height="%d" fill="white"/>`+"\n", o.Width, o.Height)
	if o.Title != "" {
		fmt.Fprintf(bw, `<text x="%d" y="20" text-anchor="middle" font-size="15">%s</text>`+"\n", o.Width/2, html.EscapeString(o.Title))
	}
	main := panel{x: 70, y: 35, w: float64(o.Width - 90), h: float64(o.Height - 80)}
	if showLR {
		main.h = float64(o.Height-80) * 0.7
	}
	n := len(h.Epochs)
	main.setX(n)
	main.setY(series, o.LogScale)
	main.axes(bw, "epoch", "loss", o.LogScale)
	for i, s := range series {
		main.line(bw, s, palette[i%len(palette)], names[i])
	}
	// Markers: best and stop epochs.
	if best := bestEpoch(h, o); best >= 0 && best < n {
		main.marker(bw, best, "#2ca02c", fmt.Sprintf("best epoch %d", best))
	}
	if h.StoppedEpoch >= 0 {
		main.marker(bw, h.StoppedEpoch, "#7f7f7f", fmt.Sprintf("stopped at epoch %d (%s)", h.StoppedEpoch, h.StopReason))
	}
	// Legend.
	for i, name := range names {
		y := main.y + 14 + float64(i)*16
		fmt.Fprintf(bw, `<g class="legend"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">%s</text></g>`+"\n",
			main.x+10, y-4, main.x+30, y-4, palette[i%len(palette)], main.x+35, y, html.EscapeString(name))
	}
	if showLR {
		lrPanel := panel{x: main.x, y: main.y + main.h + 35, w: main.w, h: float64(o.Height-80)*0.3 - 25}
		lrPanel.setX(n)
		lrPanel.setY([][]float64{lr}, false)
		lrPanel.axes(bw, "epoch", "learning rate", false)
		lrPanel.line(bw, lr, "#ff7f0e", "lr")
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

func hasFinite(v []float64, logScale bool) bool {
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) && (!logScale || x > 0) {
			return true
		}
	}
	return false
}

func changes(v []float64) bool {
	for _, x := range v {
		if x != v[0] && !math.IsNaN(x) {
			return true
		}
	}
	return false
}

func bestEpoch(h *callbacks.History, o Options) int {
	if o.BestEpoch != nil {
		return *o.BestEpoch
	}
	v := h.Values("val_loss")
	if !hasFinite(v, false) {
		v = h.Values("loss")
	}
	best, at := math.Inf(1), -1
	for i, x := range v {
		if x < best {
			best, at = x, i
		}
	}
	return at
}

// panel is a rectangle of the chart with its data ranges.
type panel struct {
	x, y, w, h float64
	x0, x1     float64 // epoch range
	y0, y1     float64 // value range (log10 on a log scale)
	log        bool
}

func (p *panel) setX(n int) { p.x0, p.x1 = 0, math.Max(float64(n-1), 1) }

func (p *panel) setY(series [][]float64, logScale bool) {
	p.log = logScale
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s {
			if v2, ok := p.tr(v); ok {
				lo, hi = math.Min(lo, v2), math.Max(hi, v2)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	pad := (hi - lo) * 0.05
	p.y0, p.y1 = lo-pad, hi+pad
}

// tr maps a value to the axis scale, reporting whether it can be drawn.
func (p *panel) tr(v float64) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if p.log {
		if v <= 0 {
			return 0, false
		}
		return math.Log10(v), true
	}
	return v, true
}

func (p *panel) px(epoch float64) float64 { return p.x + (epoch-p.x0)/(p.x1-p.x0)*p.w }
func (p *panel) py(v float64) float64     { return p.y + p.h - (v-p.y0)/(p.y1-p.y0)*p.h }

func (p *panel) axes(w io.Writer, xlabel, ylabel string, logScale bool) {
	fmt.Fprintf(w, `<rect class="frame" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", p.x, p.y, p.w, p.h)
	ticks, unit := p.yTicks()
	for _, v := range ticks {
		t, _ := p.tr(v)
		y := p.py(t)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			p.x, y, p.x+p.w, y, p.x-5, y+4, tickLabel(v, unit(v)))
	}
	for i := 0; i <= 5; i++ {
		e := p.x0 + (p.x1-p.x0)*float64(i)/5
		x := p.px(e)
		fmt.Fprintf(w, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", x, p.y+p.h+15, int(math.Round(e)))
	}
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", p.x+p.w/2, p.y+p.h+30, xlabel)
	fmt.Fprintf(w, `<text x="15" y="%.1f" text-anchor="middle" transform="rotate(-90 15 %.1f)">%s</text>`+"\n", p.y+p.h/2, p.y+p.h/2, ylabel)
}

// yTicks returns round values to mark on the value axis, in its range,
// and the precision each is written to. On a linear axis they are the
// multiples of a step of 1, 2 or 5 times a power of ten that gives three
// to eight ticks. On a log axis they are the powers of ten, thinned to at
// most eight; where the axis spans too few decades for three of them, 2
// and 5 times the powers of ten are added, then every digit times them,
// and an axis within one digit's interval takes linear ticks.
func (p *panel) yTicks() (ticks []float64, unit func(v float64) float64) {
	if !p.log {
		return linearTicks(p.y0, p.y1)
	}
	digit := func(v float64) float64 { return math.Pow(10, math.Floor(math.Log10(v)+1e-9)) }
	lo, hi := math.Floor(p.y0), math.Ceil(p.y1)
	first := math.Ceil(p.y0)                                 // the lowest power of ten on the axis
	every := max(1, math.Ceil((math.Floor(p.y1)-first+1)/8)) // decades between ticks, for at most eight
	for _, digits := range [][]float64{{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		ticks = ticks[:0]
		for e := lo; e <= hi; e++ {
			if len(digits) == 1 && math.Mod(e-first, every) != 0 {
				continue
			}
			for _, d := range digits {
				v := d * math.Pow(10, e)
				if t := math.Log10(v); t >= p.y0 && t <= p.y1 {
					ticks = append(ticks, v)
				}
			}
		}
		if len(ticks) >= 3 || (len(digits) == 9 && len(ticks) >= 2) {
			return ticks, digit
		}
	}
	return linearTicks(math.Pow(10, p.y0), math.Pow(10, p.y1))
}

// linearTicks returns the multiples in [lo, hi] of the step of 1, 2 or 5
// times a power of ten that gives three to eight of them, and the step as
// each one's precision.
func linearTicks(lo, hi float64) ([]float64, func(float64) float64) {
	raw := (hi - lo) / 7
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for k := math.Ceil(lo / step); k*step <= hi; k++ {
		ticks = append(ticks, k*step)
	}
	return ticks, func(float64) float64 { return step }
}

// tickLabel writes v to the precision unit (a power of ten times 1, 2 or
// 5): 0.3, 102000, or 1.02e+07 and 1e-05 for magnitudes from 10⁶ and
// below 10⁻⁴.
func tickLabel(v, unit float64) string {
	if v == 0 {
		return "0"
	}
	last := math.Floor(math.Log10(unit) + 1e-9) // the exponent of the last digit written
	first := math.Floor(math.Log10(math.Abs(v)) + 1e-9)
	if first < -4 || first >= 6 {
		return strconv.FormatFloat(v, 'e', int(max(0, first-last)), 64)
	}
	return strconv.FormatFloat(v, 'f', int(max(0, -last)), 64)
}

// line draws a series as a polyline, broken where values cannot be drawn.
func (p *panel) line(w io.Writer, s []float64, color, name string) {
	var pts []string
	flush := func() {
		if len(pts) > 0 {
			fmt.Fprintf(w, `<polyline class="series" data-name="%s" fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", html.EscapeString(name), color, strings.Join(pts, " "))
			pts = nil
		}
	}
	for i, v := range s {
		t, ok := p.tr(v)
		if !ok {
			flush()
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.px(float64(i)), p.py(t)))
	}
	flush()
}

func (p *panel) marker(w io.Writer, epoch int, color, label string) {
	x := p.px(float64(epoch))
	fmt.Fprintf(w, `<g class="marker"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/><text x="%.1f" y="%.1f" fill="%s" transform="rotate(-90 %.1f %.1f)" text-anchor="end">%s</text></g>`+"\n",
		x, p.y, x, p.y+p.h, color, x-3, p.y+4, color, x-3, p.y+4, html.EscapeString(label))
}
