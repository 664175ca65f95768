package autograd

import (
	"testing"

	"github.com/minidl/minidl/tensor"
)

// BenchmarkMLPStep is one forward and backward pass of a 784-128-10 MLP on a
// batch of 64, the shape of the MNIST reference.
func BenchmarkMLPStep(b *testing.B) {
	x := Const(randn(1, 64, 784))
	w1, b1 := Param(randn(2, 128, 784)), Param(tensor.Zeros(128))
	w2, b2 := Param(randn(3, 10, 128)), Param(tensor.Zeros(10))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range []*Var{w1, b1, w2, b2} {
			p.ZeroGrad()
		}
		x.MatMulT(w1).Add(b1).ReLU().MatMulT(w2).Add(b2).LogSoftmax(1).Mean().Backward()
	}
}

// BenchmarkXORStep is one forward and backward pass of the 2-8-1 XOR network.
func BenchmarkXORStep(b *testing.B) {
	x := Const(randn(1, 4, 2))
	y := Const(randn(5, 4, 1))
	w1, b1 := Param(randn(2, 8, 2)), Param(tensor.Zeros(8))
	w2, b2 := Param(randn(3, 1, 8)), Param(tensor.Zeros(1))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range []*Var{w1, b1, w2, b2} {
			p.ZeroGrad()
		}
		x.MatMulT(w1).Add(b1).Tanh().MatMulT(w2).Add(b2).Sigmoid().Sub(y).Square().Mean().Backward()
	}
}

// BenchmarkMaxPoolHalving is the 2×2 max pooling of cmd/mnist's CNN after
// its first convolution (64 images, 32 channels of 28×28), after a ReLU so
// that ties (zeros) are everywhere, in each dtype.
func BenchmarkMaxPoolHalving(b *testing.B) {
	for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
		b.Run(dtype.String(), func(b *testing.B) {
			x := Const(randn(7, 64, 32, 28, 28).ReLU().To(dtype))
			o := PoolOptions{Kernel: [2]int{2, 2}}
			for b.Loop() {
				x.MaxPool2d(o)
			}
		})
	}
}
