//go:build amd64 && !purego

package gemm

import "unsafe"

// The assembly of kernels_amd64.s (float64) and kernels32_amd64.s
// (float32, its names starting with s, as BLAS's do). The micro-kernels
// read k depth steps of mr values of a and nr values of b — packed panels,
// or any row strides lda and ldb — and an mr×nr block of c with row stride
// ldc; the dot kernels read 6 rows of a and 4 of b along the depth.

//go:noescape
func kernel12x16AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool)

//go:noescape
func dot6x4AVX512(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, add bool)

//go:noescape
func kernel6x8AVX2(k int, a, b, c *float64, ldc int, add bool)

//go:noescape
func transpose8AVX512(kb int, src *float64, ld int, dst *float64, ldd int)

//go:noescape
func axpyAVX2(alpha float64, x, y *float64, n int)

//go:noescape
func skernel6x16AVX2(k int, a *float32, rowStep, depthStep int, b *float32, ldb int, c *float32, ldc int, add bool)

//go:noescape
func skernel12x32AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool)

//go:noescape
func sdot6x4AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, add bool)

//go:noescape
func stranspose8AVX(kb int, src *float32, ld int, dst *float32, ldd int)

//go:noescape
func scopy16AVX(kb int, src *float32, ld int, dst *float32, ldd int)

//go:noescape
func saxpyAVX2(alpha float32, x, y *float32, n int)

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// detectCPU reports the features this processor and operating system
// offer the kernels.
func detectCPU() features {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return features{}
	}
	_, _, ecx1, _ := cpuid(1, 0)
	_, ebx7, _, _ := cpuid(7, 0)
	osxsave, fma := ecx1&(1<<27) != 0, ecx1&(1<<12) != 0
	if !osxsave {
		return features{}
	}
	xcr0, _ := xgetbv()
	ymmState := xcr0&0x6 == 0x6   // SSE and AVX state saved by the OS
	zmmState := xcr0&0xe6 == 0xe6 // and the AVX-512 opmask and ZMM state
	var f features
	f.avx512 = ymmState && zmmState && ebx7&(1<<16) != 0 // AVX-512F
	// Besides AVX-512F, the dot kernels write their sums from the low
	// halves of the upper registers, which takes AVX-512VL (every AVX-512
	// Xeon since Skylake has it).
	f.avx512vl = f.avx512 && ebx7&(1<<31) != 0
	f.avx2 = ymmState && fma && ebx7&(1<<5) != 0
	return f
}

// newEngine64 returns the float64 engine for a processor with features f.
func newEngine64(f features) *engine[float64] {
	e := &engine[float64]{kern: goKernel[float64](), kc: 128, maxRows: 768, axpy: axpyGo[float64], scratch: &scratch64}
	switch {
	case f.avx512:
		e.kern = microKernel[float64]{name: "avx512", mr: 12, nr: 16, run: packedKernel(func(k int, a, b, c *float64, ldc int, add bool) {
			kernel12x16AVX512(k, a, 12, b, 16, c, ldc, add)
		})}
		e.transpose8 = transpose8
		if f.avx512vl {
			e.dot, e.dotUnit = dot6x4, 8
			e.outer, e.outerRows, e.outerCols = kernel12x16, 12, 16
		}
	case f.avx2:
		e.kern = microKernel[float64]{name: "avx2", mr: 6, nr: 8, run: packedKernel(kernel6x8AVX2)}
	}
	if f.avx2 {
		e.axpy = axpy
	}
	return e
}

// newEngine32 returns the float32 engine for a processor with features f.
func newEngine32(f features) *engine[float32] {
	e := &engine[float32]{kern: goKernel[float32](), kc: 256, maxRows: 384, axpy: axpyGo[float32], scratch: &scratch32}
	if f.avx2 || f.avx512 { // the transposition takes AVX alone
		e.transpose8, e.copy16 = stranspose8, scopy16
	}
	switch {
	case f.avx512:
		e.kern = microKernel[float32]{name: "avx512", mr: 12, nr: 32, run: packedKernel(func(k int, a, b, c *float32, ldc int, add bool) {
			skernel12x32AVX512(k, a, 12, b, 32, c, ldc, add)
		})}
		// The float64 engine's blocking, in bytes: a panel of B (32 floats
		// wide) 16 KB, to stay in L1 beside the panels of A passing by.
		e.kc, e.maxRows = 128, 768
		if f.avx512vl {
			e.dot, e.dotUnit = sdot6x4, 16
			e.outer, e.outerRows, e.outerCols = skernel12x32, 12, 32
		}
	case f.avx2:
		e.kern = microKernel[float32]{name: "avx2", mr: 6, nr: 16, run: packedKernel(func(k int, a, b, c *float32, ldc int, add bool) {
			skernel6x16AVX2(k, a, 1, 6, b, 16, c, ldc, add)
		}), inPlace: skernel6x16InPlace}
	}
	if f.avx2 {
		e.axpy = saxpy
	}
	return e
}

// packedKernel adapts an assembly kernel over packed panels to the
// slice-based signature, checking the lengths once so that the assembly
// can trust them.
func packedKernel[E float](f func(k int, a, b, c *E, ldc int, add bool)) func(k int, a, b, c []E, ldc, mr, nr int, add bool) {
	return func(k int, a, b, c []E, ldc, mr, nr int, add bool) {
		if len(a) < k*mr || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
			panic("gemm: micro-kernel slices too short")
		}
		f(k, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, add)
	}
}

// skernel6x16InPlace sets (or with add, adds to) the 6×16 block of c (row
// stride ldc) the product of 6 rows of op(A) read where they lie (row r's
// value at depth step q is a[r·rowStep+q·depthStep]) and a packed panel of
// 16 columns of op(B), over k ≥ 1 depth steps.
func skernel6x16InPlace(k int, a []float32, rowStep, depthStep int, b, c []float32, ldc int, add bool) {
	if k < 1 || len(a) < 5*rowStep+(k-1)*depthStep+1 || len(b) < 16*k || len(c) < 5*ldc+16 {
		panic("gemm: micro-kernel slices too short")
	}
	skernel6x16AVX2(k, unsafe.SliceData(a), rowStep, depthStep, unsafe.SliceData(b), 16, unsafe.SliceData(c), ldc, add)
}

// axpy adds alpha·x to y with AVX2, for float64.
func axpy(alpha float64, x, y []float64) {
	x = x[:len(y)]
	n := len(y) &^ 15
	if n > 0 {
		axpyAVX2(alpha, unsafe.SliceData(x), unsafe.SliceData(y), n)
	}
	axpyGo(alpha, x[n:], y[n:])
}

// saxpy adds alpha·x to y with AVX2, for float32.
func saxpy(alpha float32, x, y []float32) {
	x = x[:len(y)]
	n := len(y) &^ 31
	if n > 0 {
		saxpyAVX2(alpha, unsafe.SliceData(x), unsafe.SliceData(y), n)
	}
	axpyGo(alpha, x[n:], y[n:])
}

// transpose8 sets dst[q·ldd+r] = src[r·ld+q] for the 8 rows r of src and
// as many depth steps q < kb as come in whole blocks of 8, and returns that
// count, with AVX-512.
func transpose8(kb int, src []float64, ld int, dst []float64, ldd int) int {
	n := kb &^ 7
	if n == 0 {
		return 0
	}
	if len(src) < 7*ld+n || len(dst) < (n-1)*ldd+8 {
		panic("gemm: transpose slices too short")
	}
	transpose8AVX512(n, unsafe.SliceData(src), ld, unsafe.SliceData(dst), ldd)
	return n
}

// stranspose8 is transpose8 for float32, with AVX.
func stranspose8(kb int, src []float32, ld int, dst []float32, ldd int) int {
	n := kb &^ 7
	if n == 0 {
		return 0
	}
	if len(src) < 7*ld+n || len(dst) < (n-1)*ldd+8 {
		panic("gemm: transpose slices too short")
	}
	stranspose8AVX(n, unsafe.SliceData(src), ld, unsafe.SliceData(dst), ldd)
	return n
}

// scopy16 copies kb rows of 16 floats from src (row stride ld) to dst (row
// stride ldd), with AVX.
func scopy16(kb int, src []float32, ld int, dst []float32, ldd int) {
	if kb < 1 {
		return
	}
	if len(src) < (kb-1)*ld+16 || len(dst) < (kb-1)*ldd+16 {
		panic("gemm: copy slices too short")
	}
	scopy16AVX(kb, unsafe.SliceData(src), ld, unsafe.SliceData(dst), ldd)
}

// dot6x4 sets (or with add, adds to) the 6×4 block of c (row stride ldc)
// the products of 6 rows of a and 4 rows of b (row strides lda and ldb)
// over depth k, a multiple of 8.
func dot6x4(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, add bool) {
	if len(a) < 5*lda+k || len(b) < 3*ldb+k || len(c) < 5*ldc+4 || k%8 != 0 {
		panic("gemm: dot kernel slices too short")
	}
	dot6x4AVX512(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, add)
}

// sdot6x4 is dot6x4 for float32, over a depth that is a multiple of 16.
func sdot6x4(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, add bool) {
	if len(a) < 5*lda+k || len(b) < 3*ldb+k || len(c) < 5*ldc+4 || k%16 != 0 {
		panic("gemm: dot kernel slices too short")
	}
	sdot6x4AVX512(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, add)
}

// kernel12x16 sets (or with add, adds to) the 12×16 block of c (row stride
// ldc) the sum over k depth steps of 12 values of a times 16 values of b,
// each step moving a by lda and b by ldb.
func kernel12x16(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, add bool) {
	if k < 1 || len(a) < (k-1)*lda+12 || len(b) < (k-1)*ldb+16 || len(c) < 11*ldc+16 {
		panic("gemm: micro-kernel slices too short")
	}
	kernel12x16AVX512(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, add)
}

// skernel12x32 is kernel12x16 for float32, 12×32.
func skernel12x32(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, add bool) {
	if k < 1 || len(a) < (k-1)*lda+12 || len(b) < (k-1)*ldb+32 || len(c) < 11*ldc+32 {
		panic("gemm: micro-kernel slices too short")
	}
	skernel12x32AVX512(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, add)
}
