package optim

import (
	"math"
	"slices"
)

// Schedule sets an optimizer's learning rate from epoch to epoch, as
// PyTorch's LR schedulers do: creating one sets the rate for epoch 0, and
// each call to Step (once per epoch, after the optimizer's steps) moves to
// the next epoch. Each step computes the new rate from the optimizer's
// current one, in PyTorch's chainable forms, so schedules compose: several
// on one optimizer multiply their effects, and a rate lowered by a plateau
// rule (optim.Plateau, callbacks.ReduceLROnPlateau) stays lowered. With
// parameter groups (Group), every group follows the schedule from its own
// rate, as in PyTorch.
type Schedule struct {
	opt   Optimizer
	epoch int
	limit int // the last step Step may reach, 0 for no end
	// set sets the optimizer's rates for epoch; epoch 0 is the rate set
	// when the schedule is made.
	set func(epoch int)
}

func newSchedule(opt Optimizer, set func(epoch int)) *Schedule {
	set(0)
	return &Schedule{opt: opt, set: set}
}

// perGroup returns a schedule that gives every parameter group the rule
// made for it from the group's rate when the schedule is made; the rule
// returns the rate for an epoch from the rate in force.
func perGroup(opt Optimizer, rule func(base float64) func(lr float64, epoch int) float64) *Schedule {
	bases := opt.LRs()
	rules := make([]func(float64, int) float64, len(bases))
	for g, base := range bases {
		rules[g] = rule(base)
	}
	return newSchedule(opt, func(e int) {
		lrs := opt.LRs()
		for g, r := range rules {
			lrs[g] = r(lrs[g], e)
		}
		opt.SetLRs(lrs)
	})
}

// chainable returns a schedule whose rule depends only on the rate in force.
func chainable(opt Optimizer, next func(lr float64, epoch int) float64) *Schedule {
	return perGroup(opt, func(float64) func(float64, int) float64 { return next })
}

// Step advances to the next epoch and sets the optimizer's learning rate.
func (s *Schedule) Step() {
	s.epoch++
	s.set(s.epoch)
}

// LR returns the optimizer's learning rate, which the schedule last set
// (and a plateau rule may have lowered since).
func (s *Schedule) LR() float64 { return s.opt.LR() }

// Epoch returns the number of Steps taken.
func (s *Schedule) Epoch() int { return s.epoch }

// Limit returns the last step the schedule can reach (a Step past it
// panics), or 0 if it has no end: OneCycleLR's TotalSteps. A training loop
// that knows its number of steps can refuse a schedule too short before the
// first (train.Fit does).
func (s *Schedule) Limit() int { return s.limit }

// SetEpoch sets the number of Steps taken, for a resumed run whose
// optimizer state (its rate) is loaded too; it does not change the rate.
func (s *Schedule) SetEpoch(epoch int) {
	check("Schedule.SetEpoch", epoch >= 0, "epoch %d is negative", epoch)
	s.epoch = epoch
}

// NewStepLR multiplies the rate by gamma every stepSize epochs, as
// torch.optim.lr_scheduler.StepLR.
func NewStepLR(opt Optimizer, stepSize int, gamma float64) *Schedule {
	check("StepLR", stepSize > 0, "step size %d is not positive", stepSize)
	return chainable(opt, func(lr float64, e int) float64 {
		if e == 0 || e%stepSize != 0 {
			return lr
		}
		return lr * gamma
	})
}

// NewMultiStepLR multiplies the rate by gamma at each milestone epoch (by
// gamma² at a milestone given twice), as torch.optim.lr_scheduler.MultiStepLR.
func NewMultiStepLR(opt Optimizer, milestones []int, gamma float64) *Schedule {
	ms := slices.Clone(milestones)
	return chainable(opt, func(lr float64, e int) float64 {
		for _, m := range ms {
			if m == e && e > 0 {
				lr *= gamma
			}
		}
		return lr
	})
}

// NewExponentialLR multiplies the rate by gamma every epoch, as
// torch.optim.lr_scheduler.ExponentialLR.
func NewExponentialLR(opt Optimizer, gamma float64) *Schedule {
	return chainable(opt, func(lr float64, e int) float64 {
		if e == 0 {
			return lr
		}
		return lr * gamma
	})
}

// NewCosineAnnealingLR follows half a cosine from the rate in force when it
// is made (the base) down to etaMin over tMax epochs, then back up, as
// torch.optim.lr_scheduler.CosineAnnealingLR: alone it gives
// etaMin + (base−etaMin)(1 + cos(π·epoch/tMax))/2, and each step scales the
// distance from etaMin by the ratio of two such terms, so that a rate
// lowered by another rule follows the same curve from where it is.
func NewCosineAnnealingLR(opt Optimizer, tMax int, etaMin float64) *Schedule {
	check("CosineAnnealingLR", tMax > 0, "tMax %d is not positive", tMax)
	t := float64(tMax)
	return perGroup(opt, func(base float64) func(float64, int) float64 {
		return func(lr float64, e int) float64 {
			switch {
			case e == 0:
				return lr
			case (e-1-tMax)%(2*tMax) == 0:
				return lr + (base-etaMin)*(1-math.Cos(math.Pi/t))/2
			}
			return (1+math.Cos(math.Pi*float64(e)/t))/(1+math.Cos(math.Pi*float64(e-1)/t))*(lr-etaMin) + etaMin
		}
	})
}

// NewLinearLR scales the rate by a factor that moves linearly from start
// to end over total epochs and then stays at end, as
// torch.optim.lr_scheduler.LinearLR (a warm-up, with start < end).
// PyTorch's defaults are start 1/3, end 1, total 5.
func NewLinearLR(opt Optimizer, start, end float64, total int) *Schedule {
	check("LinearLR", start > 0 && start <= 1 && end >= 0 && end <= 1, "factors %v → %v: want start in (0, 1] and end in [0, 1]", start, end)
	check("LinearLR", total > 0, "total %d is not positive", total)
	return chainable(opt, func(lr float64, e int) float64 {
		switch {
		case e == 0:
			return lr * start
		case e > total:
			return lr
		}
		return lr * (1 + (end-start)/(float64(total)*start+float64(e-1)*(end-start)))
	})
}

// NewLambdaLR sets the rate to base·factor(step), where base is the rate
// when the schedule is made, as torch.optim.lr_scheduler.LambdaLR. Unlike
// the chainable schedules it overwrites the rate, so a plateau rule's
// lowering lasts only until the next step, as in PyTorch.
func NewLambdaLR(opt Optimizer, factor func(step int) float64) *Schedule {
	check("LambdaLR", factor != nil, "no factor function")
	return perGroup(opt, func(base float64) func(float64, int) float64 {
		return func(_ float64, e int) float64 { return base * factor(e) }
	})
}

// NewCosineAnnealingWarmRestarts follows half a cosine from the rate when
// it is made down to etaMin over t0 steps, then restarts at that rate, each
// period tMult times longer than the one before, as
// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts:
// etaMin + (base−etaMin)(1 + cos(π·t/Tᵢ))/2, t the steps since the last
// restart. It overwrites the rate, as PyTorch's does.
func NewCosineAnnealingWarmRestarts(opt Optimizer, t0, tMult int, etaMin float64) *Schedule {
	check("CosineAnnealingWarmRestarts", t0 > 0, "t0 %d is not positive", t0)
	check("CosineAnnealingWarmRestarts", tMult >= 1, "tMult %d is below 1", tMult)
	return perGroup(opt, func(base float64) func(float64, int) float64 {
		return func(_ float64, e int) float64 {
			t, period := e, t0
			for t >= period {
				t -= period
				period *= tMult
			}
			return etaMin + (base-etaMin)*(1+math.Cos(math.Pi*float64(t)/float64(period)))/2
		}
	})
}

// NewSequentialLR runs schedules one after another, as
// torch.optim.lr_scheduler.SequentialLR: the first from step 0, the next
// from each milestone on (milestones increasing, one fewer than the
// schedules). Each schedule is made by its function when its turn comes,
// from the rate the SequentialLR was made with, so that a warm-up followed
// by a cosine decay (the common recipe) is
//
//	optim.NewSequentialLR(opt, []int{5},
//		func(o optim.Optimizer) *optim.Schedule { return optim.NewLinearLR(o, 0.1, 1, 5) },
//		func(o optim.Optimizer) *optim.Schedule { return optim.NewCosineAnnealingLR(o, 95, 0) })
//
// (PyTorch takes schedules already made; making one sets the rate, so here
// each is made at its milestone instead, which is what PyTorch's reset to
// the initial rate amounts to.) After SetEpoch, the next Step remakes the
// current schedule and replays its steps, so a resumed run follows the
// same rates, less any plateau rule's lowering of the current phase.
func NewSequentialLR(opt Optimizer, milestones []int, makers ...func(Optimizer) *Schedule) *Schedule {
	check("SequentialLR", len(makers) == len(milestones)+1, "%d schedules for %d milestones: want one more schedule than milestones", len(makers), len(milestones))
	for i, m := range milestones {
		check("SequentialLR", m > 0 && (i == 0 || m > milestones[i-1]), "milestones %v: want positive and increasing", milestones)
	}
	ms := slices.Clone(milestones)
	bases := opt.LRs()
	var current *Schedule
	last := -1 // the step of the previous call: another (after SetEpoch) means a resumed run
	return newSchedule(opt, func(e int) {
		defer func() { last = e }()
		i, _ := slices.BinarySearch(ms, e+1) // the number of milestones ≤ e
		start := 0
		if i > 0 {
			start = ms[i-1]
		}
		if current != nil && e != start && e == last+1 {
			current.Step()
			return
		}
		opt.SetLRs(bases)
		current = makers[i](opt)
		for range e - start { // a resumed run (SetEpoch) replays the steps since the milestone
			current.Step()
		}
	})
}
