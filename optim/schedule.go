package optim

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Schedule sets an optimizer's learning rate from the epoch count, as
// PyTorch's LR schedulers do: creating one sets the rate for epoch 0, and
// each call to Step (once per epoch, after the optimizer's steps) moves to
// the next epoch. Rates are computed in closed form from the base rate, the
// optimizer's rate when the schedule was made.
type Schedule struct {
	opt    Optimizer
	base   float64
	epoch  int
	factor func(epoch int) float64 // the rate is base·factor(epoch)
}

func newSchedule(opt Optimizer, factor func(int) float64) *Schedule {
	s := &Schedule{opt: opt, base: opt.LR(), factor: factor}
	opt.SetLR(s.LR())
	return s
}

// Step advances to the next epoch and sets the optimizer's learning rate.
func (s *Schedule) Step() {
	s.epoch++
	s.opt.SetLR(s.LR())
}

// LR returns the learning rate for the current epoch.
func (s *Schedule) LR() float64 { return s.base * s.factor(s.epoch) }

// Epoch returns the number of Steps taken.
func (s *Schedule) Epoch() int { return s.epoch }

// NewStepLR multiplies the rate by gamma every stepSize epochs:
// base·gamma^⌊epoch/stepSize⌋, as torch.optim.lr_scheduler.StepLR.
func NewStepLR(opt Optimizer, stepSize int, gamma float64) *Schedule {
	check("StepLR", stepSize > 0, "step size %d is not positive", stepSize)
	return newSchedule(opt, func(e int) float64 { return math.Pow(gamma, float64(e/stepSize)) })
}

// NewMultiStepLR multiplies the rate by gamma at each milestone epoch, as
// torch.optim.lr_scheduler.MultiStepLR.
func NewMultiStepLR(opt Optimizer, milestones []int, gamma float64) *Schedule {
	ms := slices.Clone(milestones)
	sort.Ints(ms)
	return newSchedule(opt, func(e int) float64 {
		passed := sort.Search(len(ms), func(i int) bool { return ms[i] > e })
		return math.Pow(gamma, float64(passed))
	})
}

// NewExponentialLR multiplies the rate by gamma every epoch: base·gammaᵉ.
func NewExponentialLR(opt Optimizer, gamma float64) *Schedule {
	return newSchedule(opt, func(e int) float64 { return math.Pow(gamma, float64(e)) })
}

// NewCosineAnnealingLR follows half a cosine from the base rate down to
// etaMin over tMax epochs: etaMin + (base−etaMin)(1 + cos(π·epoch/tMax))/2,
// the closed form of torch.optim.lr_scheduler.CosineAnnealingLR.
func NewCosineAnnealingLR(opt Optimizer, tMax int, etaMin float64) *Schedule {
	check("CosineAnnealingLR", tMax > 0, "tMax %d is not positive", tMax)
	base := opt.LR()
	return newSchedule(opt, func(e int) float64 {
		if base == 0 {
			return 0
		}
		lr := etaMin + (base-etaMin)*(1+math.Cos(math.Pi*float64(e)/float64(tMax)))/2
		return lr / base
	})
}

// NewLinearWarmup scales the rate by a factor that moves linearly from
// start to end over total epochs and then stays at end, as
// torch.optim.lr_scheduler.LinearLR. PyTorch's defaults are start 1/3,
// end 1, total 5.
func NewLinearWarmup(opt Optimizer, start, end float64, total int) *Schedule {
	check("LinearWarmup", start > 0 && start <= 1 && end >= 0 && end <= 1, "factors %v → %v: want start in (0, 1] and end in [0, 1]", start, end)
	check("LinearWarmup", total > 0, "total %d is not positive", total)
	return newSchedule(opt, func(e int) float64 {
		return start + (end-start)*float64(min(e, total))/float64(total)
	})
}

// Mode says whether a monitored quantity should go down (Min, for losses)
// or up (Max, for accuracies).
type Mode int

const (
	Min Mode = iota // smaller is better
	Max             // larger is better
)

// String returns "min" or "max".
func (m Mode) String() string {
	if m == Max {
		return "max"
	}
	return "min"
}

// ThresholdMode says how Improvement measures a significant change.
type ThresholdMode int

const (
	// Rel requires a change of more than Threshold·|best|.
	Rel ThresholdMode = iota
	// Abs requires a change of more than Threshold.
	Abs
)

// Improvement decides whether a new value of a monitored quantity improves
// on the best so far. It is the one rule behind Plateau here and the
// plateau and early-stopping callbacks.
//
// With Abs, a value improves on best if it is lower than best − Threshold
// (Min) or higher than best + Threshold (Max): a change of exactly
// Threshold is not enough, as in Keras. With Rel, the margin is
// Threshold·|best|. PyTorch's ReduceLROnPlateau uses best·(1 ∓ Threshold)
// instead, which is the same for positive values but, for negative ones,
// asks a minimized quantity to rise; the absolute value keeps the rule
// meaningful for values of either sign. NaN never improves, and any number
// improves on an infinite best of the wrong sign (the starting point).
type Improvement struct {
	Mode          Mode
	ThresholdMode ThresholdMode
	Threshold     float64
}

// Better reports whether current improves on best.
func (c Improvement) Better(current, best float64) bool {
	if math.IsNaN(current) {
		return false
	}
	if math.IsNaN(best) {
		return true
	}
	margin := c.Threshold
	if c.ThresholdMode == Rel {
		margin = c.Threshold * math.Abs(best)
	}
	if math.IsInf(best, 0) {
		margin = 0
	}
	if c.Mode == Max {
		return current > best+margin
	}
	return current < best-margin
}

// Worst returns the starting "best" value: +Inf for Min, −Inf for Max.
func (c Improvement) Worst() float64 {
	if c.Mode == Max {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// PlateauConfig configures Plateau. Factor and Eps take PyTorch's defaults
// when zero; PyTorch's defaults for the others are Patience 10 and
// Threshold 1e-4 (Rel), which here must be set explicitly, since zero is a
// valid setting for each.
type PlateauConfig struct {
	Mode          Mode
	Factor        float64 // multiplies the rate on a plateau; 0 means 0.1
	Patience      int     // bad epochs tolerated; the rate drops on the next one
	Threshold     float64 // how much better counts as better (see Improvement)
	ThresholdMode ThresholdMode
	Cooldown      int     // epochs after a reduction during which bad epochs are not counted
	MinLR         float64 // the rate never drops below this
	Eps           float64 // reductions smaller than this are skipped; 0 means 1e-8
}

// Plateau lowers an optimizer's learning rate when a metric stops
// improving, with the rules of torch.optim.lr_scheduler.ReduceLROnPlateau:
// an epoch is bad if the metric does not improve on the best; after more
// than Patience bad epochs in a row the rate becomes max(rate·Factor, MinLR)
// (unless that changes it by less than Eps), the count restarts and the
// next Cooldown epochs are not counted.
type Plateau struct {
	opt      Optimizer
	cfg      PlateauConfig
	rule     Improvement
	best     float64
	bad      int
	cooldown int
}

// NewPlateau returns a Plateau rule driving opt's learning rate.
func NewPlateau(opt Optimizer, cfg PlateauConfig) *Plateau {
	cfg.Factor = orDefault(cfg.Factor, 0.1)
	cfg.Eps = orDefault(cfg.Eps, 1e-8)
	check("Plateau", cfg.Factor > 0 && cfg.Factor < 1, "factor %v outside (0, 1)", cfg.Factor)
	check("Plateau", cfg.Patience >= 0 && cfg.Cooldown >= 0 && cfg.Threshold >= 0 && cfg.MinLR >= 0,
		"patience, cooldown, threshold and min LR must not be negative")
	rule := Improvement{Mode: cfg.Mode, ThresholdMode: cfg.ThresholdMode, Threshold: cfg.Threshold}
	return &Plateau{opt: opt, cfg: cfg, rule: rule, best: rule.Worst()}
}

// Step takes the epoch's value of the metric, lowers the rate if the
// plateau rule says so, and reports whether it did.
func (p *Plateau) Step(metric float64) bool {
	if p.rule.Better(metric, p.best) {
		p.best, p.bad = metric, 0
	} else {
		p.bad++
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.bad = 0
	}
	if p.bad <= p.cfg.Patience {
		return false
	}
	p.bad = 0
	p.cooldown = p.cfg.Cooldown
	old := p.opt.LR()
	lr := max(old*p.cfg.Factor, p.cfg.MinLR)
	if old-lr <= p.cfg.Eps {
		return false
	}
	p.opt.SetLR(lr)
	return true
}

// Best returns the best metric value seen.
func (p *Plateau) Best() float64 { return p.best }

// String describes the rule's state.
func (p *Plateau) String() string {
	return fmt.Sprintf("Plateau(best %g, bad epochs %d, cooldown %d, lr %g)", p.best, p.bad, p.cooldown, p.opt.LR())
}
