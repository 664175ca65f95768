package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/train"
)

// unitCost is what a model of a task costs in processor time: seconds per
// training example (forward, backward, step, over a large batch), per
// evaluated example, and per optimizer step beyond its examples (the
// graph, the step's own passes over the weights).
type unitCost struct{ train, eval, step float64 }

// costPerExample holds the unit costs of each task, family and size, as
// `go run ./cmd/stopstudy -calibrate` measured them in processor time on
// the machine the plan was made for (2 vCPUs, AMD EPYC, other work
// running beside); the plan's run counts and the progress line's
// estimate of the time left rest on them.
var costPerExample = map[string]unitCost{
	"iris mlp small":          {9.05e-07, 4.61e-07, 1.21e-05},
	"iris mlp wide":           {1.51e-05, 5.75e-06, 0.000161},
	"wine mlp small":          {7.78e-07, 4.44e-07, 1.55e-05},
	"wine mlp wide":           {1.47e-05, 5.35e-06, 0.000181},
	"breast_cancer mlp small": {6.85e-07, 4.37e-07, 2.16e-05},
	"breast_cancer mlp wide":  {1.38e-05, 4.76e-06, 0.000186},
	"digits mlp small":        {3.85e-06, 2.18e-06, 4.53e-05},
	"digits mlp wide":         {3.75e-05, 1.46e-05, 0.000749},
	"digits cnn small":        {6.45e-05, 3.35e-05, 0},
	"digits cnn wide":         {0.00013, 6.76e-05, 0},
	"diabetes mlp small":      {5.66e-07, 2.36e-07, 1.41e-05},
	"diabetes mlp wide":       {1.33e-05, 4.8e-06, 0.000158},
	"gotokens embed small":    {1.42e-05, 7.14e-06, 8.47e-05},
	"gotokens embed wide":     {3.21e-05, 1.25e-05, 0.000441},
	"moons mlp small":         {6.86e-07, 3.63e-07, 1.27e-05},
	"moons mlp wide":          {1.31e-05, 5.21e-06, 0.00017},
	"spirals mlp small":       {5.44e-07, 3.74e-07, 1.36e-05},
	"spirals mlp wide":        {1.32e-05, 5.24e-06, 0.000167},
	"circles mlp small":       {5.73e-07, 3.12e-07, 1.27e-05},
	"circles mlp wide":        {1.34e-05, 5.23e-06, 0.000162},
	"sine mlp small":          {4.44e-07, 2.33e-07, 9.89e-06},
	"sine mlp wide":           {1.28e-05, 5.74e-06, 0.000182},
	"friedman mlp small":      {4.56e-07, 2.65e-07, 1.42e-05},
	"friedman mlp wide":       {1.52e-05, 6.22e-06, 0.000161},
	"mnist14 cnn small":       {0.000167, 8.35e-05, 0},
	"mnist14 cnn wide":        {0.000294, 0.000158, 8.41e-05},
	"mnist14 mlp small":       {7.07e-06, 3.77e-06, 0.000111},
	"mnist14 mlp wide":        {5.1e-05, 2.03e-05, 0.000967},
}

// calibrate measures the unit costs of every task, family and size and
// prints them as Go source for costPerExample.
func calibrate(ts []task, w io.Writer) {
	for i := range ts {
		t := &ts[i]
		for _, family := range slices.Compact(slices.Clone(t.families)) {
			for _, arch := range []string{"small", "wide"} {
				r := runSpec{task: t, family: family, arch: arch, opt: "adam", lr: 1e-3, schedule: "constant", budget: 1}
				c := measureUnits(r)
				fmt.Fprintf(w, "\t%q: {%.3g, %.3g, %.3g},\n", t.name+" "+family+" "+arch, c.train, c.eval, c.step)
			}
		}
	}
}

// measureUnits times epochs of r at batch sizes 256 and 8 and an
// evaluation of the whole data set, and solves for the unit costs.
func measureUnits(r runSpec) unitCost {
	rng := rand.New(rand.NewPCG(1, 2))
	trainIdx, _, _ := split(rng, r.task)
	x, y := inputs(r, trainIdx)
	all := data.NewTensorDataset(x, y)
	trainSet := all.Subset(trainIdx)
	loss := nn.MSE
	if r.task.classes > 0 {
		loss = nn.CrossEntropy
	}
	epoch := func(batch int) (seconds float64, steps int) {
		m := model(rng, r)
		loader := data.NewLoader(trainSet, data.LoaderConfig{BatchSize: batch, Shuffle: true, Rand: rng})
		cfg := train.Config{Loss: loss, Optimizer: optimizer(m, r), Epochs: 1, Train: loader}
		train.Fit(context.Background(), m, cfg) // warm up
		start := cpuTime()
		epochs := 0
		for cpuTime()-start < time.Second || epochs < 2 {
			train.Fit(context.Background(), m, cfg)
			epochs++
		}
		return (cpuTime() - start).Seconds() / float64(epochs), loader.Len()
	}
	big, bigSteps := epoch(256)
	small, smallSteps := epoch(8)
	n := float64(trainSet.Len())
	var c unitCost
	if smallSteps > bigSteps {
		c.step = max((small-big)/float64(smallSteps-bigSteps), 0)
	}
	c.train = max(big-c.step*float64(bigSteps), 0) / n
	m := model(rng, r)
	loader := data.NewLoader(all, data.LoaderConfig{BatchSize: 500})
	metrics := map[string]nn.Metric{}
	if r.task.classes > 0 {
		metrics["accuracy"] = &nn.Accuracy{}
	}
	start := cpuTime()
	evals := 0
	for cpuTime()-start < time.Second/2 || evals < 2 {
		train.Evaluate(m, loader, loss, metrics)
		evals++
	}
	c.eval = (cpuTime() - start).Seconds() / float64(evals) / float64(all.Len())
	return c
}
