package tune

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// SuccessiveHalvingConfig configures SuccessiveHalvingPruner. The zero
// value is Optuna's and ASHA's defaults: an automatic minimum resource,
// reduction factor 4, minimum early-stopping rate 0, no bootstrap, and
// pruning (not pausing).
type SuccessiveHalvingConfig struct {
	// MinResource is r, the steps a trial runs before its first rung: rung
	// k is reached at step MinResource·ReductionFactor^(MinEarlyStoppingRate+k).
	// 0 means automatic, as Optuna's "auto": max(1, ⌊last step / 100⌋),
	// where the last step is the one trials declare they will reach
	// (View.MaxStep: the PruningCallback declares the run's last epoch), or,
	// if none has, as in Optuna, the last step of the longest trial completed
	// so far; no trial is pruned before it is known. It is fixed the first
	// time it is known (recorded on the deciding trial, so a resumed study
	// keeps it). Set it if trials have different lengths by design.
	MinResource int
	// ReductionFactor is η: about 1/η of the trials that reach a rung go on
	// to the next. 0 means 4.
	ReductionFactor int
	// MinEarlyStoppingRate is s, which delays the first rung by η^s.
	MinEarlyStoppingRate int
	// BootstrapCount: a trial is not promoted from a rung until more than
	// this many trials have reached it. It needs a MinResource.
	BootstrapCount int

	// The options below go further than Optuna; all off by default.

	// Pause makes the pruner a Promoter that pauses a trial it would prune
	// at a rung, instead of pruning it; Promote resumes it once enough
	// trials have reached the rung for it to be among the best 1/η there
	// (Ray Tune's HyperBand and ASHA's promotion). A NaN is still pruned.
	Pause bool
	// BestSoFar records at a rung the trial's best value so far instead of
	// its value at the rung's step, so that one noisy epoch does not decide.
	BestSoFar bool
	// SmoothEMA, if positive, records an exponential moving average of the
	// reports (the best of the averages with BestSoFar), as in
	// PercentileConfig.
	SmoothEMA float64
	// CountEnded makes a completed trial that ended before a rung's step
	// compete at that rung with its best value, so that trials which stopped
	// themselves early still set the bar; such a trial is complete, and
	// never promoted past what it ran.
	CountEnded bool
}

// SuccessiveHalvingPruner is asynchronous successive halving (ASHA, Li et
// al. 2018; Optuna's SuccessiveHalvingPruner): when a trial reaches a
// rung's step, its value there is recorded, and it goes on only if it is
// among the best 1/η of the values recorded at that rung so far; otherwise
// it is pruned (or, with Pause, paused). The rungs a trial completed are
// kept in its Attrs ("completed_rung_0", … as Optuna's system attributes),
// so the pruner holds no state of its own.
type SuccessiveHalvingPruner struct {
	h halving
}

// NewSuccessiveHalvingPruner returns a SuccessiveHalvingPruner. It panics
// with an *Error on a negative setting, a ReductionFactor of 1, a
// BootstrapCount without a MinResource, or a SmoothEMA outside [0, 1].
func NewSuccessiveHalvingPruner(cfg SuccessiveHalvingConfig) *SuccessiveHalvingPruner {
	const op = "NewSuccessiveHalvingPruner"
	if cfg.ReductionFactor == 0 {
		cfg.ReductionFactor = 4
	}
	check(op, cfg.MinResource >= 0 && cfg.MinEarlyStoppingRate >= 0 && cfg.BootstrapCount >= 0,
		"MinResource %d, MinEarlyStoppingRate %d and BootstrapCount %d must not be negative",
		cfg.MinResource, cfg.MinEarlyStoppingRate, cfg.BootstrapCount)
	check(op, cfg.ReductionFactor >= 2, "ReductionFactor %d is below 2", cfg.ReductionFactor)
	check(op, cfg.BootstrapCount == 0 || cfg.MinResource > 0, "BootstrapCount %d needs a MinResource, not the automatic one", cfg.BootstrapCount)
	return &SuccessiveHalvingPruner{h: halving{
		minResource: cfg.MinResource, factor: cfg.ReductionFactor, rate: cfg.MinEarlyStoppingRate,
		bootstrap: cfg.BootstrapCount, pause: cfg.Pause, countEnded: cfg.CountEnded,
		read: newReading(op, cfg.BestSoFar, cfg.SmoothEMA),
	}}
}

// Decide records the trial's value at each rung it has just reached and
// prunes (or pauses) it unless it is among the best there.
func (p *SuccessiveHalvingPruner) Decide(v View, t FrozenTrial) Decision {
	if _, ok := t.LastStep(); !ok {
		return Continue
	}
	trials := v.Trials()
	minResource := p.h.minResource
	if minResource == 0 {
		if minResource = autoMinResource(v, trials, t.Number); minResource == 0 {
			return Continue
		}
	}
	return p.h.decide(v, trials, t, minResource)
}

// Promote returns the paused trials that are now among the best 1/η of
// their rung, higher rungs first (as ASHA looks for promotions from the
// top), then best first. It returns nil unless the pruner pauses.
func (p *SuccessiveHalvingPruner) Promote(v View) []int {
	if !p.h.pause {
		return nil
	}
	trials := v.Trials()
	minResource := p.h.minResource
	if minResource == 0 {
		minResource = recordedAttr(trials, minResourceAttr)
	}
	if minResource == 0 {
		return nil
	}
	var found []promotion
	for i := range trials {
		if pr, ok := p.h.promotable(v.Direction(), trials, &trials[i], minResource); ok {
			found = append(found, pr)
		}
	}
	return promotionOrder(v.Direction(), found)
}

// The attributes the halving pruners record: the rungs completed, and the
// automatic resources, fixed once by the first trial that could.
const (
	minResourceAttr = "successive_halving_min_resource"
	maxResourceAttr = "hyperband_max_resource"
)

func rungAttr(rung int) string { return "completed_rung_" + strconv.Itoa(rung) }

// recordedAttr returns the value of key on the lowest-numbered trial that
// has it, 0 if none has. A value that is not a whole number from 1 to
// 2³¹ − 1 (no pruner records one; a journal edited by hand might) is
// passed over.
func recordedAttr(trials []FrozenTrial, key string) int {
	for i := range trials {
		if x, ok := trials[i].Attrs[key]; ok && x >= 1 && x <= math.MaxInt32 && x == math.Trunc(x) {
			return int(x)
		}
	}
	return 0
}

// autoMinResource returns the minimum resource recorded, or fixes it as
// Optuna estimates it, max(1, ⌊last step / 100⌋), recording it on trial n;
// 0 while it cannot be fixed. The last step is the one trials declared
// (View.MaxStep), else, as in Optuna, the longest completed trial's.
func autoMinResource(v View, trials []FrozenTrial, n int) int {
	if r := recordedAttr(trials, minResourceAttr); r > 0 {
		return r
	}
	last, ok := lastStep(v, trials)
	if !ok {
		return 0
	}
	r := max(last/100, 1)
	v.SetAttr(n, minResourceAttr, float64(r))
	return r
}

// lastStep returns the last step of a full trial: the one trials declared
// (View.MaxStep) if any did, else the longest completed trial's.
func lastStep(v View, trials []FrozenTrial) (int, bool) {
	if last, ok := v.MaxStep(); ok {
		return last, true
	}
	return longestCompleted(trials)
}

// longestCompleted returns the largest last step of a completed trial.
func longestCompleted(trials []FrozenTrial) (int, bool) {
	longest, found := 0, false
	for i := range trials {
		if trials[i].State != Complete {
			continue
		}
		if last, ok := trials[i].LastStep(); ok && (!found || last > longest) {
			longest, found = last, true
		}
	}
	return longest, found
}

// halving is successive halving over a set of peer trials: the whole study
// for SuccessiveHalvingPruner, one bracket for Hyperband.
type halving struct {
	minResource, factor, rate, bootstrap int
	pause, countEnded                    bool
	read                                 reading
}

// rungStep returns the step at which a trial completes rung, MaxInt if
// that is beyond what an int holds.
func (h *halving) rungStep(minResource, rung int) int {
	s := minResource
	for range h.rate + rung {
		if s > math.MaxInt/h.factor {
			return math.MaxInt
		}
		s *= h.factor
	}
	return s
}

// currentRung returns the first rung t has not completed.
func currentRung(t *FrozenTrial) int {
	rung := 0
	for {
		if _, ok := t.Attrs[rungAttr(rung)]; !ok {
			return rung
		}
		rung++
	}
}

// decide is Optuna's SuccessiveHalvingPruner.prune over peers, which holds
// every trial that competes with t (t's own snapshot among them or not).
func (h *halving) decide(v View, peers []FrozenTrial, t FrozenTrial, minResource int) Decision {
	step, _ := t.LastStep()
	d := v.Direction()
	value := h.read.at(&t, step, d)
	for rung := currentRung(&t); ; rung++ {
		rungStep := h.rungStep(minResource, rung)
		if step < rungStep {
			return Continue
		}
		if math.IsNaN(t.Reports[step]) || math.IsNaN(value) {
			return Prune
		}
		v.SetAttr(t.Number, rungAttr(rung), value)
		competing := h.competing(d, peers, t.Number, rung, rungStep, value)
		if len(competing) <= h.bootstrap || !topFraction(d, value, competing, h.factor) {
			if h.pause {
				return Pause
			}
			return Prune
		}
	}
}

// competing returns the values recorded at rung by the peers other than
// trial self, with value appended, and, with countEnded, the best values
// of the completed peers that ended before the rung's step.
func (h *halving) competing(d Direction, peers []FrozenTrial, self, rung, rungStep int, value float64) []float64 {
	key := rungAttr(rung)
	var values []float64
	for i := range peers {
		u := &peers[i]
		if u.Number == self {
			continue
		}
		if x, ok := u.Attrs[key]; ok {
			values = append(values, x)
		} else if !h.countEnded || u.State != Complete {
			continue
		} else if last, ok := u.LastStep(); ok && last < rungStep {
			if best := h.read.best(u, d); !math.IsNaN(best) {
				values = append(values, best)
			}
		}
	}
	return append(values, value)
}

// topFraction reports whether value is among the best ⌊n/η⌋ (at least
// one) of competing, which holds it; ties go its way. It sorts competing.
func topFraction(d Direction, value float64, competing []float64, factor int) bool {
	k := max(len(competing)/factor-1, 0)
	slices.Sort(competing)
	if d == Maximize {
		return value >= competing[len(competing)-1-k]
	}
	return value <= competing[k]
}

// promotion is a paused trial that may go on: its number, the rung it
// paused at and its value there.
type promotion struct {
	number, rung int
	value        float64
}

// promotable reports whether t is paused at a rung where it is now among
// the best.
func (h *halving) promotable(d Direction, peers []FrozenTrial, t *FrozenTrial, minResource int) (promotion, bool) {
	rung := currentRung(t) - 1
	if t.State != Paused || rung < 0 {
		return promotion{}, false
	}
	value := t.Attrs[rungAttr(rung)]
	competing := h.competing(d, peers, t.Number, rung, h.rungStep(minResource, rung), value)
	if len(competing) <= h.bootstrap || !topFraction(d, value, competing, h.factor) {
		return promotion{}, false
	}
	return promotion{t.Number, rung, value}, true
}

// promotionOrder returns the numbers of found, higher rungs first, then
// best value first, then lowest number.
func promotionOrder(d Direction, found []promotion) []int {
	slices.SortFunc(found, func(a, b promotion) int {
		if c := cmp.Compare(b.rung, a.rung); c != 0 {
			return c
		}
		if d.Better(a.value, b.value) {
			return -1
		}
		if d.Better(b.value, a.value) {
			return 1
		}
		return cmp.Compare(a.number, b.number)
	})
	numbers := make([]int, len(found))
	for i, pr := range found {
		numbers[i] = pr.number
	}
	return numbers
}
