package nn

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestMultiheadAttentionInitAndNames(t *testing.T) {
	m := NewMultiheadAttention(newRNG(), 16, 4, MultiheadAttentionConfig{})
	// xavier_uniform over [3E E]: fan-in E, fan-out 3E.
	bound := math.Sqrt(6.0 / (16 + 48))
	maxIn := 0.0
	for _, v := range m.InProjWeight.Value.Data() {
		maxIn = max(maxIn, math.Abs(v))
	}
	maxOut := 0.0
	for _, v := range m.OutProj.Weight.Value.Data() {
		maxOut = max(maxOut, math.Abs(v))
	}
	// 768 and 256 draws reach past 0.95 of their bounds with near certainty.
	if maxIn > bound || maxIn < 0.95*bound || maxOut > 0.25 || maxOut < 0.95*0.25 {
		t.Errorf("largest |in_proj_weight| %.4f, |out_proj.weight| %.4f; want U(±%.4f) and U(±0.25)", maxIn, maxOut, bound)
	}
	if !tensor.Equal(m.InProjBias.Value, tensor.Zeros(48)) || !tensor.Equal(m.OutProj.Bias.Value, tensor.Zeros(16)) {
		t.Errorf("biases %v and %v; want zeros", m.InProjBias.Value, m.OutProj.Bias.Value)
	}
	for _, tt := range []struct {
		m     *MultiheadAttention
		names []string
		shape [][]int
	}{
		{m, []string{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}, [][]int{{48, 16}, {48}, {16, 16}, {16}}},
		{NewMultiheadAttention(newRNG(), 8, 2, MultiheadAttentionConfig{Bias: new(false)}), []string{"in_proj_weight", "out_proj.weight"}, [][]int{{24, 8}, {8, 8}}},
		{NewMultiheadAttention(newRNG(), 8, 2, MultiheadAttentionConfig{KDim: 3, VDim: 5}),
			[]string{"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}, [][]int{{8, 8}, {8, 3}, {8, 5}, {24}, {8, 8}, {8}}},
		{NewMultiheadAttention(newRNG(), 8, 2, MultiheadAttentionConfig{VDim: 5}),
			[]string{"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"}, [][]int{{8, 8}, {8, 8}, {8, 5}, {24}, {8, 8}, {8}}},
	} {
		var names []string
		var shapes [][]int
		for _, p := range tt.m.Parameters() {
			names, shapes = append(names, p.Name), append(shapes, p.Var.Value.Shape())
		}
		if !slices.Equal(names, tt.names) || !slices.EqualFunc(shapes, tt.shape, slices.Equal) {
			t.Errorf("parameters %v %v; want PyTorch's %v %v", names, shapes, tt.names, tt.shape)
		}
	}
	// As PyTorch 1.13 prints it (testdata/torch_transformer.py).
	want := "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=16, out_features=16, bias=True)\n)"
	if got := m.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

func TestAttentionMasks(t *testing.T) {
	inf := math.Inf(-1)
	// torch.nn.Transformer.generate_square_subsequent_mask(4), printed by
	// testdata/torch_attention.py.
	if want := tensor.New([]float64{0, inf, inf, inf, 0, 0, inf, inf, 0, 0, 0, inf, 0, 0, 0, 0}, 4, 4); !tensor.Equal(CausalMask(4), want) {
		t.Errorf("CausalMask(4) = %v; want %v", CausalMask(4), want)
	}
	if want := tensor.New([]float64{0, 0, inf, inf, inf, inf}, 2, 3); !tensor.Equal(PaddingMask([]int{2, 0}, 3), want) {
		t.Errorf("PaddingMask = %v; want %v", PaddingMask([]int{2, 0}, 3), want)
	}
	if want := tensor.New([]float64{inf, 0, 0, inf}, 2, 2); !tensor.Equal(BoolMask([]bool{true, false, false, true}, 2, 2), want) {
		t.Errorf("BoolMask = %v; want %v", BoolMask([]bool{true, false, false, true}, 2, 2), want)
	}
	mustPanic(t, "PaddingMask: sequence 1 has length 4; want one in [0, 3]", func() { PaddingMask([]int{1, 4}, 3) })
	mustPanic(t, "BoolMask: 3 values for shape [2 2] of 4 elements", func() { BoolMask([]bool{true, true, false}, 2, 2) })

	// Causal is the causal mask, for self-attention and for a query
	// shorter and longer than the keys (keys j > i forbidden).
	m := NewMultiheadAttention(newRNG(), 6, 2, MultiheadAttentionConfig{BatchFirst: true})
	for _, s := range []int{5, 3, 7} {
		x, kv := autograd.Const(filled(0.3, 1, 2, 5, 6)), autograd.Const(filled(0.8, 1, 2, s, 6))
		explicit := tensor.Zeros(5, s)
		for i := range 5 {
			for j := i + 1; j < s; j++ {
				explicit.Set(inf, i, j)
			}
		}
		got, gw := m.Attend(x, kv, kv, AttentionMasks{Causal: true})
		want, ww := m.Attend(x, kv, kv, AttentionMasks{AttnMask: explicit})
		if !tensor.Equal(got.Value, want.Value) || !tensor.Equal(gw.Value, ww.Value) {
			t.Errorf("keys of length %d: Causal gives %v; the mask %v", s, got.Value, want.Value)
		}
		if w := gw.Value.At(1, 1, 2, min(3, s-1)); s > 3 && w != 0 {
			t.Errorf("keys of length %d: query 2 attends to key 3 with weight %v; want 0", s, w)
		}
	}
}

// TestAttentionMasksAddUp checks that the masks are added: an attention
// mask and a key padding mask give what their sum as one mask per sequence
// and head gives, float values and −Inf alike.
func TestAttentionMasksAddUp(t *testing.T) {
	m := NewMultiheadAttention(newRNG(), 6, 2, MultiheadAttentionConfig{BatchFirst: true})
	x, kv := autograd.Const(filled(0.3, 1, 2, 3, 6)), autograd.Const(filled(0.8, 1, 2, 4, 6))
	attn, pad := filled(0.9, 0.5, 3, 4), filled(0.4, 0.3, 2, 4)
	pad.Set(math.Inf(-1), 1, 2)
	sum := tensor.Zeros(2, 2, 3, 4) // [N heads L S]
	for n := range 2 {
		for h := range 2 {
			for i := range 3 {
				for j := range 4 {
					sum.Set(attn.At(i, j)+pad.At(n, j), n, h, i, j)
				}
			}
		}
	}
	got, _ := m.Attend(x, kv, kv, AttentionMasks{AttnMask: attn, KeyPaddingMask: pad})
	want, _ := m.Attend(x, kv, kv, AttentionMasks{AttnMask: sum.Reshape(4, 3, 4)})
	if !tensor.AllClose(got.Value, want.Value, 1e-15, 1e-15) {
		t.Errorf("two masks give %v; their sum %v", got.Value, want.Value)
	}
}

func TestMultiheadAttentionGradients(t *testing.T) {
	mask := filled(0.9, 0.5, 3, 4)
	mask.Set(math.Inf(-1), 0, 2)
	pad := PaddingMask([]int{4, 3}, 4)
	for _, tt := range []struct {
		name  string
		cfg   MultiheadAttentionConfig
		masks AttentionMasks
	}{
		{"packed", MultiheadAttentionConfig{BatchFirst: true}, AttentionMasks{AttnMask: mask, KeyPaddingMask: pad}},
		{"separate", MultiheadAttentionConfig{KDim: 4, VDim: 5}, AttentionMasks{KeyPaddingMask: pad, Causal: true}},
		{"no bias", MultiheadAttentionConfig{Bias: new(false), BatchFirst: true}, AttentionMasks{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMultiheadAttention(newRNG(), 6, 3, tt.cfg)
			slots := attentionSlots(m)
			kdim, vdim := cmp.Or(tt.cfg.KDim, 6), cmp.Or(tt.cfg.VDim, 6)
			q, k, v := filled(1.1, 1, 2, 3, 6), filled(0.6, 1, 2, 4, kdim), filled(0.8, 1, 2, 4, vdim)
			if !tt.cfg.BatchFirst {
				q, k, v = filled(1.1, 1, 3, 2, 6), filled(0.6, 1, 4, 2, kdim), filled(0.8, 1, 4, 2, vdim)
			}
			inputs := []*tensor.Tensor{q, k, v}
			for _, slot := range slots {
				inputs = append(inputs, (*slot).Value)
			}
			r := autograd.GradCheck(func(x ...*autograd.Var) *autograd.Var {
				for i, slot := range slots {
					*slot = x[3+i] // the layer computes with GradCheck's parameters
				}
				out, weights := m.Attend(x[0], x[1], x[2], tt.masks)
				return autograd.Concat(0, out.Reshape(-1), weights.Reshape(-1))
			}, inputs...)
			if r.MaxError > 1e-6 {
				t.Error(r)
			}
		})
	}
}

// attentionSlots returns the fields that hold m's parameters, in the
// order of its Parameters.
func attentionSlots(m *MultiheadAttention) []**autograd.Var {
	var s []**autograd.Var
	if m.InProjWeight != nil {
		s = append(s, &m.InProjWeight)
	} else {
		s = append(s, &m.QProjWeight, &m.KProjWeight, &m.VProjWeight)
	}
	if m.InProjBias != nil {
		s = append(s, &m.InProjBias)
	}
	s = append(s, &m.OutProj.Weight)
	if m.OutProj.Bias != nil {
		s = append(s, &m.OutProj.Bias)
	}
	return s
}

// TestMultiheadAttentionLayouts checks that sequence-first inputs give the
// batch-first results transposed, that an unbatched sequence gives a batch
// of one, and that Forward is self-attention.
func TestMultiheadAttentionLayouts(t *testing.T) {
	first := NewMultiheadAttention(newRNG(), 6, 2, MultiheadAttentionConfig{})
	batch := NewMultiheadAttention(newRNG(), 6, 2, MultiheadAttentionConfig{BatchFirst: true})
	if err := LoadState(batch, StateOf(first)); err != nil {
		t.Fatal(err)
	}
	x, kv := filled(0.3, 1, 2, 5, 6), filled(0.8, 1, 2, 4, 6)
	masks := AttentionMasks{KeyPaddingMask: PaddingMask([]int{4, 2}, 4)}
	want, ww := batch.Attend(autograd.Const(x), autograd.Const(kv), autograd.Const(kv), masks)
	got, gw := first.Attend(autograd.Const(x.Permute(1, 0, 2)), autograd.Const(kv.Permute(1, 0, 2)), autograd.Const(kv.Permute(1, 0, 2)), masks)
	if !tensor.AllClose(got.Value, want.Value.Permute(1, 0, 2), 1e-14, 1e-14) || !tensor.AllClose(gw.Value, ww.Value, 1e-14, 1e-14) {
		t.Errorf("sequence first: %v\nwant %v", got.Value, want.Value.Permute(1, 0, 2))
	}
	one, ow := batch.Attend(autograd.Const(x.Slice(0, 1, 2).Reshape(5, 6)), autograd.Const(kv.Slice(0, 1, 2).Reshape(4, 6)), autograd.Const(kv.Slice(0, 1, 2).Reshape(4, 6)),
		AttentionMasks{KeyPaddingMask: PaddingMask([]int{2}, 4).Reshape(4)})
	if !slices.Equal(one.Shape(), []int{5, 6}) || !slices.Equal(ow.Shape(), []int{2, 5, 4}) ||
		!tensor.AllClose(one.Value, want.Value.Slice(0, 1, 2).Reshape(5, 6), 1e-14, 1e-14) {
		t.Errorf("unbatched: %v %v\nwant %v", one.Shape(), one.Value, want.Value.Slice(0, 1, 2))
	}
	self, _ := batch.Attend(autograd.Const(x), autograd.Const(x), autograd.Const(x), AttentionMasks{})
	if f := batch.Forward(autograd.Const(x)); !tensor.Equal(f.Value, self.Value) {
		t.Errorf("Forward %v; want the self-attention %v", f.Value, self.Value)
	}
}

// TestAttentionDropout checks that dropout acts on the attention weights in
// training only, as PyTorch's: with p = 1 every weight is zero and the
// output is the output projection's bias; with p = 0.5 each weight is 0
// or twice the evaluated one; in evaluation the weights are the softmax.
func TestAttentionDropout(t *testing.T) {
	m := NewMultiheadAttention(newRNG(), 4, 2, MultiheadAttentionConfig{BatchFirst: true, Dropout: 1})
	m.OutProj.Bias.Value.CopyFrom(tensor.New([]float64{1, 2, 3, 4}, 4))
	x := filled(0.5, 1, 2, 3, 4)
	out, w := m.Attend(autograd.Const(x), autograd.Const(x), autograd.Const(x), AttentionMasks{})
	if !tensor.Equal(w.Value, tensor.Zeros(2, 2, 3, 3)) || !tensor.Equal(out.Value, tensor.New([]float64{1, 2, 3, 4}, 1, 1, 4).BroadcastTo(2, 3, 4)) {
		t.Errorf("p = 1 in training: weights %v, output %v; want zeros and the bias", w.Value, out.Value)
	}
	m.Dropout = 0.5
	_, eval := m.Attend(autograd.NoGrad(x), autograd.NoGrad(x), autograd.NoGrad(x), AttentionMasks{})
	_, train := m.Attend(autograd.Const(x), autograd.Const(x), autograd.Const(x), AttentionMasks{})
	kept := 0
	for i, v := range train.Value.Data() {
		e := eval.Value.Data()[i]
		if v != 0 && math.Abs(v-2*e) > 1e-15 {
			t.Fatalf("weight %d in training %v; want 0 or 2×%v", i, v, e)
		}
		if v != 0 {
			kept++
		}
	}
	if kept == 0 || kept == train.Value.Size() {
		t.Errorf("%d of %d weights kept at p = 0.5", kept, train.Value.Size())
	}
	if sums := eval.Value.Sum(-1); !tensor.AllClose(sums, tensor.Ones(2, 2, 3), 1e-15, 0) {
		t.Errorf("evaluated weights sum to %v; want 1", sums)
	}
}

func TestMultiheadAttentionErrors(t *testing.T) {
	for _, tt := range []struct {
		f    func()
		want string
	}{
		{func() { NewMultiheadAttention(newRNG(), 6, 4, MultiheadAttentionConfig{}) }, "NewMultiheadAttention: embedding dimension 6 in 4 heads: want a multiple of the heads"},
		{func() { NewMultiheadAttention(newRNG(), 0, 1, MultiheadAttentionConfig{}) }, "want positive sizes"},
		{func() { NewMultiheadAttention(newRNG(), 4, 1, MultiheadAttentionConfig{KDim: -1}) }, "want positive sizes"},
		{func() { NewMultiheadAttention(newRNG(), 4, 1, MultiheadAttentionConfig{Dropout: 1.5}) }, "dropout 1.5 outside [0, 1]"},
	} {
		mustPanic(t, tt.want, tt.f)
	}
	m := NewMultiheadAttention(newRNG(), 6, 2, MultiheadAttentionConfig{BatchFirst: true})
	z := func(shape ...int) *autograd.Var { return autograd.Const(tensor.Zeros(shape...)) }
	for _, tt := range []struct {
		q, k, v *autograd.Var
		masks   AttentionMasks
		want    string
	}{
		{z(2, 3, 2, 6), z(2, 3, 2, 6), z(2, 3, 2, 6), AttentionMasks{}, "MultiheadAttention(embed_dim=6, num_heads=2): query [2 3 2 6], key [2 3 2 6], value [2 3 2 6]: want [N L E], or [L E] unbatched"},
		{z(2, 3, 6), z(4, 6), z(4, 6), AttentionMasks{}, "want the key and value to have the query's 3 dimensions"},
		{z(2, 3, 5), z(2, 4, 6), z(2, 4, 6), AttentionMasks{}, "query [2 3 5], key [2 4 6], value [2 4 6]: want 6, 6 and 6 features"},
		{z(2, 3, 6), z(2, 4, 6), z(2, 5, 6), AttentionMasks{}, "want the key's and value's sequences of one length (and batch)"},
		{z(2, 3, 6), z(3, 4, 6), z(3, 4, 6), AttentionMasks{}, "want the query's batch size in the key's and value's (layout [N L E])"},
		{z(2, 3, 6), z(2, 4, 6), z(2, 4, 6), AttentionMasks{AttnMask: tensor.Zeros(4, 3)}, "attention mask [4 3] for a query of length 3 and keys of length 4: want [3 4] or [4 3 4] (sequences × heads, L, S)"},
		{z(2, 3, 6), z(2, 4, 6), z(2, 4, 6), AttentionMasks{AttnMask: tensor.Zeros(2, 3, 4)}, "want [3 4] or [4 3 4]"},
		{z(3, 6), z(4, 6), z(4, 6), AttentionMasks{AttnMask: tensor.Zeros(1, 3, 4)}, "want [3 4] or [2 3 4]"},
		{z(2, 3, 6), z(2, 4, 6), z(2, 4, 6), AttentionMasks{KeyPaddingMask: tensor.Zeros(2, 3)}, "key padding mask [2 3] for a query of length 3 and keys of length 4: want [2 4]"},
		{z(3, 6), z(4, 6), z(4, 6), AttentionMasks{KeyPaddingMask: tensor.Zeros(1, 4)}, "key padding mask [1 4] for a query of length 3 and keys of length 4: want [4]"},
	} {
		func() {
			defer func() {
				e, _ := recover().(error)
				if e == nil || !errors.Is(e, tensor.ErrShape) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v; want a shape error containing %q", e, tt.want)
				}
			}()
			m.Attend(tt.q, tt.k, tt.v, tt.masks)
		}()
	}
}
