package gemm

// Axpy adds alpha·x to y, the BLAS axpy; x must be at least as long as y.
// Long vectors are shared among threads in fixed chunks, so the result is
// the same for any GOMAXPROCS.
func Axpy(alpha float64, x, y []float64) {
	if len(y) < 2*minSplit { // no closure to allocate: short calls are allocation-free
		axpy(alpha, x, y)
		return
	}
	splitWork(len(y), func(lo, hi int) { axpy(alpha, x[lo:hi], y[lo:hi]) })
}
