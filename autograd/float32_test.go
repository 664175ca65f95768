package autograd

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// grads runs f on Params holding inputs converted to dtype, backpropagates
// the output weighted elementwise by weights (as GradCheck does, so that
// no output element escapes), and returns the value and the gradients.
func grads(f func(x ...*Var) *Var, dtype tensor.DType, weights *tensor.Tensor, inputs ...*tensor.Tensor) (*tensor.Tensor, []*tensor.Tensor) {
	params := make([]*Var, len(inputs))
	for i, in := range inputs {
		params[i] = Param(in.To(dtype).Clone())
	}
	out := f(params...)
	out.Mul(Const(weights.To(dtype))).Sum().Backward()
	gs := make([]*tensor.Tensor, len(params))
	for i, p := range params {
		gs[i] = p.Grad
	}
	return out.Value, gs
}

// TestFloat32Gradients checks every operation that has a float32 path:
// its value and every input's gradient are float32 and agree with the
// float64 ones on the same values to float32 accuracy (the float64
// gradients themselves are checked against finite differences elsewhere).
func TestFloat32Gradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 14))
	rounded := func(shape ...int) *tensor.Tensor {
		return tensor.Normal(rng, 0, 1, shape...).To(tensor.Float32).To(tensor.Float64)
	}
	positive := func(shape ...int) *tensor.Tensor {
		return rounded(shape...).Abs().AddScalar(0.5).To(tensor.Float32).To(tensor.Float64)
	}
	a, b, m := rounded(3, 4), rounded(1, 4), rounded(4, 5)
	q, k, w := rounded(2, 3, 4), rounded(2, 5, 4), rounded(2, 2, 3, 5)
	mask := rounded(2, 1, 5)
	mask.Set(math.Inf(-1), 1, 0, 2)
	img, filt, fb := rounded(2, 4, 7, 6), rounded(6, 2, 3, 2), rounded(6)
	seq, filt1 := rounded(2, 3, 9), rounded(4, 3, 4)
	pa := positive(3, 4)
	const tol = 1e-5
	for _, tt := range []struct {
		name string
		f    func(x ...*Var) *Var
		in   []*tensor.Tensor
	}{
		{"Add", func(x ...*Var) *Var { return x[0].Add(x[1]) }, []*tensor.Tensor{a, b}},
		{"Sub", func(x ...*Var) *Var { return x[0].Sub(x[1]) }, []*tensor.Tensor{a, b}},
		{"Mul", func(x ...*Var) *Var { return x[0].Mul(x[1]) }, []*tensor.Tensor{a, b}},
		{"Div", func(x ...*Var) *Var { return x[0].Div(x[1]) }, []*tensor.Tensor{a, pa}},
		{"Pow", func(x ...*Var) *Var { return x[0].Pow(x[1]) }, []*tensor.Tensor{pa, b}},
		{"Maximum", func(x ...*Var) *Var { return x[0].Maximum(x[1]) }, []*tensor.Tensor{a, b}},
		{"Minimum", func(x ...*Var) *Var { return x[0].Minimum(x[1]) }, []*tensor.Tensor{a, b}},
		{"AddScalar", func(x ...*Var) *Var { return x[0].AddScalar(0.5) }, []*tensor.Tensor{a}},
		{"MulScalar", func(x ...*Var) *Var { return x[0].MulScalar(-1.5) }, []*tensor.Tensor{a}},
		{"PowScalar", func(x ...*Var) *Var { return x[0].PowScalar(2.5) }, []*tensor.Tensor{pa}},
		{"Exp", func(x ...*Var) *Var { return x[0].Exp() }, []*tensor.Tensor{a}},
		{"Log", func(x ...*Var) *Var { return x[0].Log() }, []*tensor.Tensor{pa}},
		{"Sqrt", func(x ...*Var) *Var { return x[0].Sqrt() }, []*tensor.Tensor{pa}},
		{"Abs", func(x ...*Var) *Var { return x[0].Abs() }, []*tensor.Tensor{a}},
		{"Square", func(x ...*Var) *Var { return x[0].Square() }, []*tensor.Tensor{a}},
		{"Clip", func(x ...*Var) *Var { return x[0].Clip(-0.5, 0.5) }, []*tensor.Tensor{a}},
		{"MatMul", func(x ...*Var) *Var { return x[0].MatMul(x[1]) }, []*tensor.Tensor{a, m}},
		{"MatMulT", func(x ...*Var) *Var { return x[0].MatMulT(x[1]) }, []*tensor.Tensor{a, m.T()}},
		{"T", func(x ...*Var) *Var { return x[0].T() }, []*tensor.Tensor{a}},
		{"Permute", func(x ...*Var) *Var { return x[0].Reshape(3, 2, 2).Permute(2, 0, 1) }, []*tensor.Tensor{a}},
		{"Concat", func(x ...*Var) *Var { return Concat(0, x[0], x[1]) }, []*tensor.Tensor{a, b}},
		{"Stack", func(x ...*Var) *Var { return Stack(1, x[0], x[0]) }, []*tensor.Tensor{a}},
		{"Slice", func(x ...*Var) *Var { return x[0].Slice(1, 1, 3) }, []*tensor.Tensor{a}},
		{"IndexRows", func(x ...*Var) *Var { return x[0].IndexRows([]int{2, 0, 2}) }, []*tensor.Tensor{a}},
		{"Sum", func(x ...*Var) *Var { return x[0].Sum(1) }, []*tensor.Tensor{a}},
		{"Mean", func(x ...*Var) *Var { return x[0].Mean() }, []*tensor.Tensor{a}},
		{"Max", func(x ...*Var) *Var { return x[0].Max(0) }, []*tensor.Tensor{a}},
		{"Min", func(x ...*Var) *Var { return x[0].Min(1) }, []*tensor.Tensor{a}},
		{"Var", func(x ...*Var) *Var { return x[0].Var(1) }, []*tensor.Tensor{a}},
		{"Softmax last", func(x ...*Var) *Var { return x[0].Softmax(-1) }, []*tensor.Tensor{a}},
		{"Softmax 0", func(x ...*Var) *Var { return x[0].Softmax(0) }, []*tensor.Tensor{a}},
		{"LogSoftmax", func(x ...*Var) *Var { return x[0].LogSoftmax(1) }, []*tensor.Tensor{a}},
		{"LogSumExp", func(x ...*Var) *Var { return x[0].LogSumExp(0) }, []*tensor.Tensor{a}},
		{"Tanh", func(x ...*Var) *Var { return x[0].Tanh() }, []*tensor.Tensor{a}},
		{"Sigmoid", func(x ...*Var) *Var { return x[0].Sigmoid() }, []*tensor.Tensor{a}},
		{"ReLU", func(x ...*Var) *Var { return x[0].ReLU() }, []*tensor.Tensor{a}},
		{"LeakyReLU", func(x ...*Var) *Var { return x[0].LeakyReLU(0.1) }, []*tensor.Tensor{a}},
		{"GELU", func(x ...*Var) *Var { return x[0].GELU() }, []*tensor.Tensor{a}},
		{"GELUTanh", func(x ...*Var) *Var { return x[0].GELUTanh() }, []*tensor.Tensor{a}},
		{"SiLU", func(x ...*Var) *Var { return x[0].SiLU() }, []*tensor.Tensor{a}},
		{"Softplus", func(x ...*Var) *Var { return x[0].Softplus(1, 20) }, []*tensor.Tensor{a}},
		{"ELU", func(x ...*Var) *Var { return x[0].ELU(1) }, []*tensor.Tensor{a}},
		{"LogSigmoid", func(x ...*Var) *Var { return x[0].LogSigmoid() }, []*tensor.Tensor{a}},
		{"HeadsMatMulT", func(x ...*Var) *Var { return x[0].HeadsMatMulT(x[1], 2) }, []*tensor.Tensor{q, k}},
		{"HeadsMatMul", func(x ...*Var) *Var { return x[0].HeadsMatMul(x[1], 2) }, []*tensor.Tensor{w, k}},
		{"MaskedSoftmax", func(x ...*Var) *Var { return x[0].MaskedSoftmax(mask.To(x[0].Value.DType())) }, []*tensor.Tensor{w}},
		{"MaskedSoftmax nil", func(x ...*Var) *Var { return x[0].MaskedSoftmax(nil) }, []*tensor.Tensor{w}},
		{"Conv2d", func(x ...*Var) *Var {
			return x[0].Conv2d(x[1], x[2], Conv2dOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{1, 2}, Groups: 2})
		}, []*tensor.Tensor{img, filt, fb}},
		{"Conv1d same", func(x ...*Var) *Var { return x[0].Conv1d(x[1], nil, Conv1dOptions{PadMode: PadSame}) }, []*tensor.Tensor{seq, filt1}},
		{"MaxPool2d", func(x ...*Var) *Var {
			return x[0].MaxPool2d(PoolOptions{Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}})
		}, []*tensor.Tensor{img}},
		{"MaxPool1d", func(x ...*Var) *Var { return x[0].MaxPool1d(Pool1dOptions{Kernel: 2}) }, []*tensor.Tensor{seq}},
		{"AvgPool2d", func(x ...*Var) *Var {
			return x[0].AvgPool2d(PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 1}})
		}, []*tensor.Tensor{img}},
		{"AvgPool2d ExcludePad", func(x ...*Var) *Var {
			return x[0].AvgPool2d(PoolOptions{Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ExcludePad: true})
		}, []*tensor.Tensor{img}},
		{"AvgPool1d", func(x ...*Var) *Var { return x[0].AvgPool1d(Pool1dOptions{Kernel: 3, Stride: 2, Padding: 1}) }, []*tensor.Tensor{seq}},
		{"AdaptiveAvgPool2d", func(x ...*Var) *Var { return x[0].AdaptiveAvgPool2d(3, 4) }, []*tensor.Tensor{img}},
		{"AdaptiveAvgPool1d", func(x ...*Var) *Var { return x[0].AdaptiveAvgPool1d(4) }, []*tensor.Tensor{seq}},
		{"chain", func(x ...*Var) *Var { return x[0].MatMul(x[1]).Tanh().Mul(x[0].Sum(1).Reshape(3, 1)).Mean(0) }, []*tensor.Tensor{a, m}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			shape := tt.f(func() []*Var {
				vs := make([]*Var, len(tt.in))
				for i, in := range tt.in {
					vs[i] = Const(in)
				}
				return vs
			}()...).Shape()
			weights := tensor.Uniform(rand.New(rand.NewPCG(7, 11)), 0.5, 1.5, shape...).To(tensor.Float32).To(tensor.Float64)
			want, wantGrads := grads(tt.f, tensor.Float64, weights, tt.in...)
			got, gotGrads := grads(tt.f, tensor.Float32, weights, tt.in...)
			if got.DType() != tensor.Float32 || !tensor.AllClose(got, want, tol, tol) {
				t.Errorf("value: got %v, want %v", got, want)
			}
			for i, g := range gotGrads {
				if g.DType() != tensor.Float32 {
					t.Errorf("gradient %d is %v, want float32", i, g.DType())
					continue
				}
				if !tensor.AllClose(g, wantGrads[i], tol, tol) {
					t.Errorf("gradient %d: float32 %v\nfloat64 %v", i, g, wantGrads[i])
				}
			}
		})
	}
}

// TestFloat32Refused checks that GradCheck and the operations without a
// float32 kernel yet refuse a float32 operand, that operands of mixed
// dtypes are refused (a convolution's input and weights, the per-head
// products, a masked softmax and its mask), with a named ErrDType panic that
// says what to convert.
func TestFloat32Refused(t *testing.T) {
	f32 := func(shape ...int) *tensor.Tensor { return tensor.ZerosOf(tensor.Float32, shape...) }
	for _, tt := range []struct {
		name, want string
		fn         func()
	}{
		{"GradCheck", "GradCheck: input 1 is float32: finite differences need float64", func() {
			GradCheck(func(x ...*Var) *Var { return x[0].Add(x[1]) }, tensor.Zeros(2), f32(2))
		}},
		{"Conv2d weight", "Conv2d: a float32 input [1 1 3 3] and a float64 parameter [1 1 2 2]: dtypes differ; convert the model with nn.To(model, tensor.Float32) or the input with To(tensor.Float64)", func() {
			Const(f32(1, 1, 3, 3)).Conv2d(Param(tensor.Zeros(1, 1, 2, 2)), nil, Conv2dOptions{})
		}},
		{"Conv1d bias", "Conv1d: a float64 input [1 1 3] and a float32 parameter [1]: dtypes differ; convert the model with nn.To(model, tensor.Float64) or the input with To(tensor.Float32)", func() {
			Const(tensor.Zeros(1, 1, 3)).Conv1d(Param(tensor.Zeros(1, 1, 2)), Param(f32(1)), Conv1dOptions{})
		}},
		{"HeadsMatMulT mixed", "HeadsMatMulT: float32 [1 2 4] and float64 [1 3 4]: dtypes differ; convert the second with To(tensor.Float32)", func() {
			Const(f32(1, 2, 4)).HeadsMatMulT(Const(tensor.Zeros(1, 3, 4)), 2)
		}},
		{"HeadsMatMul mixed", "HeadsMatMul: float64 [1 2 2 3] and float32 [1 3 4]: dtypes differ; convert the second with To(tensor.Float64)", func() {
			Const(tensor.Zeros(1, 2, 2, 3)).HeadsMatMul(Const(f32(1, 3, 4)), 2)
		}},
		{"MaskedSoftmax mixed", "MaskedSoftmax: float32 [2 3] and float64 [3]: dtypes differ; convert the second with To(tensor.Float32)", func() {
			Const(f32(2, 3)).MaskedSoftmax(tensor.Zeros(3))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, tensor.ErrDType) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v, want an ErrDType *autograd.Error containing %q", e, tt.want)
				}
			}()
			tt.fn()
		})
	}
}

// TestVarTo: To converts a value and its gradient back, both ways, and is
// the Var itself for its own dtype.
func TestVarTo(t *testing.T) {
	x := Param(tensor.New([]float64{0.1, -2, 3.5}, 3))
	if x.To(tensor.Float64) != x {
		t.Error("To(its own dtype) is not the Var itself")
	}
	y := x.To(tensor.Float32)
	if y.Value.DType() != tensor.Float32 || !y.RequiresGrad() {
		t.Fatalf("To(Float32): %v, requires grad %v", y.Value.DType(), y.RequiresGrad())
	}
	// d/dx Σ (x as float32 · w, back to float64)² = 2·x·w²: the gradient
	// reaches x in float64 through two conversions.
	w := Const(tensor.NewFloat32([]float32{1, 2, 3}, 3))
	y.Mul(w).To(tensor.Float64).Square().Sum().Backward()
	if x.Grad.DType() != tensor.Float64 {
		t.Fatalf("gradient %v, want float64", x.Grad.DType())
	}
	for i, want := range []float64{2 * 0.1, 2 * -2 * 4, 2 * 3.5 * 9} {
		if got := x.Grad.Data()[i]; got/want-1 > 1e-6 || got/want-1 < -1e-6 {
			t.Errorf("gradient %d: %v, want %v", i, got, want)
		}
	}
	if NoGrad(x.Value).To(tensor.Float32).RequiresGrad() {
		t.Error("a NoGrad value converted records a graph")
	}
}
