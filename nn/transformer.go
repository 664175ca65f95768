package nn

import (
	"cmp"
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/autograd"
)

// TransformerEncoderLayer is self-attention followed by a feed-forward
// network, each with a residual connection and layer normalization, as
// torch.nn.TransformerEncoderLayer:
//
//	x = Norm1(x + Dropout1(SelfAttn(x)))             // NormFirst false, PyTorch's default
//	x = Norm2(x + Dropout2(Linear2(Dropout(Activation(Linear1(x))))))
//
// or, with NormFirst, x = x + Dropout1(SelfAttn(Norm1(x))) and likewise.
// Inputs are [L N E], or [N L E] when SelfAttn.BatchFirst, or [L E]
// unbatched. The parameters have PyTorch's names and order
// (self_attn.in_proj_weight, …, linear1.weight, …, norm2.bias), so state
// dicts cross both ways. The dropouts are on in training mode only (see
// Dropout) and draw from the layer's *rand.Rand.
type TransformerEncoderLayer struct {
	// The parts, in the order PyTorch prints them.
	SelfAttn           *MultiheadAttention
	Linear1            *Linear
	Dropout            *Dropout
	Linear2            *Linear
	Norm1, Norm2       *LayerNorm
	Dropout1, Dropout2 *Dropout
	// Activation is applied after Linear1: ReLU by default, as PyTorch's.
	Activation func(*autograd.Var) *autograd.Var
	NormFirst  bool
}

// TransformerEncoderLayerConfig holds TransformerEncoderLayer's options;
// the zero value is PyTorch's default.
type TransformerEncoderLayerConfig struct {
	// DimFeedforward is the width of the feed-forward network; 0 means
	// PyTorch's 2048.
	DimFeedforward int
	// Dropout is the probability of every dropout in the layer, the
	// attention weights' included; nil means PyTorch's 0.1.
	Dropout *float64
	// Activation follows Linear1; nil means ReLU. PyTorch's "gelu" is
	// (*autograd.Var).GELU.
	Activation func(*autograd.Var) *autograd.Var
	// LayerNormEps is the normalizations' ε; 0 means PyTorch's 1e-5.
	LayerNormEps float64
	// BatchFirst takes and gives [N L E] rather than [L N E].
	BatchFirst bool
	// NormFirst normalizes before the attention and the feed-forward
	// network rather than after the residual sums (pre-LN).
	NormFirst bool
}

// NewTransformerEncoderLayer returns an encoder layer over embeddings of
// dModel features with nhead attention heads, initialized as PyTorch
// initializes its parts (see NewMultiheadAttention, NewLinear and
// NewLayerNorm).
func NewTransformerEncoderLayer(rng *rand.Rand, dModel, nhead int, cfg TransformerEncoderLayerConfig) *TransformerEncoderLayer {
	ff := cmp.Or(cfg.DimFeedforward, 2048)
	p := 0.1
	if cfg.Dropout != nil {
		p = *cfg.Dropout
	}
	if ff < 0 || !(p >= 0 && p <= 1) {
		panic(&Error{Op: "NewTransformerEncoderLayer", Detail: fmt.Sprintf("feed-forward width %d, dropout %v: want a positive width and a probability", cfg.DimFeedforward, p)})
	}
	l := &TransformerEncoderLayer{
		SelfAttn:   NewMultiheadAttention(rng, dModel, nhead, MultiheadAttentionConfig{Dropout: p, BatchFirst: cfg.BatchFirst}),
		Linear1:    NewLinear(rng, dModel, ff),
		Dropout:    NewDropout(rng, p),
		Linear2:    NewLinear(rng, ff, dModel),
		Norm1:      NewLayerNorm([]int{dModel}, LayerNormConfig{Eps: cfg.LayerNormEps}),
		Norm2:      NewLayerNorm([]int{dModel}, LayerNormConfig{Eps: cfg.LayerNormEps}),
		Dropout1:   NewDropout(rng, p),
		Dropout2:   NewDropout(rng, p),
		Activation: cfg.Activation,
		NormFirst:  cfg.NormFirst,
	}
	if l.Activation == nil {
		l.Activation = (*autograd.Var).ReLU
	}
	return l
}

// Forward encodes x without masks: Encode(x, AttentionMasks{}).
func (l *TransformerEncoderLayer) Forward(x *autograd.Var) *autograd.Var {
	return l.Encode(x, AttentionMasks{})
}

// Encode encodes src, its self-attention under masks (PyTorch's src_mask
// is AttnMask and src_key_padding_mask is KeyPaddingMask).
func (l *TransformerEncoderLayer) Encode(src *autograd.Var, masks AttentionMasks) *autograd.Var {
	attend := func(x *autograd.Var) *autograd.Var {
		out, _ := l.SelfAttn.Attend(x, x, x, masks)
		return l.Dropout1.Forward(out)
	}
	feed := func(x *autograd.Var) *autograd.Var {
		return l.Dropout2.Forward(l.Linear2.Forward(l.Dropout.Forward(l.Activation(l.Linear1.Forward(x)))))
	}
	x := src
	if l.NormFirst {
		x = x.Add(attend(l.Norm1.Forward(x)))
		return x.Add(feed(l.Norm2.Forward(x)))
	}
	x = l.Norm1.Forward(x.Add(attend(x)))
	return l.Norm2.Forward(x.Add(feed(x)))
}

// Parameters returns the parameters of self_attn, linear1, linear2, norm1
// and norm2, in PyTorch's order.
func (l *TransformerEncoderLayer) Parameters() []Param {
	return JoinParameters("self_attn", l.SelfAttn, "linear1", l.Linear1, "linear2", l.Linear2, "norm1", l.Norm1, "norm2", l.Norm2)
}

// String describes the layer as PyTorch prints it.
func (l *TransformerEncoderLayer) String() string { return reprOf(l) }

// clone returns a copy of l with parameters of its own, as PyTorch's
// copy.deepcopy makes the layers of a TransformerEncoder. The dropouts
// draw from l's *rand.Rand.
func (l *TransformerEncoderLayer) clone() *TransformerEncoderLayer {
	c := *l
	a := *l.SelfAttn
	c.SelfAttn = &a
	for _, v := range []**autograd.Var{
		&a.InProjWeight, &a.QProjWeight, &a.KProjWeight, &a.VProjWeight, &a.InProjBias,
	} {
		*v = cloneParam(*v)
	}
	a.OutProj = &Linear{Weight: cloneParam(a.OutProj.Weight), Bias: cloneParam(a.OutProj.Bias)}
	c.Linear1 = &Linear{Weight: cloneParam(l.Linear1.Weight), Bias: cloneParam(l.Linear1.Bias)}
	c.Linear2 = &Linear{Weight: cloneParam(l.Linear2.Weight), Bias: cloneParam(l.Linear2.Bias)}
	for _, n := range []**LayerNorm{&c.Norm1, &c.Norm2} {
		ln := **n
		ln.Weight, ln.Bias = cloneParam(ln.Weight), cloneParam(ln.Bias)
		*n = &ln
	}
	for _, d := range []**Dropout{&c.Dropout, &c.Dropout1, &c.Dropout2} {
		dc := **d
		*d = &dc
	}
	return &c
}

// cloneParam returns a Param holding a copy of v's value, or nil for nil.
func cloneParam(v *autograd.Var) *autograd.Var {
	if v == nil {
		return nil
	}
	return autograd.Param(v.Value.Clone())
}

// TransformerEncoder is a stack of encoder layers and an optional final
// normalization, as torch.nn.TransformerEncoder. Its parameters are named
// "layers.0.self_attn.in_proj_weight", …, "norm.weight", as PyTorch names
// them.
type TransformerEncoder struct {
	Layers []*TransformerEncoderLayer
	Norm   *LayerNorm // nil for none
}

// NewTransformerEncoder returns a stack of numLayers copies of layer, each
// with parameters of its own that start equal to layer's, as PyTorch
// clones its encoder_layer, followed by norm (nil for none).
func NewTransformerEncoder(layer *TransformerEncoderLayer, numLayers int, norm *LayerNorm) *TransformerEncoder {
	if numLayers < 1 {
		panic(&Error{Op: "NewTransformerEncoder", Detail: fmt.Sprintf("%d layers; want at least 1", numLayers)})
	}
	e := &TransformerEncoder{Norm: norm}
	for range numLayers {
		e.Layers = append(e.Layers, layer.clone())
	}
	return e
}

// Forward encodes x without masks: Encode(x, AttentionMasks{}).
func (e *TransformerEncoder) Forward(x *autograd.Var) *autograd.Var {
	return e.Encode(x, AttentionMasks{})
}

// Encode passes src through the layers in turn, each under masks, and then
// through Norm.
func (e *TransformerEncoder) Encode(src *autograd.Var, masks AttentionMasks) *autograd.Var {
	x := src
	for _, l := range e.Layers {
		x = l.Encode(x, masks)
	}
	if e.Norm != nil {
		x = e.Norm.Forward(x)
	}
	return x
}

// Parameters returns the layers' parameters, "layers.0.…" first, named
// as a ModuleList names them, then the final normalization's,
// "norm.weight" and "norm.bias".
func (e *TransformerEncoder) Parameters() []Param {
	layers := make(ModuleList, len(e.Layers))
	for i, l := range e.Layers {
		layers[i] = l
	}
	args := []any{"layers", layers}
	if e.Norm != nil {
		args = append(args, "norm", e.Norm)
	}
	return JoinParameters(args...)
}

// String describes the encoder as PyTorch prints it.
func (e *TransformerEncoder) String() string { return reprOf(e) }
