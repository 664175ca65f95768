package tune

import "math"

// PlateauConfig configures PlateauPruner. The zero value is Ray Tune's
// TrialPlateauStopper defaults: a standard deviation below 0.01 over the
// last 4 reports, after at least 4 reports, whatever the value.
type PlateauConfig struct {
	// Std: the trial is pruned when the standard deviation of its last
	// Results reports falls below it; nil means 0.01.
	Std *float64
	// Results is the number of last reports measured; 0 means 4.
	Results int
	// GracePeriod: a trial is not pruned before it has made this many
	// reports; nil means 4.
	GracePeriod *int
	// Threshold, if set, must be reached first: a trial is pruned only once
	// its last value is at or below Threshold when minimizing, at or above
	// it when maximizing (Ray's metric_threshold).
	Threshold *float64
}

// PlateauPruner stops a trial whose reports have flattened out, whatever
// the other trials do (Ray Tune's TrialPlateauStopper): the run has
// converged, and more epochs would buy nothing.
type PlateauPruner struct {
	std     float64
	results int
	grace   int
	cfg     PlateauConfig
}

// NewPlateauPruner returns a PlateauPruner. It panics with an *Error on a
// negative or NaN Std, a negative Results or GracePeriod, or a NaN
// Threshold.
func NewPlateauPruner(cfg PlateauConfig) *PlateauPruner {
	const op = "NewPlateauPruner"
	p := &PlateauPruner{std: 0.01, results: 4, grace: 4, cfg: cfg}
	if cfg.Std != nil {
		p.std = *cfg.Std
	}
	if cfg.Results != 0 {
		p.results = cfg.Results
	}
	if cfg.GracePeriod != nil {
		p.grace = *cfg.GracePeriod
	}
	check(op, p.std >= 0, "Std %v: want 0 or more", p.std)
	check(op, p.results > 0 && p.grace >= 0, "Results %d and GracePeriod %d: want them positive and not negative", p.results, p.grace)
	check(op, cfg.Threshold == nil || !math.IsNaN(*cfg.Threshold), "Threshold is NaN")
	return p
}

// Decide prunes the trial if its last Results reports, in step order,
// have a (population) standard deviation below Std. A NaN among them
// makes it NaN: no plateau.
func (p *PlateauPruner) Decide(v View, t FrozenTrial) Decision {
	if len(t.Reports) < max(p.grace, p.results) {
		return Continue
	}
	ss := steps(&t)
	last := t.Reports[ss[len(ss)-1]]
	if th := p.cfg.Threshold; th != nil && v.Direction().Better(*th, last) {
		return Continue
	}
	window := ss[len(ss)-p.results:]
	mean := 0.0
	for _, s := range window {
		mean += t.Reports[s]
	}
	mean /= float64(len(window))
	variance := 0.0
	for _, s := range window {
		d := t.Reports[s] - mean
		variance += d * d
	}
	if math.Sqrt(variance/float64(len(window))) < p.std {
		return Prune
	}
	return Continue
}
