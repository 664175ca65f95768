package autograd

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/tensor"
)

// gradTol is the largest error GradCheck may report for a correct gradient:
// central differences with h = 1e-6 are accurate to about 1e-9 here.
const gradTol = 1e-6

func randn(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.Normal(rand.New(rand.NewPCG(seed, 99)), 0, 1, shape...)
}

// positive returns values in [0.5, 2), for Log, Sqrt, Div and Pow.
func positive(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.Uniform(rand.New(rand.NewPCG(seed, 98)), 0.5, 2, shape...)
}

// awayFromZero returns values whose magnitude is in [0.2, 1.5), for the kinks
// of Abs, ReLU and friends, where finite differences are not defined.
func awayFromZero(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.Uniform(rand.New(rand.NewPCG(seed, 97)), 0.2, 1.5, shape...)
	d := t.Data()
	for i := range d {
		if i%2 == 1 {
			d[i] = -d[i]
		}
	}
	return t
}

func TestGradients(t *testing.T) {
	type fn = func(x ...*Var) *Var
	tests := []struct {
		name   string
		f      fn
		inputs []*tensor.Tensor
	}{
		{"Add", func(x ...*Var) *Var { return x[0].Add(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 2, 3)}},
		{"AddBroadcastRow", func(x ...*Var) *Var { return x[0].Add(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 3)}},
		{"AddBroadcastBoth", func(x ...*Var) *Var { return x[0].Add(x[1]) }, []*tensor.Tensor{randn(1, 2, 1), randn(2, 1, 3)}},
		{"AddScalarTensor", func(x ...*Var) *Var { return x[0].Add(x[1]) }, []*tensor.Tensor{randn(1), randn(2, 2, 3)}},
		{"Sub", func(x ...*Var) *Var { return x[0].Sub(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 2, 1)}},
		{"Mul", func(x ...*Var) *Var { return x[0].Mul(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 3)}},
		{"Div", func(x ...*Var) *Var { return x[0].Div(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), positive(2, 2, 1)}},
		{"Pow", func(x ...*Var) *Var { return x[0].Pow(x[1]) }, []*tensor.Tensor{positive(1, 2, 3), randn(2, 3)}},
		{"Maximum", func(x ...*Var) *Var { return x[0].Maximum(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 3)}},
		{"Minimum", func(x ...*Var) *Var { return x[0].Minimum(x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 2, 1)}},
		{"AddScalar", func(x ...*Var) *Var { return x[0].AddScalar(3) }, []*tensor.Tensor{randn(1, 4)}},
		{"MulScalar", func(x ...*Var) *Var { return x[0].MulScalar(-2.5) }, []*tensor.Tensor{randn(1, 4)}},
		{"PowScalar", func(x ...*Var) *Var { return x[0].PowScalar(3) }, []*tensor.Tensor{randn(1, 4)}},
		{"PowScalarFrac", func(x ...*Var) *Var { return x[0].PowScalar(1.5) }, []*tensor.Tensor{positive(1, 4)}},
		{"Neg", func(x ...*Var) *Var { return x[0].Neg() }, []*tensor.Tensor{randn(1, 4)}},
		{"Exp", func(x ...*Var) *Var { return x[0].Exp() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Log", func(x ...*Var) *Var { return x[0].Log() }, []*tensor.Tensor{positive(1, 2, 3)}},
		{"Sqrt", func(x ...*Var) *Var { return x[0].Sqrt() }, []*tensor.Tensor{positive(1, 2, 3)}},
		{"Abs", func(x ...*Var) *Var { return x[0].Abs() }, []*tensor.Tensor{awayFromZero(1, 2, 3)}},
		{"Square", func(x ...*Var) *Var { return x[0].Square() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Tanh", func(x ...*Var) *Var { return x[0].Tanh() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Sigmoid", func(x ...*Var) *Var { return x[0].Sigmoid() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"ReLU", func(x ...*Var) *Var { return x[0].ReLU() }, []*tensor.Tensor{awayFromZero(1, 2, 3)}},
		// ReLU masks its incoming gradient in place: reuse must not corrupt it.
		{"ReLUReused", func(x ...*Var) *Var { r := x[0].ReLU(); return r.Mul(r).Add(r.ReLU()).Add(x[0]) }, []*tensor.Tensor{awayFromZero(1, 2, 3)}},
		{"LeakyReLU", func(x ...*Var) *Var { return x[0].LeakyReLU(0.1) }, []*tensor.Tensor{awayFromZero(1, 2, 3)}},
		{"GELU", func(x ...*Var) *Var { return x[0].GELU() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"SiLU", func(x ...*Var) *Var { return x[0].SiLU() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Softplus", func(x ...*Var) *Var { return x[0].Softplus(1, 20) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"SoftplusBeta", func(x ...*Var) *Var { return x[0].Softplus(2.5, 20) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"ELU", func(x ...*Var) *Var { return x[0].ELU(0.7) }, []*tensor.Tensor{awayFromZero(1, 2, 3)}},
		{"LogSigmoid", func(x ...*Var) *Var { return x[0].LogSigmoid() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"GELUTanh", func(x ...*Var) *Var { return x[0].GELUTanh() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Conv2d", func(x ...*Var) *Var { return x[0].Conv2d(x[1], x[2], Conv2dOptions{}) }, []*tensor.Tensor{randn(1, 2, 3, 5, 4), randn(2, 4, 3, 3, 2), randn(3, 4)}},
		{"Conv2dStridedPadded", func(x ...*Var) *Var {
			return x[0].Conv2d(x[1], x[2], Conv2dOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{1, 2}})
		}, []*tensor.Tensor{randn(1, 2, 2, 6, 5), randn(2, 3, 2, 3, 2), randn(3, 3)}},
		{"Conv2dGroups", func(x ...*Var) *Var { return x[0].Conv2d(x[1], nil, Conv2dOptions{Groups: 2, Padding: [2]int{1, 1}}) }, []*tensor.Tensor{randn(1, 2, 4, 4, 3), randn(2, 6, 2, 2, 2)}},
		{"MaxPool2d", func(x ...*Var) *Var {
			return x[0].MaxPool2d(PoolOptions{Kernel: [2]int{2, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 1}})
		}, []*tensor.Tensor{randn(1, 2, 3, 5, 6)}},
		{"AvgPool2d", func(x ...*Var) *Var {
			return x[0].AvgPool2d(PoolOptions{Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}})
		}, []*tensor.Tensor{randn(1, 2, 3, 5, 4)}},
		{"AvgPool2dExcludePad", func(x ...*Var) *Var {
			return x[0].AvgPool2d(PoolOptions{Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, ExcludePad: true})
		}, []*tensor.Tensor{randn(1, 2, 2, 5, 4)}},
		{"AdaptiveAvgPool2d", func(x ...*Var) *Var { return x[0].AdaptiveAvgPool2d(3, 2) }, []*tensor.Tensor{randn(1, 2, 2, 7, 5)}},
		{"Clip", func(x ...*Var) *Var { return x[0].Clip(-0.5, 0.5) }, []*tensor.Tensor{awayFromZero(1, 2, 3)}},
		{"MatMul", func(x ...*Var) *Var { return x[0].MatMul(x[1]) }, []*tensor.Tensor{randn(1, 3, 4), randn(2, 4, 2)}},
		{"MatMulBig", func(x ...*Var) *Var { return x[0].MatMul(x[1]) }, []*tensor.Tensor{randn(1, 20, 24), randn(2, 24, 18)}},
		{"MatMulBatched", func(x ...*Var) *Var { return x[0].MatMul(x[1]) }, []*tensor.Tensor{randn(1, 2, 3, 4), randn(2, 2, 4, 2)}},
		{"MatMulShared", func(x ...*Var) *Var { return x[0].MatMul(x[1]) }, []*tensor.Tensor{randn(1, 2, 3, 4), randn(2, 4, 2)}},
		{"MatMulT", func(x ...*Var) *Var { return x[0].MatMulT(x[1]) }, []*tensor.Tensor{randn(1, 3, 4), randn(2, 5, 4)}},
		{"MatMulTShared", func(x ...*Var) *Var { return x[0].MatMulT(x[1]) }, []*tensor.Tensor{randn(1, 2, 3, 4), randn(2, 5, 4)}},
		{"Linear", func(x ...*Var) *Var { return x[0].Linear(x[1], x[2]) }, []*tensor.Tensor{randn(1, 5, 3), randn(2, 4, 3), randn(3, 4)}},
		{"LinearBig", func(x ...*Var) *Var { return x[0].Linear(x[1], x[2]) }, []*tensor.Tensor{randn(1, 20, 30), randn(2, 25, 30), randn(3, 25)}},
		{"LinearBatched", func(x ...*Var) *Var { return x[0].Linear(x[1], x[2]) }, []*tensor.Tensor{randn(1, 2, 5, 3), randn(2, 4, 3), randn(3, 4)}},
		{"LinearNoBias", func(x ...*Var) *Var { return x[0].Linear(x[1], nil) }, []*tensor.Tensor{randn(1, 5, 3), randn(2, 4, 3)}},
		{"LinearFallback", func(x ...*Var) *Var { return x[0].Linear(x[1], x[2]) }, []*tensor.Tensor{randn(1, 5, 3), randn(2, 4, 3), randn(3, 1, 4)}},
		{"T", func(x ...*Var) *Var { return x[0].T() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Permute", func(x ...*Var) *Var { return x[0].Permute(2, 0, 1) }, []*tensor.Tensor{randn(1, 2, 3, 4)}},
		{"Reshape", func(x ...*Var) *Var { return x[0].Reshape(3, -1) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Concat", func(x ...*Var) *Var { return Concat(-1, x[0], x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 2, 1)}},
		{"Stack", func(x ...*Var) *Var { return Stack(1, x[0], x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 2, 3)}},
		{"StackLast", func(x ...*Var) *Var { return Stack(-1, x[0], x[1]) }, []*tensor.Tensor{randn(1, 2, 3), randn(2, 2, 3)}},
		{"Slice", func(x ...*Var) *Var { return x[0].Slice(1, 1, 3) }, []*tensor.Tensor{randn(1, 2, 4)}},
		{"SliceNegAxis", func(x ...*Var) *Var { return x[0].Slice(-2, 0, 1) }, []*tensor.Tensor{randn(1, 2, 4)}},
		{"IndexRows", func(x ...*Var) *Var { return x[0].IndexRows([]int{2, 0, 2}) }, []*tensor.Tensor{randn(1, 3, 2)}},
		{"Sum", func(x ...*Var) *Var { return x[0].Sum() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"SumAxis", func(x ...*Var) *Var { return x[0].Sum(0, 2) }, []*tensor.Tensor{randn(1, 2, 3, 4)}},
		{"SumKeepDims", func(x ...*Var) *Var { return x[0].SumKeepDims(-1) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Mean", func(x ...*Var) *Var { return x[0].Mean() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"MeanAxis", func(x ...*Var) *Var { return x[0].Mean(1) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Max", func(x ...*Var) *Var { return x[0].Max() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"MaxAxis", func(x ...*Var) *Var { return x[0].Max(1) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Min", func(x ...*Var) *Var { return x[0].Min(0) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"MinKeepDims", func(x ...*Var) *Var { return x[0].MinKeepDims() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Var", func(x ...*Var) *Var { return x[0].Var() }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"VarAxis", func(x ...*Var) *Var { return x[0].Var(1) }, []*tensor.Tensor{randn(1, 2, 3)}},
		{"Softmax", func(x ...*Var) *Var { return x[0].Softmax(1) }, []*tensor.Tensor{randn(1, 2, 4)}},
		{"Softmax0", func(x ...*Var) *Var { return x[0].Softmax(0) }, []*tensor.Tensor{randn(1, 3, 2)}},
		{"LogSoftmax", func(x ...*Var) *Var { return x[0].LogSoftmax(-1) }, []*tensor.Tensor{randn(1, 2, 4)}},
		{"LogSumExp", func(x ...*Var) *Var { return x[0].LogSumExp(1) }, []*tensor.Tensor{randn(1, 2, 4)}},
		{"LogSumExp0", func(x ...*Var) *Var { return x[0].LogSumExp(0) }, []*tensor.Tensor{randn(1, 3, 2)}},
		// Reuse and diamonds: the same Var feeding several operations must
		// receive the sum of every path's gradient.
		{"SquareByMul", func(x ...*Var) *Var { return x[0].Mul(x[0]) }, []*tensor.Tensor{randn(1, 3)}},
		{"SelfAdd", func(x ...*Var) *Var { return x[0].Add(x[0]) }, []*tensor.Tensor{randn(1, 3)}},
		{"SelfSub", func(x ...*Var) *Var { return x[0].Sub(x[0].Tanh()) }, []*tensor.Tensor{randn(1, 3)}},
		{"Diamond", func(x ...*Var) *Var {
			h := x[0].Tanh()
			return h.Exp().Mul(h.Sigmoid()).Add(h)
		}, []*tensor.Tensor{randn(1, 2, 3)}},
		{"MLP", func(x ...*Var) *Var {
			h := x[0].MatMulT(x[1]).Add(x[2]).Tanh()
			return h.MatMul(x[3]).Sigmoid().Sub(Const(tensor.Ones(4, 1))).Square().Mean()
		}, []*tensor.Tensor{randn(1, 4, 2), randn(2, 8, 2), randn(3, 8), randn(4, 8, 1)}},
		{"Custom", func(x ...*Var) *Var {
			v := x[0].Value.Mul(x[1].Value)
			return Custom(v, func(g *tensor.Tensor) []*tensor.Tensor {
				return []*tensor.Tensor{g.Mul(x[1].Value), g.Mul(x[0].Value)}
			}, x[0], x[1])
		}, []*tensor.Tensor{randn(1, 3), randn(2, 3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := GradCheck(tt.f, tt.inputs...)
			if r.MaxError > gradTol {
				t.Error(r)
			}
		})
	}
}

// TestGradCheckCatchesWrongGradient makes sure the checker can fail: a
// custom op with a deliberately wrong backward must be reported.
func TestGradCheckCatchesWrongGradient(t *testing.T) {
	r := GradCheck(func(x ...*Var) *Var {
		return Custom(x[0].Value.Square(), func(g *tensor.Tensor) []*tensor.Tensor {
			return []*tensor.Tensor{g.Mul(x[0].Value)} // should be 2·x·g
		}, x[0])
	}, tensor.New([]float64{1, 2, 3}))
	if r.MaxError < 0.1 || r.Input != 0 || len(r.Index) != 1 {
		t.Errorf("wrong gradient not caught: %v", r)
	}
	if !strings.Contains(r.String(), "gradient error") {
		t.Errorf("report %q", r.String())
	}
	// An output that does not depend on its input has gradient 0 everywhere.
	r = GradCheck(func(x ...*Var) *Var { return Const(tensor.Ones(2)) }, tensor.New([]float64{1, 2}))
	if r.MaxError != 0 {
		t.Errorf("constant function: %v", r)
	}
}

func TestBackwardValues(t *testing.T) {
	w := Param(tensor.New([]float64{1, 2}, 2, 1))
	x := Const(tensor.New([]float64{3, 4}, 1, 2))
	loss := x.MatMul(w).Square().Sum()
	loss.Backward()
	if diff := cmp.Diff([]float64{66, 88}, w.Grad.Data()); diff != "" {
		t.Errorf("w.Grad (-want +got):\n%s", diff)
	}
	if x.Grad != nil {
		t.Error("Const received a gradient")
	}
	// Accumulation across calls, until zeroed.
	x.MatMul(w).Square().Sum().Backward()
	if diff := cmp.Diff([]float64{132, 176}, w.Grad.Data()); diff != "" {
		t.Errorf("accumulated w.Grad (-want +got):\n%s", diff)
	}
	w.ZeroGrad()
	if w.Grad != nil {
		t.Error("ZeroGrad left a gradient")
	}
	// Backward twice on the same graph also accumulates.
	loss.Backward()
	loss.Backward()
	if diff := cmp.Diff([]float64{132, 176}, w.Grad.Data()); diff != "" {
		t.Errorf("two Backward calls on one graph (-want +got):\n%s", diff)
	}
}

func TestBackwardWithSeed(t *testing.T) {
	a := Param(tensor.New([]float64{1, 2, 3}))
	y := a.MulScalar(2)
	y.BackwardWith(tensor.New([]float64{1, 10, 100}))
	if diff := cmp.Diff([]float64{2, 20, 200}, a.Grad.Data()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	mustPanic(t, "not a scalar", func() { y.Backward() })
	mustPanic(t, "seed of shape [2]", func() { y.BackwardWith(tensor.Zeros(2)) })
	// The seed is the caller's: ops that work on their gradient in place
	// get a copy.
	seed := tensor.New([]float64{1, -1, 1})
	Param(tensor.New([]float64{1, 2, -3})).ReLU().BackwardWith(seed)
	if diff := cmp.Diff([]float64{1, -1, 1}, seed.Data()); diff != "" {
		t.Errorf("BackwardWith changed its seed (-want +got):\n%s", diff)
	}
}

// TestBackwardWithoutGraph checks that Backward refuses, as PyTorch's
// backward raises, a result that recorded no graph: a loss whose target was
// wrapped in NoGrad would otherwise train nothing, silently.
func TestBackwardWithoutGraph(t *testing.T) {
	w := Param(tensor.New([]float64{2}, 1, 1))
	x := Const(tensor.New([]float64{3}, 1, 1))
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"NoGrad target", func() { x.MatMul(w).Sub(NoGrad(tensor.New([]float64{1}, 1, 1))).Square().Sum().Backward() }, "computed from a NoGrad value"},
		{"NoGrad input", func() { NoGrad(x.Value).MatMul(w).Sum().Backward() }, "wrap training inputs and targets in Const"},
		{"NoGrad leaf", func() { NoGrad(tensor.Scalar(1)).Backward() }, "NoGrad"},
		{"NoGrad with seed", func() { NoGrad(x.Value).MatMul(w).BackwardWith(tensor.Ones(1, 1)) }, "BackwardWith: the result was computed from a NoGrad value"},
		{"no Param", func() { x.Square().Sum().Backward() }, "depends on no Param"},
		{"Const leaf", func() { Const(tensor.Scalar(1)).Backward() }, "depends on no Param"},
		{"detached", func() { x.MatMul(w).Detach().Sum().Backward() }, "depends on no Param"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, tensor.ErrArgument) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v; want an *autograd.Error of kind ErrArgument containing %q", e, tt.want)
				}
			}()
			tt.f()
		})
	}
	if w.Grad != nil {
		t.Errorf("a refused Backward left a gradient %v", w.Grad)
	}
}

func TestDeepChain(t *testing.T) {
	x := Param(tensor.Scalar(1))
	y := x
	for range 100_000 {
		y = y.AddScalar(1e-5)
	}
	y.Backward()
	if got := x.Grad.Item(); got != 1 {
		t.Errorf("gradient through 100,000 nodes = %v, want 1", got)
	}
	if math.Abs(y.Item()-2) > 1e-9 {
		t.Errorf("value %v, want 2", y.Item())
	}
}

func TestGraphRecording(t *testing.T) {
	p := Param(tensor.Ones(2))
	c := Const(tensor.Ones(2))
	if r := c.Add(c); r.RequiresGrad() || !r.IsLeaf() {
		t.Error("a result of constants records a graph")
	}
	r := p.Add(c)
	if !r.RequiresGrad() || r.IsLeaf() {
		t.Error("a result of a Param records no graph")
	}
	if !p.IsLeaf() {
		t.Error("Param is not a leaf")
	}
	n := NoGrad(tensor.Ones(2))
	if r := n.Mul(p).Tanh().Add(p); r.RequiresGrad() || !r.IsLeaf() {
		t.Error("a result of a NoGrad input records a graph")
	}
	d := r.Detach()
	if d.RequiresGrad() || d.Value != r.Value {
		t.Error("Detach")
	}
	if got := p.Shape(); !cmp.Equal(got, []int{2}) {
		t.Errorf("Shape %v", got)
	}
	if !strings.Contains(p.String(), "[1 1]") {
		t.Errorf("String %q", p.String())
	}
	// Intermediate gradients are not kept.
	h := p.Tanh()
	h.Sum().Backward()
	if h.Grad != nil {
		t.Error("intermediate gradient kept after Backward")
	}
}

// TestConcurrentEvaluation runs the same parameters through many goroutines,
// half evaluating without a graph and half training, under the race detector.
func TestConcurrentEvaluation(t *testing.T) {
	w := Param(randn(1, 3, 3))
	want := tensor.New([]float64{1, 2, 3}, 1, 3).MatMul(w.Value).Tanh()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := tensor.New([]float64{1, 2, 3}, 1, 3)
			var out *Var
			if i%2 == 0 {
				out = NoGrad(x).MatMul(w).Tanh()
			} else {
				out = Const(x).MatMul(w.Detach()).Tanh()
			}
			if out.RequiresGrad() || !tensor.AllClose(out.Value, want, 1e-12, 0) {
				t.Error("concurrent evaluation differs")
			}
		}()
	}
	wg.Wait()
}

func TestCustomPanics(t *testing.T) {
	a := Param(tensor.Ones(2))
	wrongCount := Custom(tensor.Ones(2), func(g *tensor.Tensor) []*tensor.Tensor { return nil }, a)
	mustPanic(t, "backward returned 0 gradients for 1 inputs", func() { wrongCount.Sum().Backward() })
	wrongShape := Custom(tensor.Ones(2), func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Ones(3)}
	}, a)
	mustPanic(t, "gradient 0 of shape [3] differs from its input's [2]", func() { wrongShape.Sum().Backward() })
	mustPanic(t, "Stack: axis 5 out of range", func() { Stack(5, a) })
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		e, ok := recover().(*Error)
		if !ok || !strings.Contains(e.Error(), want) || !strings.HasPrefix(e.Error(), "autograd: ") {
			t.Fatalf("panic %v, want an *autograd.Error containing %q", e, want)
		}
	}()
	f()
}

// TestTieGradients checks the even split of Max's and Maximum's gradient on
// ties, where finite differences do not apply.
func TestTieGradients(t *testing.T) {
	a := Param(tensor.New([]float64{3, 1, 3}))
	a.Max().Backward()
	if diff := cmp.Diff([]float64{0.5, 0, 0.5}, a.Grad.Data()); diff != "" {
		t.Errorf("Max tie (-want +got):\n%s", diff)
	}
	x, y := Param(tensor.New([]float64{2, 1})), Param(tensor.New([]float64{2, 5}))
	x.Maximum(y).Sum().Backward()
	if diff := cmp.Diff([]float64{0.5, 0}, x.Grad.Data()); diff != "" {
		t.Errorf("Maximum tie, x (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{0.5, 1}, y.Grad.Data()); diff != "" {
		t.Errorf("Maximum tie, y (-want +got):\n%s", diff)
	}
	z := Param(tensor.New([]float64{0, 2}))
	z.Pow(Const(tensor.New([]float64{2, 2}))).Sum().Backward()
	b := Param(tensor.New([]float64{3}))
	Const(tensor.New([]float64{0})).Pow(b).Sum().Backward()
	if got := b.Grad.Data()[0]; got != 0 {
		t.Errorf("d(0^b)/db = %v, want 0 as PyTorch", got)
	}
	approx := cmpopts.EquateApprox(0, 1e-12)
	if diff := cmp.Diff([]float64{0, 4}, z.Grad.Data(), approx); diff != "" {
		t.Errorf("Pow grad (-want +got):\n%s", diff)
	}
}

// TestErrorKinds checks that autograd's panics name their kind for
// errors.Is and their type for errors.As.
func TestErrorKinds(t *testing.T) {
	catch := func(f func()) (err error) {
		defer func() { err, _ = recover().(error) }()
		f()
		return nil
	}
	y := Param(tensor.Ones(2)).MulScalar(2)
	err := catch(func() { y.Backward() })
	var ae *Error
	if !errors.As(err, &ae) || ae.Op != "Backward" || !errors.Is(err, tensor.ErrShape) || errors.Is(err, tensor.ErrIndex) {
		t.Errorf("Backward of a vector: %v", err)
	}
	if err := catch(func() { Stack(5, y) }); !errors.Is(err, tensor.ErrIndex) {
		t.Errorf("Stack: %v", err)
	}
	// A mistake in an op on the Values reaches the caller as tensor's error.
	err = catch(func() { Param(tensor.Ones(2, 3)).MatMul(Param(tensor.Ones(2, 3))) })
	var te *tensor.Error
	if !errors.As(err, &te) || !errors.Is(err, tensor.ErrShape) {
		t.Errorf("MatMul: %v", err)
	}
}

// TestModes checks how the training/evaluation mode travels: NoGrad and
// Eval evaluate, Train overrides both, a result takes the strongest mode
// of its inputs, and gradients flow through Eval and Train.
func TestModes(t *testing.T) {
	w := Param(tensor.Ones(2))
	x := Const(tensor.New([]float64{2, 3}))
	for _, tt := range []struct {
		name string
		v    *Var
		eval bool
	}{
		{"Const", x.Mul(w), false},
		{"NoGrad", NoGrad(x.Value).Mul(w), true},
		{"Eval", x.Eval().Mul(w), true},
		{"param first", w.Mul(x.Eval()), true},
		{"Train over NoGrad", NoGrad(x.Value).Train().Mul(w), false},
		{"Train over Eval", x.Eval().Add(x.Train()), false},
		{"Detach keeps it", x.Eval().Mul(w).Detach().Exp(), true},
	} {
		if got := tt.v.Evaluating(); got != tt.eval {
			t.Errorf("%s: Evaluating() = %v, want %v", tt.name, got, tt.eval)
		}
	}
	p := Param(tensor.New([]float64{1, 2}))
	p.Eval().Square().Sum().Backward()
	if !tensor.Equal(p.Grad, tensor.New([]float64{2, 4})) {
		t.Errorf("gradient through Eval: %v", p.Grad)
	}
	if NoGrad(x.Value).Train().RequiresGrad() {
		t.Error("Train turned recording back on")
	}
}
