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

// Blocking of the general matrix product. C is computed in row blocks of mc
// rows; each block is the sum, over depth blocks of kc, of the product of a
// packed mc×kc slice of A and a packed kc×n slice of B, computed by the
// micro-kernel mr×nr entries at a time. The row blocks are the unit of
// parallel work: their boundaries depend only on the shapes, never on the
// number of threads, and every entry of C sums its products in the same order
// whoever computes it, so results are bitwise identical for any GOMAXPROCS.
const (
	mr = 4
	nr = 4
	kc = 256
	mc = 64
)

// smallGemm is the size (m·n·k) below which packing costs more than it saves.
const smallGemm = 16 * 16 * 16

// parallelGemm is the size above which row blocks are shared among goroutines.
const parallelGemm = 64 * 64 * 64

// gemm sets c (m×n, row-major) to op(A)·op(B), where op(A) is m×k and op(B)
// is k×n; ta and tb say that a and b are stored transposed.
func gemm(ta, tb bool, m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	if m*n*k <= smallGemm {
		gemmSmall(ta, tb, m, n, k, a, b, c)
		return
	}
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	np := (n + nr - 1) / nr * nr
	bp := make([]float64, kc*np)
	blocks := (m + mc - 1) / mc
	workers := min(runtime.GOMAXPROCS(0), blocks)
	if m*n*k < parallelGemm {
		workers = 1
	}
	ap := make([][]float64, workers)
	for w := range ap {
		ap[w] = make([]float64, mc*kc)
	}
	for p := 0; p < k; p += kc {
		kb := min(kc, k-p)
		packB(tb, b, ldb, p, kb, n, bp)
		if workers == 1 {
			for i := 0; i < m; i += mc {
				gemmBlock(ta, a, lda, i, min(mc, m-i), p, kb, n, bp, c, ap[0])
			}
			continue
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					blk := int(next.Add(1)) - 1
					if blk >= blocks {
						return
					}
					i := blk * mc
					gemmBlock(ta, a, lda, i, min(mc, m-i), p, kb, n, bp, c, ap[w])
				}
			}()
		}
		wg.Wait()
	}
}

// gemmBlock adds the product of rows [i, i+mb) of op(A), depth [p, p+kb),
// with the packed B panel bp into c.
func gemmBlock(ta bool, a []float64, lda, i, mb, p, kb, n int, bp, c, ap []float64) {
	packA(ta, a, lda, i, mb, p, kb, ap)
	var tile [mr * nr]float64
	for ii := 0; ii < mb; ii += mr {
		rows := min(mr, mb-ii)
		apanel := ap[ii*kb : (ii+mr)*kb]
		for j := 0; j < n; j += nr {
			cols := min(nr, n-j)
			bpanel := bp[j*kb : (j+nr)*kb]
			if rows == mr && cols == nr {
				kernel4x4(kb, apanel, bpanel, c[(i+ii)*n+j:], n)
				continue
			}
			tile = [mr * nr]float64{}
			kernel4x4(kb, apanel, bpanel, tile[:], nr)
			for r := range rows {
				row := c[(i+ii+r)*n+j : (i+ii+r)*n+j+cols]
				for q := range row {
					row[q] += tile[r*nr+q]
				}
			}
		}
	}
}

// packA copies rows [i, i+mb) and depth [p, p+kb) of op(A) into ap as
// panels of mr rows, each stored depth-major (the mr values of one depth
// together), padding the last panel with zeros.
func packA(ta bool, a []float64, lda, i, mb, p, kb int, ap []float64) {
	for ii := 0; ii < mb; ii += mr {
		panel := ap[ii*kb : (ii+mr)*kb]
		for r := range mr {
			row := i + ii + r
			if ii+r >= mb {
				for q := range kb {
					panel[q*mr+r] = 0
				}
				continue
			}
			if ta {
				for q := range kb {
					panel[q*mr+r] = a[(p+q)*lda+row]
				}
			} else {
				src := a[row*lda+p : row*lda+p+kb]
				for q, v := range src {
					panel[q*mr+r] = v
				}
			}
		}
	}
}

// packB copies depth [p, p+kb) of op(B) (all n columns) into bp as panels of
// nr columns, each stored depth-major, padding the last panel with zeros.
func packB(tb bool, b []float64, ldb, p, kb, n int, bp []float64) {
	for j := 0; j < n; j += nr {
		panel := bp[j*kb : (j+nr)*kb]
		cols := min(nr, n-j)
		for q := range kb {
			dst := panel[q*nr : q*nr+nr]
			if tb {
				for c := range cols {
					dst[c] = b[(j+c)*ldb+p+q]
				}
			} else {
				copy(dst, b[(p+q)*ldb+j:(p+q)*ldb+j+cols])
			}
			for c := cols; c < nr; c++ {
				dst[c] = 0
			}
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
