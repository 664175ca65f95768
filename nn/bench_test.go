package nn

import (
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// BenchmarkTrainStep is one forward and backward pass of the 784-128-10
// MNIST MLP on a batch of 64 with cross-entropy.
func BenchmarkTrainStep(b *testing.B) {
	rng := newRNG()
	m := NewSequential(NewLinear(rng, 784, 128), ReLU(), NewLinear(rng, 128, 10))
	x := autograd.Const(tensor.Uniform(rng, 0, 1, 64, 784))
	labels := tensor.Zeros(64)
	for i := range 64 {
		labels.Data()[i] = float64(i % 10)
	}
	y := autograd.Const(labels)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		CrossEntropy(m.Forward(x), y).Backward()
	}
}
