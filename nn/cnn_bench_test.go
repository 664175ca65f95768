package nn

import (
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// BenchmarkCNNStep is one training step (forward, backward) of cmd/mnist's
// CNN on a batch of 64 MNIST-sized images, in float64.
func BenchmarkCNNStep(b *testing.B) { benchmarkCNNStep(b, tensor.Float64) }

// BenchmarkCNNStepFloat32 is BenchmarkCNNStep with the model and the batch
// in float32 (nn.To), as cmd/mnist -model cnn -dtype float32 trains.
func BenchmarkCNNStepFloat32(b *testing.B) { benchmarkCNNStep(b, tensor.Float32) }

func benchmarkCNNStep(b *testing.B, dtype tensor.DType) {
	rng := newRNG()
	same := autograd.Conv2dOptions{Padding: [2]int{1, 1}}
	halve := autograd.PoolOptions{Kernel: [2]int{2, 2}}
	m := NewSequential(
		NewConv2d(rng, 1, 32, [2]int{3, 3}, same), NewBatchNorm2d(32, BatchNormConfig{}), ReLU(), MaxPool2d(halve),
		NewConv2d(rng, 32, 64, [2]int{3, 3}, same), NewBatchNorm2d(64, BatchNormConfig{}), ReLU(), MaxPool2d(halve),
		Flatten(), NewLinear(rng, 64*7*7, 10),
	)
	To(m, dtype)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 64, 1, 28, 28).To(dtype))
	labels := autograd.Const(tensor.Zeros(64))
	for b.Loop() {
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		CrossEntropy(m.Forward(x), labels).Backward()
	}
	b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
