package tensor

import (
	"fmt"
	"math"
	"slices"
)

// DType is the element type of a tensor, as PyTorch's dtype: one Tensor
// type holds any of them, and every operation gives its inputs' dtype.
// Float64 is the default, so every program written for float64 keeps its
// numbers; Float32 halves the bytes moved and doubles the lanes of the
// vector units, which is the speed PyTorch (float32 by default) is compared
// at. Int64 carries indices (embedding inputs, category codes, class
// targets) exactly, as PyTorch's LongTensor: it is moved, reshaped, sliced,
// batched and converted, but every arithmetic operation refuses it with an
// ErrDType panic rather than computing on integers.
type DType uint8

const (
	// Float64 is IEEE 754 double precision, the default of every
	// constructor but NewFloat32.
	Float64 DType = iota
	// Float32 is IEEE 754 single precision, torch.float32.
	Float32
	// Int64 is a 64-bit signed integer, torch.int64, for indices only: no
	// arithmetic operation accepts it.
	Int64
)

// String returns the dtype's name: "float64", "float32" or "int64".
func (d DType) String() string {
	switch d {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// ItemSize returns the bytes one element takes: 8, 4 or 8, as PyTorch's
// dtype.itemsize.
func (d DType) ItemSize() int {
	d.check("ItemSize")
	if d == Float32 {
		return 4
	}
	return 8
}

// check panics unless d is a dtype this package knows.
func (d DType) check(op string) {
	if d != Float64 && d != Float32 && d != Int64 {
		panic(argError(op, "unknown dtype %v: want tensor.Float64, tensor.Float32 or tensor.Int64", d))
	}
}

// float is the element types arithmetic works on. The kernels are written
// once for both; the API takes and returns concrete types.
type float interface{ float32 | float64 }

// element is every element type a tensor can hold: the kernels that only
// move elements (permute, slice, concatenate, broadcast) are written for
// it.
type element interface{ float32 | float64 | int64 }

// floatOnly panics with ErrDType if any of ts is an Int64 tensor. Every
// arithmetic operation calls it first: its kernels know float32 and
// float64 only, and integer arithmetic (division, overflow) is not what an
// index tensor is for.
func floatOnly(op string, ts ...*Tensor) {
	for _, t := range ts {
		if t.dtype == Int64 {
			panic(dtypeError(op, "int64 tensor of shape %v: %s computes on float tensors only; convert with To(tensor.Float64)", t.shape, op))
		}
	}
}

// NewInt64 returns an Int64 tensor of the given shape backed by data,
// which it uses without copying, as New does for float64. It is how
// indices (embedding inputs, class targets) are carried exactly.
func NewInt64(data []int64, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	n := checkShape("NewInt64", shape)
	if n != len(data) {
		panic(shapeError("NewInt64", "%d values do not fill shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{shape: slices.Clone(shape), dtype: Int64, i64: data}
}

// Int64s returns the backing slice of an Int64 tensor in row-major order;
// writing to it changes t. It panics on a tensor of another dtype:
// To(tensor.Int64) gives a converted copy.
func (t *Tensor) Int64s() []int64 {
	if t.dtype != Int64 {
		panic(dtypeError("Int64s", "%v tensor of shape %v: Int64s reads int64 tensors; use To(tensor.Int64) for a converted copy", t.dtype, t.shape))
	}
	return t.i64
}

// NewFloat32 returns a Float32 tensor of the given shape backed by data,
// which it uses without copying, as New does for float64.
func NewFloat32(data []float32, shape ...int) *Tensor {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	n := checkShape("NewFloat32", shape)
	if n != len(data) {
		panic(shapeError("NewFloat32", "%d values do not fill shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{shape: slices.Clone(shape), dtype: Float32, f32: data}
}

// ZerosOf returns a tensor of the given dtype and shape filled with zeros.
func ZerosOf(dtype DType, shape ...int) *Tensor { return zerosOf("ZerosOf", dtype, shape) }

// zerosOf is ZerosOf reporting a bad shape or dtype as op.
func zerosOf(op string, dtype DType, shape []int) *Tensor {
	dtype.check(op)
	n := checkShape(op, shape)
	t := &Tensor{shape: slices.Clone(shape), dtype: dtype}
	switch dtype {
	case Float32:
		t.f32 = make([]float32, n)
	case Int64:
		t.i64 = make([]int64, n)
	default:
		t.data = make([]float64, n)
	}
	return t
}

// FullOf returns a tensor of the given dtype and shape with every element
// set to v (rounded to the dtype). It refuses Int64, as Fill does.
func FullOf(dtype DType, v float64, shape ...int) *Tensor {
	t := zerosOf("FullOf", dtype, shape)
	floatOnly("FullOf", t)
	return t.Fill(v)
}

// ZerosLike returns a tensor of zeros with t's shape and dtype, as
// torch.zeros_like.
func ZerosLike(t *Tensor) *Tensor { return zerosOf("ZerosLike", t.dtype, t.shape) }

// DType returns the element type of t.
func (t *Tensor) DType() DType { return t.dtype }

// Float32s returns the backing slice of a Float32 tensor in row-major
// order; writing to it changes t. It panics on a tensor of another dtype:
// To(tensor.Float32) gives a converted copy.
func (t *Tensor) Float32s() []float32 {
	if t.dtype != Float32 {
		panic(dtypeError("Float32s", "%v tensor of shape %v: Float32s reads float32 tensors; use Data, or To(tensor.Float32) for a converted copy", t.dtype, t.shape))
	}
	return t.f32
}

// Float64s returns t's elements as float64 values in row-major order: the
// backing slice itself for a Float64 tensor (as Data), a converted copy
// for a Float32 or Int64 one. It is for code that reads values of any
// dtype; an int64 value beyond ±2⁵³, which float64 cannot hold exactly,
// panics (ErrArgument) rather than being rounded.
func (t *Tensor) Float64s() []float64 {
	switch t.dtype {
	case Float64:
		return t.data
	case Int64:
		return intsToFloats[float64]("Float64s", t.i64)
	}
	return convert[float64](t.f32)
}

// To returns t converted to dtype, as torch.Tensor.to: t itself when it
// already has that dtype (so the result may share t's data), else a new
// tensor. Between float dtypes every element is rounded to the nearest
// value of the new dtype. Where PyTorch would silently change a value, To
// panics (ErrArgument, naming the value and its flat index): converting to
// Int64 refuses a value that is not a whole number within int64's range
// (PyTorch truncates 2.7 to 2 and wraps out-of-range values), and
// converting from Int64 refuses a value the float dtype cannot hold exactly
// (beyond ±2⁵³ for Float64, ±2²⁴ for Float32), since a rounded index is a
// different index.
func (t *Tensor) To(dtype DType) *Tensor {
	dtype.check("To")
	if dtype == t.dtype {
		return t
	}
	out := zerosOf("To", dtype, t.shape)
	out.convertFrom("To", t)
	return out
}

// convertFrom sets t's elements to src's, of the same size and a
// different dtype, converted as To describes; op names the caller in a
// panic.
func (t *Tensor) convertFrom(op string, src *Tensor) {
	switch {
	case t.dtype == Float32 && src.dtype == Float64:
		convertInto(t.f32, src.data)
	case t.dtype == Float64 && src.dtype == Float32:
		convertInto(t.data, src.f32)
	case t.dtype == Int64 && src.dtype == Float64:
		floatsToIntsInto(op, t.i64, src.data)
	case t.dtype == Int64 && src.dtype == Float32:
		floatsToIntsInto(op, t.i64, src.f32)
	case t.dtype == Float64 && src.dtype == Int64:
		intsToFloatsInto(op, t.data, src.i64)
	case t.dtype == Float32 && src.dtype == Int64:
		intsToFloatsInto(op, t.f32, src.i64)
	}
}

// convert returns src with every element converted to To.
func convert[To, From float](src []From) []To {
	dst := make([]To, len(src))
	convertInto(dst, src)
	return dst
}

// intsToFloats returns src converted to To, refusing as intsToFloatsInto.
func intsToFloats[To float](op string, src []int64) []To {
	dst := make([]To, len(src))
	intsToFloatsInto(op, dst, src)
	return dst
}

// intsToFloatsInto sets dst to src converted by exactFloat.
func intsToFloatsInto[To float](op string, dst []To, src []int64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = exactFloat[To](op, i, v)
	}
}

// exactFloat returns v, element i of a tensor, as a To, and panics if To
// cannot hold it exactly: beyond 2⁵³ (float64) or 2²⁴ (float32) in
// magnitude, where rounding would turn one index into another.
func exactFloat[To float](op string, i int, v int64) To {
	f := To(v)
	if f >= 1<<63 || int64(f) != v { // near 2⁶³ a value rounds up to 2⁶³, which int64 cannot hold
		panic(argError(op, "element %d is %d: %T cannot hold it exactly; an index this large would be rounded to another", i, v, f))
	}
	return f
}

// floatsToIntsInto sets dst to src converted by wholeInt.
func floatsToIntsInto[From float](op string, dst []int64, src []From) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = wholeInt(op, i, float64(v))
	}
}

// wholeInt returns f, element i of a tensor, as an int64, and panics if it
// is not a whole number in int64's range: PyTorch truncates 2.7 to 2, but
// a silently changed index is a wrong result.
func wholeInt(op string, i int, f float64) int64 {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 { // NaN fails the first test, ±Inf the others
		panic(argError(op, "element %d is %v: want a whole number in int64's range (PyTorch would truncate it; minidl refuses)", i, f))
	}
	return int64(f)
}

// sameDType panics unless every tensor has the first one's dtype. Mixing
// dtypes is refused rather than promoted: a silent promotion would turn a
// float32 model's activations into float64 ones, doubling its bytes and
// changing the dtype of its gradients, because of one constant.
func sameDType(op string, ts ...*Tensor) {
	for _, u := range ts[1:] {
		if u.dtype != ts[0].dtype {
			panic(dtypeError(op, "%v %v and %v %v: dtypes differ; convert one with To(tensor.%s) or To(tensor.%s)",
				ts[0].dtype, ts[0].shape, u.dtype, u.shape, titled(ts[0].dtype), titled(u.dtype)))
		}
	}
}

// titled returns the exported constant's name of d: Float64, Float32 or
// Int64.
func titled(d DType) string {
	switch d {
	case Float32:
		return "Float32"
	case Int64:
		return "Int64"
	}
	return "Float64"
}
