package nn_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// cnn32Op is one operation of testdata/torch_cnn32.json: its inputs and
// their shapes, its output, the weights r of Σ y·r and the inputs'
// gradients of that sum.
type cnn32Op struct {
	In     [][]float64
	Shapes [][]int
	Y      []float64
	YShape []int `json:"y_shape"`
	R      []float64
	Grads  [][]float64
}

// cnn32Reference is testdata/torch_cnn32.json: PyTorch 1.13's float32
// convolutions, poolings, batch normalization and a small CNN's training.
type cnn32Reference struct {
	Cases struct {
		Conv2d              cnn32Op
		Conv1dSame          cnn32Op `json:"conv1d_same"`
		MaxPool2d           cnn32Op
		AvgPool2d           cnn32Op
		AvgPool2dExcludePad cnn32Op `json:"avgpool2d_exclude_pad"`
		AdaptiveAvgPool2d   cnn32Op `json:"adaptive_avgpool2d"`
		BatchNorm2d         struct {
			Weight, Bias, X, Y, R, GX, GW, GB []float64
			RunningMean                       []float64 `json:"running_mean"`
			RunningVar                        []float64 `json:"running_var"`
			XEval                             []float64 `json:"x_eval"`
			YEval                             []float64 `json:"y_eval"`
			REval                             []float64 `json:"r_eval"`
			GXEval                            []float64 `json:"gx_eval"`
		}
		CNN struct {
			X, Out, Labels   []float64
			Loss             float64
			Params, Grads    [][]float64
			AfterSGD         [][]float64 `json:"after_sgd"`
			AfterAdam        [][]float64 `json:"after_adam"`
			RunningAfterSGD  [][]float64 `json:"running_after_sgd"`
			RunningAfterAdam [][]float64 `json:"running_after_adam"`
		}
	}
}

func readCNN32Reference(t *testing.T) cnn32Reference {
	return readTestdata[cnn32Reference](t, "torch_cnn32.json")
}

// closeFloat32Within checks that got is float32 and within tol of want,
// normwise: max|got − want| ≤ tol·max|want|.
func closeFloat32Within(t *testing.T, name string, got *tensor.Tensor, want []float64, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s is missing", name)
		return
	}
	if got.DType() != tensor.Float32 {
		t.Errorf("%s is %v, want float32", name, got.DType())
		return
	}
	g := got.Float64s()
	if len(g) != len(want) {
		t.Errorf("%s has %d values, want %d", name, len(g), len(want))
		return
	}
	diff, scale := 0.0, 0.0
	for i := range g {
		diff, scale = max(diff, math.Abs(g[i]-want[i])), max(scale, math.Abs(want[i]))
	}
	if !(diff <= tol*scale) { // a NaN fails too
		t.Errorf("%s differs from the reference by %.3g of its largest value %.3g (tolerance %g)", name, diff/scale, scale, tol)
	}
}

// TestCNN32OpsMatchPyTorch: Conv2d (stride, padding, dilation, groups),
// Conv1d (padding 'same', an even kernel) and the 2-D poolings in float32
// give PyTorch's float32 outputs and input, weight and bias gradients,
// each within 1e-5 of the tensor's largest value: both compute in float32
// with sums in different orders, a few ulps apart.
func TestCNN32OpsMatchPyTorch(t *testing.T) {
	ref := readCNN32Reference(t).Cases
	for _, tt := range []struct {
		name string
		op   cnn32Op
		f    func(in ...*autograd.Var) *autograd.Var
		tol  float64
	}{
		{"Conv2d", ref.Conv2d, func(in ...*autograd.Var) *autograd.Var {
			return in[0].Conv2d(in[1], in[2], autograd.Conv2dOptions{Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Dilation: [2]int{1, 2}, Groups: 2})
		}, 1e-5},
		{"Conv1d same", ref.Conv1dSame, func(in ...*autograd.Var) *autograd.Var {
			return in[0].Conv1d(in[1], in[2], autograd.Conv1dOptions{PadMode: autograd.PadSame})
		}, 1e-5},
		{"MaxPool2d", ref.MaxPool2d, func(in ...*autograd.Var) *autograd.Var {
			return in[0].MaxPool2d(autograd.PoolOptions{Kernel: [2]int{3, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 1}})
		}, 1e-5},
		{"AvgPool2d", ref.AvgPool2d, func(in ...*autograd.Var) *autograd.Var {
			return in[0].AvgPool2d(autograd.PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 1}})
		}, 1e-5},
		{"AvgPool2d ExcludePad", ref.AvgPool2dExcludePad, func(in ...*autograd.Var) *autograd.Var {
			return in[0].AvgPool2d(autograd.PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 2}, Padding: [2]int{1, 1}, ExcludePad: true})
		}, 1e-5},
		{"AdaptiveAvgPool2d", ref.AdaptiveAvgPool2d, func(in ...*autograd.Var) *autograd.Var { return in[0].AdaptiveAvgPool2d(3, 4) }, 1e-5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.op.In) == 0 {
				t.Fatal("no reference data")
			}
			in := make([]*autograd.Var, len(tt.op.In))
			for i, vals := range tt.op.In {
				in[i] = autograd.Param(f32(vals, tt.op.Shapes[i]...))
			}
			y := tt.f(in...)
			if !slices.Equal(y.Shape(), tt.op.YShape) {
				t.Fatalf("output shape %v, want %v", y.Shape(), tt.op.YShape)
			}
			closeFloat32Within(t, "output", y.Value, tt.op.Y, tt.tol)
			y.Mul(autograd.Const(f32(tt.op.R, tt.op.YShape...))).Sum().Backward()
			for i, want := range tt.op.Grads {
				closeFloat32Within(t, "gradient of input "+string(rune('0'+i)), in[i].Grad, want, tt.tol)
			}
		})
	}
}

// TestCNN32BatchNormMatchesPyTorch: a float32 BatchNorm2d (nn.To) in
// training gives PyTorch's output and gradients, and its running
// statistics after the step, all float32; then in evaluation it gives
// PyTorch's output and input gradient. Tolerance 1e-5 of each tensor's
// largest value.
func TestCNN32BatchNormMatchesPyTorch(t *testing.T) {
	const tol = 1e-5
	ref := readCNN32Reference(t).Cases.BatchNorm2d
	bn := nn.NewBatchNorm2d(3, nn.BatchNormConfig{})
	bn.Weight.Value.CopyFrom(tensor.New(ref.Weight, 3))
	bn.Bias.Value.CopyFrom(tensor.New(ref.Bias, 3))
	nn.To(bn, tensor.Float32)
	x := autograd.Param(f32(ref.X, 4, 3, 5, 5))
	y := bn.Forward(x)
	closeFloat32Within(t, "training output", y.Value, ref.Y, tol)
	y.Mul(autograd.Const(f32(ref.R, 4, 3, 5, 5))).Sum().Backward()
	closeFloat32Within(t, "input gradient", x.Grad, ref.GX, tol)
	closeFloat32Within(t, "weight gradient", bn.Weight.Grad, ref.GW, tol)
	closeFloat32Within(t, "bias gradient", bn.Bias.Grad, ref.GB, tol)
	closeFloat32Within(t, "running mean", bn.RunningMean.Value, ref.RunningMean, tol)
	closeFloat32Within(t, "running variance", bn.RunningVar.Value, ref.RunningVar, tol)
	checkBatchesTracked(t, bn, 1)

	x2 := autograd.Param(f32(ref.XEval, 2, 3, 5, 5))
	y2 := bn.Forward(x2.Eval())
	closeFloat32Within(t, "evaluation output", y2.Value, ref.YEval, tol)
	y2.Mul(autograd.Const(f32(ref.REval, 2, 3, 5, 5))).Sum().Backward()
	closeFloat32Within(t, "evaluation input gradient", x2.Grad, ref.GXEval, tol)
	checkBatchesTracked(t, bn, 1) // evaluation counts no batch
}

// checkBatchesTracked checks that bn has counted want batches in an int64,
// as PyTorch does, whatever the model's dtype.
func checkBatchesTracked(t *testing.T, bn *nn.BatchNorm, want int64) {
	t.Helper()
	if n := bn.NumBatchesTracked.Value; n.DType() != tensor.Int64 || n.Int64s()[0] != want {
		t.Errorf("batches tracked: %v %v, want int64 %d", n.DType(), n, want)
	}
}

// smallCNN is the network of testdata/torch_cnn32.py: Conv2d(1→4, 3×3,
// padding 1, no bias), BatchNorm2d(4), ReLU, MaxPool2d(2), Flatten, Linear(64→3),
// with PyTorch's starting parameters, converted to dtype with nn.To.
func smallCNN(params [][]float64, dtype tensor.DType) (*nn.Sequential, *nn.BatchNorm) {
	rng := rand.New(rand.NewPCG(1, 2))
	bn := nn.NewBatchNorm2d(4, nn.BatchNormConfig{})
	conv := nn.NewConv2d(rng, 1, 4, [2]int{3, 3}, autograd.Conv2dOptions{Padding: [2]int{1, 1}})
	conv.Bias = nil
	model := nn.NewSequential(conv, bn, nn.ReLU(),
		nn.MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}}), nn.Flatten(), nn.NewLinear(rng, 64, 3))
	for i, p := range trainable(model) {
		p.Var.Value.CopyFrom(tensor.New(params[i], p.Var.Value.Shape()...))
	}
	nn.To(model, dtype)
	return model, bn
}

// trainable returns m's parameters that are not buffers, in PyTorch's
// order of model.parameters().
func trainable(m nn.Module) []nn.Param {
	var ps []nn.Param
	for _, p := range m.Parameters() {
		if !p.Buffer {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestCNN32MatchesPyTorch: the small CNN in float32 gives PyTorch's
// float32 output, cross-entropy and every parameter's gradient within 1e-5
// of each tensor's largest value; three SGD steps (momentum 0.9) and,
// from the same start, three Adam steps reach PyTorch's parameters and
// running statistics within 5e-5, the steps compounding the few-ulp
// differences of each.
func TestCNN32MatchesPyTorch(t *testing.T) {
	const tol, stepsTol = 1e-5, 5e-5
	ref := readCNN32Reference(t).Cases.CNN
	x, labels := autograd.Const(f32(ref.X, 6, 1, 8, 8)), autograd.Const(tensor.New(ref.Labels, 6))
	model, _ := smallCNN(ref.Params, tensor.Float32)
	if d := nn.DTypeOf(model); d != tensor.Float32 {
		t.Fatalf("DTypeOf after To(Float32): %v", d)
	}
	out := model.Forward(x)
	loss := nn.CrossEntropy(out, labels)
	closeFloat32Within(t, "output", out.Value, ref.Out, tol)
	closeFloat32Within(t, "loss", loss.Value, []float64{ref.Loss}, tol)
	loss.Backward()
	for i, p := range trainable(model) {
		closeFloat32Within(t, "gradient of "+p.Name, p.Var.Grad, ref.Grads[i], tol)
	}
	for _, run := range []struct {
		name           string
		opt            func([]nn.Param) optim.Optimizer
		after, running [][]float64
	}{
		{"SGD", func(ps []nn.Param) optim.Optimizer { return optim.NewSGD(ps, optim.SGDConfig{LR: 0.1, Momentum: 0.9}) }, ref.AfterSGD, ref.RunningAfterSGD},
		{"Adam", func(ps []nn.Param) optim.Optimizer { return optim.NewAdam(ps, optim.AdamConfig{LR: 0.01}) }, ref.AfterAdam, ref.RunningAfterAdam},
	} {
		model, bn := smallCNN(ref.Params, tensor.Float32)
		opt := run.opt(model.Parameters())
		for range 3 {
			opt.ZeroGrad()
			nn.CrossEntropy(model.Forward(x), labels).Backward()
			opt.Step()
		}
		for i, p := range trainable(model) {
			closeFloat32Within(t, p.Name+" after three "+run.name+" steps", p.Var.Value, run.after[i], stepsTol)
		}
		closeFloat32Within(t, "running mean after "+run.name, bn.RunningMean.Value, run.running[0], stepsTol)
		closeFloat32Within(t, "running variance after "+run.name, bn.RunningVar.Value, run.running[1], stepsTol)
	}
}

// TestCNN32AgreesWithFloat64: the small CNN, and BatchNorm1d on [N C L]
// and [N C] inputs (training with a cumulative average, then evaluation),
// computed in float32 agree with the same computation in float64 on the
// same values within 1e-5 of each tensor's largest value: outputs, every
// gradient and the running statistics.
func TestCNN32AgreesWithFloat64(t *testing.T) {
	const tol = 1e-5
	ref := readCNN32Reference(t).Cases.CNN
	type result struct {
		name string
		t    *tensor.Tensor
	}
	cnn := func(dtype tensor.DType) []result {
		model, bn := smallCNN(ref.Params, dtype)
		x := autograd.Const(tensor.New(ref.X, 6, 1, 8, 8).To(dtype))
		out := model.Forward(x)
		nn.CrossEntropy(out, autograd.Const(tensor.New(ref.Labels, 6))).Backward()
		rs := []result{{"output", out.Value}, {"running mean", bn.RunningMean.Value}, {"running variance", bn.RunningVar.Value}}
		for _, p := range trainable(model) {
			rs = append(rs, result{"gradient of " + p.Name, p.Var.Grad})
		}
		return rs
	}
	bn1d := func(dtype tensor.DType) []result {
		var rs []result
		for _, shape := range [][]int{{5, 3, 7}, {9, 3}} {
			rng := rand.New(rand.NewPCG(8, 9))
			bn := nn.NewBatchNorm1d(3, nn.BatchNormConfig{CumulativeAverage: true})
			bn.Weight.Value.CopyFrom(tensor.Uniform(rng, 0.5, 1.5, 3).To(tensor.Float32).To(tensor.Float64))
			nn.To(bn, dtype)
			x := autograd.Param(tensor.Normal(rng, 2, 3, shape...).To(tensor.Float32).To(dtype))
			r := autograd.Const(tensor.Normal(rng, 0, 1, shape...).To(tensor.Float32).To(dtype))
			bn.Forward(x).Mul(r).Sum().Backward()
			bn.Forward(autograd.Const(x.Value.MulScalar(0.5))) // a second batch for the average
			eval := bn.Forward(autograd.NoGrad(x.Value))
			rs = append(rs, result{"BatchNorm1d input gradient", x.Grad}, result{"BatchNorm1d weight gradient", bn.Weight.Grad},
				result{"BatchNorm1d bias gradient", bn.Bias.Grad}, result{"BatchNorm1d running mean", bn.RunningMean.Value},
				result{"BatchNorm1d running variance", bn.RunningVar.Value}, result{"BatchNorm1d evaluation", eval.Value})
			checkBatchesTracked(t, bn, 2)
		}
		return rs
	}
	for _, f := range []func(tensor.DType) []result{cnn, bn1d} {
		want, got := f(tensor.Float64), f(tensor.Float32)
		for i, r := range got {
			closeFloat32Within(t, r.name, r.t, want[i].t.Data(), tol)
		}
	}
}

// TestCNN32MixedDTypesRefused: a float32 batch into a float64 convolution
// or batch norm, or the other way round, panics with ErrDType saying what
// to convert.
func TestCNN32MixedDTypesRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conv := nn.NewConv2d(rng, 1, 2, [2]int{3, 3}, autograd.Conv2dOptions{})
	bn := nn.NewBatchNorm2d(2, nn.BatchNormConfig{})
	bn32 := nn.NewBatchNorm1d(2, nn.BatchNormConfig{})
	nn.To(bn32, tensor.Float32)
	for _, tt := range []struct {
		name, want string
		fn         func()
	}{
		{"Conv2d", "a float32 input [1 1 4 4] and a float64 parameter [2 1 3 3]: dtypes differ; convert the model with nn.To(model, tensor.Float32) or the input with To(tensor.Float64)",
			func() { conv.Forward(autograd.Const(tensor.ZerosOf(tensor.Float32, 1, 1, 4, 4))) }},
		{"BatchNorm2d", "BatchNorm2d(2): a float32 input [3 2 2 2] and a float64 weight: dtypes differ; convert the model with nn.To(model, tensor.Float32) or the input with To(tensor.Float64)",
			func() { bn.Forward(autograd.Const(tensor.ZerosOf(tensor.Float32, 3, 2, 2, 2))) }},
		{"BatchNorm1d", "BatchNorm1d(2): a float64 input [3 2] and a float32 weight: dtypes differ; convert the model with nn.To(model, tensor.Float64) or the input with To(tensor.Float32)",
			func() { bn32.Forward(autograd.Const(tensor.Zeros(3, 2))) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(error)
				if !ok || !errors.Is(e, tensor.ErrDType) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v, want an ErrDType error containing %q", e, tt.want)
				}
			}()
			tt.fn()
		})
	}
}
