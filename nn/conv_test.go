package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestConv2dInitAndString(t *testing.T) {
	c := NewConv2d(newRNG(), 6, 64, [2]int{3, 3}, autograd.Conv2dOptions{Groups: 2})
	bound := 1 / math.Sqrt(3*3*3) // fan = in/groups·kh·kw = 27
	maxW, maxB := 0.0, 0.0
	for _, v := range c.Weight.Value.Data() {
		maxW = max(maxW, math.Abs(v))
	}
	for _, v := range c.Bias.Value.Data() {
		maxB = max(maxB, math.Abs(v))
	}
	// 1,728 weights from U(±bound) reach past 0.95·bound with near certainty.
	if maxW > bound || maxW < 0.95*bound || maxB > bound {
		t.Errorf("largest |weight| %.4f, |bias| %.4f; want U(±%.4f)", maxW, maxB, bound)
	}
	for _, tt := range []struct {
		c    *Conv2d
		want string
	}{
		{c, "Conv2d(6, 64, kernel_size=(3, 3), stride=(1, 1), groups=2)"},
		{NewConv2d(newRNG(), 1, 8, [2]int{5, 3}, autograd.Conv2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{2, 1}, Dilation: [2]int{1, 2}}),
			"Conv2d(1, 8, kernel_size=(5, 3), stride=(2, 2), padding=(2, 1), dilation=(1, 2))"},
	} {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
	c.Bias = nil
	if len(c.Parameters()) != 1 || c.String() != "Conv2d(6, 64, kernel_size=(3, 3), stride=(1, 1), groups=2, bias=False)" {
		t.Errorf("without bias: %d parameters, %s", len(c.Parameters()), c)
	}
	for _, tt := range []struct {
		f    *Func
		want string
	}{
		{MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}}), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"},
		{AvgPool2d(autograd.PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 0}, Padding: [2]int{1, 1}, ExcludePad: true}), "AvgPool2d(kernel_size=(3, 3), stride=(1, 3), padding=(1, 1))"},
		{AdaptiveAvgPool2d(1, 1), "AdaptiveAvgPool2d(output_size=(1, 1))"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
}

func TestConvAndPoolErrors(t *testing.T) {
	mustPanic(t, "groups dividing both", func() { NewConv2d(newRNG(), 3, 4, [2]int{3, 3}, autograd.Conv2dOptions{Groups: 2}) })
	for _, o := range []autograd.Conv2dOptions{{Groups: -1}, {Stride: [2]int{1, -2}}, {Padding: [2]int{-1, 0}}, {Dilation: [2]int{0, -1}}} {
		mustPanic(t, "NewConv2d: stride", func() { NewConv2d(newRNG(), 2, 2, [2]int{3, 3}, o) })
	}
	mustPanic(t, "NewConv2d: a weight of shape [2097152 1048576 1 1] would have more than", func() {
		NewConv2d(newRNG(), 1<<20, 1<<21, [2]int{1, 1}, autograd.Conv2dOptions{})
	})
	mustPanic(t, "NewLinear: a weight of shape [2097152 1048576] would have more than", func() { NewLinear(newRNG(), 1<<20, 1<<21) })
	mustPanic(t, "NewEmbedding: a weight of shape [17592186044416 1] would have more than", func() { NewEmbedding(newRNG(), 1<<44, 1, EmbeddingConfig{}) })
	conv := NewConv2d(newRNG(), 3, 4, [2]int{3, 3}, autograd.Conv2dOptions{})
	for _, tt := range []struct {
		x    *tensor.Tensor
		kind error
		want string
	}{
		{tensor.Zeros(2, 3, 8), tensor.ErrShape, "Conv2d(3→4, kernel 3×3): input [2 3 8]: want [batch 3 height width]"},
		{tensor.Zeros(2, 2, 8, 8), tensor.ErrShape, "Conv2d(3→4, kernel 3×3): input [2 2 8 8] has 2 channels; want 3"},
		{tensor.Zeros(1, 3, 2, 8), tensor.ErrShape, "is 2 wide, less than the kernel of 3"},
	} {
		func() {
			defer func() {
				e, _ := recover().(error)
				if !errors.Is(e, tt.kind) || e == nil || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("input %v: panic %v; want %v containing %q", tt.x.Shape(), e, tt.kind, tt.want)
				}
			}()
			conv.Forward(autograd.Const(tt.x))
		}()
	}
	for _, tt := range []struct {
		f    func()
		want string
	}{
		{func() { autograd.Const(tensor.Zeros(1, 1, 4, 4)).MaxPool2d(autograd.PoolOptions{}) }, "want kernels and strides ≥ 1"},
		{func() {
			autograd.Const(tensor.Zeros(1, 1, 4, 4)).AvgPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}, Padding: [2]int{2, 0}})
		}, "padding at most half the kernel"},
		{func() { autograd.Const(tensor.Zeros(1, 1, 1, 4)).MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}}) }, "is 1 wide, less than the kernel of 2"},
		{func() { autograd.Const(tensor.Zeros(1, 4, 4)).AdaptiveAvgPool2d(1, 1) }, "want [batch channels height width]"},
		{func() { autograd.Const(tensor.Zeros(1, 1, 4, 4)).AdaptiveAvgPool2d(0, 1) }, "output size 0×1"},
	} {
		func() {
			defer func() {
				if e, _ := recover().(error); e == nil || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v; want one containing %q", e, tt.want)
				}
			}()
			tt.f()
		}()
	}
}

// TestMaxPoolNaN: a NaN in a window is its maximum and takes its gradient,
// as in PyTorch.
func TestMaxPoolNaN(t *testing.T) {
	x := autograd.Param(tensor.New([]float64{1, math.NaN(), 5, 2}, 1, 1, 2, 2))
	y := x.MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}})
	y.Sum().Backward()
	if !math.IsNaN(y.Item()) || x.Grad.Data()[1] != 1 || x.Grad.Data()[2] != 0 {
		t.Errorf("max %v, gradient %v; want NaN and the gradient on the NaN", y.Item(), x.Grad.Data())
	}
}

// TestConvBlockSameOnAnyThreads runs a convolution, batch norm, ReLU and
// both poolings, forward and backward, at a size whose loops are shared
// among threads, in float64 and in float32, and checks that one thread
// and four give the same bits.
func TestConvBlockSameOnAnyThreads(t *testing.T) {
	run := func(procs int, dtype tensor.DType) []*tensor.Tensor {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		rng := rand.New(rand.NewPCG(3, 4))
		conv := NewConv2d(rng, 3, 16, [2]int{3, 3}, autograd.Conv2dOptions{Padding: [2]int{1, 1}})
		bn := NewBatchNorm2d(16, BatchNormConfig{})
		To(conv, dtype)
		To(bn, dtype)
		x := autograd.Param(tensor.Normal(rng, 0, 1, 16, 3, 24, 24).To(dtype))
		h := bn.Forward(conv.Forward(x)).ReLU()
		a := h.MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}})
		b := h.AvgPool2d(autograd.PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
		loss := a.Square().Mean().Add(b.Mean())
		loss.Backward()
		out := []*tensor.Tensor{loss.Value, x.Grad, bn.RunningMean.Value, bn.RunningVar.Value}
		for _, p := range append(conv.Parameters(), bn.Parameters()[:2]...) {
			out = append(out, p.Var.Grad)
		}
		return out
	}
	for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
		one, four := run(1, dtype), run(4, dtype)
		for i := range one {
			if one[i].DType() != dtype {
				t.Errorf("%v: result %d is %v", dtype, i, one[i].DType())
			}
			if !tensor.Equal(one[i], four[i]) {
				t.Errorf("%v: result %d differs between GOMAXPROCS 1 and 4", dtype, i)
			}
		}
	}
}

// TestConv2dEvaluationInChunks checks that a convolution no gradient
// will follow, which unfolds a few images at a time, computes what the
// recorded one computes, over a batch that takes several chunks and one
// partial chunk: to 1e-12 in float64, and to 1e-5 in float32, whose
// products may round differently over fewer columns.
func TestConv2dEvaluationInChunks(t *testing.T) {
	for _, tt := range []struct {
		dtype tensor.DType
		tol   float64
	}{{tensor.Float64, 1e-12}, {tensor.Float32, 1e-5}} {
		rng := rand.New(rand.NewPCG(5, 6))
		conv := NewConv2d(rng, 8, 16, [2]int{3, 3}, autograd.Conv2dOptions{Padding: [2]int{1, 1}, Groups: 2})
		To(conv, tt.dtype)
		x := tensor.Normal(rng, 0, 1, 150, 8, 32, 32).To(tt.dtype)
		recorded := conv.Forward(autograd.Param(x)).Value.Float64s()
		evaluated := conv.Forward(autograd.NoGrad(x)).Value.Float64s()
		for i, want := range recorded {
			if got := evaluated[i]; math.Abs(got-want) > tt.tol*max(1, math.Abs(want)) {
				t.Fatalf("%v, element %d: %v evaluated, %v recorded", tt.dtype, i, got, want)
			}
		}
	}
}
