package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// matmul checks shapes and dispatches the 2-D, batched and broadcast cases
// to gemm.
func matmul(op string, a, b *Tensor, ta, tb bool) *Tensor {
	bad := func(why string) {
		panic(errorf(op, "%v × %v: %s", a.shape, b.shape, why))
	}
	ad, bd := len(a.shape), len(b.shape)
	if ad < 2 || ad > 3 || bd < 2 || bd > 3 || (ad == 2 && bd == 3) {
		bad("want 2-D × 2-D, 3-D × 3-D or 3-D × 2-D")
	}
	m, k := a.shape[ad-2], a.shape[ad-1]
	if ta {
		m, k = k, m
	}
	k2, n := b.shape[bd-2], b.shape[bd-1]
	if tb {
		k2, n = n, k2
	}
	if k != k2 {
		bad("inner dimensions differ")
	}
	switch {
	case ad == 2:
		out := Zeros(m, n)
		gemm(ta, tb, m, n, k, a.data, b.data, out.data)
		return out
	case bd == 2 && !ta:
		// A shared right-hand matrix: one product of the stacked rows.
		batch := a.shape[0]
		out := Zeros(batch, m, n)
		gemm(false, tb, batch*m, n, k, a.data, b.data, out.data)
		return out
	default:
		batch := a.shape[0]
		if bd == 3 && b.shape[0] != batch {
			bad("batch sizes differ")
		}
		out := Zeros(batch, m, n)
		sa, sb, sc := m*k, k*n, m*n
		if bd == 2 {
			sb = 0
		}
		for i := range batch {
			gemm(ta, tb, m, n, k, a.data[i*sa:(i+1)*sa], b.data[i*sb:i*sb+k*n], out.data[i*sc:(i+1)*sc])
		}
		return out
	}
}

// Blocking of the general matrix product. For each depth block of kc, op(B)
// is packed once into panels of nr columns; then C is computed in tiles of
// rows × columns, each packing its rows of op(A) into panels of mr rows and
// running the micro-kernel, which adds an mr×nr block of the product to C.
//
// Every entry of C is the sum, over the depth blocks in order, of a dot
// product accumulated in depth order from zero; how C is cut into tiles and
// which goroutine computes a tile never change that sum. Results are
// therefore bitwise identical for any GOMAXPROCS (they can differ between
// micro-kernels, which is to say between processors, since the assembly
// kernels fuse each multiply-add).
const (
	kc = 128
	mc = 96 // rows per tile: a multiple of every kernel's mr
)

// smallGemm is the size (m·n·k) below which packing costs more than it saves.
const smallGemm = 16 * 16 * 16

// parallelGemm is the size above which tiles are shared among goroutines.
const parallelGemm = 96 * 96 * 96

// microKernel computes an mr×nr block of C from packed panels.
type microKernel struct {
	name   string
	mr, nr int
	run    func(k int, a, b, c []float64, ldc, mr, nr int)
}

var goKernel = microKernel{name: "go", mr: 4, nr: 4, run: func(k int, a, b, c []float64, ldc, _, _ int) {
	kernel4x4(k, a, b, c, ldc)
}}

// kernels lists the micro-kernels this processor can run, fastest first.
// It is set once, when the package is initialized, and only read after.
var kernels = cpuKernels()

// scratch recycles packing buffers, which would otherwise be allocated and
// zeroed on every product. A sync.Pool is safe for concurrent use and holds
// nothing that changes a result.
var scratch = sync.Pool{New: func() any { return new([]float64) }}

func getScratch(n int) *[]float64 {
	p := scratch.Get().(*[]float64)
	if cap(*p) < n {
		*p = make([]float64, n)
	}
	*p = (*p)[:n]
	return p
}

// gemm adds op(A)·op(B) to c (m×n, row-major), where op(A) is m×k and op(B)
// is k×n; ta and tb say that a and b are stored transposed.
func gemm(ta, tb bool, m, n, k int, a, b, c []float64) {
	gemmWith(kernels[0], ta, tb, m, n, k, a, b, c)
}

func gemmWith(kern microKernel, ta, tb bool, m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	if m*n*k <= smallGemm {
		gemmSmall(ta, tb, m, n, k, a, b, c)
		return
	}
	nr := kern.nr
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	kb0 := min(kc, k)
	np := (n + nr - 1) / nr * nr
	bp := getScratch(kb0 * np)
	defer scratch.Put(bp)

	// Tiles: rows in blocks of mc; columns cut finer when there are too few
	// row blocks to keep every thread busy.
	workers := runtime.GOMAXPROCS(0)
	if m*n*k < parallelGemm {
		workers = 1
	}
	rowBlocks := (m + mc - 1) / mc
	nc := np
	if want := 2 * workers; workers > 1 && rowBlocks < want {
		perRow := (want + rowBlocks - 1) / rowBlocks
		nc = max(nr, (np/nr+perRow-1)/perRow*nr)
	}
	colBlocks := (n + nc - 1) / nc
	tiles := rowBlocks * colBlocks
	workers = min(workers, tiles)

	for p := 0; p < k; p += kc {
		kb := min(kc, k-p)
		packB(tb, b, ldb, p, kb, n, nr, *bp)
		tile := func(t int, ap []float64) {
			i, j := t/colBlocks*mc, t%colBlocks*nc
			gemmTile(kern, ta, a, lda, i, min(mc, m-i), j, min(nc, n-j), n, p, kb, *bp, c, ap)
		}
		if workers == 1 {
			ap := getScratch(mc * kb)
			for t := range tiles {
				tile(t, *ap)
			}
			scratch.Put(ap)
			continue
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ap := getScratch(mc * kb)
				defer scratch.Put(ap)
				for {
					t := int(next.Add(1)) - 1
					if t >= tiles {
						return
					}
					tile(t, *ap)
				}
			}()
		}
		wg.Wait()
	}
}

// gemmTile adds the product of rows [i, i+mb) of op(A) and columns
// [j, j+nb) of the packed op(B), over depth [p, p+kb), into c.
func gemmTile(kern microKernel, ta bool, a []float64, lda, i, mb, j, nb, n, p, kb int, bp, c, ap []float64) {
	mr, nr := kern.mr, kern.nr
	packA(ta, a, lda, i, mb, p, kb, mr, ap)
	var tileBuf [16 * 16]float64
	for ii := 0; ii < mb; ii += mr {
		rows := min(mr, mb-ii)
		apanel := ap[ii*kb : (ii+mr)*kb]
		for jj := j; jj < j+nb; jj += nr {
			cols := min(nr, j+nb-jj)
			bpanel := bp[jj*kb : (jj+nr)*kb]
			if rows == mr && cols == nr {
				kern.run(kb, apanel, bpanel, c[(i+ii)*n+jj:], n, mr, nr)
				continue
			}
			t := tileBuf[:mr*nr]
			clear(t)
			kern.run(kb, apanel, bpanel, t, nr, mr, nr)
			for r := range rows {
				row := c[(i+ii+r)*n+jj : (i+ii+r)*n+jj+cols]
				for q := range row {
					row[q] += t[r*nr+q]
				}
			}
		}
	}
}

// packA copies rows [i, i+mb) and depth [p, p+kb) of op(A) into ap as
// panels of mr rows, each stored depth-major (the mr values of one depth
// together), padding the last panel with zeros.
func packA(ta bool, a []float64, lda, i, mb, p, kb, mr int, ap []float64) {
	for ii := 0; ii < mb; ii += mr {
		panel := ap[ii*kb : (ii+mr)*kb]
		rows := min(mr, mb-ii)
		if ta { // op(A) row r is column r of a: read along rows of a
			for q := range kb {
				dst := panel[q*mr : q*mr+mr]
				src := a[(p+q)*lda+i+ii:]
				copy(dst[:rows], src[:rows])
				clear(dst[rows:])
			}
			continue
		}
		if rows < mr {
			clear(panel)
		}
		// Read the rows side by side, so that the panel is written in order.
		var src [16][]float64
		for r := range rows {
			src[r] = a[(i+ii+r)*lda+p : (i+ii+r)*lda+p+kb]
		}
		if rows == 12 {
			s0, s1, s2, s3, s4, s5 := src[0], src[1], src[2], src[3], src[4], src[5]
			s6, s7, s8, s9, s10, s11 := src[6], src[7], src[8], src[9], src[10], src[11]
			for q := range kb {
				d := panel[q*12 : q*12+12 : q*12+12]
				d[0], d[1], d[2], d[3], d[4], d[5] = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q]
				d[6], d[7], d[8], d[9], d[10], d[11] = s6[q], s7[q], s8[q], s9[q], s10[q], s11[q]
			}
			continue
		}
		for q := range kb {
			d := panel[q*mr : q*mr+rows]
			for r := range d {
				d[r] = src[r][q]
			}
		}
	}
}

// packB copies depth [p, p+kb) of op(B) (all n columns) into bp as panels of
// nr columns, each stored depth-major, padding the last panel with zeros.
func packB(tb bool, b []float64, ldb, p, kb, n, nr int, bp []float64) {
	for j := 0; j < n; j += nr {
		panel := bp[j*kb : (j+nr)*kb]
		cols := min(nr, n-j)
		if tb { // op(B) column c is row c of b: read along rows of b
			for c := range cols {
				src := b[(j+c)*ldb+p : (j+c)*ldb+p+kb]
				for q, v := range src {
					panel[q*nr+c] = v
				}
			}
			if cols < nr {
				for q := range kb {
					clear(panel[q*nr+cols : q*nr+nr])
				}
			}
			continue
		}
		for q := range kb {
			dst := panel[q*nr : q*nr+nr]
			copy(dst, b[(p+q)*ldb+j:(p+q)*ldb+j+cols])
			clear(dst[cols:])
		}
	}
}

// kernel4x4 adds the product of a packed 4×kb panel of A and a packed kb×4
// panel of B to the 4×4 block of c at the start of c (row stride ldc).
func kernel4x4(kb int, a, b, c []float64, ldc int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float64
	var c20, c21, c22, c23, c30, c31, c32, c33 float64
	a = a[:kb*4]
	b = b[:kb*4]
	for q := 0; q < len(a); q += 4 {
		a0, a1, a2, a3 := a[q], a[q+1], a[q+2], a[q+3]
		b0, b1, b2, b3 := b[q], b[q+1], b[q+2], b[q+3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	r := c[:4]
	r[0] += c00
	r[1] += c01
	r[2] += c02
	r[3] += c03
	r = c[ldc : ldc+4]
	r[0] += c10
	r[1] += c11
	r[2] += c12
	r[3] += c13
	r = c[2*ldc : 2*ldc+4]
	r[0] += c20
	r[1] += c21
	r[2] += c22
	r[3] += c23
	r = c[3*ldc : 3*ldc+4]
	r[0] += c30
	r[1] += c31
	r[2] += c32
	r[3] += c33
}

// gemmSmall is the direct triple loop for products too small to pack.
func gemmSmall(ta, tb bool, m, n, k int, a, b, c []float64) {
	for i := range m {
		row := c[i*n : (i+1)*n]
		for q := range k {
			var av float64
			if ta {
				av = a[q*m+i]
			} else {
				av = a[i*k+q]
			}
			if tb {
				for j := range row {
					row[j] += av * b[j*k+q]
				}
			} else {
				brow := b[q*n : (q+1)*n]
				for j, bv := range brow {
					row[j] += av * bv
				}
			}
		}
	}
}
