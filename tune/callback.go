package tune

import (
	"fmt"

	"github.com/minidl/minidl/callbacks"
)

// PruningCallback reports a logged quantity to a trial at the end of every
// epoch of train.Fit and stops the run when the trial should stop, as
// Optuna's KerasPruningCallback and PyTorchLightningPruningCallback. The
// step reported is the epoch, from 0. Fit then returns an error that
// wraps ErrPruned, which the objective returns:
//
//	hist, err := train.Fit(ctx, model, train.Config{…,
//		Callbacks: []callbacks.Callback{tune.NewPruningCallback(t, "val_loss")},
//	})
//	if err != nil {
//		return 0, err // pruned, or a failure
//	}
//
// A paused trial (a Promoter's decision) stops at the start of the next
// epoch instead, after Fit has written its run checkpoint, so that the
// promoted trial resumes from the epoch after the pause. A run that
// EarlyStopping or another callback stops ends normally: the trial
// completes with what the objective returns.
//
// When training begins it declares the run's last epoch as the trial's
// last step (Trial.SetMaxStep), where pruners find their max_resource.
type PruningCallback struct {
	callbacks.Base
	trial   *Trial
	monitor string
	pausing bool
}

// NewPruningCallback returns a callback that reports monitor ("val_loss",
// "val_accuracy", …) to t.
func NewPruningCallback(t *Trial, monitor string) *PruningCallback {
	check("NewPruningCallback", t != nil, "nil trial")
	check("NewPruningCallback", monitor != "", "empty monitor")
	return &PruningCallback{trial: t, monitor: monitor}
}

// OnTrainBegin checks that the logs will carry the monitor and declares
// the run's last epoch.
func (c *PruningCallback) OnTrainBegin(r *callbacks.Run) error {
	c.pausing = false
	if len(r.Keys) > 0 && !r.HasKey(c.monitor) {
		return fmt.Errorf("tune: PruningCallback: monitor %q is not among the epoch logs %v", c.monitor, r.Keys)
	}
	if r.Epochs > 0 {
		c.trial.SetMaxStep(r.Epochs - 1)
	}
	return nil
}

// OnEpochBegin ends a paused run, its checkpoint written.
func (c *PruningCallback) OnEpochBegin(r *callbacks.Run, epoch int) error {
	if c.pausing {
		return fmt.Errorf("%w: trial %d paused after epoch %d", ErrPruned, c.trial.Number(), epoch-1)
	}
	return nil
}

// OnEpochEnd reports the monitor and asks whether to stop.
func (c *PruningCallback) OnEpochEnd(r *callbacks.Run, epoch int, logs callbacks.Logs) error {
	v, ok := logs[c.monitor]
	if !ok {
		return fmt.Errorf("tune: PruningCallback: the logs of epoch %d have no %q", epoch, c.monitor)
	}
	c.trial.Report(epoch, v)
	if !c.trial.ShouldPrune() {
		return nil
	}
	if c.trial.Pausing() {
		c.pausing = true
		return nil
	}
	return fmt.Errorf("%w: trial %d at epoch %d", ErrPruned, c.trial.Number(), epoch)
}
