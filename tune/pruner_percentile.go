package tune

import (
	"math"
	"slices"
)

// PercentileConfig configures the median and percentile pruners. The zero
// value is Optuna's defaults: 5 startup trials, no warm-up, a check at
// every step, one trial to compare with.
type PercentileConfig struct {
	// StartupTrials: no trial is pruned before this many trials have
	// completed; nil means 5 (Optuna's n_startup_trials).
	StartupTrials *int
	// WarmupSteps: a trial is not pruned at a step below this
	// (n_warmup_steps; steps start at 0).
	WarmupSteps int
	// IntervalSteps is the interval between checks, counted from
	// WarmupSteps; a check at a step the trial did not report is made at
	// its next report. 0 means 1 (interval_steps).
	IntervalSteps int
	// MinTrials: a trial is not pruned at a step fewer than this many
	// completed trials reported (n_min_trials); 0 means 1.
	MinTrials int

	// The options below go further than Optuna; all off by default.

	// BestSoFar compares the trial with the other trials' best value up to
	// the step instead of their value at the step (the trial itself is
	// always read by its best value, as in Optuna), so that one noisy epoch
	// of a completed trial does not raise or lower the bar.
	BestSoFar bool
	// SmoothEMA, if positive, reads every trial through an exponential
	// moving average of its reports in step order, s = SmoothEMA·v +
	// (1 − SmoothEMA)·s, before taking values or bests: 1 is no smoothing,
	// 0.3 a strong one.
	SmoothEMA float64
	// CountEnded makes a completed trial whose last report came before the
	// step count at that step with its best value, so that trials which
	// stopped themselves early (by early stopping) still set the bar at the
	// steps they did not run (optuna#2441).
	CountEnded bool
}

// PercentilePruner prunes a trial whose best value so far is worse than
// a percentile of the completed trials' values at the same step (Optuna's
// PercentilePruner; MedianPruner is the 50th percentile). A NaN best (every
// report NaN) is pruned.
type PercentilePruner struct {
	percentile float64
	startup    int
	cfg        PercentileConfig
	read       reading
}

// NewMedianPruner returns the median stopping rule: prune a trial whose
// best value is worse than the median of the completed trials' values at
// the same step (Optuna's MedianPruner). It panics with an *Error on
// a negative count or a SmoothEMA outside [0, 1].
func NewMedianPruner(cfg PercentileConfig) *PercentilePruner {
	return newPercentile("NewMedianPruner", 50, cfg)
}

// NewPercentilePruner returns a pruner that keeps the trials whose best
// value is within the best percentile percent of the completed trials'
// values at each step: 25 keeps the top quarter (Optuna's
// PercentilePruner). It panics with an *Error on a percentile outside
// [0, 100], a negative count or a SmoothEMA outside [0, 1].
func NewPercentilePruner(percentile float64, cfg PercentileConfig) *PercentilePruner {
	return newPercentile("NewPercentilePruner", percentile, cfg)
}

func newPercentile(op string, percentile float64, cfg PercentileConfig) *PercentilePruner {
	check(op, percentile >= 0 && percentile <= 100, "percentile %v outside [0, 100]", percentile)
	startup := 5
	if cfg.StartupTrials != nil {
		startup = *cfg.StartupTrials
	}
	check(op, startup >= 0 && cfg.WarmupSteps >= 0 && cfg.IntervalSteps >= 0 && cfg.MinTrials >= 0,
		"StartupTrials %d, WarmupSteps %d, IntervalSteps %d and MinTrials %d must not be negative",
		startup, cfg.WarmupSteps, cfg.IntervalSteps, cfg.MinTrials)
	cfg.IntervalSteps = max(cfg.IntervalSteps, 1)
	cfg.MinTrials = max(cfg.MinTrials, 1)
	return &PercentilePruner{percentile: percentile, startup: startup, cfg: cfg,
		read: newReading(op, cfg.BestSoFar, cfg.SmoothEMA)}
}

// Decide prunes the trial if, at its last step, its best value is worse
// than the percentile of the completed trials' values there.
func (p *PercentilePruner) Decide(v View, t FrozenTrial) Decision {
	step, ok := t.LastStep()
	if !ok || step < p.cfg.WarmupSteps {
		return Continue
	}
	trials := v.Trials()
	completed := 0
	for i := range trials {
		if trials[i].State == Complete {
			completed++
		}
	}
	if completed == 0 || completed < p.startup {
		return Continue
	}
	if !firstInInterval(&t, step, p.cfg.WarmupSteps, p.cfg.IntervalSteps) {
		return Continue
	}
	d := v.Direction()
	best := p.read.best(&t, d)
	if math.IsNaN(best) {
		return Prune
	}
	values := make([]float64, 0, completed)
	for i := range trials {
		u := &trials[i]
		if u.State != Complete {
			continue
		}
		if _, ok := u.Reports[step]; ok {
			values = append(values, p.read.at(u, step, d))
		} else if !p.cfg.CountEnded {
			continue
		} else if last, ok := u.LastStep(); ok && last < step {
			values = append(values, p.read.best(u, d))
		}
	}
	if len(values) < p.cfg.MinTrials {
		return Continue
	}
	q := p.percentile
	if d == Maximize {
		q = 100 - q
	}
	bar := nanPercentile(values, q)
	if !math.IsNaN(bar) && d.Better(bar, best) {
		return Prune
	}
	return Continue
}

// nanPercentile returns the q-th percentile of values, NaN ignored, by
// linear interpolation between the closest ranks, computed as NumPy's
// nanpercentile computes it (so that a value equal to the percentile
// compares equal here too); NaN if every value is NaN. It sorts values.
func nanPercentile(values []float64, q float64) float64 {
	values = slices.DeleteFunc(values, math.IsNaN)
	n := len(values)
	if n == 0 {
		return math.NaN()
	}
	slices.Sort(values)
	virtual := float64(n-1) * (q / 100)
	prev := int(math.Floor(virtual))
	next := prev + 1
	if virtual >= float64(n-1) {
		prev, next = n-1, n-1
		// NumPy indexes the last value as −1, and weighs it from there.
		return lerp(values[prev], values[next], virtual+1)
	}
	return lerp(values[prev], values[next], virtual-float64(prev))
}

// lerp interpolates from a to b by t as NumPy's _lerp does, from whichever
// end is nearer.
func lerp(a, b, t float64) float64 {
	diff := b - a
	if t >= 0.5 {
		return b - diff*(1-t)
	}
	return a + diff*t
}
