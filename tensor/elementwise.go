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

// kernel holds the three loops of a binary operation: vector with vector,
// vector with scalar, scalar with vector. Broadcasting reduces every case to
// runs of one of these.
type kernel struct {
	vv func(dst, x, y []float64)
	vs func(dst, x []float64, y float64)
	sv func(dst []float64, x float64, y []float64)
}

// kernelOf builds the loops of a binary operation from its scalar function.
// The four arithmetic operations have hand-written loops instead, because a
// call per element costs more than the arithmetic.
func kernelOf(f func(x, y float64) float64) kernel {
	return kernel{
		vv: func(dst, x, y []float64) {
			for i := range dst {
				dst[i] = f(x[i], y[i])
			}
		},
		vs: func(dst, x []float64, y float64) {
			for i := range dst {
				dst[i] = f(x[i], y)
			}
		},
		sv: func(dst []float64, x float64, y []float64) {
			for i := range dst {
				dst[i] = f(x, y[i])
			}
		},
	}
}

var (
	addKernel = kernel{
		vv: func(dst, x, y []float64) {
			y = y[:len(dst)]
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] + y[i]
			}
		},
		vs: func(dst, x []float64, y float64) {
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] + y
			}
		},
		sv: func(dst []float64, x float64, y []float64) {
			y = y[:len(dst)]
			for i := range dst {
				dst[i] = x + y[i]
			}
		},
	}
	subKernel = kernel{
		vv: func(dst, x, y []float64) {
			y = y[:len(dst)]
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] - y[i]
			}
		},
		vs: func(dst, x []float64, y float64) {
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] - y
			}
		},
		sv: func(dst []float64, x float64, y []float64) {
			y = y[:len(dst)]
			for i := range dst {
				dst[i] = x - y[i]
			}
		},
	}
	mulKernel = kernel{
		vv: func(dst, x, y []float64) {
			y = y[:len(dst)]
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] * y[i]
			}
		},
		vs: func(dst, x []float64, y float64) {
			x = x[:len(dst)]
			for i := range dst {
				dst[i] = x[i] * y
			}
		},
		sv: func(dst []float64, x float64, y []float64) {
			y = y[:len(dst)]
			for i := range dst {
				dst[i] = x * y[i]
			}
		},
	}
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

// binary applies k to a and b under broadcasting.
func binary(op string, a, b *Tensor, k kernel) *Tensor {
	if slices.Equal(a.shape, b.shape) {
		out := Zeros(a.shape...)
		k.vv(out.data, a.data, b.data)
		return out
	}
	shape, ok := BroadcastShapes(a.shape, b.shape)
	if !ok {
		panic(shapeError(op, "%v and %v: shapes do not broadcast", a.shape, b.shape))
	}
	out := Zeros(shape...)
	switch {
	case len(b.data) == 1 && len(a.data) == len(out.data):
		k.vs(out.data, a.data, b.data[0])
		return out
	case len(a.data) == 1 && len(b.data) == len(out.data):
		k.sv(out.data, a.data[0], b.data)
		return out
	}
	eachRun(shape, a.shape, b.shape, func(o, ia, ib, n, sa, sb int) {
		dst := out.data[o : o+n]
		switch {
		case sa == 1 && sb == 1:
			k.vv(dst, a.data[ia:ia+n], b.data[ib:ib+n])
		case sa == 1:
			k.vs(dst, a.data[ia:ia+n], b.data[ib])
		case sb == 1:
			k.sv(dst, a.data[ia], b.data[ib:ib+n])
		default:
			k.vs(dst[:1], a.data[ia:ia+1], b.data[ib])
			for i := 1; i < n; i++ {
				dst[i] = dst[0]
			}
		}
	})
	return out
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

// AddScalar returns t + c.
func (t *Tensor) AddScalar(c float64) *Tensor {
	out := Zeros(t.shape...)
	addKernel.vs(out.data, t.data, c)
	return out
}

// SubScalar returns t − c.
func (t *Tensor) SubScalar(c float64) *Tensor { return t.AddScalar(-c) }

// MulScalar returns c·t.
func (t *Tensor) MulScalar(c float64) *Tensor {
	out := Zeros(t.shape...)
	mulKernel.vs(out.data, t.data, c)
	return out
}

// DivScalar returns t / c.
func (t *Tensor) DivScalar(c float64) *Tensor {
	out := Zeros(t.shape...)
	divKernel.vs(out.data, t.data, c)
	return out
}

// PowScalar returns t raised elementwise to the power c.
func (t *Tensor) PowScalar(c float64) *Tensor {
	switch c {
	case 2:
		return t.Mul(t)
	case 1:
		return t.Clone()
	}
	out := Zeros(t.shape...)
	powKernel.vs(out.data, t.data, c)
	return out
}

// Map returns f applied to every element of t.
func (t *Tensor) Map(f func(float64) float64) *Tensor {
	out := Zeros(t.shape...)
	for i, x := range t.data {
		out.data[i] = f(x)
	}
	return out
}

// Neg returns −t.
func (t *Tensor) Neg() *Tensor { return t.MulScalar(-1) }

// Exp returns eˣ elementwise.
func (t *Tensor) Exp() *Tensor { return t.Map(math.Exp) }

// Log returns the natural logarithm elementwise.
func (t *Tensor) Log() *Tensor { return t.Map(math.Log) }

// Sqrt returns the square root elementwise.
func (t *Tensor) Sqrt() *Tensor { return t.Map(math.Sqrt) }

// Abs returns the absolute value elementwise.
func (t *Tensor) Abs() *Tensor { return t.Map(math.Abs) }

// Square returns t² elementwise.
func (t *Tensor) Square() *Tensor { return t.Mul(t) }

// Tanh returns the hyperbolic tangent elementwise.
func (t *Tensor) Tanh() *Tensor { return t.Map(math.Tanh) }

// Sigmoid returns 1/(1+e⁻ˣ) elementwise, computed without overflow for
// inputs of either sign.
func (t *Tensor) Sigmoid() *Tensor { return t.Map(Sigmoid) }

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
	out := Zeros(t.shape...)
	d := out.data[:len(t.data)]
	for i, x := range t.data {
		d[i] = max(x, 0) // branch-free: the signs of activations are a coin toss
	}
	return out
}

// Clip returns t with every element limited to [lo, hi]. It panics if
// lo > hi.
func (t *Tensor) Clip(lo, hi float64) *Tensor {
	if lo > hi {
		panic(argError("Clip", "lower bound %v above upper bound %v", lo, hi))
	}
	return t.Map(func(x float64) float64 { return min(max(x, lo), hi) })
}

// AddScaled adds alpha·x to t in place (the BLAS axpy) and returns t. The
// shapes must be equal.
func (t *Tensor) AddScaled(alpha float64, x *Tensor) *Tensor {
	if !slices.Equal(t.shape, x.shape) {
		panic(shapeError("AddScaled", "%v += α·%v: shapes differ", t.shape, x.shape))
	}
	gemm.Axpy(alpha, x.data, t.data)
	return t
}

// Scale multiplies t by alpha in place and returns t.
func (t *Tensor) Scale(alpha float64) *Tensor {
	for i := range t.data {
		t.data[i] *= alpha
	}
	return t
}

// Fill sets every element of t to v in place and returns t.
func (t *Tensor) Fill(v float64) *Tensor {
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// CopyFrom copies src's elements into t, which must have the same shape,
// and returns t.
func (t *Tensor) CopyFrom(src *Tensor) *Tensor {
	if !slices.Equal(t.shape, src.shape) {
		panic(shapeError("CopyFrom", "%v ← %v: shapes differ", t.shape, src.shape))
	}
	copy(t.data, src.data)
	return t
}
