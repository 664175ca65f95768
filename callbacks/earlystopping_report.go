package callbacks

import (
	"fmt"
	"math"
	"strings"
)

// Stopped reports whether a rule of this callback said stop.
func (e *EarlyStopping) Stopped() bool { return e.stoppedEpoch >= 0 }

// StoppedEpoch returns the epoch at which a rule of this callback said
// stop, or −1.
func (e *EarlyStopping) StoppedEpoch() int { return e.stoppedEpoch }

// StopReason returns why training stopped: this callback's rule, or, after
// training ends, StopCancelled, StopMaxEpochs, StopError (the run failed)
// or StopCallback if something else ended it; NotStopped otherwise.
func (e *EarlyStopping) StopReason() StopReason { return e.reason }

// Best returns the best monitored value seen (±Inf before any): Monitor's
// value at BestEpoch.
func (e *EarlyStopping) Best() float64 {
	if e.progress.BestEpoch < 0 {
		return e.tracker.Worst()
	}
	return e.progress.Best
}

// BestEpoch returns the epoch of the best value, or −1 before any; with
// AlsoMonitor, the lexicographically best.
func (e *EarlyStopping) BestEpoch() int { return e.progress.BestEpoch }

// Wait returns the number of monitored epochs since the last improvement
// (of any monitored quantity).
func (e *EarlyStopping) Wait() int { return e.progress.Wait }

// Improved reports whether the last observed epoch improved on the best.
func (e *EarlyStopping) Improved() bool { return e.progress.Improved }

// Message explains how training stopped, for example
//
//	Epoch 37: early stopping: val_loss did not improve by more than 1e-06 for 20 epochs; best 0.0132 at epoch 17; restored its weights
func (e *EarlyStopping) Message() string {
	var b strings.Builder
	if e.stoppedEpoch >= 0 {
		unit := e.unit
		if unit == "" {
			unit = "Epoch"
		}
		fmt.Fprintf(&b, "%s %d: early stopping: %s", unit, e.stoppedEpoch, e.message)
	} else {
		fmt.Fprintf(&b, "no early stop (%s)", e.reason)
	}
	if best := e.Best(); e.BestEpoch() >= 0 && !math.IsInf(best, 0) {
		fmt.Fprintf(&b, "; best %.6g at epoch %d", best, e.BestEpoch())
	}
	if e.restored {
		b.WriteString("; restored its weights")
	}
	return b.String()
}
