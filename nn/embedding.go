package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// Embedding maps integer indices to rows of Weight (num × dim), as
// torch.nn.Embedding: an input of any shape, holding whole numbers in
// [0, num), gives an output of that shape followed by dim. The indices
// are an Int64 tensor, as PyTorch's LongTensor; float64 or float32 ones
// holding whole numbers are accepted too, as before Int64 existed. A value
// that is not a whole number in range panics with a tensor.ErrIndex error
// naming it.
//
// PaddingIdx, if not nil, is a row that starts at zero and receives no
// gradient, so it stays what it is set to. (PyTorch's max_norm,
// scale_grad_by_freq and sparse options are not provided.)
type Embedding struct {
	Weight     *autograd.Var
	PaddingIdx *int
}

// EmbeddingConfig holds Embedding's options; the zero value is PyTorch's
// default.
type EmbeddingConfig struct {
	// PaddingIdx is the padding row, or nil for none. A negative index
	// counts from the end, as in PyTorch.
	PaddingIdx *int
}

// NewEmbedding returns an Embedding of num rows of dim values drawn from
// N(0, 1), as PyTorch initializes it, with the padding row zeroed.
func NewEmbedding(rng *rand.Rand, num, dim int, cfg EmbeddingConfig) *Embedding {
	if num <= 0 || dim <= 0 {
		panic(&Error{Op: "NewEmbedding", Detail: fmt.Sprintf("%d embeddings of dimension %d; want both positive", num, dim)})
	}
	checkParamSize("NewEmbedding", "weight", num, dim)
	w := tensor.Normal(rng, 0, 1, num, dim)
	e := &Embedding{Weight: autograd.Param(w)}
	if cfg.PaddingIdx != nil {
		p := *cfg.PaddingIdx
		if p < -num || p >= num {
			panic(&Error{Op: "NewEmbedding", Kind: tensor.ErrIndex, Detail: fmt.Sprintf("padding index %d is outside [%d, %d)", p, -num, num)})
		}
		if p < 0 {
			p += num
		}
		clear(w.Data()[p*dim : (p+1)*dim])
		e.PaddingIdx = &p
	}
	return e
}

// Forward returns the rows of Weight that x's elements index.
func (e *Embedding) Forward(x *autograd.Var) *autograd.Var {
	num, dim := e.Weight.Value.Dim(0), e.Weight.Value.Dim(1)
	if _, ok := tensor.Elements(x.Value.Size(), dim); !ok {
		panic(&Error{Op: "Embedding", Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v of %d indices with rows of %d would give more than %d elements", x.Value.Shape(), x.Value.Size(), dim, tensor.MaxElements)})
	}
	vals, bad := indexValues(x.Value)
	if bad >= 0 {
		panic(&Error{Op: "Embedding", Kind: tensor.ErrIndex, Detail: fmt.Sprintf("element %d of the input is %v; want a whole number in [0, %d)", bad, x.Value.Float64s()[bad], num)})
	}
	idx := make([]int, len(vals))
	for i, v := range vals {
		if v < 0 || v >= int64(num) {
			panic(&Error{Op: "Embedding", Kind: tensor.ErrIndex, Detail: fmt.Sprintf("element %d of the input is %v; want a whole number in [0, %d)", i, v, num)})
		}
		idx[i] = int(v)
	}
	out := e.Weight.Value.IndexRows(idx).Reshape(append(x.Value.Shape(), dim)...)
	return autograd.Custom(out, func(g *tensor.Tensor) []*tensor.Tensor {
		gw := tensor.ZerosLike(e.Weight.Value)
		if gw.DType() == tensor.Float32 {
			addRows(gw.Float32s(), g.Float32s(), idx, dim, e.PaddingIdx)
		} else {
			addRows(gw.Data(), g.Data(), idx, dim, e.PaddingIdx)
		}
		return []*tensor.Tensor{gw, nil}
	}, e.Weight, x) // x, which has no gradient, passes on its mode: NoGrad or Eval indices evaluate what follows
}

// addRows adds row i of g to row idx[i] of gw, for every i but those that
// index the padding row.
func addRows[E float32 | float64](gw, g []E, idx []int, dim int, padding *int) {
	for i, r := range idx {
		if padding != nil && r == *padding {
			continue
		}
		row := gw[r*dim : (r+1)*dim]
		for j, v := range g[i*dim : (i+1)*dim] {
			row[j] += v
		}
	}
}

// Parameters returns "weight".
func (e *Embedding) Parameters() []Param { return []Param{{Name: "weight", Var: e.Weight}} }

// String describes the layer as PyTorch prints it.
func (e *Embedding) String() string {
	s := fmt.Sprintf("Embedding(%d, %d", e.Weight.Value.Dim(0), e.Weight.Value.Dim(1))
	if e.PaddingIdx != nil {
		s += fmt.Sprintf(", padding_idx=%d", *e.PaddingIdx)
	}
	return s + ")"
}
