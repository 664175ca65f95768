package callbacks

import (
	"fmt"
	"math"
	"strings"
)

// A Rule is one reason to stop training. At the end of every monitored
// epoch, once MinEpochs have run, EarlyStopping asks its rules in turn; the
// first that gives a reason other than NotStopped stops training, and its
// message becomes the stop message. The built-in rules (patience, the
// thresholds, Prechelt's criteria) are Rules too, made from the
// configuration's fields; a rule of your own goes in
// EarlyStoppingConfig.Rules, and needs no change to EarlyStopping.
//
// A rule reads only its Progress argument, so that it gives the same answer
// when a run is resumed or a recorded curve replayed. Its reason and
// message are saved with the run, and bounded when given (see
// MaxReasonLen).
type Rule interface {
	Check(p *Progress) (StopReason, string)
}

// RuleFunc adapts a function to a Rule:
//
//	callbacks.RuleFunc(func(p *callbacks.Progress) (callbacks.StopReason, string) {
//		if p.Value() < 0.01 && p.Epoch >= 50 {
//			return "good_enough", "val_loss below 0.01 after 50 epochs"
//		}
//		return callbacks.NotStopped, ""
//	})
type RuleFunc func(p *Progress) (StopReason, string)

// Check calls f.
func (f RuleFunc) Check(p *Progress) (StopReason, string) { return f(p) }

// Progress is what a Rule reads at the end of a monitored epoch: the values
// seen so far and the state of the improvement rule. Rules must not change
// it.
type Progress struct {
	Epoch   int       // the epoch that just ended
	Monitor string    // the monitored name
	Mode    Mode      // Min or Max
	Values  []float64 // the monitored value of each monitored epoch, this one last
	// Train holds the training error (EarlyStoppingConfig.TrainingMonitor)
	// of each monitored epoch when a rule needs it (PQ), NaN where it was
	// not given; nil otherwise.
	Train []float64
	// Lowest is the lowest value in Values that is not NaN (Prechelt's
	// E_opt), +Inf before any.
	Lowest float64

	Best           float64 // the best value so far, in the sense of the improvement rule
	BestEpoch      int     // its epoch, −1 before any
	Wait           int     // monitored epochs since the last improvement that restarted the count
	Improved       bool    // whether this epoch improved on the best
	BaselineBeaten bool    // whether the best beats Baseline (true without one)
	// Also names the further monitored quantities (AlsoMonitor); with them
	// Wait counts epochs in which none improved, Improved says one did, and
	// Best and BestEpoch are the lexicographically best epoch's.
	Also []string
	// Budget is the most epochs (or checks) the run will take, so that
	// Budget − Epoch − 1 remain after this one; 0 if unknown (see
	// EarlyStoppingConfig.Budget).
	Budget int
	// MinEpochsReached is true in the epoch that MinEpochs is reached,
	// when the rules MinEpochs held back are first asked: a rule that
	// decides only at some epochs (PQ, UP) decides then too.
	MinEpochsReached bool
}

// Value returns this epoch's monitored value.
func (p *Progress) Value() float64 { return p.Values[len(p.Values)-1] }

// better reports whether a is strictly better than b in the monitored
// direction, with no margin: thresholds are compared as Lightning compares
// them, without MinDelta, which is a margin for improvements.
func (p *Progress) better(a, b float64) bool {
	if p.Mode == Max {
		return a > b
	}
	return a < b
}

// patience is Keras's rule: stop when the count of epochs since the last
// improvement reaches n, never at epoch 0, and with a Baseline, stop after
// n epochs if the baseline has not been beaten, even while the value
// improves. With an increase f, the patience in force is
// max(n, ⌈f · best epoch⌉).
type patience struct {
	n        int
	increase float64
	delta    string // " by more than …", for the message
}

func (r patience) Check(p *Progress) (StopReason, string) {
	n := r.n
	grown := r.increase > 0 && p.BestEpoch >= 0 && math.Ceil(r.increase*float64(p.BestEpoch)) > float64(n)
	if grown {
		n = int(math.Ceil(r.increase * float64(p.BestEpoch)))
	}
	if p.Wait < n || p.Epoch == 0 || (p.Improved && p.BaselineBeaten) {
		return NotStopped, ""
	}
	if !p.BaselineBeaten {
		return StopBaseline, fmt.Sprintf("%s did not beat the baseline within %d epochs", p.Monitor, p.Wait)
	}
	msg := fmt.Sprintf("%s did not improve%s for %d epochs", strings.Join(append([]string{p.Monitor}, p.Also...), " and "), r.delta, p.Wait)
	if grown {
		msg += fmt.Sprintf(" (patience grown to %d with the best epoch %d)", n, p.BestEpoch)
	}
	return StopPatience, msg
}

// deltaText describes an improvement margin for messages.
func deltaText(minDelta float64, relative bool) string {
	switch {
	case minDelta == 0:
		return ""
	case relative:
		return fmt.Sprintf(" by more than %g relative", minDelta)
	}
	return fmt.Sprintf(" by more than %g", minDelta)
}

// stoppingThreshold is Lightning's stopping_threshold: stop as soon as the
// value is strictly better than the target.
type stoppingThreshold float64

func (t stoppingThreshold) Check(p *Progress) (StopReason, string) {
	if v := p.Value(); p.better(v, float64(t)) {
		return StopThreshold, fmt.Sprintf("%s = %.6g reached the stopping threshold %g", p.Monitor, v, float64(t))
	}
	return NotStopped, ""
}

// divergenceThreshold is Lightning's divergence_threshold: stop as soon as
// the value is strictly worse than the limit.
type divergenceThreshold float64

func (t divergenceThreshold) Check(p *Progress) (StopReason, string) {
	if v := p.Value(); p.better(float64(t), v) {
		return StopDivergence, fmt.Sprintf("%s = %.6g crossed the divergence threshold %g", p.Monitor, v, float64(t))
	}
	return NotStopped, ""
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
