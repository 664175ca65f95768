package callbacks

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

var nan = math.NaN()

// EarlyStoppingConfig configures EarlyStopping. The zero value monitors
// "val_loss", minimizing it, and stops at the first epoch without
// improvement (Keras's defaults), stops at once on a NaN or infinite value
// (Lightning's check_finite), and treats a monitored name missing from the
// logs as an error (Lightning's strict).
type EarlyStoppingConfig struct {
	// Monitor is the log entry to watch; "" means "val_loss".
	Monitor string
	// Mode says whether Monitor should fall (Min) or rise (Max); Auto
	// infers it from the name.
	Mode Mode

	// MinDelta is the margin an improvement must beat: a value improves on
	// the best only if it is better by more than MinDelta (a change of
	// exactly MinDelta is not an improvement, as in Keras). With
	// RelativeDelta the margin is MinDelta·|best| instead, which stays
	// meaningful for values of either sign.
	MinDelta      float64
	RelativeDelta bool

	// Patience is the number of epochs without improvement after which
	// training stops: it stops when the count of epochs since the last
	// improvement reaches Patience (Keras counts the same way), and never at
	// the first monitored epoch. A negative Patience turns this rule off,
	// leaving the others to stop training.
	Patience int
	// Baseline, if set, must be beaten: the count of epochs without
	// improvement restarts only on a value that improves on both the best
	// and the baseline, so training stops after Patience epochs if the
	// baseline is never beaten (Keras semantics).
	Baseline *float64

	// StartFromEpoch: epochs before it are not monitored at all (warm-up).
	StartFromEpoch int
	// MinEpochs: no rule stops training before this many epochs have run,
	// except the non-finite check.
	MinEpochs int

	// StoppingThreshold, if set, stops training as soon as the monitored
	// value is strictly better than it (MinDelta plays no part): a target
	// reached, as a loss tolerance.
	StoppingThreshold *float64
	// DivergenceThreshold, if set, stops training as soon as the monitored
	// value is strictly worse than it: the run has gone astray.
	DivergenceThreshold *float64
	// AllowNonFinite turns off the check that stops training at once on a
	// NaN or infinite value; such a value then simply never improves.
	AllowNonFinite bool
	// AllowMissing makes a monitored name missing from the logs a warning,
	// written once to Out and naming the keys that are there, after which
	// such epochs are skipped; by default it is an error.
	AllowMissing bool

	// Prechelt's criteria ("Early Stopping — But When?", 1998), each off at
	// zero. They need Mode Min, and PQ needs the training loss too. GL stops
	// when the generalization loss GL(t) = 100·(E_va(t)/E_opt(t) − 1)
	// exceeds GL. PQ stops at the end of a strip of StripLength epochs when
	// GL(t)/P_k(t) exceeds PQ, where the training progress
	// P_k(t) = 1000·(Σ strip E_tr / (k · min strip E_tr) − 1). UP stops at
	// the end of a strip when the validation error has risen, strip end to
	// strip end, UP times in a row.
	GL, PQ float64
	UP     int
	// StripLength is Prechelt's k; 0 means 5.
	StripLength int
	// TrainingMonitor is the training error PQ reads; "" means "loss".
	TrainingMonitor string

	// RestoreBestWeights restores, at the end of training, the weights of
	// the best epoch, however training ended (as Keras 3 does): by this
	// callback, by another, by cancellation or by running out of epochs.
	RestoreBestWeights bool

	// Verbose writes the stop message to Out when training ends.
	Verbose bool
	// Out receives warnings and messages; nil means os.Stderr.
	Out io.Writer
}

// EarlyStopping stops training when a monitored quantity has stopped
// improving, or has reached a target, diverged or become NaN, and can
// restore the weights of the best epoch. See EarlyStoppingConfig for the
// rules and docs/early-stopping.md for how they compare with Keras,
// Lightning and skorch.
//
// In each monitored epoch it first checks that the value is finite, then
// updates the best value (and the best weights), and then asks its rules in
// this order: stopping threshold, divergence threshold, GL, PQ, UP,
// patience. The first rule that fires gives the stop reason.
type EarlyStopping struct {
	Base
	cfg  EarlyStoppingConfig
	rule optim.Improvement

	model       nn.Module
	bestWeights *nn.StateDict

	best         float64
	bestEpoch    int
	wait         int
	stoppedEpoch int
	reason       StopReason
	message      string
	restored     bool
	improved     bool
	warned       bool
	vals, trains []float64 // monitored epochs' values, for Prechelt's rules
	minVal       float64   // lowest validation value, Prechelt's E_opt
	ups          int       // successive strips with a rise, for UP
}

// NewEarlyStopping returns an EarlyStopping with the given configuration.
// It panics on settings that cannot work: a negative MinDelta, StripLength
// or UP, a Mode it cannot infer, or Prechelt's criteria with Mode Max.
func NewEarlyStopping(cfg EarlyStoppingConfig) *EarlyStopping {
	if cfg.Monitor == "" {
		cfg.Monitor = "val_loss"
	}
	if cfg.TrainingMonitor == "" {
		cfg.TrainingMonitor = "loss"
	}
	if cfg.StripLength == 0 {
		cfg.StripLength = 5
	}
	mode, err := cfg.Mode.resolve(cfg.Monitor)
	check("NewEarlyStopping", err == nil, "%v", err)
	check("NewEarlyStopping", cfg.MinDelta >= 0, "MinDelta %v is negative", cfg.MinDelta)
	check("NewEarlyStopping", cfg.StripLength > 0 && cfg.UP >= 0 && cfg.GL >= 0 && cfg.PQ >= 0,
		"StripLength %d, UP %d, GL %v and PQ %v must not be negative", cfg.StripLength, cfg.UP, cfg.GL, cfg.PQ)
	check("NewEarlyStopping", mode == optim.Min || (cfg.GL == 0 && cfg.PQ == 0 && cfg.UP == 0),
		"Prechelt's criteria need a quantity to minimize, and %s is maximized", cfg.Monitor)
	tm := optim.Abs
	if cfg.RelativeDelta {
		tm = optim.Rel
	}
	e := &EarlyStopping{cfg: cfg, rule: optim.Improvement{Mode: mode, ThresholdMode: tm, Threshold: cfg.MinDelta}}
	e.Reset()
	return e
}

// check panics with a *ConfigError if ok is false.
func check(op string, ok bool, format string, args ...any) {
	if !ok {
		panic(&ConfigError{Op: op, Detail: fmt.Sprintf(format, args...)})
	}
}

// ConfigError is the value callbacks panic with when built with settings
// that cannot work, and the error they return when a run cannot supply what
// they need (a monitored name no log will carry).
type ConfigError struct {
	Op     string
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *ConfigError) Error() string { return "callbacks: " + e.Op + ": " + e.Detail }

// Reset forgets everything observed, as at the start of training. Fit
// resets the callback at the start of each run, so one EarlyStopping can
// serve several runs.
func (e *EarlyStopping) Reset() {
	model := e.model
	*e = EarlyStopping{cfg: e.cfg, rule: e.rule, model: model,
		best: e.rule.Worst(), bestEpoch: -1, stoppedEpoch: -1, minVal: math.Inf(1)}
}

// Watch sets the model whose weights are snapshotted at each improvement
// when RestoreBestWeights is set. Fit does this at the start of training.
func (e *EarlyStopping) Watch(m nn.Module) { e.model = m }

// OnTrainBegin resets the state, watches the run's model and checks that
// the monitored names will be logged.
func (e *EarlyStopping) OnTrainBegin(r *Run) error {
	e.Reset()
	e.Watch(r.Model)
	if e.cfg.AllowMissing {
		return nil
	}
	if !r.HasKey(e.cfg.Monitor) {
		return &ConfigError{Op: "EarlyStopping", Detail: fmt.Sprintf("monitor %q will never be logged; the logs carry %s", e.cfg.Monitor, strings.Join(r.Keys, ", "))}
	}
	if e.cfg.PQ > 0 && !r.HasKey(e.cfg.TrainingMonitor) {
		return &ConfigError{Op: "EarlyStopping", Detail: fmt.Sprintf("PQ needs the training error %q, which will never be logged", e.cfg.TrainingMonitor)}
	}
	return nil
}

// OnEpochEnd observes the epoch's logs and stops the run if a rule says so.
func (e *EarlyStopping) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	stop, err := e.ObserveLogs(epoch, logs)
	if stop {
		r.Stop(e.reason, e.message)
	}
	return err
}

// OnTrainEnd records how the run ended if another cause ended it, restores
// the best weights if asked, and prints the message if Verbose.
func (e *EarlyStopping) OnTrainEnd(r *Run) error {
	if e.reason == NotStopped && r.Stopping() {
		e.reason = r.StopReason()
		if e.reason != StopCancelled && e.reason != StopMaxEpochs {
			e.reason = StopCallback
		}
	}
	if e.cfg.RestoreBestWeights {
		if err := e.RestoreBest(); err != nil {
			return err
		}
	}
	if e.cfg.Verbose && e.stoppedEpoch >= 0 {
		fmt.Fprintln(e.out(), e.Message())
	}
	return nil
}

func (e *EarlyStopping) out() io.Writer {
	if e.cfg.Out == nil {
		return os.Stderr
	}
	return e.cfg.Out
}

// Observe feeds the monitored value of an epoch and reports whether
// training should stop, for hand-written loops. It panics if a rule needs
// more than the one value (PQ needs the training error: use ObserveLogs).
func (e *EarlyStopping) Observe(epoch int, value float64) bool {
	stop, err := e.ObserveLogs(epoch, Logs{e.cfg.Monitor: value})
	if err != nil {
		panic(err)
	}
	return stop
}

// ObserveLogs feeds an epoch's logs and reports whether training should
// stop. The error reports a monitored name missing from the logs (unless
// AllowMissing). Once it has said stop, later calls keep saying so without
// observing anything.
func (e *EarlyStopping) ObserveLogs(epoch int, logs Logs) (bool, error) {
	if e.stoppedEpoch >= 0 {
		return true, nil
	}
	e.improved = false
	if epoch < e.cfg.StartFromEpoch {
		return false, nil
	}
	current, ok := logs[e.cfg.Monitor]
	trainErr, trainOK := logs[e.cfg.TrainingMonitor]
	if !ok || (e.cfg.PQ > 0 && !trainOK) {
		missing := e.cfg.Monitor
		if ok {
			missing = e.cfg.TrainingMonitor
		}
		if !e.cfg.AllowMissing {
			return false, &ConfigError{Op: "EarlyStopping", Detail: fmt.Sprintf("epoch %d: %q is not in the logs, which hold %s", epoch, missing, keyList(logs))}
		}
		if !e.warned {
			e.warned = true
			fmt.Fprintf(e.out(), "EarlyStopping: %q is not in the logs, which hold %s; skipping such epochs\n", missing, keyList(logs))
		}
		return false, nil
	}
	if !e.cfg.AllowNonFinite && (math.IsNaN(current) || math.IsInf(current, 0)) {
		return e.stop(epoch, StopNonFinite, fmt.Sprintf("%s = %v is not finite", e.cfg.Monitor, current)), nil
	}

	// Bookkeeping: best value, best weights, epochs without improvement.
	if e.cfg.RestoreBestWeights && e.bestWeights == nil && e.model != nil {
		e.bestWeights, e.bestEpoch = nn.Snapshot(e.model), epoch // until something better comes
	}
	e.wait++
	if e.rule.Better(current, e.best) {
		e.best, e.bestEpoch, e.improved = current, epoch, true
		if e.cfg.RestoreBestWeights && e.model != nil {
			e.bestWeights = nn.Snapshot(e.model)
		}
		if e.cfg.Baseline == nil || e.rule.Better(current, *e.cfg.Baseline) {
			e.wait = 0
		}
	}
	e.vals = append(e.vals, current)
	e.trains = append(e.trains, trainErr)
	if !math.IsNaN(current) {
		e.minVal = min(e.minVal, current)
	}

	if epoch+1 < e.cfg.MinEpochs {
		return false, nil
	}
	if t := e.cfg.StoppingThreshold; t != nil && e.beyond(current, *t) {
		return e.stop(epoch, StopThreshold, fmt.Sprintf("%s = %.6g reached the stopping threshold %g", e.cfg.Monitor, current, *t)), nil
	}
	if t := e.cfg.DivergenceThreshold; t != nil && e.beyond(*t, current) {
		return e.stop(epoch, StopDivergence, fmt.Sprintf("%s = %.6g crossed the divergence threshold %g", e.cfg.Monitor, current, *t)), nil
	}
	if reason, msg := e.prechelt(); reason != NotStopped {
		return e.stop(epoch, reason, msg), nil
	}
	baselineUnbeaten := e.cfg.Baseline != nil && !e.rule.Better(e.best, *e.cfg.Baseline)
	if e.cfg.Patience >= 0 && e.wait >= e.cfg.Patience && epoch > 0 && (!e.improved || baselineUnbeaten) {
		if baselineUnbeaten {
			return e.stop(epoch, StopBaseline, fmt.Sprintf("%s did not beat the baseline %g within %d epochs", e.cfg.Monitor, *e.cfg.Baseline, e.wait)), nil
		}
		return e.stop(epoch, StopPatience, fmt.Sprintf("%s did not improve%s for %d epochs", e.cfg.Monitor, e.deltaText(), e.wait)), nil
	}
	return false, nil
}

// beyond reports whether a is strictly better than b in the monitored
// direction. Thresholds are compared as Lightning compares them: without
// MinDelta, which is a margin for improvements, not for targets.
func (e *EarlyStopping) beyond(a, b float64) bool {
	if e.rule.Mode == optim.Max {
		return a > b
	}
	return a < b
}

// prechelt evaluates GL, PQ and UP on the values seen so far.
func (e *EarlyStopping) prechelt() (StopReason, string) {
	n := len(e.vals)
	current := e.vals[n-1]
	gl := 100 * (current/e.minVal - 1)
	if e.cfg.GL > 0 && gl > e.cfg.GL {
		return StopGL, fmt.Sprintf("generalization loss GL = %.4g%% exceeds %g", gl, e.cfg.GL)
	}
	k := e.cfg.StripLength
	if n%k != 0 {
		return NotStopped, ""
	}
	if e.cfg.PQ > 0 {
		strip := e.trains[n-k:]
		sum, low := 0.0, math.Inf(1)
		for _, v := range strip {
			sum += v
			low = min(low, v)
		}
		progress := 1000 * (sum/(float64(k)*low) - 1)
		if q := gl / progress; q > e.cfg.PQ {
			return StopPQ, fmt.Sprintf("GL/P%d = %.4g/%.4g = %.4g exceeds %g", k, gl, progress, q, e.cfg.PQ)
		}
	}
	if e.cfg.UP > 0 && n > k {
		if current > e.vals[n-1-k] {
			e.ups++
		} else {
			e.ups = 0
		}
		if e.ups >= e.cfg.UP {
			return StopUP, fmt.Sprintf("%s rose in %d successive strips of %d epochs", e.cfg.Monitor, e.ups, k)
		}
	}
	return NotStopped, ""
}

func (e *EarlyStopping) stop(epoch int, reason StopReason, msg string) bool {
	e.stoppedEpoch, e.reason, e.message = epoch, reason, msg
	return true
}

// RestoreBest copies the best epoch's weights into the watched model. It
// does nothing if RestoreBestWeights is off or nothing was observed.
func (e *EarlyStopping) RestoreBest() error {
	if e.bestWeights == nil || e.model == nil {
		return nil
	}
	if err := nn.LoadState(e.model, e.bestWeights); err != nil {
		return err
	}
	e.restored = true
	return nil
}

// Stopped reports whether a rule of this callback said stop.
func (e *EarlyStopping) Stopped() bool { return e.stoppedEpoch >= 0 }

// StoppedEpoch returns the epoch at which a rule of this callback said
// stop, or −1.
func (e *EarlyStopping) StoppedEpoch() int { return e.stoppedEpoch }

// StopReason returns why training stopped: this callback's rule, or, after
// training ends, StopCancelled, StopMaxEpochs or StopCallback if something
// else ended it; NotStopped otherwise.
func (e *EarlyStopping) StopReason() StopReason { return e.reason }

// Best returns the best monitored value seen (±Inf before any).
func (e *EarlyStopping) Best() float64 { return e.best }

// BestEpoch returns the epoch of the best value, or −1 before any.
func (e *EarlyStopping) BestEpoch() int { return e.bestEpoch }

// Wait returns the number of monitored epochs since the last improvement.
func (e *EarlyStopping) Wait() int { return e.wait }

// Improved reports whether the last observed epoch improved on the best.
func (e *EarlyStopping) Improved() bool { return e.improved }

// Message explains how training stopped, for example
//
//	Epoch 37: early stopping: val_loss did not improve by more than 1e-06 for 20 epochs; best 0.0132 at epoch 17; restored its weights
func (e *EarlyStopping) Message() string {
	var b strings.Builder
	if e.stoppedEpoch >= 0 {
		fmt.Fprintf(&b, "Epoch %d: early stopping: %s", e.stoppedEpoch, e.message)
	} else {
		fmt.Fprintf(&b, "no early stop (%s)", e.reason)
	}
	if e.bestEpoch >= 0 && !math.IsInf(e.best, 0) {
		fmt.Fprintf(&b, "; best %.6g at epoch %d", e.best, e.bestEpoch)
	}
	if e.restored {
		b.WriteString("; restored its weights")
	}
	return b.String()
}

// State returns the callback's state, the best weights included, as a
// state dict that nn.SaveFile can write, so that a run can resume.
func (e *EarlyStopping) State() *nn.StateDict {
	s := nn.NewStateDict()
	scalars := map[string]float64{"best": e.best, "best_epoch": float64(e.bestEpoch), "wait": float64(e.wait),
		"stopped_epoch": float64(e.stoppedEpoch), "reason": float64(e.reason), "min_val": e.minVal, "ups": float64(e.ups)}
	for _, k := range []string{"best", "best_epoch", "wait", "stopped_epoch", "reason", "min_val", "ups"} {
		s.Set(k, tensor.Scalar(scalars[k]))
	}
	s.Set("vals", tensor.New(append([]float64{}, e.vals...)))
	s.Set("trains", tensor.New(append([]float64{}, e.trains...)))
	if e.bestWeights != nil {
		for _, name := range e.bestWeights.Names() {
			t, _ := e.bestWeights.Get(name)
			s.Set("best_weights."+name, t.Clone())
		}
	}
	return s
}

// LoadState restores a state returned by State. The message of a stop
// is not restored.
func (e *EarlyStopping) LoadState(s *nn.StateDict) error {
	get := func(name string) (*tensor.Tensor, error) {
		t, ok := s.Get(name)
		if !ok {
			return nil, fmt.Errorf("callbacks: EarlyStopping state lacks %q", name)
		}
		return t, nil
	}
	vals := map[string]float64{}
	for _, k := range []string{"best", "best_epoch", "wait", "stopped_epoch", "reason", "min_val", "ups"} {
		t, err := get(k)
		if err != nil {
			return err
		}
		if t.Size() != 1 {
			return fmt.Errorf("callbacks: EarlyStopping state %q has shape %v, want a scalar", k, t.Shape())
		}
		vals[k] = t.Item()
	}
	v, err := get("vals")
	if err != nil {
		return err
	}
	tr, err := get("trains")
	if err != nil {
		return err
	}
	if v.Dims() != 1 || tr.Dims() != 1 || v.Size() != tr.Size() {
		return fmt.Errorf("callbacks: EarlyStopping state: vals %v and trains %v differ", v.Shape(), tr.Shape())
	}
	var weights *nn.StateDict
	for _, name := range s.Names() {
		if rest, ok := strings.CutPrefix(name, "best_weights."); ok {
			if weights == nil {
				weights = nn.NewStateDict()
			}
			t, _ := s.Get(name)
			weights.Set(rest, t.Clone())
		}
	}
	e.Reset()
	e.best, e.bestEpoch, e.wait = vals["best"], int(vals["best_epoch"]), int(vals["wait"])
	e.stoppedEpoch, e.reason, e.minVal, e.ups = int(vals["stopped_epoch"]), StopReason(vals["reason"]), vals["min_val"], int(vals["ups"])
	e.vals, e.trains = append([]float64{}, v.Data()...), append([]float64{}, tr.Data()...)
	e.bestWeights = weights
	return nil
}

func keyList(logs Logs) string {
	keys := make([]string, 0, len(logs))
	for k := range logs {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "nothing"
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// deltaText describes the improvement margin for messages.
func (e *EarlyStopping) deltaText() string {
	switch {
	case e.cfg.MinDelta == 0:
		return ""
	case e.cfg.RelativeDelta:
		return fmt.Sprintf(" by more than %g relative", e.cfg.MinDelta)
	}
	return fmt.Sprintf(" by more than %g", e.cfg.MinDelta)
}

// inferMode guesses whether a quantity named name is minimized or
// maximized. Loss and error names are checked first, so that a name such
// as "accuracy_loss" is minimized.
func inferMode(name string) (optim.Mode, bool) {
	n := strings.ToLower(strings.TrimPrefix(name, "val_"))
	for _, w := range []string{"loss", "error", "err", "mse", "mae", "rmse", "mape", "nll", "entropy", "perplexity", "divergence"} {
		if strings.Contains(n, w) {
			return optim.Min, true
		}
	}
	for _, w := range []string{"acc", "auc", "f1", "precision", "recall", "iou", "r2"} {
		if strings.Contains(n, w) {
			return optim.Max, true
		}
	}
	return 0, false
}
