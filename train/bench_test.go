package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// BenchmarkFitMNISTShape is one epoch of train.Fit on 6,400 random
// 784-pixel images (100 batches of 64) with a 784-128-10 MLP and SGD, and a
// validation pass on 1,000 more: the loop of cmd/mnist, without the files.
func BenchmarkFitMNISTShape(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Uniform(rng, 0, 1, 7400, 784)
	y := x.Slice(1, 0, 10).ArgMax(1)
	all := data.NewTensorDataset(x, y)
	idx := make([]int, 7400)
	for i := range idx {
		idx[i] = i
	}
	trainSet, valSet := all.Subset(idx[:6400]), all.Subset(idx[6400:])
	model := nn.NewSequential(nn.NewLinear(rng, 784, 128), nn.ReLU(), nn.NewLinear(rng, 128, 10))
	cfg := Config{
		Loss: nn.CrossEntropy, Optimizer: optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: 0.1}),
		Train:   data.NewLoader(trainSet, data.LoaderConfig{BatchSize: 64, Shuffle: true, Rand: rng}),
		Val:     data.NewLoader(valSet, data.LoaderConfig{BatchSize: 1000}),
		Metrics: map[string]nn.Metric{"accuracy": &nn.Accuracy{}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(context.Background(), model, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(6400*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
