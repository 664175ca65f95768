// Package train runs the training loop: Fit trains a model for a number of
// epochs over a data.Loader, validates it after each epoch without building
// a graph, logs the results and drives callbacks, Keras-style. Evaluate
// computes the loss and metrics of a model over a data set.
//
// Fit is a convenience, not a cage: every piece it uses (the optimizer, the
// loss, the loader, EarlyStopping) works on its own in a loop of your own.
package train

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// Config configures Fit.
type Config struct {
	Loss      nn.Loss         // required; mean-reduced, since the logs weight each batch by its size
	Optimizer optim.Optimizer // required
	Epochs    int             // 0 means 1, as Keras
	Train     *data.Loader    // required
	Val       *data.Loader    // optional: without it there is no val_loss

	// Metrics are streaming accumulators (nn.Metric), reset before each
	// epoch's training and before its validation, updated with every batch
	// and read at the end of the pass, so that each is its value over the
	// whole epoch: logged under their names and, on validation data, with
	// the prefix "val_": Metrics: map[string]nn.Metric{"accuracy":
	// &nn.Accuracy{}}. Batch logs carry the running value.
	Metrics map[string]nn.Metric

	Callbacks []callbacks.Callback

	// ClipNorm, if positive, clips the gradients to this global L2 norm
	// before each step; ClipValue, if positive, clips each gradient element
	// to ±ClipValue.
	ClipNorm, ClipValue float64

	// Schedule, if set, is stepped once at the end of every epoch, after
	// the callbacks (an *optim.Schedule, for example).
	Schedule interface{ Step() }

	// BatchSchedule, if set, is stepped after every optimizer step, as
	// Lightning's interval "step": for the schedules that count batches,
	// such as optim.NewOneCycleLR (its TotalSteps is then epochs × batches
	// per epoch) or a per-batch warm-up. Schedule and BatchSchedule may
	// both be set; both act on the optimizer's rate.
	BatchSchedule interface{ Step() }

	// ValidateEvery, if positive, also validates after every ValidateEvery
	// training batches of an epoch (but the last, which the epoch's own
	// validation follows), as Lightning's integer val_check_interval: each
	// validation is a check, numbered from 0 over the run, and callbacks
	// that implement callbacks.Validator (EarlyStopping) act at every check,
	// counting in checks. A check's logs carry "val_loss", the epoch's
	// running training "loss", "epoch" and "batch"; the "val_" metrics come
	// with the epoch's own validation, the last check of an epoch. It needs
	// Val.
	ValidateEvery int

	// InitialEpoch is the epoch to start at, as Keras's initial_epoch:
	// epochs InitialEpoch … Epochs−1 run. Resume sets it from a checkpoint.
	InitialEpoch int
	// Checkpoint, if set, is a file that Fit writes after every epoch (after
	// the callbacks and the schedule's step), atomically: the model, the
	// optimizer, the schedules' step counts, the state of every Stateful
	// callback (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, History,
	// CurveRecorder), the RandomSources, the run's identity (Run.ID) and the
	// epoch to run next.
	Checkpoint string
	// Resume continues the run saved in Checkpoint, if the file exists:
	// everything is loaded back and training goes on from the next epoch,
	// so that an interrupted run ends as the uninterrupted one would have,
	// to the bit. Without the file, training starts afresh. A checkpoint
	// whose pieces are not this run's (other callbacks, random sources or
	// schedules, another model, an entry no run writes) is an error, and
	// then nothing is loaded.
	Resume bool
	// RandomSources are the sources behind the run's random choices (the
	// Loader's shuffling, Dropout), saved and restored with the checkpoint:
	// give rand.New the source and list it here.
	RandomSources []RandomSource
}

// Fit trains model with the configuration and returns the history of the
// run. Each epoch:
//
//  1. trains on every batch of Train: zero the gradients, forward, loss,
//     backward, clip, step; callbacks see each batch's "loss" and metrics;
//  2. evaluates on Val, if given, in evaluation mode and without a graph;
//  3. logs "loss", each metric, "val_loss" and the "val_" metrics (means
//     over the epoch's examples), "lr" (the rate used in the epoch) and
//     "epoch_seconds", and calls the callbacks' OnEpochEnd.
//
// Training ends when the epochs run out or a callback stops it. A stop
// asked at batch level ends the epoch's training early; its validation and
// logs still happen, as in Keras. Cancelling ctx stops after the current
// batch, skips the rest of the epoch, runs the callbacks' OnTrainEnd (so
// that, for example, EarlyStopping still restores the best weights), and
// returns the history so far with the context's error. The weights are
// never left half-updated.
//
// A loader of several inputs (data.NewMultiLoader) gives each batch's
// inputs to the model's ForwardInputs (an nn.MultiInput; see
// PredictInputs).
//
// The batches' float inputs and targets are converted to the model's dtype
// (nn.DTypeOf): a model made float32 with nn.To trains on float32 batches
// from float64 data, as a PyTorch loop calls x.float(). Int64 ones (category
// codes for an Embedding, class labels) are left as they are, exact, as
// PyTorch leaves a LongTensor. Evaluate, Predict and the other predictions
// convert their inputs alike.
//
// Invalid configuration, a monitored name that no log will carry, an
// empty loader, a loader of several inputs for a model that takes one (or
// inputs other than a model's nn.NamedInputs), or a schedule with an end (optim.NewOneCycleLR) that the
// run's steps would overrun is reported as an error before the first
// epoch. A panic during the run (in the model, the loss or a callback) runs
// the callbacks' OnTrainEnd, the run stopped with callbacks.StopError, and
// then goes on up unchanged: Go code does not turn a bug into an error. A run that
// ends on an error is stopped with callbacks.StopError (and the error's
// message) before the callbacks' OnTrainEnd, so that they and the History
// see that it failed.
func Fit(ctx context.Context, model nn.Module, cfg Config) (*callbacks.History, error) {
	hist := &callbacks.History{StoppedEpoch: -1}
	if err := validate(model, &cfg); err != nil {
		return hist, err
	}
	names := slices.Sorted(maps.Keys(cfg.Metrics))
	keys := []string{"loss", "lr", "epoch_seconds"}
	keys = append(keys, names...)
	if cfg.Val != nil {
		keys = append(keys, "val_loss")
		for _, n := range names {
			keys = append(keys, "val_"+n)
		}
	}
	run := &callbacks.Run{Model: model, Optimizer: cfg.Optimizer, Epochs: cfg.Epochs, Steps: cfg.Train.Len(), Keys: keys,
		InitialEpoch: cfg.InitialEpoch, ValidateEvery: cfg.ValidateEvery, ID: callbacks.NewRunID()}
	if cfg.ValidateEvery > 0 {
		run.CheckKeys = []string{"val_loss", "loss", "epoch", "batch"}
	}
	cbs := append([]callbacks.Callback{hist}, cfg.Callbacks...)
	if cfg.Resume && cfg.Checkpoint != "" {
		if err := loadRun(cfg.Checkpoint, model, &cfg, cbs, run); err != nil {
			return hist, err
		}
	}
	if !run.Stopping() {
		if err := checkLimits(cfg, run.InitialEpoch); err != nil {
			return hist, err
		}
	}

	// begun counts the callbacks whose OnTrainBegin has run, and ended says
	// their OnTrainEnd has been called. A panic in the run (from the model,
	// the loss, a callback) ends them on its way up, so that best weights
	// are restored and files closed, and then goes on unchanged: a panic is
	// a bug, not an error to return.
	begun, ended := 0, false
	defer func() {
		if !ended {
			run.Stop(callbacks.StopError, "the run panicked")
			for _, cb := range cbs[:begun] {
				cb.OnTrainEnd(run)
			}
		}
	}()
	// end runs the OnTrainEnd of every callback that began and returns the
	// first error. A run that ends on an error is stopped with StopError
	// first, so that the callbacks see it failed (CurveRecorder then
	// appends no fragment).
	end := func(err error) (*callbacks.History, error) {
		ended = true
		if err != nil {
			run.Stop(callbacks.StopError, err.Error())
		}
		for _, cb := range cbs[:begun] {
			if e := cb.OnTrainEnd(run); err == nil {
				err = e
			}
		}
		return hist, err
	}
	for _, cb := range cbs {
		if err := cb.OnTrainBegin(run); err != nil {
			return end(err) // the callbacks that began clean up (close files)
		}
		begun++
	}
	params := model.Parameters()
	if run.Stopping() { // a resumed run that had ended
		return end(nil)
	}
	for epoch := run.InitialEpoch; epoch < cfg.Epochs; epoch++ {
		run.Epoch = epoch
		for _, cb := range cbs {
			if err := cb.OnEpochBegin(run, epoch); err != nil {
				return end(err)
			}
		}
		start := time.Now()
		lr := cfg.Optimizer.LR()
		trainLogs, err := trainEpoch(ctx, model, params, cfg, names, run, cbs)
		if err != nil {
			return end(err)
		}
		if ctx.Err() != nil {
			run.Stop(callbacks.StopCancelled, fmt.Sprintf("cancelled during epoch %d: %v", epoch, ctx.Err()))
			return end(ctx.Err())
		}
		logs := callbacks.Logs{"lr": lr}
		maps.Copy(logs, trainLogs)
		if cfg.Val != nil {
			for k, v := range evaluate(ctx, model, cfg.Val, cfg.Loss, cfg.Metrics) {
				logs["val_"+k] = v
			}
			if ctx.Err() != nil { // the validation is incomplete: no epoch end
				run.Stop(callbacks.StopCancelled, fmt.Sprintf("cancelled during the validation of epoch %d: %v", epoch, ctx.Err()))
				return end(ctx.Err())
			}
			if cfg.ValidateEvery > 0 {
				check := maps.Clone(logs)
				check["epoch"], check["batch"] = float64(epoch), float64(cfg.Train.Len()-1)
				if err := onCheck(run, cbs, epoch*checksPerEpoch(cfg)+checksPerEpoch(cfg)-1, check); err != nil {
					return end(err)
				}
			}
		}
		logs["epoch_seconds"] = time.Since(start).Seconds()
		for _, cb := range cbs {
			if err := cb.OnEpochEnd(run, epoch, logs); err != nil {
				return end(err)
			}
		}
		if cfg.Schedule != nil {
			cfg.Schedule.Step()
		}
		if epoch == cfg.Epochs-1 && !run.Stopping() {
			run.Stop(callbacks.StopMaxEpochs, fmt.Sprintf("completed %d epochs", cfg.Epochs))
		}
		if cfg.Checkpoint != "" {
			if err := saveRun(cfg.Checkpoint, epoch+1, model, &cfg, cbs, run); err != nil {
				return end(err)
			}
		}
		if run.Stopping() {
			return end(nil)
		}
	}
	run.Stop(callbacks.StopMaxEpochs, fmt.Sprintf("completed %d epochs", cfg.Epochs))
	return end(nil)
}

// trainEpoch runs the training batches of one epoch and returns the mean
// loss and metrics over its examples.
func trainEpoch(ctx context.Context, model nn.Module, params []nn.Param, cfg Config, names []string, run *callbacks.Run, cbs []callbacks.Callback) (callbacks.Logs, error) {
	for _, m := range cfg.Metrics {
		m.Reset()
	}
	lossSum, seen := 0.0, 0
	batch := 0
	dtype := nn.DTypeOf(model)
	for xs, y := range cfg.Train.ReusedInputs() { // each batch is done with before the next
		if ctx.Err() != nil { // no step after a cancel
			break
		}
		for _, p := range params {
			p.Var.ZeroGrad()
		}
		y = toModel(y, dtype)
		out := forward(model, dtype, xs, autograd.Const)
		loss := cfg.Loss(out, autograd.Const(y))
		loss.Backward()
		if cfg.ClipValue > 0 {
			optim.ClipGradValue(params, cfg.ClipValue)
		}
		if cfg.ClipNorm > 0 {
			optim.ClipGradNorm(params, cfg.ClipNorm)
		}
		cfg.Optimizer.Step()
		if cfg.BatchSchedule != nil {
			cfg.BatchSchedule.Step()
		}

		n := y.Dim(0)
		batchLogs := callbacks.Logs{"loss": loss.Item()}
		for _, name := range names {
			m := cfg.Metrics[name]
			m.Update(out.Value, y)
			batchLogs[name] = m.Value()
		}
		lossSum += loss.Item() * float64(n)
		seen += n
		for _, cb := range cbs {
			if err := cb.OnBatchEnd(run, batch, batchLogs); err != nil {
				return nil, err
			}
		}
		batch++
		if every := cfg.ValidateEvery; every > 0 && batch%every == 0 && batch < cfg.Train.Len() {
			check := callbacks.Logs{"loss": lossSum / float64(seen), "epoch": float64(run.Epoch), "batch": float64(batch - 1)}
			check["val_loss"] = evaluate(ctx, model, cfg.Val, cfg.Loss, nil)["loss"]
			if err := onCheck(run, cbs, run.Epoch*checksPerEpoch(cfg)+batch/every-1, check); err != nil {
				return nil, err
			}
		}
		if run.Stopping() {
			break
		}
	}
	logs := callbacks.Logs{"loss": lossSum / float64(seen)}
	for name, m := range cfg.Metrics {
		logs[name] = m.Value()
	}
	return logs, nil
}

// limited is a schedule with an end, such as optim.NewOneCycleLR's.
type limited interface {
	Epoch() int
	Limit() int
}

// checkLimits returns an error if the epochs from first on would step a
// schedule past its end.
func checkLimits(cfg Config, first int) error {
	for _, s := range []struct {
		name     string
		schedule any
		perEpoch int
		unit     string
	}{{"Schedule", cfg.Schedule, 1, "1 step (once an epoch)"}, {"BatchSchedule", cfg.BatchSchedule, cfg.Train.Len(), fmt.Sprintf("%d steps (one a batch)", cfg.Train.Len())}} {
		l, ok := s.schedule.(limited)
		if !ok || l.Limit() <= 0 {
			continue
		}
		left := cfg.Epochs - first
		if need := l.Epoch() + left*s.perEpoch; need > l.Limit() {
			return fmt.Errorf("train: invalid configuration: the %s ends at step %d (its TotalSteps), but from step %d the run's %d epochs of %s take it to step %d: want TotalSteps of at least %d",
				s.name, l.Limit(), l.Epoch(), left, s.unit, need, need)
		}
	}
	return nil
}

// checksPerEpoch is the number of validations of an epoch with
// ValidateEvery: every ValidateEvery batches but the last, and the end.
func checksPerEpoch(cfg Config) int {
	return (cfg.Train.Len() + cfg.ValidateEvery - 1) / cfg.ValidateEvery
}

// onCheck calls the Validator callbacks at a check.
func onCheck(run *callbacks.Run, cbs []callbacks.Callback, check int, logs callbacks.Logs) error {
	for _, cb := range cbs {
		if v, ok := cb.(callbacks.Validator); ok {
			if err := v.OnValidation(run, check, logs); err != nil {
				return err
			}
		}
	}
	return nil
}

// Evaluate returns the mean loss ("loss") and the metrics (reset first, then
// updated with every batch) of model over every example of loader,
// computed in evaluation mode without building a graph:
// the inputs are autograd.NoGrad, so every layer with a mode, in any
// module, evaluates, and nothing in the model is written. Any number of
// goroutines may evaluate one model at once, each with metrics of its own.
// A loader of several inputs (data.NewMultiLoader) passes them to the
// model's ForwardInputs; a model that is not an nn.MultiInput then panics
// with an *nn.Error, as nn.ForwardInputs does.
func Evaluate(model nn.Module, loader *data.Loader, loss nn.Loss, metrics map[string]nn.Metric) callbacks.Logs {
	return evaluate(context.Background(), model, loader, loss, metrics)
}

// evaluate is Evaluate, stopping between batches once ctx is done.
func evaluate(ctx context.Context, model nn.Module, loader *data.Loader, loss nn.Loss, metrics map[string]nn.Metric) callbacks.Logs {
	for _, m := range metrics {
		m.Reset()
	}
	lossSum, seen := 0.0, 0
	dtype := nn.DTypeOf(model)
	for xs, y := range loader.ReusedInputs() {
		if ctx.Err() != nil {
			break
		}
		y = toModel(y, dtype)
		out := forward(model, dtype, xs, autograd.NoGrad)
		lossSum += loss(out, autograd.NoGrad(y)).Item() * float64(y.Dim(0))
		for _, m := range metrics {
			m.Update(out.Value, y)
		}
		seen += y.Dim(0)
	}
	logs := callbacks.Logs{"loss": lossSum / float64(seen)}
	for name, m := range metrics {
		logs[name] = m.Value()
	}
	return logs
}

// Predict returns the model's output for x, computed in evaluation mode
// without building a graph, as Evaluate computes it.
func Predict(model nn.Module, x *tensor.Tensor) *tensor.Tensor {
	return model.Forward(autograd.NoGrad(toModel(x, nn.DTypeOf(model)))).Value
}

// mixedDTypes returns what nn.DTypeOf says of a model whose parameters
// differ in dtype, or "".
func mixedDTypes(model nn.Module) (problem string) {
	defer func() {
		if p := recover(); p != nil {
			problem = fmt.Sprint(p)
		}
	}()
	nn.DTypeOf(model)
	return ""
}

// validate checks the configuration and fills in defaults.
func validate(model nn.Module, cfg *Config) error {
	var problems []string
	if model == nil {
		problems = append(problems, "no model")
	}
	if cfg.Loss == nil {
		problems = append(problems, "no Loss")
	}
	if cfg.Optimizer == nil {
		problems = append(problems, "no Optimizer")
	}
	if model != nil {
		if mixed := mixedDTypes(model); mixed != "" {
			problems = append(problems, mixed)
		}
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	if cfg.Epochs < 0 {
		problems = append(problems, fmt.Sprintf("Epochs %d is negative", cfg.Epochs))
	}
	switch {
	case cfg.Train == nil:
		problems = append(problems, "no Train loader")
	case cfg.Train.Len() == 0:
		problems = append(problems, fmt.Sprintf("the Train loader yields no batches (%d examples, batch size %d)", cfg.Train.Examples(), cfg.Train.BatchSize()))
	}
	if cfg.Val != nil && cfg.Val.Len() == 0 {
		problems = append(problems, fmt.Sprintf("the Val loader yields no batches (%d examples, batch size %d)", cfg.Val.Examples(), cfg.Val.BatchSize()))
	}
	problems = append(problems, inputProblems(model, cfg)...)
	for name, m := range cfg.Metrics {
		switch {
		case name == "" || strings.HasPrefix(name, "val_"):
			problems = append(problems, fmt.Sprintf("metric name %q: want a name without the val_ prefix", name))
		case name == "loss" || name == "lr" || name == "epoch_seconds":
			problems = append(problems, fmt.Sprintf("metric name %q is taken by the loop's own logs", name))
		case m == nil:
			problems = append(problems, fmt.Sprintf("metric %q is nil", name))
		}
	}
	if cfg.ClipNorm < 0 || cfg.ClipValue < 0 {
		problems = append(problems, "ClipNorm and ClipValue must not be negative")
	}
	if cfg.InitialEpoch < 0 || cfg.InitialEpoch > cfg.Epochs {
		problems = append(problems, fmt.Sprintf("InitialEpoch %d outside [0, Epochs %d]", cfg.InitialEpoch, cfg.Epochs))
	}
	if cfg.Resume && cfg.Checkpoint == "" {
		problems = append(problems, "Resume needs a Checkpoint file")
	}
	if cfg.ValidateEvery < 0 || (cfg.ValidateEvery > 0 && cfg.Val == nil) {
		problems = append(problems, fmt.Sprintf("ValidateEvery %d: want 0, or a positive count with a Val loader", cfg.ValidateEvery))
	}
	for i, src := range cfg.RandomSources {
		if src == nil {
			problems = append(problems, fmt.Sprintf("RandomSources[%d] is nil", i))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New("train: invalid configuration: " + strings.Join(problems, "; "))
	}
	return nil
}
