package tensor

import (
	"math"
	"slices"

	"github.com/minidl/minidl/internal/gemm"
)

// Broadcasting follows NumPy: shapes are aligned at their last dimension and
// two dimensions are compatible when they are equal or one of them is 1; a
// missing leading dimension counts as 1. [3 1 4] and [5 1] broadcast to
// [3 5 4].

// BroadcastShapes returns the shape that a and b broadcast to, and false if
// they are incompatible.
func BroadcastShapes(a, b []int) ([]int, bool) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := dimFromEnd(a, n-1-i), dimFromEnd(b, n-1-i)
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// dimFromEnd returns shape[len(shape)-1-k], or 1 if the shape is too short.
func dimFromEnd(shape []int, k int) int {
	if k >= len(shape) {
		return 1
	}
	return shape[len(shape)-1-k]
}

// kernel holds the three loops of a binary operation on elements of type E:
// vector with vector, vector with scalar, scalar with vector. Broadcasting
// reduces every case to runs of one of these.
type kernel[E float] struct {
	vv func(dst, x, y []E)
	vs func(dst, x []E, y E)
	sv func(dst []E, x E, y []E)
}

// kernels is a binary operation's loops for each dtype.
type kernels struct {
	k64 kernel[float64]
	k32 kernel[float32]
}

// loopsOf builds the loops of a binary operation from its scalar function.
func loopsOf[E float](f func(x, y E) E) kernel[E] {
	return kernel[E]{
		vv: func(dst, x, y []E) {
			for i := range dst {
				dst[i] = f(x[i], y[i])
			}
		},
		vs: func(dst, x []E, y E) {
			for i := range dst {
				dst[i] = f(x[i], y)
			}
		},
		sv: func(dst []E, x E, y []E) {
			for i := range dst {
				dst[i] = f(x, y[i])
			}
		},
	}
}

// kernelOf builds the loops of a binary operation from its float64 scalar
// function; float32 elements are computed in float64 and rounded, which
// is exact for comparisons and at least as accurate as float32 arithmetic
// otherwise. The arithmetic operations have hand-written loops instead,
// because a call per element costs more than the arithmetic.
func kernelOf(f func(x, y float64) float64) kernels {
	return kernels{
		k64: loopsOf(f),
		k32: loopsOf(func(x, y float32) float32 { return float32(f(float64(x), float64(y))) }),
	}
}

func addVV[E float](dst, x, y []E) {
	y = y[:len(dst)]
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

func addVS[E float](dst, x []E, y E) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y
	}
}

func addSV[E float](dst []E, x E, y []E) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = x + y[i]
	}
}

func subVV[E float](dst, x, y []E) {
	y = y[:len(dst)]
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] - y[i]
	}
}

func subVS[E float](dst, x []E, y E) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] - y
	}
}

func subSV[E float](dst []E, x E, y []E) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = x - y[i]
	}
}

func mulVV[E float](dst, x, y []E) {
	y = y[:len(dst)]
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

func mulVS[E float](dst, x []E, y E) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y
	}
}

func mulSV[E float](dst []E, x E, y []E) {
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = x * y[i]
	}
}

var (
	addKernel = kernels{kernel[float64]{addVV[float64], addVS[float64], addSV[float64]},
		kernel[float32]{addVV[float32], addVS[float32], addSV[float32]}}
	subKernel = kernels{kernel[float64]{subVV[float64], subVS[float64], subSV[float64]},
		kernel[float32]{subVV[float32], subVS[float32], subSV[float32]}}
	mulKernel = kernels{kernel[float64]{mulVV[float64], mulVS[float64], mulSV[float64]},
		kernel[float32]{mulVV[float32], mulVS[float32], mulSV[float32]}}
	divKernel = kernelOf(func(x, y float64) float64 { return x / y })
	powKernel = kernelOf(math.Pow)
	maxKernel = kernelOf(func(x, y float64) float64 {
		if x >= y || math.IsNaN(x) {
			return x
		}
		return y
	})
	minKernel = kernelOf(func(x, y float64) float64 {
		if x <= y || math.IsNaN(x) {
			return x
		}
		return y
	})
	eqKernel = kernelOf(func(x, y float64) float64 { return b2f(x == y) })
	neKernel = kernelOf(func(x, y float64) float64 { return b2f(x != y) })
	gtKernel = kernelOf(func(x, y float64) float64 { return b2f(x > y) })
	geKernel = kernelOf(func(x, y float64) float64 { return b2f(x >= y) })
	ltKernel = kernelOf(func(x, y float64) float64 { return b2f(x < y) })
	leKernel = kernelOf(func(x, y float64) float64 { return b2f(x <= y) })
)

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Add returns t + u, broadcasting.
func (t *Tensor) Add(u *Tensor) *Tensor { return binary("Add", t, u, addKernel) }

// Sub returns t − u, broadcasting.
func (t *Tensor) Sub(u *Tensor) *Tensor { return binary("Sub", t, u, subKernel) }

// Mul returns the elementwise product t ⊙ u, broadcasting.
func (t *Tensor) Mul(u *Tensor) *Tensor { return binary("Mul", t, u, mulKernel) }

// Div returns the elementwise quotient t / u, broadcasting.
func (t *Tensor) Div(u *Tensor) *Tensor { return binary("Div", t, u, divKernel) }

// Pow returns t raised elementwise to the power u, broadcasting.
func (t *Tensor) Pow(u *Tensor) *Tensor { return binary("Pow", t, u, powKernel) }

// Maximum returns the elementwise larger of t and u, broadcasting. A NaN in
// either input gives NaN, as torch.maximum does.
func (t *Tensor) Maximum(u *Tensor) *Tensor { return binary("Maximum", t, u, maxKernel) }

// Minimum returns the elementwise smaller of t and u, broadcasting. A NaN in
// either input gives NaN, as torch.minimum does.
func (t *Tensor) Minimum(u *Tensor) *Tensor { return binary("Minimum", t, u, minKernel) }

// Eq returns a mask with 1 where t == u and 0 elsewhere, broadcasting.
func (t *Tensor) Eq(u *Tensor) *Tensor { return binary("Eq", t, u, eqKernel) }

// Ne returns a mask with 1 where t != u and 0 elsewhere, broadcasting.
func (t *Tensor) Ne(u *Tensor) *Tensor { return binary("Ne", t, u, neKernel) }

// Gt returns a mask with 1 where t > u and 0 elsewhere, broadcasting.
func (t *Tensor) Gt(u *Tensor) *Tensor { return binary("Gt", t, u, gtKernel) }

// Ge returns a mask with 1 where t >= u and 0 elsewhere, broadcasting.
func (t *Tensor) Ge(u *Tensor) *Tensor { return binary("Ge", t, u, geKernel) }

// Lt returns a mask with 1 where t < u and 0 elsewhere, broadcasting.
func (t *Tensor) Lt(u *Tensor) *Tensor { return binary("Lt", t, u, ltKernel) }

// Le returns a mask with 1 where t <= u and 0 elsewhere, broadcasting.
func (t *Tensor) Le(u *Tensor) *Tensor { return binary("Le", t, u, leKernel) }

// binary applies k to a and b under broadcasting. The result has their
// dtype, which must be the same.
func binary(op string, a, b *Tensor, k kernels) *Tensor {
	floatOnly(op, a, b)
	sameDType(op, a, b)
	shape := a.shape
	if !slices.Equal(a.shape, b.shape) {
		var ok bool
		if shape, ok = BroadcastShapes(a.shape, b.shape); !ok {
			panic(shapeError(op, "%v and %v: shapes do not broadcast", a.shape, b.shape))
		}
	}
	out := zerosOf(op, a.dtype, shape)
	if a.dtype == Float32 {
		broadcastInto(out.f32, a.f32, b.f32, shape, a.shape, b.shape, k.k32)
	} else {
		broadcastInto(out.data, a.data, b.data, shape, a.shape, b.shape, k.k64)
	}
	return out
}

// broadcastInto fills out, of shape, with k applied to a and b of shapes
// as and bs, which broadcast to it.
func broadcastInto[E float](out, a, b []E, shape, as, bs []int, k kernel[E]) {
	switch {
	case slices.Equal(as, bs):
		k.vv(out, a, b)
		return
	case len(b) == 1 && len(a) == len(out):
		k.vs(out, a, b[0])
		return
	case len(a) == 1 && len(b) == len(out):
		k.sv(out, a[0], b)
		return
	}
	eachRun(shape, as, bs, func(o, ia, ib, n, sa, sb int) {
		dst := out[o : o+n]
		switch {
		case sa == 1 && sb == 1:
			k.vv(dst, a[ia:ia+n], b[ib:ib+n])
		case sa == 1:
			k.vs(dst, a[ia:ia+n], b[ib])
		case sb == 1:
			k.sv(dst, a[ia], b[ib:ib+n])
		default:
			k.vs(dst[:1], a[ia:ia+1], b[ib])
			for i := 1; i < n; i++ {
				dst[i] = dst[0]
			}
		}
	})
}

// eachRun walks the output of a broadcast of shapes a and b to out in
// row-major order, one contiguous run of the innermost (coalesced) dimension
// at a time. For each run it calls f with the output offset, the offsets in
// a and b, the run length and the strides of a and b within the run (1, or
// 0 where that operand is broadcast).
func eachRun(out, a, b []int, f func(o, ia, ib, n, sa, sb int)) {
	n := len(out)
	stridesA, stridesB := broadcastStrides(a, n, out), broadcastStrides(b, n, out)
	// Drop size-1 dimensions and merge neighbours that are contiguous for
	// both operands, so the innermost run is as long as possible.
	var dims, sa, sb []int
	for i := range n {
		if out[i] == 1 {
			continue
		}
		if k := len(dims) - 1; k >= 0 && sa[k] == stridesA[i]*out[i] && sb[k] == stridesB[i]*out[i] {
			dims[k] *= out[i]
			sa[k], sb[k] = stridesA[i], stridesB[i]
			continue
		}
		dims = append(dims, out[i])
		sa = append(sa, stridesA[i])
		sb = append(sb, stridesB[i])
	}
	if len(dims) == 0 { // every dimension is 1
		f(0, 0, 0, 1, 1, 1)
		return
	}
	last := len(dims) - 1
	run := dims[last]
	idx := make([]int, last)
	ia, ib := 0, 0
	for o := 0; ; o += run {
		f(o, ia, ib, run, sa[last], sb[last])
		k := last - 1
		for ; k >= 0; k-- {
			idx[k]++
			ia += sa[k]
			ib += sb[k]
			if idx[k] < dims[k] {
				break
			}
			ia -= sa[k] * dims[k]
			ib -= sb[k] * dims[k]
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}

// broadcastStrides returns the row-major strides of shape padded to n
// dimensions, with 0 for every dimension broadcast against out.
func broadcastStrides(shape []int, n int, out []int) []int {
	s := make([]int, n)
	stride := 1
	for i := n - 1; i >= 0; i-- {
		d := dimFromEnd(shape, n-1-i)
		if d == 1 && out[i] != 1 {
			s[i] = 0
		} else {
			s[i] = stride
		}
		stride *= d
	}
	return s
}

// withScalar returns k applied to every element of t and c, rounded to
// t's dtype, as a new tensor of t's dtype.
func (t *Tensor) withScalar(op string, c float64, k kernels) *Tensor {
	floatOnly(op, t)
	out := zerosOf(op, t.dtype, t.shape)
	if t.dtype == Float32 {
		k.k32.vs(out.f32, t.f32, float32(c))
	} else {
		k.k64.vs(out.data, t.data, c)
	}
	return out
}

// AddScalar returns t + c.
func (t *Tensor) AddScalar(c float64) *Tensor { return t.withScalar("AddScalar", c, addKernel) }

// SubScalar returns t − c.
func (t *Tensor) SubScalar(c float64) *Tensor { return t.withScalar("SubScalar", -c, addKernel) }

// MulScalar returns c·t.
func (t *Tensor) MulScalar(c float64) *Tensor { return t.withScalar("MulScalar", c, mulKernel) }

// DivScalar returns t / c.
func (t *Tensor) DivScalar(c float64) *Tensor { return t.withScalar("DivScalar", c, divKernel) }

// PowScalar returns t raised elementwise to the power c.
func (t *Tensor) PowScalar(c float64) *Tensor {
	floatOnly("PowScalar", t)
	switch c {
	case 2:
		return t.Mul(t)
	case 1:
		return t.Clone()
	}
	return t.withScalar("PowScalar", c, powKernel)
}

// Map returns f applied to every element of t, as a tensor of t's dtype:
// a float32 element is passed to f as a float64 and the result rounded.
func (t *Tensor) Map(f func(float64) float64) *Tensor { return t.mapped("Map", f) }

// mapped is Map reporting an int64 tensor as op, the method called.
func (t *Tensor) mapped(op string, f func(float64) float64) *Tensor {
	floatOnly(op, t)
	out := zerosOf(op, t.dtype, t.shape)
	if t.dtype == Float32 {
		for i, x := range t.f32 {
			out.f32[i] = float32(f(float64(x)))
		}
		return out
	}
	for i, x := range t.data {
		out.data[i] = f(x)
	}
	return out
}

// Neg returns −t.
func (t *Tensor) Neg() *Tensor { return t.withScalar("Neg", -1, mulKernel) }

// Exp returns eˣ elementwise.
func (t *Tensor) Exp() *Tensor { return t.mapped("Exp", math.Exp) }

// Log returns the natural logarithm elementwise.
func (t *Tensor) Log() *Tensor { return t.mapped("Log", math.Log) }

// Sqrt returns the square root elementwise.
func (t *Tensor) Sqrt() *Tensor { return t.mapped("Sqrt", math.Sqrt) }

// Abs returns the absolute value elementwise.
func (t *Tensor) Abs() *Tensor { return t.mapped("Abs", math.Abs) }

// Square returns t² elementwise.
func (t *Tensor) Square() *Tensor { return binary("Square", t, t, mulKernel) }

// Tanh returns the hyperbolic tangent elementwise.
func (t *Tensor) Tanh() *Tensor { return t.mapped("Tanh", math.Tanh) }

// Sigmoid returns 1/(1+e⁻ˣ) elementwise, computed without overflow for
// inputs of either sign.
func (t *Tensor) Sigmoid() *Tensor { return t.mapped("Sigmoid", Sigmoid) }

// Sigmoid returns the logistic function of x without overflow.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// ReLU returns max(x, 0) elementwise. NaN stays NaN.
func (t *Tensor) ReLU() *Tensor {
	floatOnly("ReLU", t)
	out := zerosOf("ReLU", t.dtype, t.shape)
	if t.dtype == Float32 {
		relu(out.f32, t.f32)
	} else {
		relu(out.data, t.data)
	}
	return out
}

// relu shares the elements among the processors: a CNN's activations are
// millions of them, and each is computed alone, so the result is the same
// on any number.
func relu[E float](dst, src []E) {
	dst = dst[:len(src)]
	gemm.SplitWork(len(src), func(lo, hi int) {
		for i, x := range src[lo:hi] {
			dst[lo+i] = max(x, 0) // branch-free: the signs of activations are a coin toss
		}
	})
}

// Clip returns t with every element limited to [lo, hi]. It panics if
// lo > hi.
func (t *Tensor) Clip(lo, hi float64) *Tensor {
	if lo > hi {
		panic(argError("Clip", "lower bound %v above upper bound %v", lo, hi))
	}
	return t.mapped("Clip", func(x float64) float64 { return min(max(x, lo), hi) })
}

// AddScaled adds alpha·x to t in place (the BLAS axpy) and returns t. The
// shapes and dtypes must be equal; for float32, alpha is rounded to
// float32.
func (t *Tensor) AddScaled(alpha float64, x *Tensor) *Tensor {
	if !slices.Equal(t.shape, x.shape) {
		panic(shapeError("AddScaled", "%v += α·%v: shapes differ", t.shape, x.shape))
	}
	floatOnly("AddScaled", t, x)
	sameDType("AddScaled", t, x)
	if t.dtype == Float32 {
		gemm.Axpy32(float32(alpha), x.f32, t.f32)
		return t
	}
	gemm.Axpy(alpha, x.data, t.data)
	return t
}

// Scale multiplies t by alpha (rounded to t's dtype) in place and returns
// t.
func (t *Tensor) Scale(alpha float64) *Tensor {
	floatOnly("Scale", t)
	if t.dtype == Float32 {
		scale(t.f32, float32(alpha))
	} else {
		scale(t.data, alpha)
	}
	return t
}

func scale[E float](x []E, alpha E) {
	for i := range x {
		x[i] *= alpha
	}
}

// Fill sets every element of t to v (rounded to t's dtype) in place and
// returns t.
func (t *Tensor) Fill(v float64) *Tensor {
	floatOnly("Fill", t)
	if t.dtype == Float32 {
		fill(t.f32, float32(v))
	} else {
		fill(t.data, v)
	}
	return t
}

func fill[E float](x []E, v E) {
	for i := range x {
		x[i] = v
	}
}

// CopyFrom copies src's elements into t, which must have the same shape,
// and returns t. The dtypes may differ: each element is converted to t's,
// as torch.Tensor.copy_ does, which is how a float64 checkpoint loads into
// a float32 model. A conversion to or from Int64 refuses the values To
// refuses.
func (t *Tensor) CopyFrom(src *Tensor) *Tensor {
	if !slices.Equal(t.shape, src.shape) {
		panic(shapeError("CopyFrom", "%v ← %v: shapes differ", t.shape, src.shape))
	}
	if t.dtype == src.dtype {
		copy(t.data, src.data)
		copy(t.f32, src.f32)
		copy(t.i64, src.i64)
		return t
	}
	t.convertFrom("CopyFrom", src)
	return t
}

// convertInto sets dst to src converted element by element.
func convertInto[To, From float](dst []To, src []From) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = To(v)
	}
}
