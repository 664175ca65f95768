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
	"strings"

	"github.com/minidl/minidl/callbacks"
)

// Options configures History.
type Options struct {
	Title string
	// LogScale draws the loss axis logarithmically; values ≤ 0 are then
	// left out.
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
	for i := 0; i <= 4; i++ {
		v := p.y0 + (p.y1-p.y0)*float64(i)/4
		label := v
		if logScale {
			label = math.Pow(10, v)
		}
		y := p.py(v)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text class="tick" x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			p.x, y, p.x+p.w, y, p.x-5, y+4, tick(label))
	}
	for i := 0; i <= 5; i++ {
		e := p.x0 + (p.x1-p.x0)*float64(i)/5
		x := p.px(e)
		fmt.Fprintf(w, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", x, p.y+p.h+15, int(math.Round(e)))
	}
	fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", p.x+p.w/2, p.y+p.h+30, xlabel)
	fmt.Fprintf(w, `<text x="15" y="%.1f" text-anchor="middle" transform="rotate(-90 15 %.1f)">%s</text>`+"\n", p.y+p.h/2, p.y+p.h/2, ylabel)
}

func tick(v float64) string {
	if v != 0 && (math.Abs(v) < 1e-3 || math.Abs(v) >= 1e4) {
		return fmt.Sprintf("%.1e", v)
	}
	return fmt.Sprintf("%.4g", v)
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
