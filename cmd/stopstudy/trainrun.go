package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
	"github.com/minidl/minidl/train"
)

// The shares of a task's examples that go to validation and to test; the
// rest (60%) trains.
const valShare, testShare = 0.2, 0.2

// split draws the run's three-way split of n examples, stratified by class
// for a classification.
func split(rng *rand.Rand, t *task) (trainIdx, valIdx, testIdx []int) {
	n := t.x.Dim(0)
	var strat *tensor.Tensor
	if t.classes > 0 && t.tokens == 0 { // a token's rarest classes have too few examples to stratify
		strat = t.y
	}
	rest, test := data.SplitIndices(rng, n, data.SplitConfig{ValFraction: testShare, Stratify: strat})
	var restStrat *tensor.Tensor
	if strat != nil {
		restStrat = t.y.IndexRows(rest)
	}
	tr, va := data.SplitIndices(rng, len(rest), data.SplitConfig{ValFraction: valShare / (1 - testShare), Stratify: restStrat})
	pick := func(idx []int) []int {
		out := make([]int, len(idx))
		for i, j := range idx {
			out[i] = rest[j]
		}
		return out
	}
	return pick(tr), pick(va), test
}

// inputs returns the task's inputs as the run's model family takes them:
// standardized on the training part for an MLP (pixels too), images
// [N C H W] of pixels in [0, 1] for a CNN, token ids as they are for an
// embedding model; and the targets, standardized on the training part for a
// regression.
func inputs(r runSpec, trainIdx []int) (x, y *tensor.Tensor) {
	t := r.task
	x, y = t.x, t.y
	switch r.family {
	case "mlp":
		x = data.FitStandard(t.x.IndexRows(trainIdx)).Transform(t.x)
	case "cnn":
		x = t.x.Reshape(append([]int{t.x.Dim(0)}, t.image[:]...)...)
	}
	if t.classes == 0 {
		y = data.FitStandard(t.y.IndexRows(trainIdx)).Transform(t.y)
	}
	return x, y
}

// widths are the hidden layers of each family's two sizes: an MLP's
// widths, a CNN's channels (two 3×3 convolutions, each followed by 2×2
// max pooling), an embedding model's dimension and then its hidden widths.
func (r runSpec) widths() []int {
	wide := r.arch == "wide"
	switch r.family {
	case "cnn":
		if wide {
			return []int{16, 32}
		}
		return []int{8, 16}
	case "embed":
		if wide {
			return []int{32, 128}
		}
		return []int{8, 64}
	}
	switch {
	case r.task.image != [3]int{} && wide:
		return []int{256, 256}
	case r.task.image != [3]int{}:
		return []int{64}
	case wide:
		return []int{128, 128}
	}
	return []int{16}
}

// model builds the run's network, its weights and dropout drawn from rng.
func model(rng *rand.Rand, r runSpec) nn.Module {
	t, w := r.task, r.widths()
	out := max(t.classes, 1)
	var layers []nn.Module
	dropout := func() {
		if r.dropout > 0 {
			layers = append(layers, nn.NewDropout(rng, r.dropout))
		}
	}
	hidden := func(in int, widths []int) int {
		for _, n := range widths {
			layers = append(layers, nn.NewLinear(rng, in, n), nn.ReLU())
			dropout()
			in = n
		}
		return in
	}
	switch r.family {
	case "cnn":
		c, h, wd := t.image[0], t.image[1], t.image[2]
		pool := nn.MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}})
		for _, ch := range w {
			layers = append(layers, nn.NewConv2d(rng, c, ch, [2]int{3, 3}, autograd.Conv2dOptions{Padding: [2]int{1, 1}}), nn.ReLU(), pool)
			c, h, wd = ch, h/2, wd/2
		}
		layers = append(layers, nn.Flatten())
		dropout()
		layers = append(layers, nn.NewLinear(rng, c*h*wd, out))
	case "embed":
		layers = append(layers, nn.NewEmbedding(rng, t.tokens, w[0], nn.EmbeddingConfig{}), nn.Flatten())
		in := hidden(t.x.Dim(1)*w[0], w[1:])
		layers = append(layers, nn.NewLinear(rng, in, out))
	default:
		in := hidden(t.x.Dim(1), w)
		layers = append(layers, nn.NewLinear(rng, in, out))
	}
	return nn.NewSequential(layers...)
}

// optimizer builds the run's optimizer.
func optimizer(m nn.Module, r runSpec) optim.Optimizer {
	p := m.Parameters()
	switch r.opt {
	case "sgd":
		return optim.NewSGD(p, optim.SGDConfig{LR: r.lr, WeightDecay: r.weightDecay})
	case "momentum":
		return optim.NewSGD(p, optim.SGDConfig{LR: r.lr, Momentum: 0.9, Nesterov: r.nesterov, WeightDecay: r.weightDecay})
	case "adam":
		return optim.NewAdam(p, optim.AdamConfig{LR: r.lr, WeightDecay: r.weightDecay})
	}
	return optim.NewAdamW(p, optim.AdamWConfig{LR: r.lr, WeightDecay: new(r.weightDecay)})
}

// schedules returns the run's schedule, stepped each epoch, or the one
// stepped after each batch (one-cycle), or neither.
func schedules(opt optim.Optimizer, r runSpec, steps int) (epoch, batch interface{ Step() }) {
	switch r.schedule {
	case "step":
		return optim.NewMultiStepLR(opt, []int{r.budget / 2, r.budget * 3 / 4}, 0.1), nil
	case "cosine":
		return optim.NewCosineAnnealingLR(opt, r.budget, 0), nil
	case "onecycle":
		cycle := r.opt != "sgd" // plain SGD has no momentum to cycle
		return nil, optim.NewOneCycleLR(opt, optim.OneCycleConfig{MaxLR: r.lr, TotalSteps: r.budget * steps, CycleMomentum: &cycle})
	}
	return nil, nil
}

// settings are the run's settings as its curve records them.
func (r runSpec) settings(validateEvery int) map[string]string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	s := map[string]string{
		"family": r.family, "arch": r.arch, "widths": fmt.Sprint(r.widths()), "optimizer": r.opt, "lr": g(r.lr),
		"weight_decay": g(r.weightDecay), "dropout": g(r.dropout), "batch_size": strconv.Itoa(r.batch), "schedule": r.schedule,
	}
	if r.opt == "momentum" {
		s["momentum"], s["nesterov"] = "0.9", strconv.FormatBool(r.nesterov)
	}
	if r.checks > 0 {
		s["checks"] = strconv.Itoa(r.checks) // asked for; a run of one batch an epoch has one, and is recorded by epoch
	}
	if validateEvery > 0 {
		s["validate_every"] = strconv.Itoa(validateEvery)
	}
	return s
}

// trainCurve trains one run to its full budget, without stopping, and
// records the training loss and the validation and test losses and errors
// at the end of every epoch or, for a run with checks, at every check: after
// every ValidateEvery training batches of an epoch and at its end, where
// train.Config.ValidateEvery would validate (the training loss is then the
// epoch's running mean so far, as Fit logs it at a check). Everything random
// comes from the run's seed and its task, so a curve is the same bit for bit
// whenever, wherever and beside whatever else it is trained (on processors
// of one kind: see docs/architecture.md on determinism).
func trainCurve(ctx context.Context, r runSpec) (callbacks.Curve, error) {
	return trainWatched(ctx, r, nil)
}

// trainWatched is trainCurve; a watcher, if given, is also called at every
// check that train.Config.ValidateEvery makes with the run's validation
// set, which then validates in Fit too (tests compare the two).
func trainWatched(ctx context.Context, r runSpec, watcher callbacks.Validator) (callbacks.Curve, error) {
	t := r.task
	rng := rand.New(rand.NewPCG(r.seed(), stream(t.name)))
	trainIdx, valIdx, testIdx := split(rng, t)
	x, y := inputs(r, trainIdx)
	all := data.NewTensorDataset(x, y)
	trainSet := all.Subset(trainIdx)
	m := model(rng, r)
	opt := optimizer(m, r)
	loader := data.NewLoader(trainSet, data.LoaderConfig{BatchSize: r.batch, Shuffle: true, Rand: rng})
	steps := loader.Len()
	epochSchedule, batchSchedule := schedules(opt, r, steps)

	loss := nn.MSE
	metrics := map[string]nn.Metric{}
	if t.classes > 0 {
		loss = nn.CrossEntropy
		metrics["accuracy"] = &nn.Accuracy{}
	}
	errorOf := func(logs callbacks.Logs) float64 {
		if t.classes == 0 {
			return logs["loss"]
		}
		return 1 - logs["accuracy"]
	}
	curve := callbacks.Curve{ID: r.id(), Task: t.name, Model: fmt.Sprintf("%s %s %v", r.family, r.arch, r.widths()), Optimizer: r.opt,
		Seed: r.seed(), Budget: r.budget, Unit: callbacks.UnitEpoch, Series: map[string][]float64{}}
	every := 0
	if r.checks > 0 && steps > 1 {
		every = (steps + r.checks - 1) / r.checks
		curve.Unit, curve.ChecksPerEpoch = callbacks.UnitCheck, (steps+every-1)/every
	}
	curve.Settings = r.settings(every)
	valLoader := data.NewLoader(all.Subset(valIdx), data.LoaderConfig{BatchSize: 500})
	testLoader := data.NewLoader(all.Subset(testIdx), data.LoaderConfig{BatchSize: 500})
	record := func(trainLoss float64) {
		val := train.Evaluate(m, valLoader, loss, metrics)
		test := train.Evaluate(m, testLoader, loss, metrics)
		for name, v := range map[string]float64{"loss": trainLoss, "val_loss": val["loss"], "val_error": errorOf(val),
			"test_loss": test["loss"], "test_error": errorOf(test)} {
			curve.Series[name] = append(curve.Series[name], v)
		}
	}
	// The running training loss of the epoch, for the checks inside it.
	lossSum, seen := 0.0, 0
	cb := &callbacks.Lambda{
		EpochBegin: func(*callbacks.Run, int) error {
			lossSum, seen = 0, 0
			return nil
		},
		BatchEnd: func(_ *callbacks.Run, batch int, logs callbacks.Logs) error {
			n := min(r.batch, trainSet.Len()-batch*r.batch)
			lossSum += logs["loss"] * float64(n)
			seen += n
			if every > 0 && (batch+1)%every == 0 && batch+1 < steps {
				record(lossSum / float64(seen))
			}
			return nil
		},
		EpochEnd: func(_ *callbacks.Run, _ int, logs callbacks.Logs) error {
			record(logs["loss"])
			return nil
		},
	}
	cfg := train.Config{Loss: loss, Optimizer: opt, Epochs: r.budget, Train: loader,
		Schedule: epochSchedule, BatchSchedule: batchSchedule, Callbacks: []callbacks.Callback{cb}}
	if watcher != nil {
		cfg.Val, cfg.ValidateEvery = valLoader, cmp.Or(every, steps)
		cfg.Callbacks = append(cfg.Callbacks, &validator{Validator: watcher})
	}
	_, err := train.Fit(ctx, m, cfg)
	return curve, err
}

// validator makes a callbacks.Validator a callback.
type validator struct {
	callbacks.Base
	callbacks.Validator
}
