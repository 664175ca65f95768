// Package callbacks holds the code that watches a training run and acts on
// it: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN,
// History, CSVLogger, ProgressBar and Lambda, in the manner of Keras
// callbacks.
//
// A training loop (train.Fit, or one of your own) calls each Callback at
// the start and end of training, of every epoch and of every batch, passing
// a *Run that describes the run and lets a callback stop it, and the logs:
// a map from names such as "loss", "val_loss", "accuracy", "lr" to numbers.
//
// EarlyStopping is the centre of the package. It unites the rules of
// Keras 3 and PyTorch Lightning under one documented semantics, adds
// Prechelt's criteria, and works as well in a hand-written loop as inside
// Fit:
//
//	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 20})
//	stop.Watch(model) // to restore its best weights
//	for epoch := range 1000 {
//		… train one epoch, compute valLoss …
//		if stop.Observe(epoch, valLoss) {
//			break
//		}
//	}
//	stop.RestoreBest()
//	fmt.Println(stop.Message())
//
// Epochs are numbered from 0 everywhere: in logs, in messages and in
// StoppedEpoch and BestEpoch (Keras numbers them from 1 when it prints).
package callbacks

import (
	"fmt"
	"maps"
	"slices"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// Logs maps quantity names to their values for one batch or epoch.
type Logs map[string]float64

// Callback is called by a training loop at the points of a run. An error
// from any method ends the run and is returned by the loop.
type Callback interface {
	OnTrainBegin(r *Run) error
	OnEpochBegin(r *Run, epoch int) error
	OnBatchEnd(r *Run, batch int, logs Logs) error
	OnEpochEnd(r *Run, epoch int, logs Logs) error
	OnTrainEnd(r *Run) error
}

// Base implements every Callback method as doing nothing; embed it in a
// callback that needs only some of them.
type Base struct{}

// OnTrainBegin does nothing.
func (Base) OnTrainBegin(*Run) error { return nil }

// OnEpochBegin does nothing.
func (Base) OnEpochBegin(*Run, int) error { return nil }

// OnBatchEnd does nothing.
func (Base) OnBatchEnd(*Run, int, Logs) error { return nil }

// OnEpochEnd does nothing.
func (Base) OnEpochEnd(*Run, int, Logs) error { return nil }

// OnTrainEnd does nothing.
func (Base) OnTrainEnd(*Run) error { return nil }

// Run is what callbacks see of a training run. The loop fills the exported
// fields; callbacks read them and may call Stop.
type Run struct {
	Model     nn.Module
	Optimizer optim.Optimizer // may be nil in a hand-written loop
	Epochs    int             // the most epochs the run will take
	Steps     int             // batches per epoch, 0 if unknown
	Epoch     int             // the current epoch, from 0
	// Keys lists every name the epoch logs will carry, so that a callback
	// can reject, before training starts, a name that will never appear.
	Keys []string

	stopping  bool
	reason    StopReason
	message   string
	stopEpoch int
}

// Stop asks the loop to end the run after the current batch (at batch
// level) or epoch. The first call decides the run's reason and message;
// later calls are ignored.
func (r *Run) Stop(reason StopReason, message string) {
	if r.stopping {
		return
	}
	r.stopping, r.reason, r.message, r.stopEpoch = true, reason, message, r.Epoch
}

// Stopping reports whether Stop has been called.
func (r *Run) Stopping() bool { return r.stopping }

// StopReason returns why the run stopped, NotStopped while it goes on.
func (r *Run) StopReason() StopReason { return r.reason }

// StopMessage returns the message given with the stop.
func (r *Run) StopMessage() string { return r.message }

// StoppedEpoch returns the epoch during which Stop was called, or −1 if the
// run has not stopped or ran all its epochs.
func (r *Run) StoppedEpoch() int {
	if !r.stopping || r.reason == StopMaxEpochs {
		return -1
	}
	return r.stopEpoch
}

// HasKey reports whether the epoch logs will carry name.
func (r *Run) HasKey(name string) bool { return slices.Contains(r.Keys, name) }

// StopReason says why a run ended.
type StopReason int

const (
	NotStopped     StopReason = iota // the run goes on
	StopPatience                     // no improvement for Patience epochs
	StopBaseline                     // the baseline was not beaten within Patience epochs
	StopThreshold                    // the monitored value reached the stopping threshold
	StopDivergence                   // the monitored value crossed the divergence threshold
	StopNonFinite                    // the monitored value (or a batch loss) was NaN or infinite
	StopGL                           // Prechelt's generalization-loss criterion GL_α
	StopPQ                           // Prechelt's quotient criterion PQ_α
	StopUP                           // Prechelt's criterion UP_s: validation error rose in s successive strips
	StopCancelled                    // the context was cancelled
	StopMaxEpochs                    // every epoch ran
	StopCallback                     // a callback other than the one asked stopped the run
)

var stopReasonNames = []string{"not_stopped", "patience", "baseline", "stopping_threshold", "divergence_threshold",
	"non_finite", "gl", "pq", "up", "cancelled", "max_epochs", "callback"}

// String returns the reason's name in snake case, such as "patience".
func (s StopReason) String() string {
	if int(s) < len(stopReasonNames) {
		return stopReasonNames[s]
	}
	return fmt.Sprintf("StopReason(%d)", int(s))
}

// MarshalText encodes the reason by its name, for JSON.
func (s StopReason) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// History records the logs of every epoch and how the run ended. train.Fit
// returns one.
type History struct {
	Base
	Epochs       []Logs     // the logs of each completed epoch
	StoppedEpoch int        // the epoch in which the run was stopped, −1 if it ran every epoch
	StopReason   StopReason // why the run ended
	StopMessage  string     // the stopping callback's explanation
}

// OnTrainBegin clears the history.
func (h *History) OnTrainBegin(*Run) error {
	*h = History{StoppedEpoch: -1}
	return nil
}

// OnEpochEnd records a copy of the epoch's logs.
func (h *History) OnEpochEnd(_ *Run, _ int, logs Logs) error {
	h.Epochs = append(h.Epochs, maps.Clone(logs))
	return nil
}

// OnTrainEnd records how the run ended.
func (h *History) OnTrainEnd(r *Run) error {
	h.StoppedEpoch, h.StopReason, h.StopMessage = r.StoppedEpoch(), r.StopReason(), r.StopMessage()
	return nil
}

// Values returns the value of key at every epoch (NaN where it is missing).
func (h *History) Values(key string) []float64 {
	out := make([]float64, len(h.Epochs))
	for i, l := range h.Epochs {
		v, ok := l[key]
		if !ok {
			v = nan
		}
		out[i] = v
	}
	return out
}

// Keys returns every name logged in any epoch, sorted.
func (h *History) Keys() []string {
	set := map[string]bool{}
	for _, l := range h.Epochs {
		for k := range l {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Lambda is a callback made of functions; nil ones are skipped.
type Lambda struct {
	TrainBegin func(r *Run) error
	EpochBegin func(r *Run, epoch int) error
	BatchEnd   func(r *Run, batch int, logs Logs) error
	EpochEnd   func(r *Run, epoch int, logs Logs) error
	TrainEnd   func(r *Run) error
}

// OnTrainBegin calls TrainBegin.
func (l *Lambda) OnTrainBegin(r *Run) error {
	if l.TrainBegin == nil {
		return nil
	}
	return l.TrainBegin(r)
}

// OnEpochBegin calls EpochBegin.
func (l *Lambda) OnEpochBegin(r *Run, epoch int) error {
	if l.EpochBegin == nil {
		return nil
	}
	return l.EpochBegin(r, epoch)
}

// OnBatchEnd calls BatchEnd.
func (l *Lambda) OnBatchEnd(r *Run, batch int, logs Logs) error {
	if l.BatchEnd == nil {
		return nil
	}
	return l.BatchEnd(r, batch, logs)
}

// OnEpochEnd calls EpochEnd.
func (l *Lambda) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	if l.EpochEnd == nil {
		return nil
	}
	return l.EpochEnd(r, epoch, logs)
}

// OnTrainEnd calls TrainEnd.
func (l *Lambda) OnTrainEnd(r *Run) error {
	if l.TrainEnd == nil {
		return nil
	}
	return l.TrainEnd(r)
}

// Mode says whether a monitored quantity should fall or rise.
type Mode int

const (
	// Auto infers the mode from the monitored name: names of accuracy-like
	// scores (containing "acc", "auc", "f1", "precision" or "recall", such
	// as "val_accuracy") are maximized; names of losses and errors
	// ("loss", "error", "mse", "mae", …) are minimized; any other name is
	// an error, since guessing wrong would stop training at the worst
	// moment.
	Auto Mode = iota
	Min       // minimize
	Max       // maximize
)

// resolve turns Auto into Min or Max for the monitored name.
func (m Mode) resolve(monitor string) (optim.Mode, error) {
	switch m {
	case Min:
		return optim.Min, nil
	case Max:
		return optim.Max, nil
	case Auto:
		if mode, ok := inferMode(monitor); ok {
			return mode, nil
		}
		return 0, fmt.Errorf("cannot tell whether %q should be minimized or maximized: set Mode to Min or Max", monitor)
	}
	return 0, fmt.Errorf("unknown mode %d", int(m))
}
