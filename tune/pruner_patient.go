package tune

// PatientConfig configures PatientPruner. The zero value is patience 0
// with no margin.
type PatientConfig struct {
	// Patience is the number of reports after the best value before which
	// the trial may not be pruned: pruning is considered only once the best
	// of the last Patience+1 reports is no better than the best before them
	// (Optuna's patience).
	Patience int
	// MinDelta is the margin an improvement must beat (min_delta).
	MinDelta float64
}

// PatientPruner lets its wrapped pruner prune a trial only after the trial
// has stopped improving for Patience reports (Optuna's PatientPruner,
// from optuna#1447: pruning robust to jittery objectives). With no wrapped
// pruner it is early stopping on the trial's own reports.
type PatientPruner struct {
	wrapped Pruner
	cfg     PatientConfig
}

// NewPatientPruner returns a PatientPruner around wrapped, which may be
// nil. It panics with an *Error on a negative Patience or MinDelta.
func NewPatientPruner(wrapped Pruner, cfg PatientConfig) *PatientPruner {
	const op = "NewPatientPruner"
	check(op, cfg.Patience >= 0, "Patience %d is negative", cfg.Patience)
	check(op, cfg.MinDelta >= 0, "MinDelta %v is negative or NaN", cfg.MinDelta)
	return &PatientPruner{wrapped: wrapped, cfg: cfg}
}

// Decide asks the wrapped pruner (or prunes, without one) if the best of
// the trial's last Patience+1 reports is worse than the best before them
// by more than MinDelta; NaN reports are ignored, and a stretch of NaN
// alone never counts as stalled.
func (p *PatientPruner) Decide(v View, t FrozenTrial) Decision {
	ss := steps(&t)
	if len(ss) <= p.cfg.Patience+1 {
		return Continue
	}
	split := len(ss) - p.cfg.Patience - 1
	values := make([]float64, len(ss))
	for i, s := range ss {
		values[i] = t.Reports[s]
	}
	d := v.Direction()
	before, after := nanBest(d, values[:split]), nanBest(d, values[split:])
	stalled := before+p.cfg.MinDelta < after
	if d == Maximize {
		stalled = before-p.cfg.MinDelta > after
	}
	if !stalled { // false too when either side is all NaN
		return Continue
	}
	if p.wrapped == nil {
		return Prune
	}
	return p.wrapped.Decide(v, t)
}

// Promote promotes through the wrapped pruner if it is a Promoter (a
// pausing successive halving or Hyperband), and returns nil otherwise.
func (p *PatientPruner) Promote(v View) []int {
	if pr, ok := p.wrapped.(Promoter); ok {
		return pr.Promote(v)
	}
	return nil
}
