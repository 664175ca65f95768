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
// Epochs are numbered from 0 on every surface: the epoch argument of the
// callbacks, StoppedEpoch and BestEpoch, messages, the progress bar,
// checkpoint file names, CSV rows, History and plots (Keras prints them
// from 1 and names checkpoint files from 1; Lightning counts from 0).
package callbacks

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

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
	// InitialEpoch is the first epoch this run trains (Keras's
	// initial_epoch); Resumed says the run continues a saved one, whose
	// state was loaded into the Stateful callbacks, which then keep it when
	// training begins instead of starting afresh.
	InitialEpoch int
	Resumed      bool
	// ValidateEvery, if positive, says the loop also validates after every
	// ValidateEvery training batches of an epoch, and calls the Validator
	// callbacks at each validation, a check, whose logs carry CheckKeys.
	ValidateEvery int
	CheckKeys     []string
	// Keys lists every name the epoch logs will carry, so that a callback
	// can reject, before training starts, a name that will never appear.
	Keys []string
	// ID is the run's identity (NewRunID), the same in a resumed run as in
	// the run it continues: train.Fit draws one for a new run and keeps it
	// in its run checkpoint. Callbacks mark the files they write with it
	// (ModelCheckpoint), so that they never delete a file another run
	// wrote. A hand-written loop that resumes a run sets it to the saved
	// one; left empty, a callback that needs one draws its own.
	ID string

	stopping  bool
	reason    StopReason
	message   string
	stopEpoch int
	live      *ProgressBar // the bar drawing a live line, if any
}

// NewRunID returns a new run identity: 26 random letters and digits (128
// bits from crypto/rand), so that no two runs share one.
func NewRunID() string { return rand.Text() }

// ValidRunID reports whether id is an identity a run can have: 1 to 64
// ASCII letters, digits, - and _.
func ValidRunID(id string) bool { return runID.MatchString(id) }

var runID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Printf writes a message for the user to w (os.Stderr if w is nil) on a
// line of its own: a progress bar's live line is ended first. Callbacks
// write their messages through it.
func (r *Run) Printf(w io.Writer, format string, args ...any) {
	if r.live != nil {
		r.live.endLive()
	}
	if w == nil {
		w = os.Stderr
	}
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	io.WriteString(w, msg)
}

// Stop asks the loop to end the run after the current batch (at batch
// level) or epoch. The first call decides the run's reason and message;
// later calls are ignored. It panics with a *ConfigError on a reason of
// more than MaxReasonLen characters or other than lower-case letters,
// digits and _, and cuts a message to MaxMessageLen bytes.
func (r *Run) Stop(reason StopReason, message string) {
	checkReason("Run.Stop", reason)
	if r.stopping {
		return
	}
	r.stopping, r.reason, r.message, r.stopEpoch = true, reason, cutMessage(message), r.Epoch
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
