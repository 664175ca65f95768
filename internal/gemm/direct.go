package gemm

import (
	"runtime"
	"sync/atomic"
)

// Products that read their operands where they lie. Packing copies op(A)
// and op(B) into panels so that the micro-kernel streams them; for the two
// layouts a neural network multiplies most, the kernels can stream the
// operands themselves, which saves the copies and, for x·Wᵀ, the
// transposes and the padding rows of the last panel:
//
//   - A·Bᵀ (a linear layer's forward pass x·Wᵀ): both operands have the
//     depth along their rows. The dot kernel takes 6 rows of A and 4 of B
//     and sums a register's worth of depth steps (8 float64, 16 float32) per
//     fused multiply-add, folding its accumulators at the end.
//   - Aᵀ·B (a weight's gradient Gᵀ·x): both have the depth down their
//     columns, so one depth step is a contiguous run of A's row and of B's;
//     the AVX-512 kernel of the packed product (12×16 float64, 12×32
//     float32) reads them with the matrices' row strides.
//
// C is cut into blocks of the kernel's size. Where m or n is not a
// multiple, the last block of a row or column overlaps the one before; it
// is computed into a scratch block and only its new rows and columns are
// written. The threads share tiles of consecutive column (or row) blocks.
// As with packing, every entry of C is summed in an order fixed by its
// position, whoever computes it.

// direct computes the product without packing, and reports true, when the
// layout, the shape and the processor allow it; otherwise it does nothing
// and reports false.
func (e *engine[E]) direct(p *product[E]) bool {
	ta, tb, m, n, k := p.ta, p.tb, p.m, p.n, p.k
	a, b, c, lda, ldb, ldc, add := p.a, p.b, p.c, p.lda, p.ldb, p.ldc, p.add
	if m*n*k <= smallGemm {
		return false
	}
	switch {
	case e.dot != nil && !ta && tb && m >= dotRows && n >= dotCols && k >= dotMinDepth && 4*k*(m+n) >= 5*m*n:
		// Folding costs about as much per entry of C as packing costs per
		// entry of the operands, k·(m+n)/(m·n) of them per entry of C: deep
		// products and narrow ones go direct, shallow wide ones pack.
		unit := e.dotUnit
		kd := k / unit * unit
		passes := (kd + dotDepth - 1) / dotDepth
		kb := ((kd+passes-1)/passes + unit - 1) / unit * unit
		// A block of rows of A stays in L1 while the tile's rows of B, from
		// L2, pass by it. The threads split the longer side, so that
		// neither streams the whole of a large A (a validation batch)
		// again for every tile.
		e.shareBlocks(m, n, k, dotRows, dotCols, c, ldc, add, m > n, false, func(i, j int, dst []E, ldd int, into bool) {
			e.dotBlock(i, j, k, kb, a, lda, b, ldb, dst, ldd, into)
		})
	case e.outer != nil && ta && !tb && m >= e.outerRows && n >= e.outerCols && k <= outerMaxDepth:
		// Columns of B outside (its columns over the depth stay in L1 while
		// the blocks of A's columns, from L2, pass by).
		e.shareBlocks(m, n, k, e.outerRows, e.outerCols, c, ldc, add, false, true, func(i, j int, dst []E, ldd int, into bool) {
			e.outer(k, a[i:], lda, b[j:], ldb, dst, ldd, into)
		})
	default:
		return false
	}
	return true
}

const (
	dotRows, dotCols = 6, 4
	dotMinDepth      = 32  // enough depth to pay for folding the accumulators
	dotDepth         = 512 // the most depth per pass, so that 6 rows of A stay in L1
	// outerMaxDepth bounds the depth of Aᵀ·B read in place: a batch, for a
	// weight's gradient. Deeper products pack, which keeps the panels of B
	// in L1 however deep they are.
	outerMaxDepth = 512
)

// shareBlocks sets (or with add, adds to) C, m×n with row stride ldc, in
// blocks of br×bc, calling block(i, j, dst, ldd, into) to set (or with
// into, add to) the block whose top-left entry is C[i][j] in dst with row
// stride ldd. The
// threads take tiles of consecutive column blocks, or of row blocks when
// tileRows, and a tile walks its blocks row by row, or column by column when
// colsOuter.
func (e *engine[E]) shareBlocks(m, n, k, br, bc int, c []E, ldc int, add, tileRows, colsOuter bool, block func(i, j int, dst []E, ldd int, into bool)) {
	rowBlocks, colBlocks := (m+br-1)/br, (n+bc-1)/bc
	workers := runtime.GOMAXPROCS(0)
	if m*n*k < parallelGemm {
		workers = 1
	}
	split := colBlocks
	if tileRows {
		split = rowBlocks
	}
	perTile := max(1, split/(4*workers))
	tiles := (split + perTile - 1) / perTile
	var next atomic.Int64
	onWorkers(min(workers, tiles), func() {
		edge := e.getScratch(br * bc)
		defer e.scratch.Put(edge)
		one := func(ib, jb int) {
			i, j := min(ib*br, m-br), min(jb*bc, n-bc)
			done, doneCols := ib*br-i, jb*bc-j // rows and columns an earlier block wrote
			if done == 0 && doneCols == 0 {
				block(i, j, c[i*ldc+j:], ldc, add)
				return
			}
			block(i, j, *edge, bc, false)
			for r := done; r < br; r++ {
				row, e := c[(i+r)*ldc+j:(i+r)*ldc+j+bc], (*edge)[r*bc:(r+1)*bc]
				for q := doneCols; q < bc; q++ {
					if add {
						row[q] += e[q]
					} else {
						row[q] = e[q]
					}
				}
			}
		}
		for {
			t := int(next.Add(1)) - 1
			if t >= tiles {
				return
			}
			i0, i1, j0, j1 := 0, rowBlocks, t*perTile, min((t+1)*perTile, colBlocks)
			if tileRows {
				i0, i1, j0, j1 = t*perTile, min((t+1)*perTile, rowBlocks), 0, colBlocks
			}
			if colsOuter {
				for jb := j0; jb < j1; jb++ {
					for ib := i0; ib < i1; ib++ {
						one(ib, jb)
					}
				}
				continue
			}
			for ib := i0; ib < i1; ib++ {
				for jb := j0; jb < j1; jb++ {
					one(ib, jb)
				}
			}
		}
	})
}

// dotBlock sets (or with into, adds to) the 6×4 block dst (row stride ldd)
// to rows [i, i+6) of A times rows [j, j+4) of B, transposed, over depth k,
// in passes of kb; the last k mod dotUnit steps are added by a loop.
func (e *engine[E]) dotBlock(i, j, k, kb int, a []E, lda int, b []E, ldb int, dst []E, ldd int, into bool) {
	kd := k / e.dotUnit * e.dotUnit
	for p := 0; p < kd; p += kb { // k ≥ dotMinDepth: at least one pass
		e.dot(min(kb, kd-p), a[i*lda+p:], lda, b[j*ldb+p:], ldb, dst, ldd, into || p > 0)
	}
	if k == kd {
		return
	}
	for r := range dotRows {
		for q := range dotCols {
			s := dst[r*ldd+q]
			for p := kd; p < k; p++ {
				s += a[(i+r)*lda+p] * b[(j+q)*ldb+p]
			}
			dst[r*ldd+q] = s
		}
	}
}
