package autograd

import "github.com/minidl/minidl/tensor"

// float is the element types a kernel here is written once for.
type float interface{ float32 | float64 }

// product computes c (+)= op(a)·op(b) on row-major matrices with row
// strides: gemm.Gemm or gemm.Gemm32.
type product[E float] func(transA, transB bool, m, n, k int, a []E, lda int, b []E, ldb int, c []E, ldc int, add bool)

// elems returns t's backing slice as []E; t must hold E, which the caller
// has checked.
func elems[E float](t *tensor.Tensor) []E {
	if t.DType() == tensor.Float32 {
		return any(t.Float32s()).([]E)
	}
	return any(t.Data()).([]E)
}

// tensorOf returns a tensor of the given shape backed by data.
func tensorOf[E float](data []E, shape []int) *tensor.Tensor {
	switch d := any(data).(type) {
	case []float32:
		return tensor.NewFloat32(d, shape...)
	default:
		return tensor.New(any(data).([]float64), shape...)
	}
}
