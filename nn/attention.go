package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// MultiheadAttention is multi-head scaled dot-product attention, as
// torch.nn.MultiheadAttention: the query, key and value are projected
// (InProjWeight, InProjBias), split into NumHeads heads of E/NumHeads
// features, each head attends with softmax(q·kᵀ/√(E/NumHeads) + mask)·v,
// and the heads, joined again, go through OutProj.
//
// Inputs are [L N E] (sequence first, PyTorch's default) or, with
// BatchFirst, [N L E]; a 2-D input [L E] is one unbatched sequence. L is
// the query's length and S the key's and value's. The parameters have
// PyTorch's names, shapes and order: in_proj_weight [3E E] (the query's,
// key's and value's projections stacked), in_proj_bias [3E],
// out_proj.weight and out_proj.bias; a layer whose keys or values have
// other widths (KDim, VDim) has q_proj_weight [E E], k_proj_weight [E KDim]
// and v_proj_weight [E VDim] in place of in_proj_weight, as in PyTorch.
//
// In training mode, a Dropout > 0 zeroes attention weights (after the
// softmax) with that probability, scaling the others; in evaluation mode
// (see Dropout) it does nothing. Training draws from the layer's own
// *rand.Rand, so the layer must not train in several goroutines at once;
// evaluation writes nothing. PyTorch's add_bias_kv and add_zero_attn are
// not provided.
type MultiheadAttention struct {
	InProjWeight                          *autograd.Var // [3E E], or nil with separate projections
	QProjWeight, KProjWeight, VProjWeight *autograd.Var // nil unless KDim or VDim differ from E
	InProjBias                            *autograd.Var // [3E], or nil without biases
	OutProj                               *Linear
	NumHeads                              int
	BatchFirst                            bool
	Dropout                               float64 // the probability of zeroing an attention weight in training
	rng                                   *rand.Rand
}

// MultiheadAttentionConfig holds MultiheadAttention's options; the zero
// value is PyTorch's default.
type MultiheadAttentionConfig struct {
	// Dropout is the probability of zeroing an attention weight in
	// training, PyTorch's dropout; 0 (the default) turns it off.
	Dropout float64
	// Bias, if set to false, leaves out the projections' biases; nil means
	// true.
	Bias *bool
	// KDim and VDim are the widths of the keys and values; 0 means the
	// embedding dimension E.
	KDim, VDim int
	// BatchFirst takes and gives [N L E] rather than PyTorch's default
	// [L N E].
	BatchFirst bool
}

// NewMultiheadAttention returns attention over embeddings of embedDim
// features in numHeads heads (embedDim must be a multiple of numHeads),
// initialized as PyTorch does: the input projections from Xavier-uniform
// over the stacked [3E E] weight (or each of the separate ones), the
// output projection as a Linear layer's, and both biases zero.
func NewMultiheadAttention(rng *rand.Rand, embedDim, numHeads int, cfg MultiheadAttentionConfig) *MultiheadAttention {
	kdim, vdim := cfg.KDim, cfg.VDim
	if kdim == 0 {
		kdim = embedDim
	}
	if vdim == 0 {
		vdim = embedDim
	}
	switch {
	case embedDim <= 0 || numHeads <= 0 || kdim < 0 || vdim < 0:
		panic(&Error{Op: "NewMultiheadAttention", Detail: fmt.Sprintf("embedding dimension %d, %d heads, key and value widths %d and %d: want positive sizes", embedDim, numHeads, cfg.KDim, cfg.VDim)})
	case embedDim%numHeads != 0:
		panic(&Error{Op: "NewMultiheadAttention", Detail: fmt.Sprintf("embedding dimension %d in %d heads: want a multiple of the heads", embedDim, numHeads)})
	case !(cfg.Dropout >= 0 && cfg.Dropout <= 1):
		panic(&Error{Op: "NewMultiheadAttention", Detail: fmt.Sprintf("dropout %v outside [0, 1]", cfg.Dropout)})
	}
	checkParamSize("NewMultiheadAttention", "weight", 3*embedDim, max(embedDim, kdim, vdim))
	m := &MultiheadAttention{NumHeads: numHeads, BatchFirst: cfg.BatchFirst, Dropout: cfg.Dropout, rng: rng}
	xavier := func(rows, cols int) *autograd.Var {
		w := tensor.Zeros(rows, cols)
		XavierUniform(1)(rng, w)
		return autograd.Param(w)
	}
	if kdim == embedDim && vdim == embedDim {
		m.InProjWeight = xavier(3*embedDim, embedDim)
	} else {
		m.QProjWeight, m.KProjWeight, m.VProjWeight = xavier(embedDim, embedDim), xavier(embedDim, kdim), xavier(embedDim, vdim)
	}
	m.OutProj = NewLinear(rng, embedDim, embedDim)
	if cfg.Bias == nil || *cfg.Bias {
		m.InProjBias = autograd.Param(tensor.Zeros(3 * embedDim))
		m.OutProj.Bias.Value.Fill(0)
	} else {
		m.OutProj.Bias = nil
	}
	return m
}

// AttentionMasks say which keys each query may attend to, as
// torch.nn.MultiheadAttention's masks do. The masks are float tensors
// added to the attention scores before the softmax: 0 lets a score be,
// −Inf forbids it, and any other value biases it, as PyTorch's float
// masks; PyTorch's boolean masks (true forbids) are BoolMask of them, as
// PyTorch converts them. A mask may be float64 or float32 whatever the
// layer's dtype: each is converted to the query's dtype before they add
// up, so a key forbidden by one is forbidden. A query whose keys are all forbidden has NaN attention
// weights and output, as in PyTorch 1.13: no average of nothing exists,
// and a NaN is seen (TerminateOnNaN stops on it) where a zero would hide
// the mistake.
type AttentionMasks struct {
	// AttnMask is [L S], the same for every sequence and head, or
	// [N·heads L S], one per sequence and head (sequence-major, as
	// PyTorch's); for an unbatched input, [L S] or [heads L S]. CausalMask
	// makes the usual one.
	AttnMask *tensor.Tensor
	// KeyPaddingMask is [N S] ([S] unbatched): a value per key of each
	// sequence, −Inf for padding. PaddingMask makes it from lengths.
	KeyPaddingMask *tensor.Tensor
	// Causal forbids each query i the keys j > i, as CausalMask(L) does
	// (PyTorch 2's is_causal, which PyTorch 1.13 has not).
	Causal bool
}

// CausalMask returns the [n n] mask that lets position i attend to
// positions 0 … i only: 0 on and below the diagonal, −Inf above, as
// torch.nn.Transformer.generate_square_subsequent_mask.
func CausalMask(n int) *tensor.Tensor {
	m := tensor.Zeros(n, n)
	addCausal(m.Data(), n, n)
	return m
}

// addCausal forbids query i of l the keys j > i of s in the [l s] mask m.
func addCausal(m []float64, l, s int) {
	for i := range l {
		for j := i + 1; j < s; j++ {
			m[i*s+j] = math.Inf(-1)
		}
	}
}

// PaddingMask returns the key padding mask [N s] of sequences of the given
// lengths padded to s: 0 for the first lengths[i] positions of sequence
// i, −Inf after them.
func PaddingMask(lengths []int, s int) *tensor.Tensor {
	m := tensor.Zeros(len(lengths), s)
	for i, n := range lengths {
		if n < 0 || n > s {
			panic(&Error{Op: "PaddingMask", Kind: tensor.ErrIndex, Detail: fmt.Sprintf("sequence %d has length %d; want one in [0, %d]", i, n, s)})
		}
		row := m.Data()[i*s : (i+1)*s]
		for j := n; j < s; j++ {
			row[j] = math.Inf(-1)
		}
	}
	return m
}

// BoolMask returns the float mask of the given shape that PyTorch makes of
// a boolean one: −Inf where masked is true (a forbidden position), 0
// elsewhere. masked is in row-major order.
func BoolMask(masked []bool, shape ...int) *tensor.Tensor {
	m := tensor.Zeros(shape...)
	if len(masked) != m.Size() {
		panic(&Error{Op: "BoolMask", Kind: tensor.ErrShape, Detail: fmt.Sprintf("%d values for shape %v of %d elements", len(masked), shape, m.Size())})
	}
	for i, f := range masked {
		if f {
			m.Data()[i] = math.Inf(-1)
		}
	}
	return m
}

// Forward returns the self-attention of x, unmasked: Attend(x, x, x).
func (m *MultiheadAttention) Forward(x *autograd.Var) *autograd.Var {
	out, _ := m.Attend(x, x, x, AttentionMasks{})
	return out
}

// Attend returns the attention of query to key and value under masks, in
// the layout of the inputs, and the attention weights of every head, [N
// heads L S] ([heads L S] unbatched) whatever the layout, after dropout.
// PyTorch returns the weights averaged over the heads by default
// (average_attn_weights=True): that is weights.Mean(1) (Mean(0)
// unbatched); weights that are not used cost nothing
// (need_weights=False). The inputs have the dtype of the layer's weights
// (see To); the masks may have either (see AttentionMasks). Shapes or
// dtypes that do not fit the layer panic with an *Error naming the layer
// and what it wants.
func (m *MultiheadAttention) Attend(query, key, value *autograd.Var, masks AttentionMasks) (out, weights *autograd.Var) {
	e := m.OutProj.Weight.Value.Dim(0)
	h := m.NumHeads
	d := e / h
	batched := query.Value.Dims() == 3
	q, k, v := m.batchFirst(query, key, value, batched)
	m.checkDTypes(query, key, value)
	n, l, s := q.Value.Dim(0), q.Value.Dim(1), k.Value.Dim(1)
	mask := m.mask(masks, batched, n, l, s, q.Value.DType())

	wq, wk, wv := m.QProjWeight, m.KProjWeight, m.VProjWeight
	if m.InProjWeight != nil {
		wq, wk, wv = m.InProjWeight.Slice(0, 0, e), m.InProjWeight.Slice(0, e, 2*e), m.InProjWeight.Slice(0, 2*e, 3*e)
	}
	var bq, bk, bv *autograd.Var
	if m.InProjBias != nil {
		bq, bk, bv = m.InProjBias.Slice(0, 0, e), m.InProjBias.Slice(0, e, 2*e), m.InProjBias.Slice(0, 2*e, 3*e)
	}
	// The projections [N L E] hold the heads side by side, which the
	// per-head products read in place.
	qh := q.Linear(wq, bq).MulScalar(1 / math.Sqrt(float64(d)))
	kh, vh := k.Linear(wk, bk), v.Linear(wv, bv)
	scores := qh.HeadsMatMulT(kh, h) // [N heads L S]
	weights = (&Dropout{P: m.Dropout, rng: m.rng}).Forward(scores.MaskedSoftmax(mask))
	out = weights.HeadsMatMul(vh, h).Linear(m.OutProj.Weight, m.OutProj.Bias)
	switch {
	case !batched:
		return out.Reshape(l, e), weights.Reshape(h, l, s)
	case !m.BatchFirst:
		return out.Permute(1, 0, 2), weights
	}
	return out, weights
}

// batchFirst checks the inputs' shapes and returns them as [N L E], [N S
// KDim] and [N S VDim].
func (m *MultiheadAttention) batchFirst(query, key, value *autograd.Var, batched bool) (q, k, v *autograd.Var) {
	e := m.OutProj.Weight.Value.Dim(0)
	kdim, vdim := e, e
	if m.InProjWeight == nil {
		kdim, vdim = m.KProjWeight.Value.Dim(1), m.VProjWeight.Value.Dim(1)
	}
	qs, ks, vs := query.Value.Shape(), key.Value.Shape(), value.Value.Shape()
	layout, batchAxis := "[L N E]", 1
	if m.BatchFirst {
		layout, batchAxis = "[N L E]", 0
	}
	fail := func(format string, args ...any) {
		panic(&Error{Op: m.name(), Kind: tensor.ErrShape, Detail: fmt.Sprintf("query %v, key %v, value %v: ", qs, ks, vs) + fmt.Sprintf(format, args...)})
	}
	dims := len(qs)
	switch {
	case dims != 2 && dims != 3:
		fail("want %s, or [L E] unbatched", layout)
	case len(ks) != dims || len(vs) != dims:
		fail("want the key and value to have the query's %d dimensions", dims)
	case qs[dims-1] != e || ks[dims-1] != kdim || vs[dims-1] != vdim:
		fail("want %d, %d and %d features", e, kdim, vdim)
	case !slices.Equal(ks[:dims-1], vs[:dims-1]):
		fail("want the key's and value's sequences of one length (and batch)")
	case batched && qs[batchAxis] != ks[batchAxis]:
		fail("want the query's batch size in the key's and value's (layout %s)", layout)
	}
	switch {
	case !batched:
		return query.Reshape(1, qs[0], e), key.Reshape(1, ks[0], kdim), value.Reshape(1, vs[0], vdim)
	case m.BatchFirst:
		return query, key, value
	}
	// Sequence first: permute each distinct input once.
	q = query.Permute(1, 0, 2)
	k, v = q, q
	if key != query {
		k = key.Permute(1, 0, 2)
	}
	if value == key {
		v = k
	} else if value != query {
		v = value.Permute(1, 0, 2)
	}
	return q, k, v
}

// checkDTypes panics, naming the input at fault, unless the query, key
// and value have the dtype of the layer's weights, the dtype it computes
// in.
func (m *MultiheadAttention) checkDTypes(query, key, value *autograd.Var) {
	want := m.OutProj.Weight.Value.DType()
	for _, in := range []struct {
		name string
		v    *autograd.Var
	}{{"query", query}, {"key", key}, {"value", value}} {
		if d := in.v.Value.DType(); d != want {
			panic(&Error{Op: m.name(), Kind: tensor.ErrDType, Detail: fmt.Sprintf("the %s is %v but the weights are %v: convert it with To(%s), or the model with nn.To", in.name, d, want, dtypeConstant(want))})
		}
	}
}

// mask checks the masks and returns their sum in a shape that broadcasts
// to the scores [N heads L S] and in their dtype, or nil if there is none.
// Each mask is converted to dtype before they are added, as PyTorch adds
// a boolean mask converted to the query's dtype: 0 and −Inf convert
// exactly, so a float32 model takes the float64 masks that CausalMask,
// PaddingMask and BoolMask make.
func (m *MultiheadAttention) mask(masks AttentionMasks, batched bool, n, l, s int, dtype tensor.DType) *tensor.Tensor {
	h := m.NumHeads
	fail := func(what string, t *tensor.Tensor, want string) {
		panic(&Error{Op: m.name(), Kind: tensor.ErrShape, Detail: fmt.Sprintf("%s %v for a query of length %d and keys of length %d: want %s", what, t.Shape(), l, s, want)})
	}
	var sum *tensor.Tensor
	add := func(t *tensor.Tensor) {
		t = t.To(dtype)
		if sum == nil {
			sum = t
		} else {
			sum = sum.Add(t)
		}
	}
	if a := masks.AttnMask; a != nil {
		perHead := fmt.Sprintf("[%d %d %d]", n*h, l, s)
		if !batched {
			perHead = fmt.Sprintf("[%d %d %d]", h, l, s)
		}
		switch {
		case slices.Equal(a.Shape(), []int{l, s}):
			add(a.Reshape(1, 1, l, s))
		case slices.Equal(a.Shape(), []int{n * h, l, s}):
			add(a.Reshape(n, h, l, s))
		default:
			fail("attention mask", a, fmt.Sprintf("[%d %d] or %s (sequences × heads, L, S)", l, s, perHead))
		}
	}
	if p := masks.KeyPaddingMask; p != nil {
		want := []int{n, s}
		if !batched {
			want = []int{s}
		}
		if !slices.Equal(p.Shape(), want) {
			fail("key padding mask", p, fmt.Sprint(want))
		}
		add(p.Reshape(n, 1, 1, s))
	}
	if masks.Causal {
		c := tensor.Zeros(1, 1, l, s)
		addCausal(c.Data(), l, s)
		add(c)
	}
	return sum
}

// name is the layer as errors name it.
func (m *MultiheadAttention) name() string {
	return fmt.Sprintf("MultiheadAttention(embed_dim=%d, num_heads=%d)", m.OutProj.Weight.Value.Dim(0), m.NumHeads)
}

// Parameters returns, in PyTorch's order, "in_proj_weight" (or
// "q_proj_weight", "k_proj_weight" and "v_proj_weight"), "in_proj_bias"
// if present, and the output projection's "out_proj.weight" and
// "out_proj.bias".
func (m *MultiheadAttention) Parameters() []Param {
	var ps []Param
	if m.InProjWeight != nil {
		ps = append(ps, Param{Name: "in_proj_weight", Var: m.InProjWeight})
	} else {
		ps = append(ps, Param{Name: "q_proj_weight", Var: m.QProjWeight}, Param{Name: "k_proj_weight", Var: m.KProjWeight}, Param{Name: "v_proj_weight", Var: m.VProjWeight})
	}
	if m.InProjBias != nil {
		ps = append(ps, Param{Name: "in_proj_bias", Var: m.InProjBias})
	}
	return append(ps, JoinParameters("out_proj", m.OutProj)...)
}

// String describes the layer as PyTorch prints it.
func (m *MultiheadAttention) String() string {
	e := m.OutProj.Weight.Value.Dim(0)
	return fmt.Sprintf("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=%d, out_features=%d, bias=%s)\n)", e, e, pyBool(m.OutProj.Bias != nil))
}
