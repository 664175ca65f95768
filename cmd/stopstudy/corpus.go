package main

import (
	"context"
	"embed"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"sync"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
	"github.com/minidl/minidl/train"
)

//go:embed datasets/*.csv
var datasets embed.FS

// task is one learning problem of the corpus: its data, split three ways,
// and whether it is classification (logged errors are then 1 − accuracy;
// for regression they are the loss).
type task struct {
	name            string
	x, y            *tensor.Tensor // inputs, targets (labels [N] or values [N 1])
	classes         int            // 0 for regression
	epochs          int
	small, wide     []int // hidden widths of the two architectures
	batch           int
	valFrac, tstFrc float64
}

// loadCSVTask reads one of the embedded data sets.
func loadCSVTask(name string, classes int) (task, error) {
	f, err := datasets.Open(path.Join("datasets", name+".csv"))
	if err != nil {
		return task{}, err
	}
	defer f.Close()
	d, err := data.ReadCSV(f, name+".csv", data.CSVConfig{Header: true, Classes: classes > 0})
	if err != nil {
		return task{}, err
	}
	return task{name: name, x: d.X, y: d.Y, classes: classes}, nil
}

// tasks returns the corpus's tasks, in a fixed order; mnistDir, if not
// empty, adds a task of the first 3,000 MNIST training images.
func tasks(mnistDir string) ([]task, error) {
	var ts []task
	ix, iy := data.Iris()
	ts = append(ts, task{name: "iris", x: ix, y: iy, classes: 3})
	for _, d := range []struct {
		name    string
		classes int
	}{{"wine", 3}, {"breast_cancer", 2}, {"digits", 10}, {"diabetes", 0}} {
		t, err := loadCSVTask(d.name, d.classes)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	// Synthetic sets set up to overfit: few points, much noise.
	rng := rand.New(rand.NewPCG(2026, 12))
	mx, my := data.Moons(rng, 200, 0.35)
	ts = append(ts, task{name: "moons", x: mx, y: my, classes: 2})
	sx, sy := data.Spirals(rng, 300, 3, 0.25)
	ts = append(ts, task{name: "spirals", x: sx, y: sy, classes: 3})
	if mnistDir != "" {
		full, _, err := data.MNIST(mnistDir)
		if err != nil {
			return nil, err
		}
		sub := full.Range(0, 3000)
		ts = append(ts, task{name: "mnist_3k", x: sub.X, y: sub.Y, classes: 10, epochs: 150, small: []int{32}, wide: []int{256}, batch: 64})
	}
	for i := range ts {
		t := &ts[i]
		t.epochs = cmpOr(t.epochs, 300)
		t.batch = cmpOr(t.batch, 16)
		if t.small == nil {
			t.small, t.wide = []int{16}, []int{128, 128}
		}
		t.valFrac, t.tstFrc = 0.2, 0.2
	}
	return ts, nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// trainRun is one curve to train: a task, an architecture, an optimizer and a
// seed.
type trainRun struct {
	task      *task
	arch, opt string
	seed      uint64
}

// trainCurve trains one run to its full budget, without stopping, and
// records per epoch the training loss, the validation and test losses and
// errors. Everything random comes from the run's seed and the task, so a
// curve is the same bit for bit whenever and wherever it is trained.
func trainCurve(r trainRun) (callbacks.Curve, error) {
	t := r.task
	rng := rand.New(rand.NewPCG(r.seed, uint64(len(t.name))*7919+uint64(len(r.arch))*31+uint64(len(r.opt))))
	n := t.x.Dim(0)
	var strat *tensor.Tensor
	if t.classes > 0 {
		strat = t.y
	}
	rest, test := data.SplitIndices(rng, n, data.SplitConfig{ValFraction: t.tstFrc, Stratify: strat})
	restY := t.y.IndexRows(rest)
	var restStrat *tensor.Tensor
	if t.classes > 0 {
		restStrat = restY
	}
	tr, va := data.SplitIndices(rng, len(rest), data.SplitConfig{ValFraction: t.valFrac / (1 - t.tstFrc), Stratify: restStrat})
	pick := func(idx []int) []int {
		out := make([]int, len(idx))
		for i, j := range idx {
			out[i] = rest[j]
		}
		return out
	}
	trainIdx, valIdx := pick(tr), pick(va)
	xs := data.FitStandard(t.x.IndexRows(trainIdx))
	y := t.y
	if t.classes == 0 {
		y = data.FitStandard(t.y.IndexRows(trainIdx)).Transform(t.y)
	}
	all := data.NewTensorDataset(xs.Transform(t.x), y)
	trainSet, valSet, testSet := all.Subset(trainIdx), all.Subset(valIdx), all.Subset(test)

	widths := t.small
	if r.arch == "wide" {
		widths = t.wide
	}
	out := 1
	loss := nn.MSE
	if t.classes > 0 {
		out, loss = t.classes, nn.CrossEntropy
	}
	var layers []nn.Module
	in := t.x.Dim(1)
	for _, w := range widths {
		layers = append(layers, nn.NewLinear(rng, in, w), nn.ReLU())
		in = w
	}
	layers = append(layers, nn.NewLinear(rng, in, out))
	model := nn.NewSequential(layers...)
	var opt optim.Optimizer = optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.003})
	if r.opt == "sgd" {
		opt = optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.02, Momentum: 0.9})
	}
	errorOf := func(logs callbacks.Logs) float64 {
		if t.classes == 0 {
			return logs["loss"]
		}
		return 1 - logs["accuracy"]
	}
	metrics := map[string]nn.Metric{}
	if t.classes > 0 {
		metrics["accuracy"] = &nn.Accuracy{}
	}
	curve := callbacks.Curve{Task: t.name, Model: fmt.Sprintf("%s %v", r.arch, widths), Optimizer: r.opt, Seed: r.seed,
		Series: map[string][]float64{}}
	record := func(name string, v float64) { curve.Series[name] = append(curve.Series[name], v) }
	testLoader := data.NewLoader(testSet, data.LoaderConfig{BatchSize: max(testSet.Len(), 1)})
	valLoader := data.NewLoader(valSet, data.LoaderConfig{BatchSize: max(valSet.Len(), 1)})
	_, err := train.Fit(context.Background(), model, train.Config{
		Loss: loss, Optimizer: opt, Epochs: t.epochs,
		Train: data.NewLoader(trainSet, data.LoaderConfig{BatchSize: t.batch, Shuffle: true, Rand: rng}),
		Callbacks: []callbacks.Callback{&callbacks.Lambda{EpochEnd: func(_ *callbacks.Run, _ int, logs callbacks.Logs) error {
			val := train.Evaluate(model, valLoader, loss, metrics)
			test := train.Evaluate(model, testLoader, loss, metrics)
			record("loss", logs["loss"])
			record("val_loss", val["loss"])
			record("test_loss", test["loss"])
			record("val_error", errorOf(val))
			record("test_error", errorOf(test))
			return nil
		}}},
	})
	return curve, err
}

// generate trains every run of the corpus (tasks × the two architectures ×
// the two optimizers × seeds), on workers goroutines, reporting progress,
// and returns the curves in a fixed order.
func generate(ts []task, seeds int, workers int, progress func(done, total int)) ([]callbacks.Curve, error) {
	var runs []trainRun
	for i := range ts {
		for _, arch := range []string{"small", "wide"} {
			for _, opt := range []string{"sgd", "adam"} {
				for s := range seeds {
					runs = append(runs, trainRun{task: &ts[i], arch: arch, opt: opt, seed: uint64(s + 1)})
				}
			}
		}
	}
	curves := make([]callbacks.Curve, len(runs))
	errs := make([]error, len(runs))
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				curves[i], errs[i] = trainCurve(runs[i])
				mu.Lock()
				done++
				progress(done, len(runs))
				mu.Unlock()
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return slices.Clip(curves), nil
}
