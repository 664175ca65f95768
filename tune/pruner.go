package tune

import (
	"maps"
	"math"
	"slices"
)

// nanBest returns the best of values in direction d, ignoring NaN (NaN if
// all are), as NumPy's nanmin and nanmax.
func nanBest(d Direction, values []float64) float64 {
	best := math.NaN()
	for _, x := range values {
		if !math.IsNaN(x) && (math.IsNaN(best) || d.Better(x, best)) {
			best = x
		}
	}
	return best
}

// steps returns the steps t reported, in order.
func steps(t *FrozenTrial) []int { return slices.Sorted(maps.Keys(t.Reports)) }

// reading chooses which value of a trial a pruner compares at a step:
// the value reported there (Optuna's), or, for noisy curves, an
// exponential moving average of the reports, or the best value so far of
// either. Every pruner that compares trials reads them all the same way.
type reading struct {
	bestSoFar bool    // the best value up to the step
	ema       float64 // if positive, s = ema·v + (1 − ema)·s over the reports in step order
}

// newReading checks the options every comparing pruner shares.
func newReading(op string, bestSoFar bool, ema float64) reading {
	check(op, ema >= 0 && ema <= 1, "SmoothEMA %v outside [0, 1]", ema)
	return reading{bestSoFar: bestSoFar, ema: ema}
}

func (r reading) plain() bool { return !r.bestSoFar && r.ema == 0 }

// at returns the value read for t at step. A NaN report reads as NaN and
// leaves the moving average as it was; the best so far ignores NaN (and is
// NaN only if every report up to step is).
func (r reading) at(t *FrozenTrial, step int, d Direction) float64 {
	if r.plain() {
		return t.Reports[step]
	}
	return r.walk(t, step, r.bestSoFar, d)
}

// best returns the best value read over all of t's reports: what a trial
// that ended counts with at the steps it did not reach.
func (r reading) best(t *FrozenTrial, d Direction) float64 {
	return r.walk(t, math.MaxInt, true, d)
}

func (r reading) walk(t *FrozenTrial, upTo int, bestSoFar bool, d Direction) float64 {
	if r.ema == 0 {
		// Without an average, walk is asked for a best, which needs no
		// order: one pass.
		best := math.NaN()
		for k, x := range t.Reports {
			if k <= upTo && !math.IsNaN(x) && (math.IsNaN(best) || d.Better(x, best)) {
				best = x
			}
		}
		return best
	}
	best, last := math.NaN(), math.NaN()
	s, seen := 0.0, false
	visit := func(x float64) {
		if !math.IsNaN(x) {
			if seen {
				s = r.ema*x + (1-r.ema)*s
			} else {
				s, seen = x, true
			}
			x = s
		}
		last = x
		if !math.IsNaN(x) && (math.IsNaN(best) || d.Better(x, best)) {
			best = x
		}
	}
	if upTo < 2*len(t.Reports) {
		// Reports at most steps apart on average (every epoch, say): look the
		// steps up in order rather than sort them.
		for k := 0; k <= upTo; k++ {
			if x, ok := t.Reports[k]; ok {
				visit(x)
			}
		}
	} else {
		for _, k := range steps(t) {
			if k > upTo {
				break
			}
			visit(t.Reports[k])
		}
	}
	if bestSoFar {
		return best
	}
	return last
}

// firstInInterval reports whether step is the first step t reported in
// its interval of checks (Optuna's _is_first_in_interval_step): checks
// fall at warmup, warmup + interval, …, and a check without a report is
// made at the next report. step ≥ warmup.
func firstInInterval(t *FrozenTrial, step, warmup, interval int) bool {
	nearestCheck := (step-warmup)/interval*interval + warmup
	before := -1
	for s := range t.Reports {
		if s != step && s > before {
			before = s
		}
	}
	return before < nearestCheck
}
