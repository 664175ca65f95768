package tune

import "math"

// ThresholdConfig configures ThresholdPruner. Set Lower, Upper or both.
type ThresholdConfig struct {
	// Lower: a trial whose value falls below it is pruned; nil for none.
	Lower *float64
	// Upper: a trial whose value rises above it is pruned; nil for none.
	Upper *float64
	// WarmupSteps: a trial is not pruned at a step below this.
	WarmupSteps int
	// IntervalSteps is the interval between checks, counted from
	// WarmupSteps; 0 means 1.
	IntervalSteps int

	// The options below go further than Optuna; off by default.

	// BestSoFar compares the trial's best value so far with the bounds
	// instead of its last value: with Upper on a loss, a trial is pruned
	// only when even its best is above it, not for one bad epoch.
	BestSoFar bool
	// SmoothEMA, if positive, compares an exponential moving average of the
	// reports instead (of the best of them with BestSoFar), as in
	// PercentileConfig.
	SmoothEMA float64
}

// ThresholdPruner prunes a trial whose value leaves [Lower, Upper] or is
// NaN (Optuna's ThresholdPruner): it stops runs gone astray whatever the
// other trials do.
type ThresholdPruner struct {
	lower, upper float64
	cfg          ThresholdConfig
	read         reading
}

// NewThresholdPruner returns a ThresholdPruner. It panics with an
// *Error if neither bound is set, if Lower > Upper or a bound is NaN,
// on a negative step count or a SmoothEMA outside [0, 1].
func NewThresholdPruner(cfg ThresholdConfig) *ThresholdPruner {
	const op = "NewThresholdPruner"
	check(op, cfg.Lower != nil || cfg.Upper != nil, "set Lower, Upper or both")
	lower, upper := math.Inf(-1), math.Inf(1)
	if cfg.Lower != nil {
		lower = *cfg.Lower
	}
	if cfg.Upper != nil {
		upper = *cfg.Upper
	}
	check(op, lower <= upper, "Lower %v is above Upper %v (or one is NaN)", lower, upper)
	check(op, cfg.WarmupSteps >= 0 && cfg.IntervalSteps >= 0, "WarmupSteps %d and IntervalSteps %d must not be negative",
		cfg.WarmupSteps, cfg.IntervalSteps)
	cfg.IntervalSteps = max(cfg.IntervalSteps, 1)
	return &ThresholdPruner{lower: lower, upper: upper, cfg: cfg, read: newReading(op, cfg.BestSoFar, cfg.SmoothEMA)}
}

// Decide prunes the trial if its last report is NaN or its value is out of
// bounds.
func (p *ThresholdPruner) Decide(v View, t FrozenTrial) Decision {
	step, ok := t.LastStep()
	if !ok || step < p.cfg.WarmupSteps || !firstInInterval(&t, step, p.cfg.WarmupSteps, p.cfg.IntervalSteps) {
		return Continue
	}
	if math.IsNaN(t.Reports[step]) {
		return Prune
	}
	x := p.read.at(&t, step, v.Direction())
	if x < p.lower || x > p.upper {
		return Prune
	}
	return Continue
}
