package callbacks

import (
	"fmt"
	"io"

	"github.com/minidl/minidl/optim"
)

// ReduceLROnPlateauConfig configures ReduceLROnPlateau. Its zero value is
// Keras's default: monitor "val_loss", factor 0.1, patience 10, min delta
// 1e-4, no cooldown, no minimum rate. Patience and MinDelta are pointers
// because zero is a valid setting of each but not the default: nil means
// the default, new(0) says zero.
type ReduceLROnPlateauConfig struct {
	Monitor  string // "" means "val_loss"
	Mode     Mode
	Factor   float64  // multiplies the rate; 0 means 0.1
	Patience *int     // bad epochs before a reduction; nil means 10
	MinDelta *float64 // absolute margin of an improvement; nil means 1e-4
	Cooldown int      // epochs after a reduction before counting resumes
	MinLR    float64
	// Verbose writes a line to Out at each reduction; nil Out means
	// os.Stderr.
	Verbose bool
	Out     io.Writer
}

// ReduceLROnPlateau multiplies the optimizer's learning rate (every
// parameter group's above MinLR) by Factor when
// Monitor has not improved for Patience epochs, with the rules of Keras's
// ReduceLROnPlateau (which counts as EarlyStopping does: it reduces when
// the count reaches Patience) and the improvement rule of optim.Tracker.
// For PyTorch's variant of the rules, use optim.Plateau.
type ReduceLROnPlateau struct {
	Base
	cfg      ReduceLROnPlateauConfig
	patience int
	tracker  optim.Tracker
	cooldown int
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau. It panics with a
// *ConfigError on settings that cannot work.
func NewReduceLROnPlateau(cfg ReduceLROnPlateauConfig) *ReduceLROnPlateau {
	cfg.Monitor = monitorOrDefault(cfg.Monitor)
	if cfg.Factor == 0 {
		cfg.Factor = 0.1
	}
	check("NewReduceLROnPlateau", cfg.Factor > 0 && cfg.Factor < 1, "factor %v outside (0, 1)", cfg.Factor)
	patience, minDelta := 10, 1e-4
	if cfg.Patience != nil {
		patience = *cfg.Patience
	}
	if cfg.MinDelta != nil {
		minDelta = *cfg.MinDelta
	}
	check("NewReduceLROnPlateau", patience >= 0 && cfg.Cooldown >= 0 && minDelta >= 0 && cfg.MinLR >= 0,
		"patience, cooldown, min delta and min LR must not be negative")
	check("NewReduceLROnPlateau", cfg.Mode >= Auto && cfg.Mode <= Max, "unknown mode %d", int(cfg.Mode))
	return &ReduceLROnPlateau{cfg: cfg, patience: patience, tracker: optim.Tracker{MinDelta: minDelta}}
}

// OnTrainBegin resets the state, checks the monitor and optimizer and
// resolves the mode.
func (p *ReduceLROnPlateau) OnTrainBegin(r *Run) error {
	if !r.Resumed {
		p.tracker.Reset()
		p.cooldown = 0
	}
	if r.Optimizer == nil {
		return configErrorf("ReduceLROnPlateau", "the run has no optimizer")
	}
	mode, err := monitorMode("ReduceLROnPlateau", p.cfg.Monitor, p.cfg.Mode, r)
	p.tracker.Mode = mode
	return err
}

// OnEpochEnd applies the plateau rule. It panics with a *ConfigError on a
// negative epoch: epochs are numbered from 0.
func (p *ReduceLROnPlateau) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	check("ReduceLROnPlateau.OnEpochEnd", epoch >= 0, "epoch %d is negative: epochs are numbered from 0", epoch)
	current, ok := logs[p.cfg.Monitor]
	if !ok {
		return nil
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.tracker.Restart()
	}
	if p.tracker.Observe(epoch, current) {
		return nil
	}
	if p.cooldown > 0 { // Keras counts no bad epochs during a cooldown
		p.tracker.Restart()
		return nil
	}
	if p.tracker.Wait() < p.patience {
		return nil
	}
	lrs := r.Optimizer.LRs()
	reduced := false
	for g, old := range lrs {
		if old <= p.cfg.MinLR {
			continue
		}
		lrs[g], reduced = max(old*p.cfg.Factor, p.cfg.MinLR), true
		if p.cfg.Verbose {
			group := ""
			if len(lrs) > 1 {
				group = fmt.Sprintf(" (parameter group %d)", g)
			}
			r.Printf(p.cfg.Out, "Epoch %d: ReduceLROnPlateau: learning rate %g → %g%s", epoch, old, lrs[g], group)
		}
	}
	if reduced {
		r.Optimizer.SetLRs(lrs)
		p.cooldown = p.cfg.Cooldown
		p.tracker.Restart()
	}
	return nil
}
