//go:build !amd64 || purego

package tensor

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
