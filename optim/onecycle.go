package optim

import "math"

// OneCycleConfig configures NewOneCycleLR; zero fields take PyTorch's
// defaults.
type OneCycleConfig struct {
	MaxLR float64 // the peak rate; required unless MaxLRs is set
	// MaxLRs gives each parameter group its own peak, one per group (see
	// Group), as PyTorch's list of max_lr; nil means MaxLR for every group.
	MaxLRs     []float64
	TotalSteps int // the steps of the whole cycle; required
	// PctStart is the fraction of the steps spent rising; 0 means 0.3.
	PctStart float64
	// Linear anneals linearly instead of along a cosine.
	Linear bool
	// DivFactor sets the initial rate MaxLR/DivFactor; 0 means 25.
	DivFactor float64
	// FinalDivFactor sets the final rate initial/FinalDivFactor; 0 means 1e4.
	FinalDivFactor float64
	// ThreePhase falls back to the initial rate before annealing to the
	// final one, instead of annealing from the peak straight to it.
	ThreePhase bool
	// CycleMomentum, nil for true as in PyTorch, moves the momentum (SGD's
	// momentum, Adam's β₁) against the rate, from MaxMomentum down to
	// BaseMomentum and back.
	CycleMomentum *bool
	// BaseMomentum and MaxMomentum bound the momentum; 0 means 0.85 and 0.95.
	BaseMomentum, MaxMomentum float64
}

// MomentumOptimizer is an optimizer whose momentum a schedule can set:
// SGD's momentum factor, Adam's and AdamW's β₁.
type MomentumOptimizer interface {
	Optimizer
	Momentum() float64
	SetMomentum(m float64)
}

// NewOneCycleLR is the 1cycle policy (Smith and Topin), as
// torch.optim.lr_scheduler.OneCycleLR, stepped once per batch: the rate
// rises from MaxLR/DivFactor to MaxLR over the first PctStart of
// TotalSteps and anneals to the initial rate/FinalDivFactor by the last
// step, while the momentum moves the other way. It overwrites the rate
// (it is not chainable, as in PyTorch). The cycle is steps 0 … TotalSteps−1
// (the schedule's creation is step 0), so that stepping after every batch
// of TotalSteps batches ends on step TotalSteps, whose rate no batch uses:
// as in PyTorch it extrapolates the last phase, except that where a linear
// anneal would give a negative rate it gives the final rate. A Step beyond
// that panics, as PyTorch raises (Limit returns TotalSteps, and train.Fit
// refuses a cycle its run would overrun before the first batch).
func NewOneCycleLR(opt Optimizer, cfg OneCycleConfig) *Schedule {
	check("OneCycleLR", cfg.MaxLRs == nil || cfg.MaxLR == 0, "both MaxLR and MaxLRs are set: want one of them")
	check("OneCycleLR", cfg.MaxLRs != nil || (cfg.MaxLR > 0 && !math.IsInf(cfg.MaxLR, 0)), "max rate %v: want a positive number", cfg.MaxLR)
	check("OneCycleLR", cfg.TotalSteps > 0, "total steps %d: want a positive number", cfg.TotalSteps)
	pct := orDefault(cfg.PctStart, 0.3)
	check("OneCycleLR", pct > 0 && pct < 1, "PctStart %v outside (0, 1)", pct)
	div, finalDiv := orDefault(cfg.DivFactor, 25), orDefault(cfg.FinalDivFactor, 1e4)
	check("OneCycleLR", div > 0 && finalDiv > 0, "division factors %v and %v: want positive numbers", div, finalDiv)
	baseM, maxM := orDefault(cfg.BaseMomentum, 0.85), orDefault(cfg.MaxMomentum, 0.95)
	cycle := cfg.CycleMomentum == nil || *cfg.CycleMomentum
	var mo MomentumOptimizer
	if cycle {
		var ok bool
		mo, ok = opt.(MomentumOptimizer)
		check("OneCycleLR", ok, "%T has no momentum to cycle; set CycleMomentum to new(false)", opt)
		check("OneCycleLR", baseM >= 0 && baseM <= maxM && maxM < 1, "momenta %v to %v: want 0 ≤ base ≤ max < 1", baseM, maxM)
	}
	peaks := opt.LRs()
	if cfg.MaxLRs == nil {
		for g := range peaks {
			peaks[g] = cfg.MaxLR
		}
	} else {
		check("OneCycleLR", len(cfg.MaxLRs) == len(peaks), "%d max rates for %d parameter groups", len(cfg.MaxLRs), len(peaks))
		copy(peaks, cfg.MaxLRs)
	}
	// The rates the phases move between, per group.
	const initial, peak, final = 0, 1, 2
	levels := make([][3]float64, len(peaks))
	for g, top := range peaks {
		check("OneCycleLR", top > 0 && !math.IsInf(top, 0), "group %d: max rate %v: want a positive number", g, top)
		levels[g] = [3]float64{top / div, top, top / div / finalDiv}
	}
	total := float64(cfg.TotalSteps)
	type phase struct {
		end      float64 // the step the phase ends at
		lr0, lr1 int     // levels
		m0, m1   float64
	}
	phases := []phase{
		{pct*total - 1, initial, peak, maxM, baseM},
		{total - 1, peak, final, baseM, maxM},
	}
	if cfg.ThreePhase {
		phases = []phase{
			{pct*total - 1, initial, peak, maxM, baseM},
			{2*pct*total - 2, peak, initial, baseM, maxM},
			{total - 1, initial, final, maxM, maxM},
		}
	}
	anneal := func(a, b, f float64) float64 { return b + (a-b)/2*(1+math.Cos(math.Pi*f)) }
	if cfg.Linear {
		anneal = func(a, b, f float64) float64 { return (b-a)*f + a }
	}
	lrs := make([]float64, len(peaks))
	s := newSchedule(opt, func(e int) {
		check("OneCycleLR", e <= cfg.TotalSteps, "step %d is past the %d total steps", e, cfg.TotalSteps)
		step, start := float64(e), 0.0
		for i, p := range phases {
			if step <= p.end || i == len(phases)-1 {
				f := (step - start) / (p.end - start)
				if mo != nil {
					mo.SetMomentum(anneal(p.m0, p.m1, f))
				}
				for g, l := range levels {
					lrs[g] = anneal(l[p.lr0], l[p.lr1], f)
					if lrs[g] < 0 { // only at step TotalSteps, after the cycle, with Linear
						lrs[g] = l[final]
					}
				}
				opt.SetLRs(lrs)
				return
			}
			start = p.end
		}
		panic("unreachable")
	})
	s.limit = cfg.TotalSteps
	return s
}
