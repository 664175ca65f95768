package train

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// tabular is a model of two inputs: category codes [N 1] looked up in an
// embedding, and numeric features [N 2] through a tanh layer, joined and
// mapped to one output through dropout.
type tabular struct {
	Emb      *nn.Embedding
	Num, Out *nn.Linear
	Drop     *nn.Dropout
}

func newTabular(rng *rand.Rand) *tabular {
	return &tabular{
		Emb: nn.NewEmbedding(rng, 5, 3, nn.EmbeddingConfig{}), Num: nn.NewLinear(rng, 2, 6),
		Drop: nn.NewDropout(rng, 0.1), Out: nn.NewLinear(rng, 9, 1),
	}
}

func (m *tabular) ForwardInputs(xs ...*autograd.Var) *autograd.Var {
	nn.CheckInputs("tabular", xs, 2)
	codes, features := xs[0], xs[1]
	e := m.Emb.Forward(codes) // [N 1 3]
	e = e.Reshape(e.Value.Dim(0), 3)
	h := m.Num.Forward(features).Tanh()
	return m.Out.Forward(m.Drop.Forward(autograd.Concat(1, e, h)))
}

func (m *tabular) Forward(x *autograd.Var) *autograd.Var { return m.ForwardInputs(x) }

func (m *tabular) Parameters() []nn.Param {
	return nn.JoinParameters("emb", m.Emb, "num", m.Num, "out", m.Out)
}

// namedTabular is tabular with nn.NamedInputs.
type namedTabular struct{ *tabular }

func (m namedTabular) InputNames() []string { return []string{"codes", "features"} }

// tabularData returns n examples whose target depends on a category (one
// of 5, a code) and two numeric features, with noise.
func tabularData(rng *rand.Rand, n int) *data.MultiTensorDataset {
	effect := []float64{-1, 0.5, 2, -0.3, 1}
	codes := make([]int, n)
	features, y := make([]float64, 2*n), make([]float64, n)
	for i := range n {
		codes[i] = rng.IntN(5)
		a, b := rng.NormFloat64(), rng.NormFloat64()
		features[2*i], features[2*i+1] = a, b
		y[i] = effect[codes[i]] + a - 0.5*b + 0.1*rng.NormFloat64()
	}
	return data.NewMultiTensorDataset([]*tensor.Tensor{data.CodeTensor(codes, n, 1), tensor.New(features, n, 2)}, tensor.New(y, n, 1))
}

// TestFitMultiInput checks that Fit over a loader of two inputs trains as
// the hand-written loop over the same batches does, to the bit, that it
// learns, and that Evaluate and PredictInputs give what the model computes
// on NoGrad inputs.
func TestFitMultiInput(t *testing.T) {
	ds := tabularData(rand.New(rand.NewPCG(3, 4)), 400)
	trainSet, valSet := ds.Range(0, 320), ds.Range(320, 400)
	run := func(fit bool) (*tabular, callbacks.Logs) {
		rng := rand.New(rand.NewPCG(1, 2))
		model := newTabular(rng)
		opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.03})
		loader := data.NewMultiLoader(trainSet, data.LoaderConfig{BatchSize: 32, Shuffle: true, Rand: rng, Prefetch: true})
		if fit {
			hist, err := Fit(context.Background(), model, Config{Loss: nn.MSE, Optimizer: opt, Epochs: 60, Train: loader,
				Val: data.NewMultiLoader(valSet, data.LoaderConfig{BatchSize: 10})})
			if err != nil {
				t.Fatal(err)
			}
			return model, hist.Epochs[len(hist.Epochs)-1]
		}
		for range 60 {
			for xs, y := range loader.AllInputs() {
				opt.ZeroGrad()
				nn.MSE(model.ForwardInputs(autograd.Const(xs[0]), autograd.Const(xs[1])), autograd.Const(y)).Backward()
				opt.Step()
			}
		}
		return model, nil
	}
	fitted, logs := run(true)
	byHand, _ := run(false)
	for i, p := range fitted.Parameters() {
		if q := byHand.Parameters()[i]; !slices.Equal(p.Var.Value.Data(), q.Var.Value.Data()) {
			t.Errorf("%s: Fit and the hand loop differ", p.Name)
		}
	}
	t.Logf("val_loss after 60 epochs: %v", logs["val_loss"])
	// The noise's variance is 0.01; a model that ignored either input would
	// be left with a loss near 1 (the features) or 1.1 (the categories).
	if logs["val_loss"] > 0.05 {
		t.Errorf("val_loss %v after 60 epochs: the model did not learn from both inputs", logs["val_loss"])
	}
	out := fitted.ForwardInputs(autograd.NoGrad(valSet.Inputs[0]), autograd.NoGrad(valSet.Inputs[1])).Value
	if got := PredictInputs(fitted, valSet.Inputs...); !tensor.Equal(got, out) {
		t.Errorf("PredictInputs %v, want %v", got, out)
	}
	mse := out.Sub(valSet.Y).Square().Mean().Item()
	got := Evaluate(fitted, data.NewMultiLoader(valSet, data.LoaderConfig{BatchSize: 80}), nn.MSE, nil)["loss"]
	if got != mse {
		t.Errorf("Evaluate over one batch %v, the model's MSE %v: want them equal", got, mse)
	}
	// Fit's validation, in batches of 10, weights each batch's mean by its
	// size: the same mean up to rounding.
	if math.Abs(logs["val_loss"]-mse) > 1e-14*mse {
		t.Errorf("Fit's val_loss %v, the model's MSE %v", logs["val_loss"], mse)
	}
}

// TestFitMultiInputRefused checks that Fit refuses, before the first
// epoch, a loader of several inputs for a model of one, and inputs that a
// model with names does not take.
func TestFitMultiInputRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := tabularData(rng, 8)
	named := data.NewMultiTensorDataset(ds.Inputs, ds.Y).WithNames("codes", "features")
	swapped := data.NewMultiTensorDataset(ds.Inputs, ds.Y).WithNames("features", "codes")
	three := data.NewMultiTensorDataset(append(slices.Clone(ds.Inputs), ds.Inputs[1]), ds.Y)
	single := nn.NewSequential(nn.NewLinear(rng, 2, 1))
	for _, c := range []struct {
		name  string
		model nn.Module
		train data.MultiDataset
		val   data.MultiDataset
		want  string
	}{
		{"one-input model", single, ds, nil, "the Train loader gives 2 inputs per example, but the model (*nn.Sequential) takes one: want an nn.MultiInput"},
		{"one-input model, val", single, nil, ds, "the Val loader gives 2 inputs per example, but the model (*nn.Sequential) takes one"},
		{"swapped names", namedTabular{newTabular(rng)}, swapped, nil, `the Train loader gives inputs named ["features" "codes"], but the model (train.namedTabular) takes ["codes" "features"] in that order`},
		{"three inputs", namedTabular{newTabular(rng)}, three, nil, `the Train loader gives 3 inputs per example, but the model (train.namedTabular) takes 2 (["codes" "features"])`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Loss: nn.MSE, Optimizer: optim.NewSGD(c.model.Parameters(), optim.SGDConfig{LR: 0.1})}
			if c.train != nil {
				cfg.Train = data.NewMultiLoader(c.train, data.LoaderConfig{BatchSize: 4})
			} else {
				x, y := data.XOR()
				cfg.Train = data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{})
			}
			if c.val != nil {
				cfg.Val = data.NewMultiLoader(c.val, data.LoaderConfig{BatchSize: 4})
			}
			before := paramsOf(c.model)
			hist, err := Fit(context.Background(), c.model, cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Fit: %v\nwant an error containing %q", err, c.want)
			}
			if len(hist.Epochs) != 0 || !slices.EqualFunc(before, paramsOf(c.model), slices.Equal) {
				t.Error("Fit trained before refusing")
			}
		})
	}
	// The names that match, in order, are accepted.
	model := namedTabular{newTabular(rng)}
	_, err := Fit(context.Background(), model, Config{Loss: nn.MSE, Optimizer: optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1}),
		Train: data.NewMultiLoader(named, data.LoaderConfig{BatchSize: 4})})
	if err != nil {
		t.Errorf("matching names: %v", err)
	}
	// Evaluate, which returns no error, panics with nn's.
	defer func() {
		var e *nn.Error
		if err, _ := recover().(error); !errors.As(err, &e) || !strings.Contains(err.Error(), "*nn.Sequential takes one input (it is not an nn.MultiInput), given 2") {
			t.Errorf("Evaluate of a one-input model on two inputs: %v", err)
		}
	}()
	Evaluate(single, data.NewMultiLoader(ds, data.LoaderConfig{BatchSize: 4}), nn.MSE, nil)
}

// multiResumeRun is the run TestResumeMultiInput interrupts: shuffled,
// prefetched batches of two inputs and dropout drawing from one source,
// Adam and early stopping, checkpointed at path.
func multiResumeRun(path string) (*tabular, Config, *callbacks.EarlyStopping) {
	src := rand.NewPCG(5, 6)
	rng := rand.New(src)
	ds := tabularData(rand.New(rand.NewPCG(7, 8)), 80)
	model := newTabular(rng)
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.02})
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 5, RestoreBestWeights: true})
	return model, Config{
		Loss: nn.MSE, Optimizer: opt, Epochs: 30,
		Train:      data.NewMultiLoader(ds.Range(0, 60), data.LoaderConfig{BatchSize: 8, Shuffle: true, Rand: rng, Prefetch: true}),
		Val:        data.NewMultiLoader(ds.Range(60, 80), data.LoaderConfig{BatchSize: 8}),
		Callbacks:  []callbacks.Callback{stop},
		Schedule:   optim.NewStepLR(opt, 4, 0.7),
		Checkpoint: path, Resume: true, RandomSources: []RandomSource{src},
	}, stop
}

// TestResumeMultiInput checks that a run of a multi-input loader,
// interrupted and resumed from its checkpoint by a fresh model, optimizer
// and loader, ends as the uninterrupted run does, to the bit.
func TestResumeMultiInput(t *testing.T) {
	dir := t.TempDir()
	model, cfg, stop := multiResumeRun(filepath.Join(dir, "whole.safetensors"))
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := outcomeOf(model, hist, stop)
	if len(want.History) < 10 {
		t.Fatalf("the run stopped after %d epochs: too few to interrupt", len(want.History))
	}

	path := filepath.Join(dir, "run.safetensors")
	model, cfg, _ = multiResumeRun(path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{EpochBegin: func(_ *callbacks.Run, e int) error {
		if e == 6 {
			cancel()
		}
		return nil
	}})
	if _, err := Fit(ctx, model, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupting: %v", err)
	}
	model, cfg, stop = multiResumeRun(path)
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{}) // as in the interrupted run
	hist, err = Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomeOf(model, hist, stop); !got.equal(want) {
		t.Errorf("the resumed run differs from the uninterrupted one:\nresumed %+v\nwhole   %+v", got, want)
	}
}

// paramsOf returns a copy of the values of m's parameters.
func paramsOf(m nn.Module) [][]float64 {
	var out [][]float64
	for _, p := range m.Parameters() {
		out = append(out, slices.Clone(p.Var.Value.Data()))
	}
	return out
}
