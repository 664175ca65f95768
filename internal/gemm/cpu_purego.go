//go:build !amd64 || purego

package gemm

// cpuKernels returns the portable micro-kernel: this build has no assembly.
func cpuKernels() []microKernel { return []microKernel{goKernel} }

// axpy adds alpha·x to y.
func axpy(alpha float64, x, y []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// transpose8 leaves the transposition to the caller's loop: this build has
// no assembly.
func transpose8(kb int, src []float64, ld int, dst []float64, ldd int) int { return 0 }

// hasDirect is false: this build has none of gemmDirect's kernels, and
// every product packs.
const hasDirect = false

func dot6x4(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, add bool) {
	panic("gemm: no dot-product kernel in this build")
}

func kernel12x16(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, add bool) {
	panic("gemm: no 12×16 kernel in this build")
}
