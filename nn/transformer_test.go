package nn

import (
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestTransformerEncoderLayerGradients(t *testing.T) {
	for _, cfg := range []TransformerEncoderLayerConfig{
		{DimFeedforward: 7, Dropout: new(0.0), BatchFirst: true},
		{DimFeedforward: 7, Dropout: new(0.0), NormFirst: true, Activation: (*autograd.Var).GELU},
	} {
		l := NewTransformerEncoderLayer(newRNG(), 6, 2, cfg)
		masks := AttentionMasks{KeyPaddingMask: PaddingMask([]int{4, 3}, 4), Causal: true}
		x := filled(0.9, 1, 2, 4, 6)
		if !cfg.BatchFirst {
			x = filled(0.9, 1, 4, 2, 6)
		}
		r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var { return l.Encode(v[0], masks) }, x)
		if r.MaxError > 1e-6 {
			t.Errorf("%+v: %v", cfg, r)
		}
	}
}

func TestTransformerEncoderLayerDefaults(t *testing.T) {
	l := NewTransformerEncoderLayer(newRNG(), 8, 2, TransformerEncoderLayerConfig{})
	if l.Linear1.Weight.Value.Dim(0) != 2048 || l.Dropout.P != 0.1 || l.Dropout1.P != 0.1 || l.Dropout2.P != 0.1 || l.SelfAttn.Dropout != 0.1 ||
		l.Norm1.Eps != 1e-5 || l.Norm2.Eps != 1e-5 || l.NormFirst || l.SelfAttn.BatchFirst {
		t.Errorf("defaults: feed-forward %d, dropouts %v %v %v %v, eps %v %v, norm first %v, batch first %v; want PyTorch's 2048, 0.1, 1e-5, false, false",
			l.Linear1.Weight.Value.Dim(0), l.Dropout.P, l.Dropout1.P, l.Dropout2.P, l.SelfAttn.Dropout, l.Norm1.Eps, l.Norm2.Eps, l.NormFirst, l.SelfAttn.BatchFirst)
	}
	x := autograd.Const(tensor.New([]float64{-1, 1}, 1, 2))
	if got := l.Activation(x).Value; !tensor.Equal(got, tensor.New([]float64{0, 1}, 1, 2)) {
		t.Errorf("default activation of [-1 1] is %v; want ReLU's [0 1]", got)
	}
	mustPanic(t, "NewTransformerEncoderLayer: feed-forward width -1, dropout 0.1", func() {
		NewTransformerEncoderLayer(newRNG(), 8, 2, TransformerEncoderLayerConfig{DimFeedforward: -1})
	})
	mustPanic(t, "dropout 2: want a positive width and a probability", func() {
		NewTransformerEncoderLayer(newRNG(), 8, 2, TransformerEncoderLayerConfig{Dropout: new(2.0)})
	})
	mustPanic(t, "NewMultiheadAttention: embedding dimension 8 in 3 heads", func() { NewTransformerEncoderLayer(newRNG(), 8, 3, TransformerEncoderLayerConfig{}) })
	mustPanic(t, "NewTransformerEncoder: 0 layers; want at least 1", func() { NewTransformerEncoder(l, 0, nil) })
}

// TestTransformerEncoderDropoutAndClones checks that the encoder's layers
// start as copies of the layer given, as PyTorch's deep copies do, and
// train apart; and that dropout acts in training only.
func TestTransformerEncoderDropoutAndClones(t *testing.T) {
	layer := NewTransformerEncoderLayer(newRNG(), 6, 2, TransformerEncoderLayerConfig{DimFeedforward: 8, Dropout: new(0.3), BatchFirst: true})
	e := NewTransformerEncoder(layer, 3, nil)
	want := StateOf(layer)
	for i, l := range e.Layers {
		for _, p := range l.Parameters() {
			if w, _ := want.Get(p.Name); !tensor.Equal(p.Var.Value, w) || p.Var.Value == w {
				t.Fatalf("layer %d: %s is not a copy of the layer given", i, p.Name)
			}
		}
	}
	e.Layers[0].Linear1.Weight.Value.Fill(7)
	if e.Layers[1].Linear1.Weight.Value.At(0, 0) == 7 || layer.Linear1.Weight.Value.At(0, 0) == 7 {
		t.Error("the layers share their weights")
	}
	if got := len(e.Parameters()); got != 3*12 {
		t.Errorf("%d parameters; want 36", got)
	}

	x := filled(0.4, 1, 2, 5, 6)
	eval1 := e.Forward(autograd.NoGrad(x)).Value
	eval2 := e.Forward(autograd.Const(x).Eval()).Value
	train1 := e.Forward(autograd.Const(x)).Value
	train2 := e.Forward(autograd.Const(x)).Value
	if !tensor.Equal(eval1, eval2) {
		t.Errorf("evaluation is not deterministic: %v and %v", eval1, eval2)
	}
	if tensor.Equal(train1, train2) || tensor.Equal(train1, eval1) {
		t.Error("training passes with dropout 0.3 are equal to each other or to evaluation")
	}
	for _, l := range e.Layers {
		for _, d := range []*Dropout{l.Dropout, l.Dropout1, l.Dropout2} {
			d.P = 0
		}
		l.SelfAttn.Dropout = 0
	}
	if got := e.Forward(autograd.Const(x)).Value; !tensor.Equal(got, eval1) {
		t.Errorf("training without dropout %v; evaluation %v", got, eval1)
	}
}

// TestTransformerEncoderNames checks the encoder's state-dict names and
// that its layers and final norm are applied in order.
func TestTransformerEncoderNames(t *testing.T) {
	rng := newRNG()
	layer := NewTransformerEncoderLayer(rng, 4, 2, TransformerEncoderLayerConfig{DimFeedforward: 3})
	e := NewTransformerEncoder(layer, 2, NewLayerNorm([]int{4}, LayerNormConfig{}))
	names := StateOf(e).Names()
	for _, want := range []string{"layers.0.self_attn.in_proj_weight", "layers.1.norm2.bias", "norm.weight", "norm.bias"} {
		if !slices.Contains(names, want) {
			t.Errorf("names %v lack %s", names, want)
		}
	}
	x := autograd.NoGrad(filled(0.2, 1, 3, 2, 4))
	want := e.Norm.Forward(e.Layers[1].Forward(e.Layers[0].Forward(x)))
	if got := e.Forward(x); !tensor.Equal(got.Value, want.Value) {
		t.Errorf("Forward %v; the layers in turn give %v", got.Value, want.Value)
	}
}

// TestTransformerConcurrentEvaluation evaluates one encoder from several
// goroutines at once (run with -race): evaluation writes nothing, so all
// get the same result, dropout off.
func TestTransformerConcurrentEvaluation(t *testing.T) {
	layer := NewTransformerEncoderLayer(newRNG(), 8, 2, TransformerEncoderLayerConfig{DimFeedforward: 16, BatchFirst: true})
	e := NewTransformerEncoder(layer, 2, NewLayerNorm([]int{8}, LayerNormConfig{}))
	x := filled(0.6, 1, 3, 5, 8)
	masks := AttentionMasks{KeyPaddingMask: PaddingMask([]int{5, 4, 2}, 5), Causal: true}
	want := e.Encode(autograd.NoGrad(x), masks).Value
	results := make(chan *tensor.Tensor, 4)
	for range 4 {
		go func() { results <- e.Encode(autograd.NoGrad(x), masks).Value }()
	}
	for range 4 {
		if got := <-results; !tensor.Equal(got, want) {
			t.Errorf("a concurrent evaluation gave %v; want %v", got, want)
		}
	}
}
