package train

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

func xorSetup(seed uint64) (*nn.Sequential, Config) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x, y := data.XOR()
	model := nn.NewSequential(nn.NewLinear(rng, 2, 8), nn.Tanh(), nn.NewLinear(rng, 8, 1), nn.Sigmoid())
	ds := data.NewTensorDataset(x, y)
	return model, Config{
		Loss: nn.MSE, Optimizer: optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.05}), Epochs: 300,
		Train:   data.NewLoader(ds, data.LoaderConfig{BatchSize: 4}),
		Val:     data.NewLoader(ds, data.LoaderConfig{BatchSize: 4}),
		Metrics: map[string]nn.Metric{"accuracy": &nn.BinaryAccuracy{}},
	}
}

func TestFitXOR(t *testing.T) {
	model, cfg := xorSetup(1)
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 50, MinDelta: 1e-6, RestoreBestWeights: true})
	cfg.Callbacks = []callbacks.Callback{stop}
	cfg.Epochs = 5000
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(hist.Keys(), []string{"accuracy", "epoch_seconds", "loss", "lr", "val_accuracy", "val_loss"}) {
		t.Errorf("keys %v", hist.Keys())
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	if hist.StopReason != callbacks.StopPatience || hist.StoppedEpoch != len(hist.Epochs)-1 || last["val_accuracy"] != 1 || last["lr"] != 0.05 {
		t.Errorf("stopped %v at %d of %d epochs, last %v", hist.StopReason, hist.StoppedEpoch, len(hist.Epochs), last)
	}
	// The restored weights are those of the best epoch.
	x, y := data.XOR()
	final := nn.MSE(autograd.Const(Predict(model, x)), autograd.Const(y)).Item()
	if best := hist.Values("val_loss")[stop.BestEpoch()]; final != best {
		t.Errorf("final loss %v, best epoch's %v", final, best)
	}
}

// TestFitLogs checks the epoch means against the batch logs and the
// order of the callback calls.
func TestFitLogs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x, y := data.NoisyLinear(rng, 10, 0.1)
	model := nn.NewSequential(nn.NewLinear(rng, 1, 1))
	var events []string
	var batchLoss, batchSeen float64
	var epochMeans []float64
	rec := &callbacks.Lambda{
		TrainBegin: func(r *callbacks.Run) error { events = append(events, "begin"); return nil },
		EpochBegin: func(r *callbacks.Run, e int) error {
			events = append(events, "epoch")
			batchLoss, batchSeen = 0, 0
			return nil
		},
		BatchEnd: func(r *callbacks.Run, b int, logs callbacks.Logs) error {
			events = append(events, "batch")
			n := 4.0
			if b == 2 {
				n = 2 // 10 examples in batches of 4, 4, 2
			}
			batchLoss += logs["loss"] * n
			batchSeen += n
			return nil
		},
		EpochEnd: func(r *callbacks.Run, e int, logs callbacks.Logs) error {
			events = append(events, "end")
			epochMeans = append(epochMeans, batchLoss/batchSeen)
			if r.Steps != 3 || r.Epochs != 2 {
				t.Errorf("run steps %d epochs %d", r.Steps, r.Epochs)
			}
			return nil
		},
		TrainEnd: func(r *callbacks.Run) error { events = append(events, "done"); return nil },
	}
	sched := optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1})
	hist, err := Fit(context.Background(), model, Config{
		Loss: nn.MSE, Optimizer: sched, Epochs: 2,
		Train:     data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4}),
		Callbacks: []callbacks.Callback{rec},
		Schedule:  optim.NewStepLR(sched, 1, 0.5),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"begin", "epoch", "batch", "batch", "batch", "end", "epoch", "batch", "batch", "batch", "end", "done"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	for e, m := range epochMeans {
		if math.Abs(hist.Epochs[e]["loss"]-m) > 1e-15 {
			t.Errorf("epoch %d: loss %v, weighted batch mean %v", e, hist.Epochs[e]["loss"], m)
		}
	}
	if lrs := hist.Values("lr"); !cmp.Equal(lrs, []float64{0.1, 0.05}) || hist.StopReason != callbacks.StopMaxEpochs || hist.StoppedEpoch != -1 {
		t.Errorf("lr %v, stop %v at %d", lrs, hist.StopReason, hist.StoppedEpoch)
	}
	if _, ok := hist.Epochs[0]["val_loss"]; ok {
		t.Error("val_loss without a Val loader")
	}
}

func TestFitInvalidConfig(t *testing.T) {
	model, good := xorSetup(1)
	emptyDS := data.NewTensorDataset(tensor.Zeros(0, 2), tensor.Zeros(0, 1))
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no loss", func(c *Config) { c.Loss = nil }, "no Loss"},
		{"no optimizer", func(c *Config) { c.Optimizer = nil }, "no Optimizer"},
		{"no train", func(c *Config) { c.Train = nil }, "no Train loader"},
		{"negative epochs", func(c *Config) { c.Epochs = -1 }, "Epochs -1 is negative"},
		{"empty train", func(c *Config) { c.Train = data.NewLoader(emptyDS, data.LoaderConfig{}) }, "the Train loader yields no batches (0 examples, batch size 1)"},
		{"drop-last leaves nothing", func(c *Config) {
			c.Val = data.NewLoader(c.Train.Dataset(), data.LoaderConfig{BatchSize: 8, DropLast: true})
		}, "the Val loader yields no batches (4 examples, batch size 8)"},
		{"metric named loss", func(c *Config) { c.Metrics = map[string]nn.Metric{"loss": &nn.Accuracy{}} }, `metric name "loss" is taken`},
		{"metric with val_", func(c *Config) { c.Metrics = map[string]nn.Metric{"val_acc": &nn.Accuracy{}} }, `metric name "val_acc"`},
		{"nil metric", func(c *Config) { c.Metrics = map[string]nn.Metric{"acc": nil} }, `metric "acc" is nil`},
		{"negative clip", func(c *Config) { c.ClipNorm = -1 }, "ClipNorm and ClipValue"},
		{"monitor never logged", func(c *Config) {
			c.Val = nil
			c.Callbacks = []callbacks.Callback{callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{})}
		}, `monitor "val_loss" will never be logged`},
	}
	for _, tt := range tests {
		cfg := good
		tt.mutate(&cfg)
		before := nn.Snapshot(model)
		hist, err := Fit(context.Background(), model, cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
		if hist == nil || len(hist.Epochs) != 0 {
			t.Errorf("%s: ran epochs", tt.name)
		}
		for _, p := range model.Parameters() {
			if b, _ := before.Get(p.Name); !tensor.Equal(b, p.Var.Value) {
				t.Errorf("%s: %s changed", tt.name, p.Name)
			}
		}
	}
	if _, err := Fit(context.Background(), nil, good); err == nil || !strings.Contains(err.Error(), "no model") {
		t.Errorf("nil model: %v", err)
	}
}

// TestFitCancel cancels in the middle of the second epoch: Fit returns the
// context's error and the first epoch's history, and the weights are those
// after the last completed step.
func TestFitCancel(t *testing.T) {
	model, cfg := xorSetup(2)
	cfg.Train = data.NewLoader(cfg.Train.Dataset(), data.LoaderConfig{BatchSize: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var atCancel *nn.StateDict
	cfg.Callbacks = []callbacks.Callback{&callbacks.Lambda{BatchEnd: func(r *callbacks.Run, b int, _ callbacks.Logs) error {
		if r.Epoch == 1 && b == 1 {
			cancel()
			atCancel = nn.Snapshot(model)
		}
		return nil
	}}}
	hist, err := Fit(ctx, model, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if len(hist.Epochs) != 1 || hist.StopReason != callbacks.StopCancelled || hist.StoppedEpoch != 1 {
		t.Errorf("history: %d epochs, %v at %d", len(hist.Epochs), hist.StopReason, hist.StoppedEpoch)
	}
	for _, p := range model.Parameters() {
		if w, _ := atCancel.Get(p.Name); !tensor.Equal(w, p.Var.Value) {
			t.Errorf("%s changed after the cancelling batch", p.Name)
		}
	}
	// With RestoreBestWeights, cancelling still restores the best epoch.
	model, cfg = xorSetup(2)
	ctx2, cancel2 := context.WithCancel(context.Background())
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 100, RestoreBestWeights: true})
	var best *nn.StateDict
	cfg.Callbacks = []callbacks.Callback{stop, &callbacks.Lambda{EpochEnd: func(r *callbacks.Run, e int, _ callbacks.Logs) error {
		if stop.Improved() {
			best = nn.Snapshot(model)
		}
		if e == 20 {
			cancel2()
		}
		return nil
	}}}
	if _, err := Fit(ctx2, model, cfg); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	for _, p := range model.Parameters() {
		if w, _ := best.Get(p.Name); !tensor.Equal(w, p.Var.Value) {
			t.Errorf("%s is not the best epoch's after a cancel", p.Name)
		}
	}
	if stop.StopReason() != callbacks.StopCancelled {
		t.Errorf("EarlyStopping reason %v", stop.StopReason())
	}
}

// countingSet is a data set that counts the batches asked of it and calls
// onBatch with the count.
type countingSet struct {
	data.Dataset
	batches int
	onBatch func(n int)
}

func (c *countingSet) Batch(indices []int) (x, y *tensor.Tensor) {
	c.batches++
	if c.onBatch != nil {
		c.onBatch(c.batches)
	}
	return c.Dataset.Batch(indices)
}

// TestFitCancelledEarly: a context cancelled before Fit starts takes no
// step; one cancelled in the middle of validation stops within a batch and
// takes no step after the cancel.
func TestFitCancelledEarly(t *testing.T) {
	model, cfg := xorSetup(4)
	before := nn.Snapshot(model)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hist, err := Fit(ctx, model, cfg)
	if !errors.Is(err, context.Canceled) || len(hist.Epochs) != 0 || hist.StopReason != callbacks.StopCancelled {
		t.Errorf("Fit with a cancelled context: %v, %d epochs, %v", err, len(hist.Epochs), hist.StopReason)
	}
	for _, p := range model.Parameters() {
		if w, _ := before.Get(p.Name); !tensor.Equal(w, p.Var.Value) {
			t.Errorf("%s changed although the context was cancelled before Fit", p.Name)
		}
	}

	model, cfg = xorSetup(5)
	x, y := data.XOR()
	big := data.NewTensorDataset(x.Clone(), y.Clone())
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var atCancel *nn.StateDict
	val := &countingSet{Dataset: big}
	val.onBatch = func(n int) {
		if n == 5 { // the second epoch's first validation batch
			cancel()
			atCancel = nn.Snapshot(model)
		}
	}
	cfg.Val = data.NewLoader(val, data.LoaderConfig{BatchSize: 1})
	hist, err = Fit(ctx, model, cfg)
	if !errors.Is(err, context.Canceled) || len(hist.Epochs) != 1 {
		t.Fatalf("cancel during validation: %v, %d epochs", err, len(hist.Epochs))
	}
	if val.batches > 6 {
		t.Errorf("%d validation batches asked, want the run to stop within one batch of the cancel (5)", val.batches)
	}
	for _, p := range model.Parameters() {
		if w, _ := atCancel.Get(p.Name); !tensor.Equal(w, p.Var.Value) {
			t.Errorf("%s changed after a cancel during validation", p.Name)
		}
	}
}

// TestFitRestoresAtMaxEpochs: restore_best_weights applies when the epochs
// run out, and when another callback stops the run.
func TestFitRestoresAtMaxEpochs(t *testing.T) {
	for _, other := range []bool{false, true} {
		model, cfg := xorSetup(3)
		cfg.Optimizer = optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 30}) // noisy, so the last epoch is not the best
		cfg.Epochs = 40
		stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 1000, RestoreBestWeights: true})
		cfg.Callbacks = []callbacks.Callback{stop}
		if other {
			cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{EpochEnd: func(r *callbacks.Run, e int, _ callbacks.Logs) error {
				if e == 30 {
					r.Stop(callbacks.StopCallback, "enough")
				}
				return nil
			}})
		}
		hist, err := Fit(context.Background(), model, cfg)
		if err != nil {
			t.Fatal(err)
		}
		x, y := data.XOR()
		final := nn.MSE(autograd.Const(Predict(model, x)), autograd.Const(y)).Item()
		vals := hist.Values("val_loss")
		if final != vals[stop.BestEpoch()] || stop.BestEpoch() == len(vals)-1 {
			t.Errorf("other=%v: final %v, best %v at %d of %d", other, final, vals[stop.BestEpoch()], stop.BestEpoch(), len(vals))
		}
		want := callbacks.StopMaxEpochs
		if other {
			want = callbacks.StopCallback
		}
		if stop.StopReason() != want || hist.StopReason != want {
			t.Errorf("other=%v: reasons %v %v", other, stop.StopReason(), hist.StopReason)
		}
	}
}

func TestFitTerminateOnNaN(t *testing.T) {
	model, cfg := xorSetup(4)
	cfg.Train = data.NewLoader(cfg.Train.Dataset(), data.LoaderConfig{BatchSize: 1})
	cfg.Loss = func(p, y *autograd.Var) *autograd.Var { return nn.MSE(p, y).MulScalar(math.NaN()) }
	batches := 0
	cfg.Callbacks = []callbacks.Callback{callbacks.TerminateOnNaN{}, &callbacks.Lambda{BatchEnd: func(*callbacks.Run, int, callbacks.Logs) error {
		batches++
		return nil
	}}}
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if batches != 1 || len(hist.Epochs) != 1 || hist.StopReason != callbacks.StopNonFinite {
		t.Errorf("%d batches, %d epochs, %v", batches, len(hist.Epochs), hist.StopReason)
	}
}

// TestFitReuse runs one EarlyStopping through two Fit calls: the second
// behaves as with a fresh callback.
func TestFitReuse(t *testing.T) {
	shared := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 5, RestoreBestWeights: true})
	run := func(stop *callbacks.EarlyStopping, seed uint64) *callbacks.History {
		model, cfg := xorSetup(seed)
		cfg.Callbacks = []callbacks.Callback{stop}
		cfg.Optimizer = optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 3})
		h, err := Fit(context.Background(), model, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	run(shared, 1)
	second := run(shared, 2)
	fresh := run(callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 5, RestoreBestWeights: true}), 2)
	if len(second.Epochs) != len(fresh.Epochs) || second.StoppedEpoch != fresh.StoppedEpoch {
		t.Errorf("reused: %d epochs, stopped %d; fresh: %d, %d", len(second.Epochs), second.StoppedEpoch, len(fresh.Epochs), fresh.StoppedEpoch)
	}
}

func TestFitTwoStoppers(t *testing.T) {
	model, cfg := xorSetup(1)
	a := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 1000, StoppingThreshold: new(0.2)})
	b := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "loss", Patience: 1000, StoppingThreshold: new(0.2)})
	cfg.Callbacks = []callbacks.Callback{a, b}
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if hist.StopReason != callbacks.StopThreshold || !a.Stopped() || a.StoppedEpoch() != hist.StoppedEpoch {
		t.Errorf("history %v at %d; a stopped %v at %d; b %v at %d", hist.StopReason, hist.StoppedEpoch, a.Stopped(), a.StoppedEpoch(), b.StopReason(), b.StoppedEpoch())
	}
	if b.Stopped() && b.StoppedEpoch() != a.StoppedEpoch() {
		t.Errorf("b stopped at %d", b.StoppedEpoch())
	}
}

func TestFitClipping(t *testing.T) {
	model, cfg := xorSetup(1)
	cfg.ClipNorm, cfg.ClipValue, cfg.Epochs = 0.01, 0.005, 3
	cfg.Callbacks = []callbacks.Callback{&callbacks.Lambda{BatchEnd: func(r *callbacks.Run, _ int, _ callbacks.Logs) error {
		sq := 0.0
		for _, p := range r.Model.Parameters() {
			for _, g := range p.Var.Grad.Data() {
				if math.Abs(g) > 0.005 {
					t.Fatalf("gradient element %v above the clip value", g)
				}
				sq += g * g
			}
		}
		if math.Sqrt(sq) > 0.01+1e-9 {
			t.Fatalf("gradient norm %v above the clip norm", math.Sqrt(sq))
		}
		return nil
	}}}
	if _, err := Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestFitCallbackErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, cb := range []*callbacks.Lambda{
		{TrainBegin: func(*callbacks.Run) error { return boom }},
		{EpochBegin: func(*callbacks.Run, int) error { return boom }},
		{BatchEnd: func(*callbacks.Run, int, callbacks.Logs) error { return boom }},
		{EpochEnd: func(*callbacks.Run, int, callbacks.Logs) error { return boom }},
		{TrainEnd: func(*callbacks.Run) error { return boom }},
	} {
		model, cfg := xorSetup(1)
		cfg.Callbacks = []callbacks.Callback{cb}
		hist, err := Fit(context.Background(), model, cfg)
		if !errors.Is(err, boom) {
			t.Errorf("error %v, want the callback's", err)
		}
		// The run ends as failed, for the callbacks' OnTrainEnd to see.
		if cb.TrainEnd == nil && (hist.StopReason != callbacks.StopError || hist.StopMessage != "boom") {
			t.Errorf("a run failed by its callback ended as %v (%q)", hist.StopReason, hist.StopMessage)
		}
	}
}

// TestFitDeterministic trains twice from one seed, once on one thread and
// once on two: the weights must be identical to the bit.
func TestFitDeterministic(t *testing.T) {
	run := func(procs int) *nn.StateDict {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		rng := rand.New(rand.NewPCG(11, 12))
		x := tensor.Uniform(rng, 0, 1, 256, 100)
		y := x.Slice(1, 0, 10).ArgMax(1)
		model := nn.NewSequential(nn.NewLinear(rng, 100, 96), nn.ReLU(), nn.NewDropout(rng, 0.1), nn.NewLinear(rng, 96, 10))
		_, err := Fit(context.Background(), model, Config{
			Loss: nn.CrossEntropy, Optimizer: optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1, Momentum: 0.9}), Epochs: 2,
			Train: data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 128, Shuffle: true, Rand: rng}),
		})
		if err != nil {
			t.Fatal(err)
		}
		return nn.Snapshot(model)
	}
	one, two := run(1), run(2)
	for _, name := range one.Names() {
		a, _ := one.Get(name)
		b, _ := two.Get(name)
		if !tensor.Equal(a, b) {
			t.Errorf("%s differs between GOMAXPROCS 1 and 2", name)
		}
	}
}

func TestEvaluateDropoutIsOff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	model := nn.NewSequential(nn.NewLinear(rng, 2, 8), nn.NewDropout(rng, 0.5), nn.NewLinear(rng, 8, 1))
	x, y := data.XOR()
	loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 3})
	a := Evaluate(model, loader, nn.MSE, map[string]nn.Metric{"acc": &nn.BinaryAccuracy{}})
	b := Evaluate(model, loader, nn.MSE, nil)
	if a["loss"] != b["loss"] {
		t.Errorf("evaluation is not deterministic: %v %v", a, b)
	}
	if _, ok := a["acc"]; !ok {
		t.Error("metric missing")
	}
}

// modeProbe is a custom module that records the mode of its input, as a
// layer with a mode inside it would see it.
type modeProbe struct {
	inner nn.Module
	log   *[]bool
}

func (m *modeProbe) Forward(x *autograd.Var) *autograd.Var {
	*m.log = append(*m.log, !x.Evaluating())
	return m.inner.Forward(x)
}
func (m *modeProbe) Parameters() []nn.Param { return m.inner.Parameters() }

// TestFitModes checks that every training batch runs in training mode and
// every validation batch in evaluation mode, in every epoch.
func TestFitModes(t *testing.T) {
	inner, cfg := xorSetup(1)
	var log []bool
	model := &modeProbe{inner: inner, log: &log}
	cfg.Epochs = 3
	cfg.Train = data.NewLoader(cfg.Train.Dataset(), data.LoaderConfig{BatchSize: 2})
	if _, err := Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	want := []bool{true, true, false, true, true, false, true, true, false}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("modes per forward pass (-want +got):\n%s", diff)
	}
}

// TestFitBeginFailureEndsBegun: when a callback fails at train begin, those
// that began before it still end (a CSVLogger closes its file).
func TestFitBeginFailureEndsBegun(t *testing.T) {
	model, cfg := xorSetup(1)
	ended := false
	cfg.Callbacks = []callbacks.Callback{
		&callbacks.Lambda{TrainEnd: func(*callbacks.Run) error { ended = true; return nil }},
		&callbacks.Lambda{TrainBegin: func(*callbacks.Run) error { return errors.New("no") }},
	}
	if _, err := Fit(context.Background(), model, cfg); err == nil || !ended {
		t.Errorf("error %v, first callback ended %v", err, ended)
	}
}

// dropoutNet is a custom module, written as docs/getting-started.md
// teaches, that holds a Dropout and says nothing about modes.
type dropoutNet struct {
	Hidden, Out *nn.Linear
	Drop        *nn.Dropout
}

func (m *dropoutNet) Forward(x *autograd.Var) *autograd.Var {
	return m.Out.Forward(m.Drop.Forward(m.Hidden.Forward(x).Tanh()))
}
func (m *dropoutNet) Parameters() []nn.Param {
	return nn.JoinParameters("hidden", m.Hidden, "out", m.Out)
}

// TestEvaluationMode: a Dropout inside a custom module is off in Predict,
// Evaluate and Fit's validation without the module writing anything for
// it, and eight goroutines may evaluate one model at once (go test -race).
func TestEvaluationMode(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	model := &dropoutNet{Hidden: nn.NewLinear(rng, 2, 64), Out: nn.NewLinear(rng, 64, 1), Drop: nn.NewDropout(rng, 0.5)}
	x, y := data.XOR()
	want := model.Forward(autograd.Const(x).Eval()).Value
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4})
	wantLoss := Evaluate(model, loader, nn.MSE, nil)["loss"]
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if got := Predict(model, x); !tensor.Equal(got, want) {
					errs <- "Predict differs from the evaluation-mode forward pass: dropout was on"
					return
				}
				if got := Evaluate(model, data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4}), nn.MSE, nil)["loss"]; got != wantLoss {
					errs <- fmt.Sprintf("Evaluate gave %v and %v", got, wantLoss)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	// Training still drops: two training passes differ.
	if a, b := model.Forward(autograd.Const(x)).Value, model.Forward(autograd.Const(x)).Value; tensor.Equal(a, b) {
		t.Error("the training forward pass does not drop")
	}
	// Fit's validation of this custom module runs without dropout: its
	// val_loss equals Evaluate's after training.
	hist, err := Fit(context.Background(), model, Config{
		Loss: nn.MSE, Optimizer: optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1}), Epochs: 3,
		Train: data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4}),
		Val:   data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hist.Epochs[2]["val_loss"], Evaluate(model, loader, nn.MSE, nil)["loss"]; got != want {
		t.Errorf("Fit's val_loss %v, Evaluate's %v: validation ran with dropout", got, want)
	}
}

// TestScheduleAndPlateauCompose: a StepLR schedule and the
// ReduceLROnPlateau callback in one run; every reduction stays, and the
// schedule halves from where the rate is, as PyTorch's chained schedulers
// do. The margin makes every epoch after the first a plateau.
func TestScheduleAndPlateauCompose(t *testing.T) {
	model, cfg := xorSetup(6)
	opt := optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1})
	cfg.Optimizer, cfg.Epochs = opt, 5
	cfg.Schedule = optim.NewStepLR(opt, 2, 0.5)
	var out strings.Builder
	cfg.Callbacks = []callbacks.Callback{callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{
		Patience: new(0), MinDelta: new(1e9), Verbose: true, Out: &out,
	})}
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.1, 0.1, 0.005, 0.0005, 2.5e-5}
	if diff := cmp.Diff(want, hist.Values("lr"), cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("logged rates (-want +got):\n%s\n%s", diff, out.String())
	}
}

// TestBatchSchedule: a BatchSchedule steps after every optimizer step,
// the epoch Schedule once an epoch, and both act on one rate.
func TestBatchSchedule(t *testing.T) {
	model, cfg := xorSetup(6)
	opt := optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1})
	x, y := data.XOR()
	cfg.Train = data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 1}) // 4 batches an epoch
	cfg.Optimizer, cfg.Epochs = opt, 3
	steps := 0
	cfg.BatchSchedule = optim.NewLambdaLR(opt, func(s int) float64 { steps = s; return 1 / float64(s+1) })
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if steps != 12 {
		t.Errorf("the batch schedule reached step %d; want 12 (3 epochs of 4 batches)", steps)
	}
	want := []float64{0.1, 0.1 / 5, 0.1 / 9} // the rate as each epoch begins
	if diff := cmp.Diff(want, hist.Values("lr"), cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("logged rates (-want +got):\n%s", diff)
	}
}

// TestStreamingMetrics: validation metrics over batches of 3 equal their
// value over the whole set in one batch, for scores that are not means.
func TestStreamingMetrics(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x, y := data.NoisySine(rng, 40, 0.1)
	model := nn.NewSequential(nn.NewLinear(rng, 1, 16), nn.Tanh(), nn.NewLinear(rng, 16, 1))
	ds := data.NewTensorDataset(x, y)
	metrics := func() map[string]nn.Metric {
		return map[string]nn.Metric{"r2": &nn.R2{}, "mae": &nn.MAE{}, "rmse": &nn.RMSE{}}
	}
	hist, err := Fit(context.Background(), model, Config{
		Loss: nn.MSE, Optimizer: optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.01}), Epochs: 2,
		Train:   data.NewLoader(ds, data.LoaderConfig{BatchSize: 8}),
		Val:     data.NewLoader(ds, data.LoaderConfig{BatchSize: 3}),
		Metrics: metrics(),
	})
	if err != nil {
		t.Fatal(err)
	}
	whole := Evaluate(model, data.NewLoader(ds, data.LoaderConfig{BatchSize: 40}), nn.MSE, metrics())
	last := hist.Epochs[len(hist.Epochs)-1]
	for _, name := range []string{"r2", "mae", "rmse", "loss"} {
		if got, want := last["val_"+name], whole[name]; math.Abs(got-want) > 1e-12*(1+math.Abs(want)) {
			t.Errorf("val_%s over batches of 3 = %v, over one batch %v", name, got, want)
		}
	}
}

// checkRecorder records the checks it is called at.
type checkRecorder struct {
	callbacks.Base
	checks []int
	logs   []callbacks.Logs
}

func (c *checkRecorder) OnValidation(_ *callbacks.Run, check int, logs callbacks.Logs) error {
	c.checks = append(c.checks, check)
	c.logs = append(c.logs, maps.Clone(logs))
	return nil
}

// TestValidateEvery: with 4 batches an epoch and ValidateEvery 2, each
// epoch has two checks (after batch 1, and the epoch's own validation);
// EarlyStopping counts its patience in checks and stops mid-epoch where a
// replay of the recorded checks says.
func TestValidateEvery(t *testing.T) {
	setup := func() (*nn.Sequential, Config) {
		rng := rand.New(rand.NewPCG(13, 14))
		x, y := data.NoisySine(rng, 16, 0.3)
		model := nn.NewSequential(nn.NewLinear(rng, 1, 16), nn.Tanh(), nn.NewLinear(rng, 16, 1))
		ds := data.NewTensorDataset(x, y)
		return model, Config{
			Loss: nn.MSE, Optimizer: optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.5}), Epochs: 30,
			Train: data.NewLoader(ds, data.LoaderConfig{BatchSize: 4}), Val: data.NewLoader(ds, data.LoaderConfig{BatchSize: 16}),
			ValidateEvery: 2,
		}
	}
	model, cfg := setup()
	rec := &checkRecorder{}
	cfg.Callbacks = []callbacks.Callback{rec}
	if _, err := Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	if len(rec.checks) != 60 || rec.checks[0] != 0 || rec.checks[59] != 59 || rec.logs[0]["batch"] != 1 || rec.logs[1]["batch"] != 3 || rec.logs[3]["epoch"] != 1 {
		t.Fatalf("checks %v…, first logs %v %v", rec.checks[:4], rec.logs[0], rec.logs[1])
	}
	var vals []float64
	for _, l := range rec.logs {
		vals = append(vals, l["val_loss"])
	}
	esCfg := callbacks.EarlyStoppingConfig{Patience: 3, MinDelta: 1e-3}
	want := callbacks.Replay(esCfg, callbacks.Curve{Series: map[string][]float64{"val_loss": vals}})
	if want.StopEpoch < 0 {
		t.Fatalf("the replay did not stop: %+v", want)
	}
	model, cfg = setup()
	stop := callbacks.NewEarlyStopping(esCfg)
	cfg.Callbacks = []callbacks.Callback{stop}
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if stop.StoppedEpoch() != want.StopEpoch || stop.BestEpoch() != want.BestEpoch || !strings.HasPrefix(stop.Message(), fmt.Sprintf("Check %d: early stopping", want.StopEpoch)) {
		t.Errorf("stopped at check %d (best %d): %s; the replay of the checks: %+v", stop.StoppedEpoch(), stop.BestEpoch(), stop.Message(), want)
	}
	if len(hist.Epochs) != want.StopEpoch/2+1 {
		t.Errorf("%d epochs logged for a stop at check %d", len(hist.Epochs), want.StopEpoch)
	}
	// A monitor that checks do not log is refused before training.
	model, cfg = setup()
	cfg.Metrics = map[string]nn.Metric{"mae": &nn.MAE{}}
	cfg.Callbacks = []callbacks.Callback{callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: "val_mae"})}
	if _, err := Fit(context.Background(), model, cfg); err == nil || !strings.Contains(err.Error(), "at a check") {
		t.Errorf("val_mae at a check: %v", err)
	}
}
