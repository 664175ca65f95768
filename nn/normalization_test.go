package nn

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestLayerNormGradients(t *testing.T) {
	rng := newRNG()
	x := tensor.Normal(rng, 0, 1, 2, 3, 4)
	w := tensor.Uniform(rng, 0.5, 1.5, 3, 4)
	b := tensor.Uniform(rng, -1, 1, 3, 4)
	ln := NewLayerNorm([]int{3, 4}, LayerNormConfig{})
	r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
		ln.Weight, ln.Bias = v[1], v[2]
		return ln.Forward(v[0])
	}, x, w, b)
	if r.MaxError > 1e-6 {
		t.Errorf("LayerNorm: %v", r)
	}
}

// TestLayerNormNormalizes: without the affine, every example comes out
// with mean 0 and biased variance 1 − ε/(var+ε) over the normalized
// dimensions, whatever its scale.
func TestLayerNormNormalizes(t *testing.T) {
	x := tensor.Normal(newRNG(), 3, 50, 5, 8)
	y := NewLayerNorm([]int{8}, LayerNormConfig{ElementwiseAffine: new(false), Eps: 1e-12}).Forward(autograd.Const(x)).Value
	for i := range 5 {
		row := y.Data()[i*8 : (i+1)*8]
		mean, sq := 0.0, 0.0
		for _, v := range row {
			mean += v / 8
			sq += v * v / 8
		}
		if math.Abs(mean) > 1e-12 || math.Abs(sq-1) > 1e-9 {
			t.Errorf("example %d: mean %g, variance %g; want 0 and 1", i, mean, sq)
		}
	}
}

func TestLayerNormStateAndString(t *testing.T) {
	m := NewSequential(NewLinear(newRNG(), 2, 4), NewLayerNorm([]int{4}, LayerNormConfig{}))
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	if want := []string{"0.weight", "0.bias", "1.weight", "1.bias"}; !slices.Equal(names, want) {
		t.Errorf("names %v; want %v", names, want)
	}
	for _, tt := range []struct {
		l    *LayerNorm
		want string
	}{
		{NewLayerNorm([]int{4}, LayerNormConfig{}), "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"},
		{NewLayerNorm([]int{3, 4}, LayerNormConfig{Eps: 1e-3, ElementwiseAffine: new(false)}), "LayerNorm((3, 4), eps=0.001, elementwise_affine=False)"},
	} {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
}

func TestLayerNormErrors(t *testing.T) {
	mustPanic(t, "does not end in the normalized shape [3 4]", func() {
		NewLayerNorm([]int{3, 4}, LayerNormConfig{}).Forward(autograd.Const(tensor.Zeros(2, 4, 3)))
	})
	mustPanic(t, "does not end in the normalized shape [3 4]", func() {
		NewLayerNorm([]int{3, 4}, LayerNormConfig{}).Forward(autograd.Const(tensor.Zeros(4)))
	})
	mustPanic(t, "normalized shape is empty", func() { NewLayerNorm(nil, LayerNormConfig{}) })
	mustPanic(t, "not positive", func() { NewLayerNorm([]int{3, 0}, LayerNormConfig{}) })
	mustPanic(t, "eps is -1", func() { NewLayerNorm([]int{3}, LayerNormConfig{Eps: -1}) })
	defer func() {
		if e, _ := recover().(error); !errors.Is(e, tensor.ErrShape) {
			t.Errorf("a wrong input shape panics with %v; want a tensor.ErrShape", e)
		}
	}()
	NewLayerNorm([]int{3}, LayerNormConfig{}).Forward(autograd.Const(tensor.Zeros(2, 4)))
}

func TestBatchNormStateAndErrors(t *testing.T) {
	bn := NewBatchNorm2d(4, BatchNormConfig{})
	var names []string
	trainable := 0
	for _, p := range bn.Parameters() {
		names = append(names, p.Name)
		if p.Var.RequiresGrad() {
			trainable++
		}
	}
	if want := []string{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}; !slices.Equal(names, want) || trainable != 2 {
		t.Errorf("parameters %v (%d trainable); want %v (2)", names, trainable, want)
	}
	for _, tt := range []struct {
		bn   *BatchNorm
		want string
	}{
		{bn, "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"},
		{NewBatchNorm1d(3, BatchNormConfig{CumulativeAverage: true, Affine: new(false)}), "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, track_running_stats=True)"},
	} {
		if got := tt.bn.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
	mustPanic(t, "BatchNorm2d(4): input of shape [2 3 5 5]; want [batch 4 height width]", func() { bn.Forward(autograd.Const(tensor.Zeros(2, 3, 5, 5))) })
	mustPanic(t, "BatchNorm1d(3): input of shape [2 3 4 5]; want [batch 3] or [batch 3 length]", func() {
		NewBatchNorm1d(3, BatchNormConfig{}).Forward(autograd.Const(tensor.Zeros(2, 3, 4, 5)))
	})
	mustPanic(t, "has 1 value per channel; training needs more than 1", func() { bn.Forward(autograd.Const(tensor.Zeros(1, 4, 1, 1))) })
	bn.Forward(autograd.NoGrad(tensor.Zeros(1, 4, 1, 1))) // evaluation takes a single value
	mustPanic(t, "momentum 2", func() { NewBatchNorm2d(4, BatchNormConfig{Momentum: new(2.0)}) })
	frozen := NewBatchNorm1d(2, BatchNormConfig{Momentum: new(0.0)})
	frozen.Forward(autograd.Const(tensor.New([]float64{1, 2, 3, 5}, 2, 2)))
	if got := frozen.RunningMean.Value.Data(); got[0] != 0 || got[1] != 0 {
		t.Errorf("momentum 0 moved the running mean to %v", got)
	}
}

func TestBatchNormGradients(t *testing.T) {
	rng := newRNG()
	bn := NewBatchNorm2d(3, BatchNormConfig{})
	r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
		bn.Weight, bn.Bias = v[1], v[2]
		return bn.Forward(v[0])
	}, tensor.Normal(rng, 0, 1, 3, 3, 2, 2), tensor.Uniform(rng, 0.5, 1.5, 3), tensor.Normal(rng, 0, 1, 3))
	if r.MaxError > 1e-6 {
		t.Errorf("BatchNorm2d: %v", r)
	}
}

// TestPartialSums checks BatchNorm's channel sums against their stated
// order: rows of one value sum in plain order (so BatchNorm1d's statistics
// are those of a single running sum), and value j of a longer row goes to
// accumulator j mod 4, the four added pairwise.
func TestPartialSums(t *testing.T) {
	rng := newRNG()
	values := tensor.Normal(rng, 0, 1, 103).Data()
	var p partialSums
	plain := 0.0
	for _, v := range values {
		sumInto(&p, []float64{v})
		plain += v
	}
	if got := p.total(); got != plain {
		t.Errorf("rows of one value: total %v, plain sum %v", got, plain)
	}

	for _, length := range []int{1, 3, 4, 7, 13} {
		var sum, squares, products partialSums
		var want, wantSquares, wantProducts [4]float64
		mean, inv := 0.25, 1.5
		for start := 0; start+length <= len(values); start += length {
			row, grad := values[start:start+length], values[len(values)-start-length:len(values)-start]
			sumInto(&sum, row)
			sumSquaredDeviationsInto(&squares, row, mean)
			sumNormalizedProductsInto(&products, grad, row, mean, inv)
			for j, v := range row {
				want[j%4] += v
				wantSquares[j%4] += (v - mean) * (v - mean)
				wantProducts[j%4] += grad[j] * (v - mean) * inv
			}
		}
		pairwise := func(s [4]float64) float64 { return (s[0] + s[1]) + (s[2] + s[3]) }
		if sum.total() != pairwise(want) || squares.total() != pairwise(wantSquares) || products.total() != pairwise(wantProducts) {
			t.Errorf("rows of %d: totals %v %v %v, want %v %v %v", length,
				sum.total(), squares.total(), products.total(), pairwise(want), pairwise(wantSquares), pairwise(wantProducts))
		}
	}
}
