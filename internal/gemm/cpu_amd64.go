//go:build amd64 && !purego

package gemm

import "unsafe"

// The assembly of gemm_amd64.s. The micro-kernels read k depth steps of mr
// values of a and nr values of b — packed panels, or for the 12×16 kernel
// any row strides lda and ldb — and an mr×nr block of c with row stride
// ldc; dot6x4 reads 6 rows of a and 4 of b along the depth.

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

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// cpuKernels lists the micro-kernels this processor and operating system
// can run, fastest first, ending with the portable one.
func cpuKernels() []microKernel {
	k := []microKernel{}
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return append(k, goKernel)
	}
	_, _, ecx1, _ := cpuid(1, 0)
	_, ebx7, _, _ := cpuid(7, 0)
	osxsave, fma := ecx1&(1<<27) != 0, ecx1&(1<<12) != 0
	if !osxsave {
		return append(k, goKernel)
	}
	xcr0, _ := xgetbv()
	ymmState := xcr0&0x6 == 0x6                    // SSE and AVX state saved by the OS
	zmmState := xcr0&0xe6 == 0xe6                  // and the AVX-512 opmask and ZMM state
	if ymmState && zmmState && ebx7&(1<<16) != 0 { // AVX-512F
		k = append(k, microKernel{name: "avx512", mr: 12, nr: 16, run: asmKernel(func(k int, a, b, c *float64, ldc int, add bool) {
			kernel12x16AVX512(k, a, 12, b, 16, c, ldc, add)
		})})
	}
	if ymmState && fma && ebx7&(1<<5) != 0 { // AVX2
		k = append(k, microKernel{name: "avx2", mr: 6, nr: 8, run: asmKernel(kernel6x8AVX2)})
	}
	return append(k, goKernel)
}

// asmKernel adapts an assembly kernel to the slice-based signature, checking
// the lengths once so that the assembly can trust them.
func asmKernel(f func(k int, a, b, c *float64, ldc int, add bool)) func(k int, a, b, c []float64, ldc, mr, nr int, add bool) {
	return func(k int, a, b, c []float64, ldc, mr, nr int, add bool) {
		if len(a) < k*mr || len(b) < k*nr || len(c) < (mr-1)*ldc+nr {
			panic("gemm: micro-kernel slices too short")
		}
		f(k, unsafe.SliceData(a), unsafe.SliceData(b), unsafe.SliceData(c), ldc, add)
	}
}

// axpy adds alpha·x to y, with AVX2 when the processor has it.
func axpy(alpha float64, x, y []float64) {
	x = x[:len(y)]
	n := 0
	if hasAVX2 {
		n = len(y) &^ 15
		if n > 0 {
			axpyAVX2(alpha, unsafe.SliceData(x), unsafe.SliceData(y), n)
		}
	}
	for i := n; i < len(y); i++ {
		y[i] += alpha * x[i]
	}
}

// transpose8 sets dst[q·ldd+r] = src[r·ld+q] for the 8 rows r of src and
// as many depth steps q < kb as come in whole blocks of 8, and returns that
// count; without AVX-512 it does nothing and returns 0, leaving the work to
// the caller's loop.
func transpose8(kb int, src []float64, ld int, dst []float64, ldd int) int {
	n := kb &^ 7
	if !hasAVX512 || n == 0 {
		return 0
	}
	if len(src) < 7*ld+n || len(dst) < (n-1)*ldd+8 {
		panic("gemm: transpose slices too short")
	}
	transpose8AVX512(n, unsafe.SliceData(src), ld, unsafe.SliceData(dst), ldd)
	return n
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

// kernel12x16 sets (or with add, adds to) the 12×16 block of c (row stride
// ldc) the sum over k depth steps of 12 values of a times 16 values of b,
// each step moving a by lda and b by ldb.
func kernel12x16(k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, add bool) {
	if k < 1 || len(a) < (k-1)*lda+12 || len(b) < (k-1)*ldb+16 || len(c) < 11*ldc+16 {
		panic("gemm: micro-kernel slices too short")
	}
	kernel12x16AVX512(k, unsafe.SliceData(a), lda, unsafe.SliceData(b), ldb, unsafe.SliceData(c), ldc, add)
}

// hasDirect reports whether gemmDirect's kernels run here: besides
// AVX-512F, dot6x4 writes its sums from 256-bit halves of the upper
// registers, which takes AVX-512VL (every AVX-512 Xeon since Skylake has it).
var hasDirect = func() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if !hasAVX512 || maxLeaf < 7 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<31) != 0 // AVX-512VL
}()

// hasAVX512 reports whether the AVX-512 kernels run here; set once at
// start-up.
var hasAVX512 = kernels[0].name == "avx512"

// hasAVX2 reports whether the AVX2 kernels run here; set once at start-up.
var hasAVX2 = func() bool {
	for _, k := range kernels {
		if k.name == "avx2" {
			return true
		}
	}
	return false
}()
