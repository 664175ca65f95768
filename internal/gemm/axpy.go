package gemm

// Axpy adds alpha·x to y, the BLAS axpy; x must be at least as long as y.
// Long vectors are shared among threads in fixed chunks, so the result is
// the same for any GOMAXPROCS.
func Axpy(alpha float64, x, y []float64) { engine64.axpyShared(alpha, x, y) }

// Axpy32 is Axpy on float32 slices, BLAS's saxpy.
func Axpy32(alpha float32, x, y []float32) { engine32.axpyShared(alpha, x, y) }

func (e *engine[E]) axpyShared(alpha E, x, y []E) {
	if len(y) < 2*minSplit { // no closure to allocate: short calls are allocation-free
		e.axpy(alpha, x, y)
		return
	}
	SplitWork(len(y), func(lo, hi int) { e.axpy(alpha, x[lo:hi], y[lo:hi]) })
}

// axpyGo adds alpha·x to y, in portable Go.
func axpyGo[E float](alpha E, x, y []E) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}
