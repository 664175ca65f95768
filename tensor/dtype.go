package tensor

import (
	"fmt"
	"slices"
)

// DType is the element type of a tensor, as PyTorch's dtype: one Tensor
// type holds either, and every operation gives its inputs' dtype. Float64
// is the default, so every program written for float64 keeps its numbers;
// Float32 halves the bytes moved and doubles the lanes of the vector units,
// which is the speed PyTorch (float32 by default) is compared at.
type DType uint8

const (
	// Float64 is IEEE 754 double precision, the default of every
	// constructor but NewFloat32.
	Float64 DType = iota
	// Float32 is IEEE 754 single precision, torch.float32.
	Float32
)

// String returns the dtype's name: "float64" or "float32".
func (d DType) String() string {
	switch d {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// ItemSize returns the bytes one element takes: 8 or 4, as PyTorch's
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
	if d != Float64 && d != Float32 {
		panic(argError(op, "unknown dtype %v: want tensor.Float64 or tensor.Float32", d))
	}
}

// float is the element types a tensor can hold. The kernels are written
// once for both; the API takes and returns concrete types.
type float interface{ float32 | float64 }

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
	if dtype == Float32 {
		t.f32 = make([]float32, n)
	} else {
		t.data = make([]float64, n)
	}
	return t
}

// FullOf returns a tensor of the given dtype and shape with every element
// set to v (rounded to the dtype).
func FullOf(dtype DType, v float64, shape ...int) *Tensor {
	return zerosOf("FullOf", dtype, shape).Fill(v)
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
// for a Float32 one. It is for code that reads values of either dtype.
func (t *Tensor) Float64s() []float64 {
	if t.dtype == Float64 {
		return t.data
	}
	return convert[float64](t.f32)
}

// To returns t converted to dtype, as torch.Tensor.to: t itself when it
// already has that dtype (so the result may share t's data), else a new
// tensor with every element rounded to the nearest value of the dtype.
func (t *Tensor) To(dtype DType) *Tensor {
	dtype.check("To")
	if dtype == t.dtype {
		return t
	}
	out := &Tensor{shape: slices.Clone(t.shape), dtype: dtype}
	if dtype == Float32 {
		out.f32 = convert[float32](t.data)
	} else {
		out.data = convert[float64](t.f32)
	}
	return out
}

// convert returns src with every element converted to To.
func convert[To, From float](src []From) []To {
	dst := make([]To, len(src))
	convertInto(dst, src)
	return dst
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

// titled returns the exported constant's name of d: Float64 or Float32.
func titled(d DType) string {
	if d == Float32 {
		return "Float32"
	}
	return "Float64"
}
