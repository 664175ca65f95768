package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/minidl/minidl/callbacks"
)

// setting is one early-stopping configuration of the study.
type setting struct {
	name   string
	family string // "keras" (a fixed patience), "prechelt" or "minidl"
	cfg    callbacks.EarlyStoppingConfig
}

// settings returns the configurations the study replays: Keras's patience
// with and without a margin, Prechelt's GL, PQ and UP, and the rules
// minidl adds.
func settings() []setting {
	var s []setting
	for _, p := range []int{2, 5, 10, 20, 50} {
		s = append(s, setting{fmt.Sprintf("patience %d", p), "keras", callbacks.EarlyStoppingConfig{Patience: p}})
		s = append(s, setting{fmt.Sprintf("patience %d, min_delta 1e-3", p), "keras", callbacks.EarlyStoppingConfig{Patience: p, MinDelta: 1e-3}})
	}
	for _, a := range []float64{1, 2, 3, 5} {
		s = append(s, setting{fmt.Sprintf("GL %g", a), "prechelt", callbacks.EarlyStoppingConfig{GL: a}})
	}
	for _, a := range []float64{0.5, 0.75, 1, 2, 3} {
		s = append(s, setting{fmt.Sprintf("PQ %g", a), "prechelt", callbacks.EarlyStoppingConfig{PQ: a}})
	}
	for _, n := range []int{2, 3, 4} {
		s = append(s, setting{fmt.Sprintf("UP %d", n), "prechelt", callbacks.EarlyStoppingConfig{UP: n}})
	}
	for _, p := range []int{5, 10, 20} {
		s = append(s, setting{fmt.Sprintf("patience %d, EMA 0.3", p), "minidl", callbacks.EarlyStoppingConfig{Patience: p, SmoothEMA: 0.3}})
		s = append(s, setting{fmt.Sprintf("patience %d, median 5", p), "minidl", callbacks.EarlyStoppingConfig{Patience: p, SmoothMedian: 5}})
		s = append(s, setting{fmt.Sprintf("patience %d, increase 0.5", p), "minidl", callbacks.EarlyStoppingConfig{Patience: p, PatienceIncrease: 0.5}})
		s = append(s, setting{fmt.Sprintf("patience %d, also val_error", p), "minidl", callbacks.EarlyStoppingConfig{Patience: p,
			AlsoMonitor: []callbacks.Monitored{{Name: "val_error", Mode: callbacks.Min}}}})
	}
	// MinEpochs holds every rule back, then asks afresh (PQ and UP on their
	// last whole strip).
	s = append(s, setting{"patience 5, min_epochs 30", "minidl", callbacks.EarlyStoppingConfig{Patience: 5, MinEpochs: 30}})
	s = append(s, setting{"UP 2, min_epochs 32", "minidl", callbacks.EarlyStoppingConfig{UP: 2, MinEpochs: 32}})
	s = append(s, setting{"patience 10, EMA 0.3, increase 0.5", "minidl", callbacks.EarlyStoppingConfig{Patience: 10, SmoothEMA: 0.3, PatienceIncrease: 0.5}})
	s = append(s, setting{"patience 5, EMA 0.3, increase 0.5", "minidl", callbacks.EarlyStoppingConfig{Patience: 5, SmoothEMA: 0.3, PatienceIncrease: 0.5}})
	return s
}

// outcome is what one setting did on one curve.
type outcome struct {
	cost     float64 // epochs run / budget
	regret   float64 // E_te(restored) / min E_te − 1; NaN if min E_te is 0
	absolute float64 // E_te(restored) − min E_te
	early    bool    // stopped before the full budget's best validation epoch
	slowness float64 // epochs run / (full budget's best validation epoch + 1), Prechelt's
	vsFull   float64 // E_te(restored) / E_te(full budget's best validation epoch) − 1
}

// measure replays a setting on a curve.
func measure(s setting, c callbacks.Curve) outcome {
	r := callbacks.Replay(s.cfg, c)
	n := c.Epochs()
	run := n
	if r.StopEpoch >= 0 {
		run = r.StopEpoch + 1
	}
	restored := r.BestEpoch
	if restored < 0 {
		restored = run - 1
	}
	testErr, val := c.Series["test_error"], c.Series["val_loss"]
	bestTest := slices.Min(testErr)
	fullBest := argmin(val)
	o := outcome{
		cost:     float64(run) / float64(n),
		regret:   math.NaN(),
		absolute: testErr[restored] - bestTest,
		early:    r.StopEpoch >= 0 && r.StopEpoch < fullBest,
		slowness: float64(run) / float64(fullBest+1),
	}
	if bestTest > 0 {
		o.regret = testErr[restored]/bestTest - 1
	}
	if full := testErr[fullBest]; full > 0 {
		o.vsFull = testErr[restored]/full - 1
	} else {
		o.vsFull = testErr[restored] - full
	}
	return o
}

func argmin(v []float64) int {
	best := 0
	for i, x := range v {
		if x < v[best] {
			best = i
		}
	}
	return best
}

// summary aggregates a setting's outcomes over curves.
type summary struct {
	name, family                        string
	cost, regret, median, absolute      float64
	early, slowness, vsFull, regretSeen float64
	pareto                              bool
}

func summarize(st setting, os []outcome) summary {
	s := summary{name: st.name, family: st.family}
	var regrets []float64
	for _, o := range os {
		s.cost += o.cost
		s.absolute += o.absolute
		s.slowness += o.slowness
		s.vsFull += o.vsFull
		if o.early {
			s.early++
		}
		if !math.IsNaN(o.regret) {
			regrets = append(regrets, o.regret)
		}
	}
	n := float64(len(os))
	s.cost, s.absolute, s.slowness, s.vsFull, s.early = s.cost/n, s.absolute/n, s.slowness/n, s.vsFull/n, s.early/n
	s.regret, s.median = mean(regrets), median(regrets)
	s.regretSeen = float64(len(regrets)) / n
	return s
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// study replays every setting on every curve whose task is in keep (all
// tasks if keep is nil) and marks the Pareto front of mean cost and mean
// regret.
func study(curves []callbacks.Curve, keep func(task string) bool) []summary {
	var out []summary
	for _, s := range settings() {
		var os []outcome
		for _, c := range curves {
			if keep == nil || keep(c.Task) {
				os = append(os, measure(s, c))
			}
		}
		out = append(out, summarize(s, os))
	}
	markPareto(out)
	return out
}

// markPareto marks the summaries no other beats on both cost and regret
// (and strictly on one).
func markPareto(ss []summary) {
	for i := range ss {
		ss[i].pareto = true
		for j := range ss {
			a, b := ss[j], ss[i]
			if a.cost <= b.cost && a.regret <= b.regret && (a.cost < b.cost || a.regret < b.regret) {
				ss[i].pareto = false
				break
			}
		}
	}
}

// baseline is the oracle and the full-budget reference on the same curves:
// training every epoch and keeping the best validation epoch.
func baseline(curves []callbacks.Curve, keep func(string) bool) summary {
	var os []outcome
	for _, c := range curves {
		if keep != nil && !keep(c.Task) {
			continue
		}
		os = append(os, measure(setting{cfg: callbacks.EarlyStoppingConfig{Patience: -1}}, c))
	}
	return summarize(setting{name: "full budget, best validation epoch"}, os)
}

// writeTable writes the study as a markdown table.
func writeTable(w io.Writer, ss []summary, base summary) {
	fmt.Fprintln(w, "| rule | cost | mean regret | median regret | abs. regret | too early | Prechelt slowness | vs full budget | Pareto |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	row := func(s summary) {
		mark := ""
		if s.pareto {
			mark = "✓"
		}
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.4f | %.2f | %.2f | %+.3f | %s |\n",
			s.name, s.cost, s.regret, s.median, s.absolute, s.early, s.slowness, s.vsFull, mark)
	}
	for _, s := range ss {
		row(s)
	}
	base.pareto = false
	row(base)
}

// writeChart draws cost against mean regret, one point a rule, the Pareto
// front joined, as SVG.
func writeChart(w io.Writer, ss []summary, title string) error {
	const width, height, margin = 760.0, 520.0, 70.0
	maxRegret := 0.0
	for _, s := range ss {
		if !math.IsNaN(s.regret) {
			maxRegret = max(maxRegret, s.regret)
		}
	}
	maxRegret = max(maxRegret*1.1, 1e-3)
	x := func(cost float64) float64 { return margin + cost*(width-2*margin) }
	y := func(r float64) float64 { return height - margin - r/maxRegret*(height-2*margin) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="%g" y="24" font-size="15">%s</text>`+"\n", margin, escape(title))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/><line x1="%g" y1="%g" x2="%g" y2="%g" stroke="black"/>`+"\n",
		margin, height-margin, width-margin, height-margin, margin, margin, margin, height-margin)
	for i := 0; i <= 10; i += 2 {
		c := float64(i) / 10
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%.1f</text>`+"\n", x(c), height-margin+16, c)
		r := maxRegret * float64(i) / 10
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%.3f</text>`+"\n", margin-6, y(r)+4, r)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">cost: epochs run / budget</text>`+"\n", width/2, height-24)
	fmt.Fprintf(&b, `<text x="18" y="%g" transform="rotate(-90 18 %g)" text-anchor="middle">mean regret: test error at the restored epoch / best − 1</text>`+"\n", height/2, height/2)
	var front []summary
	for _, s := range ss {
		if s.pareto {
			front = append(front, s)
		}
	}
	slices.SortFunc(front, func(a, b summary) int { return cmpFloat(a.cost, b.cost) })
	if len(front) > 1 {
		var pts []string
		for _, s := range front {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.cost), y(s.regret)))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#d62728" stroke-width="1.5"/>`+"\n", strings.Join(pts, " "))
	}
	for _, s := range ss {
		if math.IsNaN(s.regret) {
			continue
		}
		color := "#1f77b4"
		if s.pareto {
			color = "#d62728"
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s</title></circle>`+"\n", x(s.cost), y(s.regret), color, escape(s.name))
		if s.pareto {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#555">%s</text>`+"\n", x(s.cost)+5, y(s.regret)-5, escape(s.name))
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
