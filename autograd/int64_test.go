package autograd

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestInt64Refused checks that a representative set of operations, those
// built on tensor operations and those with kernels of their own, panic
// with an ErrDType on an Int64 operand (a Const: Param refuses one), rather
// than reading a float slice that an int64 tensor does not have.
func TestInt64Refused(t *testing.T) {
	idx := func(shape ...int) *Var {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(i % 3)
		}
		return Const(tensor.NewInt64(v, shape...))
	}
	w := Param(tensor.Ones(2, 2))
	for _, tt := range []struct {
		name string
		fn   func()
	}{
		{"Param", func() { Param(tensor.NewInt64([]int64{1, 2})) }},
		{"Add", func() { idx(2, 2).Add(idx(2, 2)) }},
		{"Add with a float", func() { w.Add(idx(2, 2)) }},
		{"Sub", func() { idx(2, 2).Sub(w) }},
		{"Mul", func() { idx(2, 2).Mul(idx(2, 2)) }},
		{"Div", func() { idx(2, 2).Div(idx(2, 2)) }},
		{"Pow", func() { idx(2, 2).Pow(idx(2, 2)) }},
		{"Maximum", func() { idx(2, 2).Maximum(idx(2, 2)) }},
		{"AddScalar", func() { idx(2, 2).AddScalar(1) }},
		{"MulScalar", func() { idx(2, 2).MulScalar(2) }},
		{"PowScalar", func() { idx(2, 2).PowScalar(2) }},
		{"Neg", func() { idx(2, 2).Neg() }},
		{"Exp", func() { idx(2, 2).Exp() }},
		{"Log", func() { idx(2, 2).Log() }},
		{"Square", func() { idx(2, 2).Square() }},
		{"Clip", func() { idx(2, 2).Clip(0, 1) }},
		{"Tanh", func() { idx(2, 2).Tanh() }},
		{"Sigmoid", func() { idx(2, 2).Sigmoid() }},
		{"ReLU", func() { idx(2, 2).ReLU() }},
		{"LeakyReLU", func() { idx(2, 2).LeakyReLU(0.1) }},
		{"GELU", func() { idx(2, 2).GELU() }},
		{"SiLU", func() { idx(2, 2).SiLU() }},
		{"ELU", func() { idx(2, 2).ELU(1) }},
		{"Softplus", func() { idx(2, 2).Softplus(1, 20) }},
		{"MatMul", func() { idx(2, 2).MatMul(w) }},
		{"MatMulT", func() { w.MatMulT(idx(2, 2)) }},
		{"Linear", func() { idx(3, 2).Linear(w, nil) }},
		{"Sum", func() { idx(2, 2).Sum() }},
		{"Mean", func() { idx(2, 2).Mean(0) }},
		{"Max", func() { idx(2, 2).Max() }},
		{"Var", func() { idx(2, 2).Var() }},
		{"Softmax", func() { idx(2, 2).Softmax(1) }},
		{"LogSoftmax", func() { idx(2, 2).LogSoftmax(1) }},
		{"LogSumExp", func() { idx(2, 2).LogSumExp(1) }},
		{"MaskedSoftmax", func() { idx(1, 2, 2).MaskedSoftmax(nil) }},
		{"HeadsMatMulT", func() { idx(1, 2, 2).HeadsMatMulT(idx(1, 2, 2), 1) }},
		{"Conv2d", func() { idx(1, 1, 3, 3).Conv2d(Param(tensor.Ones(1, 1, 2, 2)), nil, Conv2dOptions{}) }},
		{"Conv1d", func() { idx(1, 1, 3).Conv1d(Param(tensor.Ones(1, 1, 2)), nil, Conv1dOptions{}) }},
		{"MaxPool2d", func() { idx(1, 1, 2, 2).MaxPool2d(PoolOptions{Kernel: [2]int{2, 2}}) }},
		{"MaxPool1d", func() { idx(1, 1, 4).MaxPool1d(Pool1dOptions{Kernel: 2}) }},
		{"AdaptiveAvgPool1d", func() { idx(1, 1, 4).AdaptiveAvgPool1d(2) }},
		{"HeadsMatMul", func() { idx(1, 1, 2, 2).HeadsMatMul(idx(1, 2, 2), 1) }},
		{"AvgPool2d", func() { idx(1, 1, 2, 2).AvgPool2d(PoolOptions{Kernel: [2]int{2, 2}}) }},
		{"AdaptiveAvgPool2d", func() { idx(1, 1, 2, 2).AdaptiveAvgPool2d(1, 1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(error)
				if !ok || !errors.Is(e, tensor.ErrDType) {
					t.Fatalf("panic %v, want an ErrDType error", e)
				}
				// Named by the operation (or the tensor op it is built on),
				// not by an accessor a kernel happened to call.
				if msg := e.Error(); !strings.Contains(msg, "int64") || !strings.Contains(msg, "To(tensor.Float64)") || strings.Contains(msg, ": Data:") {
					t.Errorf("message %q: want it to name int64, the operation and To(tensor.Float64)", msg)
				}
			}()
			tt.fn()
		})
	}
}

// TestInt64Moves checks that indices travel through the operations that
// only move elements, and through To, as Int64 values with no graph: an
// index has no gradient, and converting a float Var to Int64 cuts its
// graph, as in PyTorch.
func TestInt64Moves(t *testing.T) {
	x := Const(tensor.NewInt64([]int64{0, 1, 2, 3, 4, 5}, 2, 3))
	for _, tt := range []struct {
		name string
		got  *Var
		want []int64
	}{
		{"Reshape", x.Reshape(3, 2), []int64{0, 1, 2, 3, 4, 5}},
		{"T", x.T(), []int64{0, 3, 1, 4, 2, 5}},
		{"Slice", x.Slice(1, 2, 3), []int64{2, 5}},
		{"IndexRows", x.IndexRows([]int{1}), []int64{3, 4, 5}},
		{"Concat", Concat(0, x, x.Slice(0, 0, 1)), []int64{0, 1, 2, 3, 4, 5, 0, 1, 2}},
		{"NoGrad", NoGrad(x.Value).Reshape(6), []int64{0, 1, 2, 3, 4, 5}},
	} {
		if tt.got.Value.DType() != tensor.Int64 || !slices.Equal(tt.got.Value.Int64s(), tt.want) || tt.got.RequiresGrad() {
			t.Errorf("%s = %v (requires grad %v), want int64 %v with no gradient", tt.name, tt.got, tt.got.RequiresGrad(), tt.want)
		}
	}
	p := Param(tensor.New([]float64{1, 2}))
	c := p.To(tensor.Int64)
	if c.RequiresGrad() || !c.IsLeaf() || !slices.Equal(c.Value.Int64s(), []int64{1, 2}) {
		t.Errorf("Param.To(Int64) = %v, requires grad %v; want int64 [1 2], a leaf with no gradient", c, c.RequiresGrad())
	}
	if f := c.To(tensor.Float64); f.RequiresGrad() || !slices.Equal(f.Value.Data(), []float64{1, 2}) {
		t.Errorf("To(Float64) of an int64 Var = %v, requires grad %v", f, f.RequiresGrad())
	}
}
