package tensor

import (
	"unsafe"

	"github.com/minidl/minidl/internal/gemm"
)

// MatMul returns the matrix product t·u. Both may be 2-D ([m k]·[k n] gives
// [m n]); or t may be a batch of matrices, 3-D [b m k], times either a batch
// [b k n] of the same count or a single matrix [k n] shared by the batch.
func (t *Tensor) MatMul(u *Tensor) *Tensor { return matmul("MatMul", t, u, false, false) }

// MatMulT returns t·uᵀ without forming the transpose: [m k]·[n k]ᵀ gives
// [m n]. Batched shapes follow MatMul, with the last two axes of u swapped.
// It is the product that a linear layer (weights stored out×in) needs.
func (t *Tensor) MatMulT(u *Tensor) *Tensor { return matmul("MatMulT", t, u, false, true) }

// TMatMul returns tᵀ·u without forming the transpose: [k m]ᵀ·[k n] gives
// [m n]. Batched shapes follow MatMul, with the last two axes of t swapped.
func (t *Tensor) TMatMul(u *Tensor) *Tensor { return matmul("TMatMul", t, u, true, false) }

// SetMatMul sets t to op(a)·op(b), where op transposes its matrix when the
// flag says so, and returns t. All three are 2-D and t must have the
// product's shape; t's old contents are not read, and nothing is allocated
// beyond scratch space that is recycled.
func (t *Tensor) SetMatMul(a, b *Tensor, transA, transB bool) *Tensor {
	return t.matMulInto("SetMatMul", a, b, transA, transB, false)
}

// AddMatMul adds op(a)·op(b) to t, as SetMatMul computes it, and returns t.
// It is how a weight's gradient accumulates without a temporary.
func (t *Tensor) AddMatMul(a, b *Tensor, transA, transB bool) *Tensor {
	return t.matMulInto("AddMatMul", a, b, transA, transB, true)
}

func (t *Tensor) matMulInto(op string, a, b *Tensor, ta, tb, add bool) *Tensor {
	floatOnly(op, t, a, b)
	if len(a.shape) != 2 || len(b.shape) != 2 || len(t.shape) != 2 {
		panic(shapeError(op, "%v = %v × %v: want 2-D matrices", t.shape, a.shape, b.shape))
	}
	m, k := opDims(a.shape, ta)
	k2, n := opDims(b.shape, tb)
	if k != k2 {
		panic(shapeError(op, "%v × %v: inner dimensions differ", a.shape, b.shape))
	}
	if t.shape[0] != m || t.shape[1] != n {
		panic(shapeError(op, "destination %v for a [%d %d] product", t.shape, m, n))
	}
	sameDType(op, t, a, b)
	if overlap(t.data, a.data) || overlap(t.data, b.data) || overlap(t.f32, a.f32) || overlap(t.f32, b.f32) {
		panic(argError(op, "the destination shares memory with an operand"))
	}
	if t.dtype == Float32 {
		product(ta, tb, m, n, k, a.f32, b.f32, t.f32, add)
	} else {
		product(ta, tb, m, n, k, a.data, b.data, t.data, add)
	}
	return t
}

// product computes op(a)·op(b) into c, all contiguous, through the matrix
// engine: Gemm for float64, Gemm32 for float32.
func product[E float](ta, tb bool, m, n, k int, a, b, c []E, add bool) {
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	switch a := any(a).(type) {
	case []float64:
		gemm.Gemm(ta, tb, m, n, k, a, max(lda, 1), any(b).([]float64), max(ldb, 1), any(c).([]float64), max(n, 1), add)
	case []float32:
		gemm.Gemm32(ta, tb, m, n, k, a, max(lda, 1), any(b).([]float32), max(ldb, 1), any(c).([]float32), max(n, 1), add)
	}
}

// opDims returns the rows and columns of the matrix in the last two axes of
// shape, transposed if trans.
func opDims(shape []int, trans bool) (rows, cols int) {
	rows, cols = shape[len(shape)-2], shape[len(shape)-1]
	if trans {
		return cols, rows
	}
	return rows, cols
}

// overlap reports whether two slices share any element.
func overlap[E float](x, y []E) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	size := unsafe.Sizeof(x[0])
	x0, y0 := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return x0 < y0+uintptr(len(y))*size && y0 < x0+uintptr(len(x))*size
}

// matmul checks shapes and dtypes and dispatches the 2-D, batched and
// broadcast cases to the matrix engine.
func matmul(op string, a, b *Tensor, ta, tb bool) *Tensor {
	floatOnly(op, a, b)
	bad := func(why string) {
		panic(shapeError(op, "%v × %v: %s", a.shape, b.shape, why))
	}
	ad, bd := len(a.shape), len(b.shape)
	if ad < 2 || ad > 3 || bd < 2 || bd > 3 || (ad == 2 && bd == 3) {
		bad("want 2-D × 2-D, 3-D × 3-D or 3-D × 2-D")
	}
	m, k := opDims(a.shape, ta)
	k2, n := opDims(b.shape, tb)
	if k != k2 {
		bad("inner dimensions differ")
	}
	if ad == 3 && bd == 3 && b.shape[0] != a.shape[0] {
		bad("batch sizes differ")
	}
	sameDType(op, a, b)
	shape := []int{m, n}
	if ad == 3 {
		shape = []int{a.shape[0], m, n}
	}
	out := zerosOf(op, a.dtype, shape)
	if a.dtype == Float32 {
		matmulInto(out.f32, a.f32, b.f32, shape, ad, bd, ta, tb, k)
	} else {
		matmulInto(out.data, a.data, b.data, shape, ad, bd, ta, tb, k)
	}
	return out
}

// matmulInto computes the checked product of matmul into out, of shape.
func matmulInto[E float](out, a, b []E, shape []int, ad, bd int, ta, tb bool, k int) {
	m, n := shape[len(shape)-2], shape[len(shape)-1]
	switch {
	case ad == 2:
		product(ta, tb, m, n, k, a, b, out, false)
	case bd == 2 && !ta:
		// A shared right-hand matrix: one product of the stacked rows.
		product(false, tb, shape[0]*m, n, k, a, b, out, false)
	default:
		sa, sb, sc := m*k, k*n, m*n
		if bd == 2 {
			sb = 0
		}
		for i := range shape[0] {
			product(ta, tb, m, n, k, a[i*sa:(i+1)*sa], b[i*sb:i*sb+k*n], out[i*sc:(i+1)*sc], false)
		}
	}
}
