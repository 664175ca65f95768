package nn

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// TestWrongInputShapes checks that a layer given an input of the wrong
// width panics with an *Error that names the layer and what it wants,
// rather than with the engine's error about a product it was never asked
// for (tensor: MatMulT: [64 16] × [2 15]).
func TestWrongInputShapes(t *testing.T) {
	rng := newRNG()
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"Linear width", func() { NewLinear(rng, 15, 2).Forward(autograd.Const(tensor.Zeros(64, 16))) }, "nn: Linear(15→2): input [64 16]: want 15 features in its last dimension"},
		{"Linear of a scalar", func() { NewLinear(rng, 1, 2).Forward(autograd.Const(tensor.Scalar(1))) }, "Linear(1→2): input []: want 1 features"},
		{"Linear of four dimensions", func() { NewLinear(rng, 3, 2).Forward(autograd.Const(tensor.Zeros(2, 2, 2, 4))) }, "Linear(3→2): input [2 2 2 4]"},
		{"Linear with a bias of the wrong size", func() {
			l := NewLinear(rng, 3, 2)
			l.Bias = autograd.Param(tensor.Zeros(3))
			l.Forward(autograd.Const(tensor.Zeros(1, 3)))
		}, "Linear: weight [2 3] and bias [3]: want [out in] and [out]"},
		{"Conv2d channels", func() {
			NewConv2d(rng, 3, 8, [2]int{3, 3}, autograd.Conv2dOptions{}).Forward(autograd.Const(tensor.Zeros(2, 1, 28, 28)))
		}, "nn: Conv2d(3→8, kernel 3×3): input [2 1 28 28] has 1 channels; want 3"},
		{"Conv2d grouped channels", func() {
			NewConv2d(rng, 4, 8, [2]int{1, 1}, autograd.Conv2dOptions{Groups: 2}).Forward(autograd.Const(tensor.Zeros(2, 2, 5, 5)))
		}, "Conv2d(4→8, kernel 1×1): input [2 2 5 5] has 2 channels; want 4"},
		{"Conv2d of a flat batch", func() {
			NewConv2d(rng, 1, 8, [2]int{3, 3}, autograd.Conv2dOptions{}).Forward(autograd.Const(tensor.Zeros(2, 784)))
		}, "Conv2d(1→8, kernel 3×3): input [2 784]: want [batch 1 height width]"},
		{"BatchNorm2d channels", func() { NewBatchNorm2d(4, BatchNormConfig{}).Forward(autograd.Const(tensor.Zeros(2, 3, 5, 5))) }, "nn: BatchNorm2d(4): input of shape [2 3 5 5]; want [batch 4 height width]"},
		{"LayerNorm", func() { NewLayerNorm([]int{8}, LayerNormConfig{}).Forward(autograd.Const(tensor.Zeros(2, 7))) }, "nn: LayerNorm: input of shape [2 7] does not end in the normalized shape [8]"},
		{"Embedding output beyond MaxElements", func() {
			NewEmbedding(rng, 3, 1<<20, EmbeddingConfig{}).Forward(autograd.Const(tensor.Zeros(1 << 21)))
		}, "nn: Embedding: input [2097152] of 2097152 indices with rows of 1048576 would give more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				e, ok := r.(*Error)
				if !ok || !errors.Is(e, tensor.ErrShape) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v (%T); want an *nn.Error of kind ErrShape containing %q", r, r, tt.want)
				}
			}()
			tt.f()
		})
	}
}

// TestLinearLeadingDimensions: Linear takes any number of leading
// dimensions, as torch.nn.Linear, with the same values and gradients as
// the rows one by one.
func TestLinearLeadingDimensions(t *testing.T) {
	rng := newRNG()
	l := NewLinear(rng, 3, 2)
	x := tensor.Normal(rng, 0, 1, 2, 2, 2, 3)
	for _, shape := range [][]int{{3}, {1, 3}, {4, 3}, {2, 2, 3}, {2, 2, 2, 3}} {
		in := x.Reshape(-1, 3).Rows(0, tensorRows(shape)).Reshape(shape...)
		got := l.Forward(autograd.Const(in)).Value
		want := l.Forward(autograd.Const(in.Reshape(-1, 3))).Value
		wantShape := append(slices.Clone(shape[:len(shape)-1]), 2)
		if !slices.Equal(got.Shape(), wantShape) || !tensor.Equal(got.Reshape(-1, 2), want) {
			t.Errorf("input %v: output %v, want %v equal to the rows'", shape, got.Shape(), wantShape)
		}
	}
	r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
		return (&Linear{Weight: v[1], Bias: v[2]}).Forward(v[0])
	}, tensor.Normal(rng, 0, 1, 2, 1, 2, 3), l.Weight.Value, l.Bias.Value)
	if r.MaxError > 1e-6 {
		t.Errorf("Linear on [2 1 2 3]: %v", r)
	}
}

func tensorRows(shape []int) int {
	n := 1
	for _, d := range shape[:len(shape)-1] {
		n *= d
	}
	return n
}

// TestBatchNormEmptyBatch: an empty batch gives an empty output and zero
// gradients; training counts the batch and leaves the statistics, as
// PyTorch 1.13 does.
func TestBatchNormEmptyBatch(t *testing.T) {
	bn := NewBatchNorm2d(3, BatchNormConfig{})
	out := bn.Forward(autograd.Const(tensor.Zeros(0, 3, 4, 4)))
	if !slices.Equal(out.Shape(), []int{0, 3, 4, 4}) {
		t.Fatalf("output %v", out.Shape())
	}
	out.Sum().Backward()
	if !tensor.Equal(bn.Weight.Grad, tensor.Zeros(3)) || !tensor.Equal(bn.Bias.Grad, tensor.Zeros(3)) {
		t.Errorf("gradients %v %v; want zeros", bn.Weight.Grad, bn.Bias.Grad)
	}
	if bn.NumBatchesTracked.Item() != 1 || !tensor.Equal(bn.RunningMean.Value, tensor.Zeros(3)) || !tensor.Equal(bn.RunningVar.Value, tensor.Ones(3)) {
		t.Errorf("after an empty batch: %v batches, mean %v, var %v", bn.NumBatchesTracked.Item(), bn.RunningMean.Value, bn.RunningVar.Value)
	}
	if got := bn.Forward(autograd.NoGrad(tensor.Zeros(2, 3, 0, 4))).Shape(); !slices.Equal(got, []int{2, 3, 0, 4}) || bn.NumBatchesTracked.Item() != 1 {
		t.Errorf("evaluating an empty plane: output %v, %v batches", got, bn.NumBatchesTracked.Item())
	}
}
