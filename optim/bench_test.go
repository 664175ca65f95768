package optim

import (
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// BenchmarkStep is one step of each optimizer over the parameters of the
// 784-128-10 MNIST MLP; allocs/op must be 0.
func BenchmarkStep(b *testing.B) {
	shapes := [][]int{{128, 784}, {128}, {10, 128}, {10}}
	for _, tc := range []struct {
		name string
		make func([]nn.Param) Optimizer
	}{
		{"SGD", func(ps []nn.Param) Optimizer { return NewSGD(ps, SGDConfig{LR: 0.1}) }},
		{"SGDMomentum", func(ps []nn.Param) Optimizer { return NewSGD(ps, SGDConfig{LR: 0.1, Momentum: 0.9}) }},
		{"Adam", func(ps []nn.Param) Optimizer { return NewAdam(ps, AdamConfig{}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var ps []*autograd.Var
			for _, s := range shapes {
				p := autograd.Param(tensor.Zeros(s...))
				p.Grad = tensor.Ones(s...)
				ps = append(ps, p)
			}
			opt := tc.make(nn.ParametersOf(ps...))
			b.ReportAllocs()
			for b.Loop() {
				opt.Step()
			}
		})
	}
}
