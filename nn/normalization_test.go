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
