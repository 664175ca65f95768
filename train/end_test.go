package train

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// TestFitRefusesShortSchedule: a schedule with an end (OneCycleLR) that
// the run's steps would overrun is refused before the first batch, with
// the count it needs; one exactly long enough trains every epoch; a
// resumed run is checked from the step it resumes at.
func TestFitRefusesShortSchedule(t *testing.T) {
	run := func(epochs, total int, perBatch bool, checkpoint string) (batches int, err error) {
		model, cfg := xorSetup(1)
		x, y := data.XOR()
		cfg.Train = data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 1}) // 4 batches an epoch
		cfg.Epochs, cfg.Checkpoint, cfg.Resume = epochs, checkpoint, checkpoint != ""
		sch := optim.NewOneCycleLR(cfg.Optimizer, optim.OneCycleConfig{MaxLR: 0.1, TotalSteps: total})
		if perBatch {
			cfg.BatchSchedule = sch
		} else {
			cfg.Schedule = sch
		}
		cfg.Callbacks = []callbacks.Callback{&callbacks.Lambda{BatchEnd: func(*callbacks.Run, int, callbacks.Logs) error {
			batches++
			return nil
		}}}
		_, err = Fit(context.Background(), model, cfg)
		return batches, err
	}
	if n, err := run(5, 5*4-1, true, ""); err == nil || n != 0 || !strings.Contains(err.Error(), "TotalSteps") || !strings.Contains(err.Error(), "20") {
		t.Errorf("a BatchSchedule one step short: %d batches trained, %v", n, err)
	}
	if n, err := run(5, 4, false, ""); err == nil || n != 0 || !strings.Contains(err.Error(), "TotalSteps") {
		t.Errorf("a per-epoch Schedule one step short: %d batches trained, %v", n, err)
	}
	if n, err := run(5, 5*4, true, ""); err != nil || n != 20 {
		t.Errorf("a BatchSchedule of exactly the run's steps: %d batches, %v", n, err)
	}
	path := filepath.Join(t.TempDir(), "run.safetensors")
	if _, err := run(3, 5*4, true, path); err != nil {
		t.Fatal(err)
	}
	if n, err := run(6, 5*4, true, path); err == nil || n != 0 || !strings.Contains(err.Error(), "step 12") {
		t.Errorf("resumed at step 12 for 3 more epochs of a 20-step cycle: %d batches, %v", n, err)
	}
}

// panicky is a model that panics in its forward pass once armed.
type panicky struct {
	nn.Module
	armed bool
}

func (p *panicky) Forward(x *autograd.Var) *autograd.Var {
	if p.armed {
		panic("the model broke")
	}
	return p.Module.Forward(x)
}

// TestFitPanicEndsTheRun: a panic in a run, from the model, the loss or a
// callback, still runs the callbacks' OnTrainEnd (best weights restored,
// the log closed, the run marked failed), and then goes on up unchanged.
func TestFitPanicEndsTheRun(t *testing.T) {
	for _, where := range []string{"model", "loss", "callback"} {
		inner, cfg := xorSetup(1)
		x, y := data.XOR()
		cfg.Train = data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 1}) // 4 steps an epoch
		model := &panicky{Module: inner}
		dir := t.TempDir()
		logPath := filepath.Join(dir, "log.csv")
		stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 100, RestoreBestWeights: true})
		var best *nn.StateDict
		var ended callbacks.StopReason
		loss := cfg.Loss
		armed := false
		cfg.Loss = func(out, y *autograd.Var) *autograd.Var {
			if armed && where == "loss" {
				panic("the model broke")
			}
			return loss(out, y)
		}
		cfg.Callbacks = []callbacks.Callback{stop, callbacks.NewCSVLogger(callbacks.CSVLoggerConfig{Path: logPath}),
			&callbacks.Lambda{
				EpochBegin: func(*callbacks.Run, int) error {
					if stop.Improved() {
						best = nn.Snapshot(model)
					}
					return nil
				},
				BatchEnd: func(r *callbacks.Run, batch int, _ callbacks.Logs) error {
					if r.Epoch == 5 && batch == 1 { // two steps past the best epoch's weights
						armed, model.armed = true, where == "model"
						if where == "callback" {
							panic("the model broke")
						}
					}
					return nil
				},
				TrainEnd: func(r *callbacks.Run) error { ended = r.StopReason(); return nil },
			}}
		got := func() (v any) {
			defer func() { v = recover() }()
			Fit(context.Background(), model, cfg)
			return nil
		}()
		if got != "the model broke" {
			t.Errorf("%s: Fit's panic %v, want the original one", where, got)
		}
		if ended != callbacks.StopError || stop.StopReason() != callbacks.StopError {
			t.Errorf("%s: the callbacks saw the run end as %v (EarlyStopping %v), want error", where, ended, stop.StopReason())
		}
		for _, p := range model.Parameters() {
			if w, _ := best.Get(p.Name); !tensor.Equal(w, p.Var.Value) {
				t.Errorf("%s: %s is not the best epoch's after the panic", where, p.Name)
			}
		}
		if runtime.GOOS == "linux" && opened(logPath) {
			t.Errorf("%s: the CSV log is still open after the panic", where)
		}
	}
}

// opened reports whether this process holds path open (Linux).
func opened(path string) bool {
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}
