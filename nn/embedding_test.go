package nn

import (
	"errors"
	"math"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestEmbeddingGradients(t *testing.T) {
	e := NewEmbedding(newRNG(), 6, 4, EmbeddingConfig{PaddingIdx: new(-2)})
	idx := autograd.Const(tensor.New([]float64{0, 4, 4, 2, 5, 0, 1, 4}, 2, 2, 2))
	// The padding row (4, from −2) gets no gradient although the output
	// depends on it: the finite differences must disagree there, and agree
	// everywhere once there is no padding row.
	r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
		e.Weight = v[0]
		return e.Forward(idx)
	}, tensor.Normal(newRNG(), 0, 1, 6, 4))
	if r.MaxError < 0.5 {
		t.Errorf("the padding row's gradient is not held back: %v", r)
	}
	e.PaddingIdx = nil
	r = autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
		e.Weight = v[0]
		return e.Forward(idx)
	}, tensor.Normal(newRNG(), 0, 1, 6, 4))
	if r.MaxError > 1e-6 {
		t.Errorf("Embedding: %v", r)
	}
}

// TestEmbeddingPassesMode: indices fed as NoGrad (or Eval) evaluate what
// follows the embedding, as they do after any other layer: Dropout passes
// its input through and no graph is recorded.
func TestEmbeddingPassesMode(t *testing.T) {
	rng := newRNG()
	e := NewEmbedding(rng, 5, 8, EmbeddingConfig{})
	model := NewSequential(e, NewDropout(rng, 0.5))
	idx := tensor.New([]float64{0, 3, 4, 1}, 4)
	want := e.Weight.Value.IndexRows([]int{0, 3, 4, 1})
	for name, x := range map[string]*autograd.Var{"NoGrad": autograd.NoGrad(idx), "Eval": autograd.Const(idx).Eval()} {
		out := model.Forward(x)
		if !out.Evaluating() || !tensor.AllClose(out.Value, want, 0, 0) {
			t.Errorf("%s indices: evaluating %v, output %v; want the embedding rows untouched by Dropout", name, out.Evaluating(), out.Value)
		}
	}
	if model.Forward(autograd.NoGrad(idx)).RequiresGrad() {
		t.Error("NoGrad indices recorded a graph through the embedding")
	}
	if out := model.Forward(autograd.Const(idx)); out.Evaluating() || !out.RequiresGrad() {
		t.Error("Const indices: want training mode and a graph to the weights")
	}
}

func TestEmbeddingInit(t *testing.T) {
	e := NewEmbedding(newRNG(), 400, 50, EmbeddingConfig{PaddingIdx: new(-1)})
	if *e.PaddingIdx != 399 {
		t.Errorf("padding index %d; want 399 (−1 from the end)", *e.PaddingIdx)
	}
	w := e.Weight.Value.Data()
	for _, v := range w[399*50:] {
		if v != 0 {
			t.Fatalf("padding row holds %v; want zeros", w[399*50:])
		}
	}
	mean, sq := 0.0, 0.0
	for _, v := range w[:399*50] {
		mean += v
		sq += v * v
	}
	n := float64(399 * 50)
	mean /= n
	std := math.Sqrt(sq/n - mean*mean)
	if math.Abs(mean) > 0.03 || math.Abs(std-1) > 0.03 { // N(0, 1): 4 standard errors
		t.Errorf("weights have mean %.3f and std %.3f; want N(0, 1)", mean, std)
	}
	if got, want := e.String(), "Embedding(400, 50, padding_idx=399)"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	if got, want := NewEmbedding(newRNG(), 3, 2, EmbeddingConfig{}).String(), "Embedding(3, 2)"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

func TestEmbeddingErrors(t *testing.T) {
	e := NewEmbedding(newRNG(), 5, 2, EmbeddingConfig{})
	for _, tt := range []struct {
		idx  []float64
		want string
	}{
		{[]float64{0, 5}, "element 1 of the input is 5; want a whole number in [0, 5)"},
		{[]float64{-1}, "element 0 of the input is -1"},
		{[]float64{1, 2, 0.5}, "element 2 of the input is 0.5"},
		{[]float64{math.NaN()}, "is NaN"},
		{[]float64{math.Inf(1)}, "is +Inf"},
	} {
		mustPanic(t, tt.want, func() { e.Forward(autograd.Const(tensor.New(tt.idx, len(tt.idx)))) })
	}
	mustPanic(t, "padding index 5 is outside [-5, 5)", func() { NewEmbedding(newRNG(), 5, 2, EmbeddingConfig{PaddingIdx: new(5)}) })
	mustPanic(t, "padding index -6", func() { NewEmbedding(newRNG(), 5, 2, EmbeddingConfig{PaddingIdx: new(-6)}) })
	mustPanic(t, "0 embeddings", func() { NewEmbedding(newRNG(), 0, 2, EmbeddingConfig{}) })
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, tensor.ErrIndex) {
			t.Errorf("an index out of range panics with %v; want a tensor.ErrIndex", err)
		}
	}()
	e.Forward(autograd.Const(tensor.New([]float64{7}, 1)))
}
