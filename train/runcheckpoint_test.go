package train

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// handRun is a hand-written loop's run: shuffled batches and dropout
// drawing from one PCG, Adam, a StepLR schedule and a per-batch warm-up,
// EarlyStopping driven by Observe that restores its best weights, a
// History and a ReduceLROnPlateau driven through a callbacks.Run, all kept
// by its RunCheckpoint.
type handRun struct {
	model   *nn.Sequential
	opt     optim.Optimizer
	epoch   *optim.Schedule
	batch   *optim.Schedule
	stop    *callbacks.EarlyStopping
	hist    *callbacks.History
	plateau *callbacks.ReduceLROnPlateau
	train   *data.Loader
	val     *data.Loader
	run     *callbacks.Run
	ckpt    *RunCheckpoint
}

const handEpochs = 200

func newHandRun() *handRun {
	src := rand.NewPCG(1, 2)
	rng := rand.New(src)
	x, y := data.NoisySine(rand.New(rand.NewPCG(7, 8)), 96, 0.3)
	h := &handRun{
		model: nn.NewSequential(nn.NewLinear(rng, 1, 32), nn.Tanh(), nn.NewDropout(rng, 0.2), nn.NewLinear(rng, 32, 1)),
		stop:  callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 8, RestoreBestWeights: true}),
		hist:  &callbacks.History{StoppedEpoch: -1},
		plateau: callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{
			Patience: new(2), Factor: 0.5, MinDelta: new(0.0),
		}),
		train: data.NewLoader(data.NewTensorDataset(x.Rows(0, 64), y.Rows(0, 64)), data.LoaderConfig{BatchSize: 8, Shuffle: true, Rand: rng}),
		val:   data.NewLoader(data.NewTensorDataset(x.Rows(64, 96), y.Rows(64, 96)), data.LoaderConfig{BatchSize: 32}),
	}
	h.opt = optim.NewAdam(h.model.Parameters(), optim.AdamConfig{LR: 0.03})
	h.epoch, h.batch = optim.NewStepLR(h.opt, 5, 0.8), optim.NewLinearLR(h.opt, 0.5, 1, 40)
	h.stop.Watch(h.model)
	h.run = &callbacks.Run{Model: h.model, Optimizer: h.opt, Epochs: handEpochs, Keys: []string{"loss", "val_loss"}}
	h.ckpt = &RunCheckpoint{
		Model: h.model, Optimizer: h.opt, Schedule: h.epoch, BatchSchedule: h.batch,
		Callbacks:     []callbacks.Callback{h.hist, h.stop, h.plateau},
		RandomSources: []RandomSource{src}, Epochs: handEpochs, Run: h.run,
	}
	return h
}

// fit runs the loop from the checkpoint at path (afresh without one), saving
// after every epoch, until early stopping stops it or epoch until begins,
// as a kill would.
func (h *handRun) fit(t testing.TB, path string, until int) {
	t.Helper()
	start, err := h.ckpt.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !h.run.Resumed {
		h.plateau.OnTrainBegin(h.run)
	}
	for epoch := start; epoch < until && h.stop.StoppedEpoch() < 0; epoch++ {
		h.run.Epoch = epoch
		lossSum := 0.0
		for x, y := range h.train.Reused() {
			h.opt.ZeroGrad()
			loss := nn.MSE(h.model.Forward(autograd.Const(x)), autograd.Const(y))
			loss.Backward()
			h.opt.Step()
			h.batch.Step()
			lossSum += loss.Item() * float64(x.Dim(0))
		}
		logs := callbacks.Logs{"loss": lossSum / 64, "val_loss": Evaluate(h.model, h.val, nn.MSE, nil)["loss"]}
		h.hist.OnEpochEnd(h.run, epoch, logs)
		h.plateau.OnEpochEnd(h.run, epoch, logs)
		h.epoch.Step()
		h.stop.Observe(epoch, logs["val_loss"])
		if err := h.ckpt.Save(path, epoch); err != nil {
			t.Fatal(err)
		}
	}
}

// state is everything of the run a resume restores but its identity (each
// run draws its own), as the bytes of a safetensors file.
func (h *handRun) state(t testing.TB) string {
	t.Helper()
	s, meta, err := h.ckpt.state(0)
	if err != nil {
		t.Fatal(err)
	}
	delete(meta, "run_id")
	var b bytes.Buffer
	if err := nn.WriteSafetensors(&b, s, meta); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRunCheckpointHandLoop: a hand-written loop stopped after epoch k−1
// and resumed from its RunCheckpoint by a loop built afresh ends with the
// weights, optimizer, schedules, callbacks' states, history and random
// source of the straight run, to the bit, for several k, the epoch the
// straight run stopped among them.
func TestRunCheckpointHandLoop(t *testing.T) {
	dir := t.TempDir()
	straight := newHandRun()
	straight.fit(t, filepath.Join(dir, "straight.safetensors"), handEpochs)
	stopped := straight.stop.StoppedEpoch()
	if stopped < 6 {
		t.Fatalf("the straight run stopped at %d: too early to interrupt", stopped)
	}
	want := straight.state(t)
	for _, k := range []int{1, stopped / 2, stopped} {
		path := filepath.Join(dir, fmt.Sprintf("run-%d.safetensors", k))
		newHandRun().fit(t, path, k)
		resumed := newHandRun()
		resumed.fit(t, path, handEpochs)
		if next := resumed.run.InitialEpoch; next != k || !resumed.run.Resumed || resumed.ckpt.ID() != resumed.run.ID {
			t.Errorf("stopped before epoch %d: the Run says it resumed at %d (resumed %v)", k, next, resumed.run.Resumed)
		}
		if resumed.state(t) != want || len(resumed.hist.Epochs) != stopped+1 {
			t.Errorf("stopped before epoch %d and resumed: the run differs from the straight one (%d epochs of history, want %d)", k, len(resumed.hist.Epochs), stopped+1)
		}
	}
	// Resuming the ended run trains nothing and changes nothing.
	again := newHandRun()
	again.fit(t, filepath.Join(dir, "straight.safetensors"), handEpochs)
	if again.state(t) != want {
		t.Error("resuming an ended run changed it")
	}
	// Best weights restored from the resumed run are the straight run's.
	if err := straight.stop.RestoreBest(); err != nil {
		t.Fatal(err)
	}
	if err := again.stop.RestoreBest(); err != nil {
		t.Fatal(err)
	}
	if again.state(t) != straight.state(t) {
		t.Error("the best weights restored differ")
	}
}

// TestRunCheckpointRefuses: a file cut short, one that is not a
// checkpoint, and checkpoints of other runs (another model, other
// callbacks, another number of random sources, a schedule more, more epochs
// than the run has) are refused with an error naming the file and what
// differs, and nothing of the run changes.
func TestRunCheckpointRefuses(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	newHandRun().fit(t, good, 4)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, want string
		file       []byte
		edit       func(h *handRun)
	}{
		{name: "a file cut short", want: "resuming", file: b[:len(b)-7]},
		{name: "a file of garbage", want: "resuming", file: []byte("not a checkpoint at all")},
		{name: "a model file, not a run's", want: "not a run checkpoint", file: modelFile(t, dir)},
		{name: "another model", want: "model", edit: func(h *handRun) {
			rng := rand.New(rand.NewPCG(9, 9))
			h.ckpt.Model = nn.NewSequential(nn.NewLinear(rng, 1, 33), nn.Tanh(), nn.NewLinear(rng, 33, 1))
		}},
		{name: "callbacks in another order", want: "callback 1", edit: func(h *handRun) {
			h.ckpt.Callbacks = []callbacks.Callback{h.hist, h.plateau, h.stop}
		}},
		{name: "a random source more", want: "random source 1", edit: func(h *handRun) {
			h.ckpt.RandomSources = append(h.ckpt.RandomSources, rand.NewPCG(3, 3))
		}},
		{name: "no batch schedule", want: "BatchSchedule", edit: func(h *handRun) { h.ckpt.BatchSchedule = nil }},
		{name: "fewer epochs than the checkpoint ran", want: "next_epoch", edit: func(h *handRun) { h.ckpt.Epochs = 3 }},
	} {
		path := good
		if tt.file != nil {
			path = filepath.Join(dir, "edited.safetensors")
			if err := os.WriteFile(path, tt.file, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h := newHandRun()
		if tt.edit != nil {
			tt.edit(h)
		}
		h.ckpt.id, h.run.ID = "before", "before"
		before := h.state(t)
		next, err := h.ckpt.Load(path)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming %s and %q", tt.name, err, path, tt.want)
		}
		if next != 0 || h.run.Resumed || h.run.InitialEpoch != 0 || h.state(t) != before {
			t.Errorf("%s: the refused checkpoint changed the run (next %d, resumed %v)", tt.name, next, h.run.Resumed)
		}
	}
	// No file is a new run: nothing loaded, epoch 0.
	h := newHandRun()
	if next, err := h.ckpt.Load(filepath.Join(dir, "none.safetensors")); next != 0 || err != nil || h.run.Resumed {
		t.Errorf("no file: next %d, %v, resumed %v", next, err, h.run.Resumed)
	}
}

// modelFile writes a model's weights, a safetensors file that is no run
// checkpoint, and returns its bytes.
func modelFile(t *testing.T, dir string) []byte {
	path := filepath.Join(dir, "model.safetensors")
	if err := nn.Save(path, newHandRun().model, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunCheckpointMisuse: a save without a model, of a negative epoch or
// of one past Epochs panics with a *Error saying what was expected.
func TestRunCheckpointMisuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.safetensors")
	for _, tt := range []struct {
		name, want string
		f          func()
	}{
		{"no model", "want a Model and an Optimizer", func() { (&RunCheckpoint{}).Save(path, 0) }},
		{"a load without an optimizer", "want a Model and an Optimizer", func() { (&RunCheckpoint{Model: newHandRun().model}).Load(path) }},
		{"a negative epoch", "epoch -1", func() { newHandRun().ckpt.Save(path, -1) }},
		{"an epoch past Epochs", "epoch 200", func() { newHandRun().ckpt.Save(path, handEpochs) }},
	} {
		func() {
			defer func() {
				if e, ok := recover().(*Error); !ok || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("%s: panicked with %v, want a *train.Error saying %q", tt.name, e, tt.want)
				}
			}()
			tt.f()
		}()
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a refused save wrote a file")
	}
}
