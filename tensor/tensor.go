// Package tensor provides Tensor, an n-dimensional array of float64,
// float32 or int64 values stored contiguously in row-major order, and the kernels
// that work on it: elementwise arithmetic with NumPy broadcasting, matrix
// products, shape manipulation and reductions.
//
// A Tensor is a shape, a dtype and a flat slice of data. Element (i, j, k)
// of a tensor of shape [A B C] lives at Data()[i*B*C + j*C + k] (Float32s()
// for a float32 tensor). Float64 is the default dtype; NewFloat32, ZerosOf
// and To make float32 tensors, and every operation gives a result of its
// inputs' dtype. Operations on tensors of different dtypes panic with an
// *Error of kind ErrDType that says what to convert. NewInt64 makes int64
// tensors, which carry indices: the operations that only move elements
// (Reshape, Permute, Slice, Rows, IndexRows, Concat, Stack, BroadcastTo,
// Clone, To) accept them, and every arithmetic operation panics with
// ErrDType. Every operation returns
// a new tensor unless its name says otherwise: Reshape shares its receiver's
// data, and the in-place helpers (AddScaled, Scale, Fill, CopyFrom) write
// into their receiver and allocate nothing.
//
// Shape mistakes are programming errors: they panic with an *Error whose
// message names the operation and the shapes involved, for example
//
//	tensor: MatMul: [2 3] × [4 5]: inner dimensions differ
//
// A scalar is a tensor of shape [] (zero dimensions, one element).
package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Tensor is an n-dimensional array of float64, float32 or int64 values
// (its DType) in row-major order. The zero value is not usable; build tensors
// with New, Zeros and friends. A Tensor is safe for concurrent reads.
type Tensor struct {
	shape []int
	dtype DType
	data  []float64 // the elements of a Float64 tensor, else nil
	f32   []float32 // the elements of a Float32 tensor, else nil
	i64   []int64   // the elements of an Int64 tensor, else nil
}

// New returns a tensor of the given shape backed by data, which it uses
// without copying. It panics if len(data) is not the product of shape.
// New(data) with no shape gives a 1-D tensor of len(data) elements.
func New(data []float64, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	n := checkShape("New", shape)
	if n != len(data) {
		panic(shapeError("New", "%d values do not fill shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{shape: slices.Clone(shape), data: data}
}

// MaxElements is the most elements a tensor may have: 2⁴⁰, 8 TiB of
// float64, more than any machine's memory. A shape computed from absurd
// arguments (a padding of a million, an output of 2⁴⁴) is refused with a
// named panic rather than ending the process with a fatal out-of-memory
// error, which the runtime gives, unrecoverably, for any request it
// cannot meet below its own limit of 2⁴⁸ bytes. The product of two sizes
// within the bound cannot overflow an int.
const MaxElements = 1 << 40

// Elements returns the number of elements of a tensor of the given shape,
// and false if a dimension is negative or the count would exceed
// MaxElements (with no overflow on the way). Layers use it to check an
// output or a temporary before allocating it.
func Elements(shape ...int) (int, bool) {
	n, zero := 1, false
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		zero = zero || d == 0
	}
	if zero {
		return 0, true
	}
	for _, d := range shape {
		if n > MaxElements/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// checkShape panics if a dimension is negative or the element count would
// exceed MaxElements, and returns the element count.
func checkShape(op string, shape []int) int {
	n, ok := Elements(shape...)
	switch {
	case ok:
		return n
	case slices.ContainsFunc(shape, func(d int) bool { return d < 0 }):
		panic(shapeError(op, "negative dimension in shape %v", shape))
	}
	panic(shapeError(op, "shape %v has more than %d elements", shape, MaxElements))
}

// Zeros returns a float64 tensor of the given shape filled with zeros.
func Zeros(shape ...int) *Tensor { return zerosOf("Zeros", Float64, shape) }

// Ones returns a float64 tensor of the given shape filled with ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a float64 tensor of the given shape with every element set to v.
func Full(v float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	t.Fill(v)
	return t
}

// Scalar returns a zero-dimensional tensor holding v.
func Scalar(v float64) *Tensor { return &Tensor{shape: []int{}, data: []float64{v}} }

// Arange returns the 1-D tensor start, start+step, … up to but excluding
// stop, as NumPy's arange does. It panics if step is zero.
func Arange(start, stop, step float64) *Tensor {
	if step == 0 || math.IsNaN(step) {
		panic(argError("Arange", "step must be non-zero, got %v", step))
	}
	n := int(math.Ceil((stop - start) / step))
	n = max(n, 0)
	t := Zeros(n)
	for i := range t.data {
		t.data[i] = start + float64(i)*step
	}
	return t
}

// Linspace returns n evenly spaced values from start to stop inclusive.
func Linspace(start, stop float64, n int) *Tensor {
	if n < 0 {
		panic(argError("Linspace", "negative count %d", n))
	}
	t := Zeros(n)
	if n == 1 {
		t.data[0] = start
		return t
	}
	step := (stop - start) / float64(n-1)
	for i := range t.data {
		t.data[i] = start + float64(i)*step
	}
	if n > 1 {
		t.data[n-1] = stop
	}
	return t
}

// Eye returns the n×n identity matrix.
func Eye(n int) *Tensor {
	t := Zeros(n, n)
	for i := range n {
		t.data[i*n+i] = 1
	}
	return t
}

// Normal returns a tensor of the given shape with values drawn from a normal
// distribution with the given mean and standard deviation.
func Normal(rng *rand.Rand, mean, std float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = mean + std*rng.NormFloat64()
	}
	return t
}

// Uniform returns a tensor of the given shape with values drawn uniformly
// from [lo, hi).
func Uniform(rng *rand.Rand, lo, hi float64, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*rng.Float64()
	}
	return t
}

// Clone returns a deep copy of t, of t's dtype.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: slices.Clone(t.shape), dtype: t.dtype, data: slices.Clone(t.data), f32: slices.Clone(t.f32), i64: slices.Clone(t.i64)}
}

// Shape returns a copy of t's dimensions.
func (t *Tensor) Shape() []int { return slices.Clone(t.shape) }

// Dims returns the number of dimensions of t.
func (t *Tensor) Dims() int { return len(t.shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis("Dim", i)] }

// Size returns the number of elements of t.
func (t *Tensor) Size() int {
	switch t.dtype {
	case Float32:
		return len(t.f32)
	case Int64:
		return len(t.i64)
	}
	return len(t.data)
}

// Data returns the backing slice of a float64 tensor in row-major order.
// Writing to it changes t. It panics on a tensor of another dtype: use
// Float32s for a float32 tensor, Int64s for an int64 one, Float64s for a
// converted copy.
func (t *Tensor) Data() []float64 {
	if t.dtype != Float64 {
		panic(dtypeError("Data", "%v tensor of shape %v: Data reads float64 tensors; use %ss, or Float64s or To(tensor.Float64) for a converted copy", t.dtype, t.shape, titled(t.dtype)))
	}
	return t.data
}

// SameShape reports whether t and u have the same dimensions.
func (t *Tensor) SameShape(u *Tensor) bool { return slices.Equal(t.shape, u.shape) }

// Reshape returns a tensor with the given shape that shares t's data. One
// dimension may be -1; it is inferred from the others.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	shape = slices.Clone(shape)
	infer := -1
	known := make([]int, 0, len(shape))
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(shapeError("Reshape", "%v to %v: at most one dimension may be -1 and none other negative", t.shape, shape))
		default:
			known = append(known, d)
		}
	}
	n, size := checkShape("Reshape", known), t.Size()
	if infer >= 0 {
		if n == 0 || size%n != 0 {
			panic(shapeError("Reshape", "%v to %v: cannot infer the -1 dimension", t.shape, shape))
		}
		shape[infer] = size / n
		n = size
	}
	if n != size {
		panic(shapeError("Reshape", "%v (%d elements) to %v (%d elements): sizes differ", t.shape, size, shape, n))
	}
	return &Tensor{shape: shape, dtype: t.dtype, data: t.data, f32: t.f32, i64: t.i64}
}

// offset turns an index into a position in data, panicking on a bad index.
func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		panic(indexError(op, "index %v for shape %v: want %d indices", idx, t.shape, len(t.shape)))
	}
	off := 0
	for i, x := range idx {
		if x < 0 || x >= t.shape[i] {
			panic(indexError(op, "index %v out of range for shape %v", idx, t.shape))
		}
		off = off*t.shape[i] + x
	}
	return off
}

// At returns the element at the given index, as a float64 whatever t's
// dtype (as PyTorch's item gives a Python float). An int64 value beyond
// ±2⁵³, which a float64 cannot hold exactly, panics (ErrArgument, naming
// its row-major position).
func (t *Tensor) At(idx ...int) float64 { return t.at("At", t.offset("At", idx)) }

// at returns the element at offset off as a float64, refusing as At; op
// names the caller in a panic.
func (t *Tensor) at(op string, off int) float64 {
	switch t.dtype {
	case Float32:
		return float64(t.f32[off])
	case Int64:
		return exactFloat[float64](op, off, t.i64[off])
	}
	return t.data[off]
}

// Set stores v at the given index, rounded to t's dtype. On an Int64
// tensor, v must be a whole number in int64's range (ErrArgument panic
// otherwise), as To requires.
func (t *Tensor) Set(v float64, idx ...int) {
	off := t.offset("Set", idx)
	switch t.dtype {
	case Float32:
		t.f32[off] = float32(v)
	case Int64:
		t.i64[off] = wholeInt("Set", off, v)
	default:
		t.data[off] = v
	}
}

// Item returns the only element of a one-element tensor, as a float64
// whatever t's dtype.
func (t *Tensor) Item() float64 {
	if t.Size() != 1 {
		panic(shapeError("Item", "shape %v has %d elements, want 1", t.shape, t.Size()))
	}
	return t.at("Item", 0)
}

// axis normalizes a possibly negative axis and panics if it is out of range.
func (t *Tensor) axis(op string, a int) int {
	n := len(t.shape)
	if a < -n || a >= n {
		panic(indexError(op, "axis %d out of range for shape %v", a, t.shape))
	}
	if a < 0 {
		a += n
	}
	return a
}

// Equal reports whether a and b have the same dtype, the same shape and
// identical elements. NaN is not equal to NaN, as with ==.
func Equal(a, b *Tensor) bool {
	return a.dtype == b.dtype && slices.Equal(a.shape, b.shape) && slices.Equal(a.data, b.data) && slices.Equal(a.f32, b.f32) && slices.Equal(a.i64, b.i64)
}

// AllClose reports whether a and b have the same shape and every pair of
// elements satisfies |a−b| ≤ atol + rtol·|b|, as numpy.allclose does.
// NaNs never compare close. The dtypes may differ: elements are compared
// as float64 values, so a float32 result can be checked against a float64
// one. Int64 elements must be within ±2⁵³, as Float64s requires.
func AllClose(a, b *Tensor, rtol, atol float64) bool {
	if !slices.Equal(a.shape, b.shape) {
		return false
	}
	bv := b.Float64s()
	for i, x := range a.Float64s() {
		y := bv[i]
		if x == y {
			continue // equal infinities
		}
		if !(math.Abs(x-y) <= atol+rtol*math.Abs(y)) {
			return false
		}
	}
	return true
}
