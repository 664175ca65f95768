package tensor

import (
	"slices"
)

// T returns the transpose of a 2-D tensor as a new tensor.
func (t *Tensor) T() *Tensor {
	if len(t.shape) != 2 {
		panic(shapeError("T", "shape %v: want a 2-D tensor (use Permute for more axes)", t.shape))
	}
	return t.Permute(1, 0)
}

// Permute returns a new tensor whose axis i is axis axes[i] of t, as
// torch.permute. axes must be a permutation of 0 … Dims()−1.
func (t *Tensor) Permute(axes ...int) *Tensor {
	n := len(t.shape)
	if len(axes) != n {
		panic(shapeError("Permute", "axes %v for shape %v: want %d axes", axes, t.shape, n))
	}
	seen := make([]bool, n)
	shape := make([]int, n)
	for i, a := range axes {
		if a < 0 || a >= n || seen[a] {
			panic(shapeError("Permute", "axes %v for shape %v: not a permutation", axes, t.shape))
		}
		seen[a] = true
		shape[i] = t.shape[a]
	}
	out := zerosOf("Permute", t.dtype, shape)
	switch t.dtype {
	case Float32:
		permute(out.f32, t.f32, t.shape, axes, shape)
	case Int64:
		permute(out.i64, t.i64, t.shape, axes, shape)
	default:
		permute(out.data, t.data, t.shape, axes, shape)
	}
	return out
}

// permute fills out, of shape, with in, of inShape, permuted by axes.
func permute[E element](out, in []E, inShape, axes, shape []int) {
	n := len(shape)
	if len(in) == 0 {
		return
	}
	src := strides(inShape)
	// step[i] is how far a unit step along output axis i moves in t.
	step := make([]int, n)
	for i, a := range axes {
		step[i] = src[a]
	}
	if n == 2 && axes[0] == 1 {
		transpose2(in, out, inShape[0], inShape[1])
		return
	}
	idx := make([]int, n)
	off := 0
	for o := range out {
		out[o] = in[off]
		for k := n - 1; k >= 0; k-- {
			idx[k]++
			off += step[k]
			if idx[k] < shape[k] {
				break
			}
			off -= step[k] * shape[k]
			idx[k] = 0
		}
	}
}

// transpose2 writes the transpose of the r×c matrix src into dst, in tiles
// so that both sides stay in cache.
func transpose2[E element](src, dst []E, r, c int) {
	const tile = 32
	for i0 := 0; i0 < r; i0 += tile {
		for j0 := 0; j0 < c; j0 += tile {
			for i := i0; i < min(i0+tile, r); i++ {
				for j := j0; j < min(j0+tile, c); j++ {
					dst[j*r+i] = src[i*c+j]
				}
			}
		}
	}
}

// strides returns the row-major strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	st := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = st
		st *= shape[i]
	}
	return s
}

// splitAt returns the product of the dimensions before axis and the product
// of those after it.
func splitAt(shape []int, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, inner
}

// Concat joins tensors along an existing axis. All other dimensions, and
// the dtypes, must agree.
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic(argError("Concat", "no tensors"))
	}
	first := ts[0]
	sameDType("Concat", ts...)
	axis = first.axis("Concat", axis)
	shape := slices.Clone(first.shape)
	shape[axis] = 0
	for _, t := range ts {
		if len(t.shape) != len(first.shape) {
			panic(shapeError("Concat", "%v and %v: dimension counts differ", first.shape, t.shape))
		}
		for i, d := range t.shape {
			if i != axis && d != first.shape[i] {
				panic(shapeError("Concat", "%v and %v along axis %d: other dimensions differ", first.shape, t.shape, axis))
			}
		}
		shape[axis] += t.shape[axis]
	}
	out := zerosOf("Concat", first.dtype, shape)
	outer, inner := splitAt(shape, axis)
	runs := make([]int, len(ts)) // elements each input gives per outer index
	for j, t := range ts {
		runs[j] = t.shape[axis] * inner
	}
	switch first.dtype {
	case Float32:
		concatInto(out.f32, ts, func(t *Tensor) []float32 { return t.f32 }, outer, runs)
	case Int64:
		concatInto(out.i64, ts, func(t *Tensor) []int64 { return t.i64 }, outer, runs)
	default:
		concatInto(out.data, ts, func(t *Tensor) []float64 { return t.data }, outer, runs)
	}
	return out
}

// concatInto fills out with, for each outer index in turn, the next run of
// every input's elements.
func concatInto[E element](out []E, ts []*Tensor, elems func(*Tensor) []E, outer int, runs []int) {
	o := 0
	for i := range outer {
		for j, t := range ts {
			run := runs[j]
			o += copy(out[o:], elems(t)[i*run:(i+1)*run])
		}
	}
}

// Stack joins tensors of equal shape along a new axis inserted at axis.
func Stack(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		panic(argError("Stack", "no tensors"))
	}
	n := len(ts[0].shape)
	if axis < 0 {
		axis += n + 1
	}
	if axis < 0 || axis > n {
		panic(indexError("Stack", "axis out of range for %d tensors of shape %v", len(ts), ts[0].shape))
	}
	expanded := make([]*Tensor, len(ts))
	for i, t := range ts {
		if !slices.Equal(t.shape, ts[0].shape) {
			panic(shapeError("Stack", "%v and %v: shapes differ", ts[0].shape, t.shape))
		}
		expanded[i] = t.Reshape(slices.Insert(slices.Clone(t.shape), axis, 1)...)
	}
	return Concat(axis, expanded...)
}

// Slice returns the elements of t whose index along axis lies in
// [start, end), as a new tensor.
func (t *Tensor) Slice(axis, start, end int) *Tensor {
	axis = t.axis("Slice", axis)
	if start < 0 || end > t.shape[axis] || start > end {
		panic(indexError("Slice", "[%d, %d) along axis %d of shape %v: out of range", start, end, axis, t.shape))
	}
	shape := slices.Clone(t.shape)
	shape[axis] = end - start
	out := zerosOf("Slice", t.dtype, shape)
	switch t.dtype {
	case Float32:
		sliceInto(out.f32, t.f32, t.shape, axis, start, end)
	case Int64:
		sliceInto(out.i64, t.i64, t.shape, axis, start, end)
	default:
		sliceInto(out.data, t.data, t.shape, axis, start, end)
	}
	return out
}

func sliceInto[E element](out, in []E, shape []int, axis, start, end int) {
	outer, inner := splitAt(shape, axis)
	run := (end - start) * inner
	for i := range outer {
		src := i*shape[axis]*inner + start*inner
		copy(out[i*run:(i+1)*run], in[src:src+run])
	}
}

// Rows returns rows [start, end) of t (entries along axis 0) as a tensor
// that shares t's data, as Reshape does: rows are contiguous, so no copy is
// needed. Use Slice for a copy.
func (t *Tensor) Rows(start, end int) *Tensor {
	if len(t.shape) == 0 || start < 0 || end > t.shape[0] || start > end {
		panic(indexError("Rows", "[%d, %d) of shape %v: out of range", start, end, t.shape))
	}
	row := 1
	for _, d := range t.shape[1:] {
		row *= d
	}
	shape := slices.Clone(t.shape)
	shape[0] = end - start
	switch t.dtype {
	case Float32:
		return &Tensor{shape: shape, dtype: Float32, f32: t.f32[start*row : end*row : end*row]}
	case Int64:
		return &Tensor{shape: shape, dtype: Int64, i64: t.i64[start*row : end*row : end*row]}
	}
	return &Tensor{shape: shape, data: t.data[start*row : end*row : end*row]}
}

// IndexRows gathers the rows (entries along axis 0) at the given indices
// into a new tensor, in order; indices may repeat. It is how a batch is cut
// from a data set.
func (t *Tensor) IndexRows(indices []int) *Tensor {
	if len(t.shape) == 0 {
		panic(shapeError("IndexRows", "scalar has no rows"))
	}
	shape := slices.Clone(t.shape)
	shape[0] = len(indices)
	out := zerosOf("IndexRows", t.dtype, shape)
	out.GatherRows(t, indices)
	return out
}

// GatherRows copies the rows of src at the given indices into t, which must
// have len(indices) rows of src's row shape and src's dtype, and returns
// t. It allocates nothing.
func (t *Tensor) GatherRows(src *Tensor, indices []int) *Tensor {
	if len(src.shape) == 0 || len(t.shape) != len(src.shape) || t.shape[0] != len(indices) || !slices.Equal(t.shape[1:], src.shape[1:]) {
		panic(shapeError("GatherRows", "%v ← %d rows of %v: shapes differ", t.shape, len(indices), src.shape))
	}
	sameDType("GatherRows", t, src)
	rows := src.shape[0]
	row := 1
	for _, d := range src.shape[1:] {
		row *= d
	}
	for i, r := range indices {
		if r < 0 || r >= rows {
			panic(indexError("GatherRows", "row index %d out of range for shape %v", r, src.shape))
		}
		switch t.dtype {
		case Float32:
			copy(t.f32[i*row:(i+1)*row], src.f32[r*row:(r+1)*row])
		case Int64:
			copy(t.i64[i*row:(i+1)*row], src.i64[r*row:(r+1)*row])
		default:
			copy(t.data[i*row:(i+1)*row], src.data[r*row:(r+1)*row])
		}
	}
	return t
}

// ScatterAddRows adds row i of src into row indices[i] of t for every i,
// and returns t. It is the adjoint of GatherRows: rows named twice receive
// both contributions. The dtypes must agree, and be float.
func (t *Tensor) ScatterAddRows(src *Tensor, indices []int) *Tensor {
	floatOnly("ScatterAddRows", t, src)
	if len(t.shape) == 0 || len(t.shape) != len(src.shape) || src.shape[0] != len(indices) || !slices.Equal(t.shape[1:], src.shape[1:]) {
		panic(shapeError("ScatterAddRows", "%v += %d rows of %v: shapes differ", t.shape, len(indices), src.shape))
	}
	sameDType("ScatterAddRows", t, src)
	row := 1
	for _, d := range t.shape[1:] {
		row *= d
	}
	for _, r := range indices {
		if r < 0 || r >= t.shape[0] {
			panic(indexError("ScatterAddRows", "row index %d out of range for shape %v", r, t.shape))
		}
	}
	if t.dtype == Float32 {
		scatterAdd(t.f32, src.f32, indices, row)
	} else {
		scatterAdd(t.data, src.data, indices, row)
	}
	return t
}

func scatterAdd[E float](dst, src []E, indices []int, row int) {
	for i, r := range indices {
		d := dst[r*row : (r+1)*row]
		for j, v := range src[i*row : (i+1)*row] {
			d[j] += v
		}
	}
}
