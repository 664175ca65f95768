package optim

import (
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
