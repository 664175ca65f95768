package callbacks

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// EarlyStopping stops training when a monitored quantity has stopped
// improving, or has reached a target, diverged or become NaN, and can
// restore the weights of the best epoch. See EarlyStoppingConfig for the
// rules and docs/early-stopping.md for how they compare with Keras,
// Lightning and skorch.
//
// In each monitored epoch it first checks that the value is finite, then
// updates the best value (and the best weights), and then asks its rules in
// this order: stopping threshold, divergence threshold, GL, PQ, UP,
// patience, then Rules. The first rule that fires gives the stop reason.
//
// An observation that cannot be made (a monitored name missing from the
// logs, a mode that cannot be inferred, RestoreBestWeights with no model to
// watch) stops training with StopError: ObserveLogs returns the error, and
// Err returns it after Observe.
type EarlyStopping struct {
	Base
	cfg      EarlyStoppingConfig
	modeErr  error // why the mode cannot be told, if it cannot
	tracker  optim.Tracker
	rules    []Rule
	progress Progress

	model       nn.Module
	bestWeights *nn.StateDict
	misfit      error // why the loaded best weights do not fit model, if they do not
	smooth      smoother
	also        alsoMonitors

	stoppedEpoch int
	reason       StopReason
	message      string
	err          error
	restored     bool
	warned       bool
	unit         string // what an observation is, for messages: "Epoch" or "Check"
	budget       int    // the most observations of the run, 0 if unknown
	train        bool   // whether the rules read the training error (PQ, Learned)
}

// Reset forgets everything observed, as at the start of training. Fit
// resets the callback at the start of each run, so one EarlyStopping can
// serve several runs.
func (e *EarlyStopping) Reset() {
	e.tracker.Reset()
	e.progress = Progress{Monitor: e.cfg.Monitor, Lowest: math.Inf(1), BestEpoch: -1, Budget: e.budget}
	for _, r := range e.rules {
		if r, ok := r.(interface{ reset() }); ok {
			r.reset()
		}
	}
	e.bestWeights, e.misfit = nil, nil
	e.smooth.reset()
	e.also.reset()
	e.stoppedEpoch, e.reason, e.message, e.err = -1, NotStopped, "", nil
	e.restored, e.warned = false, false
}

// Watch sets the model whose weights are snapshotted at each improvement
// when RestoreBestWeights is set. Fit does this at the start of training.
// Best weights loaded by LoadState are checked against the model here (or
// in LoadState, if it comes after): if they do not fit it, the next
// observation and OnTrainBegin fail with a *StateError.
func (e *EarlyStopping) Watch(m nn.Module) {
	e.model, e.misfit = m, nil
	if e.bestWeights != nil && m != nil {
		if err := sameLayout(e.bestWeights, nn.StateOf(m)); err != nil {
			e.misfit = &StateError{Op: "EarlyStopping.Watch", Field: stateWeights, Detail: fmt.Sprintf("the saved best weights do not fit the model: %v", err)}
		}
	}
}

// OnTrainBegin resets the state (unless the run resumes a saved one),
// watches the run's model and checks that the monitored names will be
// logged and the mode can be told.
func (e *EarlyStopping) OnTrainBegin(r *Run) error {
	if !r.Resumed {
		e.Reset()
	}
	e.Watch(r.Model)
	e.budget = runBudget(e.cfg.Budget, r)
	e.progress.Budget = e.budget
	e.unit = "Epoch"
	if r.ValidateEvery > 0 {
		e.unit = "Check"
		if err := checkLogged("EarlyStopping", fmt.Sprintf("monitor %q", e.cfg.Monitor), e.cfg.Monitor, &Run{Keys: r.CheckKeys}); err != nil {
			return fmt.Errorf("%w at a check (val_ metrics come once an epoch, with ValidateEvery)", err)
		}
	}
	if !e.cfg.AllowMissing {
		if err := checkLogged("EarlyStopping", fmt.Sprintf("monitor %q", e.cfg.Monitor), e.cfg.Monitor, r); err != nil {
			return err
		}
		if e.train {
			if err := checkLogged("EarlyStopping", fmt.Sprintf("the training error %q (PQ, Learned)", e.cfg.TrainingMonitor), e.cfg.TrainingMonitor, r); err != nil {
				return err
			}
		}
		for _, name := range e.also.names {
			if err := checkLogged("EarlyStopping", fmt.Sprintf("monitor %q", name), name, r); err != nil {
				return err
			}
		}
	}
	return e.ready()
}

// ready returns the error that keeps the callback from observing, if any.
func (e *EarlyStopping) ready() error {
	if e.misfit != nil {
		return e.misfit
	}
	if e.modeErr != nil {
		return configErrorf("EarlyStopping", "%v", e.modeErr)
	}
	if (e.cfg.Remaining != nil || e.cfg.Learned != nil) && e.budget <= 0 {
		return configErrorf("EarlyStopping", "the remaining-budget and learned rules need the run's budget: set Budget in a loop of your own")
	}
	if e.cfg.RestoreBestWeights && e.model == nil {
		return configErrorf("EarlyStopping", "RestoreBestWeights needs the model: call Watch(model) before the first observation")
	}
	return nil
}

// OnEpochEnd observes the epoch's logs and stops the run if a rule says so.
// With Run.ValidateEvery it observes at every validation instead (see
// OnValidation).
func (e *EarlyStopping) OnEpochEnd(r *Run, epoch int, logs Logs) error {
	if r.ValidateEvery > 0 {
		return nil
	}
	stop, err := e.ObserveLogs(epoch, logs)
	if stop && err == nil {
		r.Stop(e.reason, e.message)
	}
	return err
}

// OnTrainEnd records how the run ended if another cause ended it, restores
// the best weights if asked, and prints the message if Verbose.
func (e *EarlyStopping) OnTrainEnd(r *Run) error {
	if e.reason == NotStopped && r.Stopping() {
		e.reason = r.StopReason()
		if e.reason != StopCancelled && e.reason != StopMaxEpochs && e.reason != StopError {
			e.reason = StopCallback
		}
	}
	if e.cfg.RestoreBestWeights {
		if err := e.RestoreBest(); err != nil {
			return err
		}
	}
	if e.cfg.Verbose && e.stoppedEpoch >= 0 {
		r.Printf(e.out(), "%s", e.Message())
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
// training should stop, for hand-written loops. If the observation cannot
// be made it reports true, and Err says why.
func (e *EarlyStopping) Observe(epoch int, value float64) bool {
	stop, _ := e.ObserveLogs(epoch, Logs{e.cfg.Monitor: value})
	return stop
}

// ObserveWithTraining is Observe for rules that also read the training
// error (PQ): it feeds the epoch's monitored value and its training error
// (TrainingMonitor, "loss" by default).
func (e *EarlyStopping) ObserveWithTraining(epoch int, value, training float64) bool {
	stop, _ := e.ObserveLogs(epoch, Logs{e.cfg.Monitor: value, e.cfg.TrainingMonitor: training})
	return stop
}

// ObserveLogs feeds an epoch's logs and reports whether training should
// stop. Once it has said stop, later calls keep saying so without
// observing anything. The error is the one Err returns.
func (e *EarlyStopping) ObserveLogs(epoch int, logs Logs) (bool, error) {
	if e.stoppedEpoch >= 0 {
		return true, e.err
	}
	e.progress.Improved = false
	if epoch < e.cfg.StartFromEpoch {
		return false, nil
	}
	if err := e.ready(); err != nil {
		return e.fail(epoch, err)
	}
	e.progress.Mode = e.tracker.Mode
	current, ok := logs[e.cfg.Monitor]
	train, trainOK := logs[e.cfg.TrainingMonitor]
	extra, missing := e.also.read(logs)
	switch {
	case !ok:
		missing = e.cfg.Monitor
	case e.train && !trainOK:
		missing = e.cfg.TrainingMonitor
	}
	if missing != "" {
		if !e.cfg.AllowMissing {
			return e.fail(epoch, configErrorf("EarlyStopping", "epoch %d: %q is not in the logs, which hold %s", epoch, missing, keyList(logs)))
		}
		if !e.warned {
			e.warned = true
			fmt.Fprintf(e.out(), "EarlyStopping: %q is not in the logs, which hold %s; skipping such epochs\n", missing, keyList(logs))
		}
		return false, nil
	}
	for i, v := range append([]float64{current}, extra...) {
		if name := e.cfg.Monitor; !e.cfg.AllowNonFinite && !finite(v) {
			if i > 0 {
				name = e.also.names[i-1]
			}
			return e.stop(epoch, StopNonFinite, fmt.Sprintf("%s = %v is not finite", name, v)), nil
		}
	}
	e.record(epoch, e.smooth.next(current), train, extra)
	if epoch+1 < e.cfg.MinEpochs {
		return false, nil
	}
	e.progress.MinEpochsReached = e.cfg.MinEpochs > 1 && epoch+1 == e.cfg.MinEpochs
	for _, rule := range e.rules {
		if reason, msg := rule.Check(&e.progress); reason != NotStopped {
			return e.stop(epoch, reason, msg), nil
		}
	}
	return false, nil
}

// record updates the best value, the best weights and the values the rules
// read.
func (e *EarlyStopping) record(epoch int, current, train float64, extra []float64) {
	improved := e.tracker.Observe(epoch, current)
	if e.also.on() {
		_, improved = e.also.observe(epoch, &e.tracker, current, extra)
	}
	if e.cfg.RestoreBestWeights && (improved || e.bestWeights == nil) {
		e.bestWeights = nn.Snapshot(e.model) // the first epoch's until something better comes
	}
	p := &e.progress
	p.Epoch = epoch
	p.Values = append(p.Values, current)
	if e.train {
		p.Train = append(p.Train, train)
	}
	if !math.IsNaN(current) {
		p.Lowest = min(p.Lowest, current)
	}
	e.syncProgress()
}

// syncProgress copies the tracker's state into the progress the rules read.
func (e *EarlyStopping) syncProgress() {
	p := &e.progress
	p.Best, p.BestEpoch, p.Wait = e.tracker.Best(), e.tracker.BestEpoch(), e.tracker.Wait()
	p.Improved, p.BaselineBeaten = e.tracker.Improved(), e.tracker.BaselineBeaten()
	if a := &e.also; a.on() {
		p.Wait, p.Also = a.wait(&e.tracker), a.names
		for i := range a.trackers {
			p.Improved = p.Improved || a.trackers[i].Improved()
		}
		if a.bestEpoch >= 0 {
			p.Best, p.BestEpoch = a.best[0], a.bestEpoch
		}
	}
}

// stop records a stop, its reason checked and its message cut to what a
// saved state holds (MaxReasonLen, MaxMessageLen).
func (e *EarlyStopping) stop(epoch int, reason StopReason, msg string) bool {
	checkReason("EarlyStopping: a rule", reason)
	e.stoppedEpoch, e.reason, e.message = epoch, reason, cutMessage(msg)
	return true
}

func (e *EarlyStopping) fail(epoch int, err error) (bool, error) {
	e.err = err
	return e.stop(epoch, StopError, err.Error()), err
}

// Err returns the error that stopped the observations, or nil.
func (e *EarlyStopping) Err() error { return e.err }

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
