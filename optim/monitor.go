package optim

import (
	"fmt"
	"math"
)

// Mode says whether a monitored quantity should fall or rise. It is the one
// mode type of minidl: callbacks.Mode is the same type.
type Mode int

const (
	// Auto is the zero value. Callbacks infer the mode from the monitored
	// name (losses and errors fall, accuracies rise); where there is no name,
	// as for Plateau and a Tracker, Auto means Min, PyTorch's default.
	Auto Mode = iota
	Min       // smaller is better
	Max       // larger is better
)

// String returns "auto", "min" or "max".
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case Min:
		return "min"
	case Max:
		return "max"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Tracker follows a monitored quantity epoch by epoch: its best value, the
// epoch of that best, and the count of epochs since it last improved. It is
// the one improvement rule behind Plateau here and EarlyStopping,
// ReduceLROnPlateau and ModelCheckpoint in package callbacks. Its zero
// value tracks a quantity to minimize with no margin.
//
// A value improves on the best if it is lower than best − MinDelta (Min) or
// higher than best + MinDelta (Max): a change of exactly MinDelta is not
// enough, as in Keras. With Relative the margin is MinDelta·|best|.
// PyTorch's ReduceLROnPlateau uses best·(1 ∓ threshold) instead, which is
// the same for positive values but, for negative ones, asks a minimized
// quantity to rise; the absolute value keeps the rule meaningful for values
// of either sign. NaN never improves, and the first number observed always
// does.
type Tracker struct {
	Mode     Mode
	MinDelta float64
	Relative bool
	// Baseline, if set, must be beaten too: an improvement restarts the count
	// of epochs without improvement only if it also improves on Baseline (the
	// semantics of Keras's EarlyStopping).
	Baseline *float64

	seen      bool
	best      float64
	bestEpoch int
	wait      int
	improved  bool
}

// Better reports whether current improves on best under the tracker's mode
// and margin. An infinite best of the wrong sign is beaten by any number.
func (t *Tracker) Better(current, best float64) bool {
	if math.IsNaN(current) {
		return false
	}
	if math.IsNaN(best) {
		return true
	}
	margin := t.MinDelta
	if t.Relative {
		margin = t.MinDelta * math.Abs(best)
	}
	if math.IsInf(best, 0) {
		margin = 0
	}
	if t.Mode == Max {
		return current > best+margin
	}
	return current < best-margin
}

// Worst returns the value every number improves on: +Inf for Min, −Inf for
// Max.
func (t *Tracker) Worst() float64 {
	if t.Mode == Max {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// Observe takes the value of an epoch and reports whether it improved on
// the best. The count of epochs without improvement grows by one, and
// restarts at zero on an improvement (that also beats Baseline, if set).
func (t *Tracker) Observe(epoch int, value float64) bool {
	t.wait++
	t.improved = t.Better(value, t.Best())
	if t.improved {
		t.seen, t.best, t.bestEpoch = true, value, epoch
		if t.Baseline == nil || t.Better(value, *t.Baseline) {
			t.wait = 0
		}
	}
	return t.improved
}

// Best returns the best value observed, or Worst before any.
func (t *Tracker) Best() float64 {
	if !t.seen {
		return t.Worst()
	}
	return t.best
}

// BestEpoch returns the epoch of the best value, or −1 before any.
func (t *Tracker) BestEpoch() int {
	if !t.seen {
		return -1
	}
	return t.bestEpoch
}

// Wait returns the number of epochs observed since the last improvement
// (that restarted the count).
func (t *Tracker) Wait() int { return t.wait }

// Improved reports whether the last observed value improved on the best.
func (t *Tracker) Improved() bool { return t.improved }

// BaselineBeaten reports whether the best so far improves on Baseline
// (true when there is none).
func (t *Tracker) BaselineBeaten() bool {
	return t.Baseline == nil || (t.seen && t.Better(t.best, *t.Baseline))
}

// Restart sets the count of epochs without improvement to zero, as a
// learning-rate reduction or its cooldown does.
func (t *Tracker) Restart() { t.wait = 0 }

// Reset forgets everything observed, keeping the settings.
func (t *Tracker) Reset() {
	t.seen, t.best, t.bestEpoch, t.wait, t.improved = false, 0, 0, 0, false
}

// Restore sets the tracker's state, as saved from Best, BestEpoch and Wait:
// a bestEpoch below 0 means nothing was observed. It is for loading a saved
// run.
func (t *Tracker) Restore(best float64, bestEpoch, wait int) {
	t.Reset()
	t.wait = wait
	if bestEpoch >= 0 {
		t.seen, t.best, t.bestEpoch = true, best, bestEpoch
	}
}
