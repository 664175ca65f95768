package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/minidl/minidl/tune"
)

// saveSVG draws the trials' curves to the file at path.
func saveSVG(path string, res outcome, epochs int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = writeSVG(f, res, epochs)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeSVG draws every trial's reports (validation loss per epoch) on a
// log scale: complete trials in blue, the best in green, pruned ones in
// grey with a cross where they stopped.
func writeSVG(w io.Writer, res outcome, epochs int) error {
	trials := res.trials
	const width, height = 760.0, 440.0
	const left, top, right, bottom = 70.0, 40.0, 20.0, 50.0
	pw, ph := width-left-right, height-top-bottom
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, t := range trials {
		for _, v := range t.Reports {
			if v > 0 && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	if hi-lo < 0.1 {
		lo, hi = lo-0.05, hi+0.05
	}
	pad := (hi - lo) * 0.04
	lo, hi = lo-pad, hi+pad
	x := func(step float64) float64 { return left + step/math.Max(float64(epochs-1), 1)*pw }
	y := func(v float64) float64 { return top + ph - (math.Log10(v)-lo)/(hi-lo)*ph }

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(b, `<rect width="%.0f" height="%.0f" fill="white"/>`+"\n", width, height)
	bestT, hasBest := res.best, res.found
	title := fmt.Sprintf("validation loss of every trial: %s", counts(trials))
	fmt.Fprintf(b, `<text x="%.0f" y="22" text-anchor="middle" font-size="14">%s</text>`+"\n", width/2, title)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", left, top, pw, ph)
	// Ticks: powers of ten and their 2 and 5 multiples inside the range.
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if l := math.Log10(v); l < lo || l > hi {
				continue
			}
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e4e4e4"/><text x="%.1f" y="%.1f" text-anchor="end">%g</text>`+"\n",
				left, y(v), left+pw, y(v), left-5, y(v)+4, v)
		}
	}
	for i := 0; i <= min(epochs-1, 9); i++ {
		step := math.Round(float64(i) * float64(epochs-1) / float64(max(min(epochs-1, 9), 1)))
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.0f</text>`+"\n", x(step), top+ph+16, step)
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">epoch</text>`+"\n", left+pw/2, height-12)
	fmt.Fprintf(b, `<text x="16" y="%.1f" text-anchor="middle" transform="rotate(-90 16 %.1f)">val_loss (log scale)</text>`+"\n", top+ph/2, top+ph/2)

	// Pruned first, then complete, then the best on top.
	order := slices.Clone(trials)
	layer := func(t tune.FrozenTrial) int {
		switch {
		case hasBest && t.Number == bestT.Number:
			return 2
		case t.State == tune.Complete:
			return 1
		}
		return 0
	}
	slices.SortStableFunc(order, func(a, b tune.FrozenTrial) int { return layer(a) - layer(b) })
	for _, t := range order {
		class, color, wide := "pruned", "#9a9a9a", 1.0
		switch {
		case hasBest && t.Number == bestT.Number:
			class, color, wide = "best", "#2ca02c", 2.5
		case t.State == tune.Complete:
			class, color = "complete", "#1f77b4"
		case t.State != tune.Pruned:
			class, color = strings.ToLower(t.State.String()), "#ff7f0e"
		}
		steps := sortedSteps(t.Reports)
		var pts []string
		for _, s := range steps {
			if v := t.Reports[s]; v > 0 && !math.IsInf(v, 0) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(s)), y(v)))
			}
		}
		if len(pts) == 0 {
			continue
		}
		fmt.Fprintf(b, `<polyline class="trial %s" data-trial="%d" fill="none" stroke="%s" stroke-width="%.1f" stroke-opacity="0.75" points="%s"/>`+"\n",
			class, t.Number, color, wide, strings.Join(pts, " "))
		if t.State == tune.Pruned {
			last := steps[len(steps)-1]
			if v := t.Reports[last]; v > 0 && !math.IsInf(v, 0) {
				cx, cy := x(float64(last)), y(v)
				fmt.Fprintf(b, `<path class="stop" data-trial="%d" d="M%.1f %.1fl6 6m0 -6l-6 6" stroke="#d62728" stroke-width="1.5"/>`+"\n", t.Number, cx-3, cy-3)
			}
		}
	}
	legend := [][2]string{{"#1f77b4", "complete"}, {"#9a9a9a", "pruned (× where it stopped)"}}
	if hasBest {
		legend = append(legend, [2]string{"#2ca02c", fmt.Sprintf("best: trial %d, %.4f", bestT.Number, bestT.Value)})
	}
	for i, l := range legend {
		ly := top + 16 + float64(i)*16
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			left+pw-230, ly-4, left+pw-210, ly-4, l[0], left+pw-205, ly, l[1])
	}
	fmt.Fprintln(b, "</svg>")
	return b.Flush()
}

func sortedSteps(r map[int]float64) []int {
	steps := make([]int, 0, len(r))
	for s := range r {
		steps = append(steps, s)
	}
	slices.Sort(steps)
	return steps
}
