package optim

import (
	"fmt"
	"slices"
)

// ThresholdMode says how PlateauConfig.Threshold measures a significant
// change, with PyTorch's names.
type ThresholdMode int

const (
	// Rel requires a change of more than Threshold·|best| (PyTorch's
	// default).
	Rel ThresholdMode = iota
	// Abs requires a change of more than Threshold.
	Abs
)

// PlateauConfig configures Plateau. Its zero value is PyTorch's default:
// mode min, factor 0.1, patience 10, threshold 1e-4 relative, no cooldown,
// no minimum rate, eps 1e-8. Patience and Threshold are pointers because
// zero is a valid setting of each but not the default: nil means the
// default, new(0) says zero.
type PlateauConfig struct {
	Mode          Mode     // Min or Max; Auto (the zero value) means Min
	Factor        float64  // multiplies the rate on a plateau; 0 means 0.1
	Patience      *int     // bad epochs tolerated, the rate dropping on the next one; nil means 10
	Threshold     *float64 // how much better counts as better (see Tracker); nil means 1e-4
	ThresholdMode ThresholdMode
	Cooldown      int     // epochs after a reduction during which bad epochs are not counted
	MinLR         float64 // the rate never drops below this
	// MinLRs gives each parameter group its own floor, one per group (see
	// Group), as PyTorch's list of min_lr; nil means MinLR for every group.
	MinLRs []float64
	Eps    float64 // reductions smaller than this are skipped; 0 means 1e-8
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
	patience int
	tracker  Tracker // its Wait is PyTorch's num_bad_epochs
	cooldown int
	steps    int
	floors   []float64 // each group's minimum rate
}

// NewPlateau returns a Plateau rule driving opt's learning rate.
func NewPlateau(opt Optimizer, cfg PlateauConfig) *Plateau {
	cfg.Factor = orDefault(cfg.Factor, 0.1)
	cfg.Eps = orDefault(cfg.Eps, 1e-8)
	patience, threshold := valueOr(cfg.Patience, 10), valueOr(cfg.Threshold, 1e-4)
	check("Plateau", cfg.Factor > 0 && cfg.Factor < 1, "factor %v outside (0, 1)", cfg.Factor)
	check("Plateau", patience >= 0 && cfg.Cooldown >= 0 && threshold >= 0 && cfg.MinLR >= 0,
		"patience, cooldown, threshold and min LR must not be negative")
	groups := len(opt.LRs())
	floors := cfg.MinLRs
	if floors == nil {
		floors = slices.Repeat([]float64{cfg.MinLR}, groups)
	} else {
		check("Plateau", cfg.MinLR == 0, "both MinLR and MinLRs are set: want one of them")
		check("Plateau", len(floors) == groups, "%d minimum rates for %d parameter groups", len(floors), groups)
		floors = slices.Clone(floors)
	}
	for g, f := range floors {
		check("Plateau", f >= 0, "group %d: minimum rate %v is negative", g, f)
	}
	tracker := Tracker{Mode: cfg.Mode, MinDelta: threshold, Relative: cfg.ThresholdMode == Rel}
	return &Plateau{opt: opt, cfg: cfg, patience: patience, tracker: tracker, floors: floors}
}

// Step takes the epoch's value of the metric, lowers the rate if the
// plateau rule says so (every parameter group's, each from its own rate),
// and reports whether it lowered any.
func (p *Plateau) Step(metric float64) bool {
	p.tracker.Observe(p.steps, metric)
	p.steps++
	if p.cooldown > 0 {
		p.cooldown--
		p.tracker.Restart()
	}
	if p.tracker.Wait() <= p.patience {
		return false
	}
	p.tracker.Restart()
	p.cooldown = p.cfg.Cooldown
	lrs, reduced := p.opt.LRs(), false
	for g, old := range lrs {
		if lr := max(old*p.cfg.Factor, p.floors[g]); old-lr > p.cfg.Eps {
			lrs[g], reduced = lr, true
		}
	}
	p.opt.SetLRs(lrs)
	return reduced
}

// Best returns the best metric value seen.
func (p *Plateau) Best() float64 { return p.tracker.Best() }

// String describes the rule's state.
func (p *Plateau) String() string {
	return fmt.Sprintf("Plateau(best %g, bad epochs %d, cooldown %d, lr %g)", p.tracker.Best(), p.tracker.Wait(), p.cooldown, p.opt.LR())
}
