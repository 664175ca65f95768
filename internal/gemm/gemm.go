// Package gemm is minidl's matrix engine: the general matrix product
// C = op(A)·op(B) (+ C) on row-major float64 slices with row strides, as
// BLAS's dgemm computes it. It holds the blocking and packing, the
// micro-kernels (Go assembly where the processor allows, portable Go
// elsewhere), the choice among them by CPU features, and the dispatch of
// work to helper goroutines. It knows slices and strides, never tensors:
// package tensor checks shapes and calls Gemm.
package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Gemm sets c to op(a)·op(b), or with add adds the product to c, where
// op(a) is m×k, op(b) is k×n and c is m×n. transA and transB say that a and
// b are stored transposed (a is k×m, b is n×k); lda, ldb and ldc are the
// row strides of a, b and c as stored, in elements. With add false, c's old
// contents are never read, so they may be anything, NaN included. c must
// not share memory with a or b.
//
// Gemm panics if a stride is shorter than its row or a slice is too short
// for the matrix it holds: a caller's bug, since every length is known
// before the call.
func Gemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int, add bool) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("a", a, ar, ac, lda)
	checkMatrix("b", b, br, bc, ldb)
	checkMatrix("c", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	p := product{ta: transA, tb: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, add: add}
	if p.direct() {
		return
	}
	p.packed(kernels[0])
}

// checkMatrix panics unless s holds a rows×cols matrix with row stride ld.
func checkMatrix(name string, s []float64, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("gemm: %s: row stride %d for %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s: %d elements for %d×%d with row stride %d", name, len(s), rows, cols, ld))
	}
}

// product is one call of Gemm.
type product struct {
	ta, tb        bool
	m, n, k       int
	a, b, c       []float64
	lda, ldb, ldc int
	add           bool
}

// clearC zeroes c, for a product that stores rather than adds.
func (p *product) clearC() {
	for i := range p.m {
		clear(p.c[i*p.ldc : i*p.ldc+p.n])
	}
}

// Blocking of the general matrix product. Rows of C are taken in blocks of
// up to maxRows. For each row block, op(A) is packed once, whole, into
// panels of mr rows (depth-major within each block of kc), the threads
// sharing the packing; then the block's columns are cut into narrow tiles
// that the threads take in turn, each walking the depth a block of kc at a
// time, packing its columns of op(B) into panels of nr columns and running
// the micro-kernel, which adds an mr×nr block of the product to C. Narrow
// tiles let a second thread that wakes late still find work, and packing A
// once keeps them cheap. Packing transposes whenever the operand's depth
// runs along its rows (op(A) = A, op(B) = Bᵀ); with AVX-512 that is done
// 8×8 at a time in registers.
//
// Every entry of C is the sum, over the depth blocks in order, of a dot
// product accumulated in depth order from zero; how C is cut into tiles and
// which goroutine computes a tile never change that sum. Results are
// therefore bitwise identical for any GOMAXPROCS. They can differ in the
// last bits between micro-kernels, which is to say between processors
// (the assembly kernels fuse each multiply-add), and between this path and
// the direct products of direct.go, whose choice depends only on the
// layout, the shape and the processor.
const (
	kc      = 128
	maxRows = 768 // a multiple of every kernel's mr
)

// smallGemm is the size (m·n·k) below which packing costs more than it saves.
const smallGemm = 16 * 16 * 16

// parallelGemm is the size above which tiles are shared among goroutines.
const parallelGemm = 96 * 96 * 96

// microKernel computes an mr×nr block of C from packed panels.
type microKernel struct {
	name   string
	mr, nr int
	// run adds the product to C, or with add false stores it, not reading C.
	run func(k int, a, b, c []float64, ldc, mr, nr int, add bool)
}

var goKernel = microKernel{name: "go", mr: 4, nr: 4, run: func(k int, a, b, c []float64, ldc, _, _ int, add bool) {
	if !add {
		for r := range 4 {
			clear(c[r*ldc : r*ldc+4])
		}
	}
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

// packed computes the product by packing, with the given micro-kernel.
func (p *product) packed(kern microKernel) {
	m, n, k := p.m, p.n, p.k
	if m == 0 || n == 0 {
		return
	}
	if !p.add && (k == 0 || m*n*k <= smallGemm) {
		p.clearC()
	}
	if k == 0 {
		return
	}
	if m*n*k <= smallGemm {
		p.small()
		return
	}
	mr, nr := kern.mr, kern.nr
	op := gemmOp{kern: kern, tb: p.tb, b: p.b, c: p.c, n: n, k: k, ldb: p.ldb, ldc: p.ldc, add: p.add}
	workers := runtime.GOMAXPROCS(0)
	if m*n*k < parallelGemm {
		workers = 1
	}
	// One thread takes wide tiles; several take narrow ones, about eight
	// each, so that they finish together however their speeds differ. The
	// width changes no work: each tile packs only its own columns of op(B),
	// and every tile streams the packed op(A) from cache.
	panels := (n + nr - 1) / nr
	perTile := max(2, (panels+3)/4)
	if workers > 1 {
		perTile = max(1, panels/(8*workers))
	}
	op.tileCols = nr * perTile
	tiles := (n + op.tileCols - 1) / op.tileCols
	workers = min(workers, tiles)
	for i := 0; i < m; i += maxRows {
		op.i, op.mb = i, min(maxRows, m-i)
		op.mpad = (op.mb + mr - 1) / mr * mr
		ap := getScratch(op.mpad * k)
		op.ap = *ap
		op.ta, op.a, op.lda = p.ta, p.a, p.lda
		op.run(tiles, workers)
		scratch.Put(ap)
	}
}

// gemmOp is one row block of a product being computed.
type gemmOp struct {
	kern     microKernel
	ta, tb   bool
	a, b, c  []float64
	lda, ldb int
	ldc      int
	ap       []float64 // the row block of op(A), packed for every depth block
	i, mb    int       // the row block
	mpad     int       // its rows rounded up to whole panels
	n, k     int       // columns of C, depth
	tileCols int
	add      bool // add to C rather than overwrite it
}

// aUnitRows is how many rows of op(A) one unit of packing covers, within
// one depth block: a multiple of every kernel's mr.
const aUnitRows = 48

// run packs op(A) and computes the tiles, sharing both among the calling
// goroutine and workers−1 pooled helpers (see workers.go): each takes units
// of A to pack until none is left, waits until all are packed, then takes
// tiles until none is left.
func (op *gemmOp) run(tiles, workers int) {
	rowUnits := (op.mb + aUnitRows - 1) / aUnitRows
	units := rowUnits * ((op.k + kc - 1) / kc)
	var nextUnit, packed, nextTile atomic.Int64
	work := func() {
		for {
			u := int(nextUnit.Add(1)) - 1
			if u >= units {
				break
			}
			p, r := u/rowUnits*kc, u%rowUnits*aUnitRows
			kb := min(kc, op.k-p)
			packA(op.ta, op.a, op.lda, op.i+r, min(aUnitRows, op.mb-r), p, kb, op.kern.mr, op.ap[op.mpad*p+r*kb:])
			packed.Add(1)
		}
		spinUntil(func() bool { return packed.Load() == int64(units) })
		for {
			t := int(nextTile.Add(1)) - 1
			if t >= tiles {
				return
			}
			j := t * op.tileCols
			op.tile(j, min(op.tileCols, op.n-j))
		}
	}
	onWorkers(workers, work)
}

// tile computes columns [j, j+nb) of the row block over the whole depth, a
// block of kc at a time.
func (op *gemmOp) tile(j, nb int) {
	mr, nr, mpad := op.kern.mr, op.kern.nr, op.mpad
	bsize := (nb + nr - 1) / nr * nr * min(kc, op.k)
	scr := getScratch(bsize + mr*nr) // packed op(B), then a block for the edges of C
	defer scratch.Put(scr)
	bp, edge := (*scr)[:bsize], (*scr)[bsize:]
	for p := 0; p < op.k; p += kc {
		kb := min(kc, op.k-p)
		packB(op.tb, op.b, op.ldb, p, kb, j, nb, nr, bp)
		gemmTile(op.kern, op.ap[mpad*p:mpad*(p+kb)], bp, op.c, edge, op.i, op.mb, j, nb, op.ldc, kb, op.add || p > 0)
	}
}

// gemmTile adds the product of the packed rows [i, i+mb) of op(A) and the
// packed columns [j, j+nb) of op(B), over one depth block of kb, into c, or
// stores it there if add is false; ldc is C's row stride. Blocks at the
// edges of C are computed whole into edge (mr×nr) and the part inside C
// copied out.
func gemmTile(kern microKernel, ap, bp, c, edge []float64, i, mb, j, nb, ldc, kb int, add bool) {
	mr, nr := kern.mr, kern.nr
	for jj := 0; jj < nb; jj += nr {
		cols := min(nr, nb-jj)
		bpanel := bp[jj*kb : (jj+nr)*kb]
		for ii := 0; ii < mb; ii += mr {
			rows := min(mr, mb-ii)
			apanel := ap[ii*kb : (ii+mr)*kb]
			if rows == mr && cols == nr {
				kern.run(kb, apanel, bpanel, c[(i+ii)*ldc+j+jj:], ldc, mr, nr, add)
				continue
			}
			t := edge[:mr*nr]
			kern.run(kb, apanel, bpanel, t, nr, mr, nr, false)
			for r := range rows {
				row := c[(i+ii+r)*ldc+j+jj : (i+ii+r)*ldc+j+jj+cols]
				if !add {
					copy(row, t[r*nr:])
					continue
				}
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
			// Rows 0-7 and 4-11 in two 8-row transpositions (rows 4-7 are
			// written twice, with the same values); the loop does the rest.
			done := transpose8(kb, a[(i+ii)*lda+p:], lda, panel, 12)
			transpose8(kb, a[(i+ii+4)*lda+p:], lda, panel[4:], 12)
			// Reslicing to kb lets the compiler drop the bounds checks below.
			s0, s1, s2, s3, s4, s5 := src[0][:kb], src[1][:kb], src[2][:kb], src[3][:kb], src[4][:kb], src[5][:kb]
			s6, s7, s8, s9, s10, s11 := src[6][:kb], src[7][:kb], src[8][:kb], src[9][:kb], src[10][:kb], src[11][:kb]
			for q := done; q < kb; q++ {
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

// packB copies depth [p, p+kb) of columns [j0, j0+nb) of op(B) into bp as
// panels of nr columns, each stored depth-major, padding the last panel with
// zeros.
func packB(tb bool, b []float64, ldb, p, kb, j0, nb, nr int, bp []float64) {
	for jj := 0; jj < nb; jj += nr {
		panel := bp[jj*kb : (jj+nr)*kb]
		cols := min(nr, nb-jj)
		j := j0 + jj
		if tb { // op(B) column c is row c of b: read the rows side by side
			if cols < nr {
				clear(panel)
			}
			var src [16][]float64
			for c := range cols {
				src[c] = b[(j+c)*ldb+p : (j+c)*ldb+p+kb]
			}
			if cols == 16 {
				done := transpose8(kb, b[j*ldb+p:], ldb, panel, 16)
				transpose8(kb, b[(j+8)*ldb+p:], ldb, panel[8:], 16)
				s0, s1, s2, s3, s4, s5, s6, s7 := src[0][:kb], src[1][:kb], src[2][:kb], src[3][:kb], src[4][:kb], src[5][:kb], src[6][:kb], src[7][:kb]
				s8, s9, s10, s11, s12, s13, s14, s15 := src[8][:kb], src[9][:kb], src[10][:kb], src[11][:kb], src[12][:kb], src[13][:kb], src[14][:kb], src[15][:kb]
				for q := done; q < kb; q++ {
					d := panel[q*16 : q*16+16 : q*16+16]
					d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q], s6[q], s7[q]
					d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15] = s8[q], s9[q], s10[q], s11[q], s12[q], s13[q], s14[q], s15[q]
				}
				continue
			}
			for q := range kb {
				d := panel[q*nr : q*nr+cols]
				for c := range d {
					d[c] = src[c][q]
				}
			}
			continue
		}
		if cols == 16 {
			for q := range kb {
				src := b[(p+q)*ldb+j : (p+q)*ldb+j+16 : (p+q)*ldb+j+16]
				dst := panel[q*16 : q*16+16 : q*16+16]
				dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], dst[6], dst[7] = src[0], src[1], src[2], src[3], src[4], src[5], src[6], src[7]
				dst[8], dst[9], dst[10], dst[11], dst[12], dst[13], dst[14], dst[15] = src[8], src[9], src[10], src[11], src[12], src[13], src[14], src[15]
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

// small is the direct triple loop for products too small to pack; it adds
// to C, which packed has cleared unless the product accumulates.
func (p *product) small() {
	for i := range p.m {
		row := p.c[i*p.ldc : i*p.ldc+p.n]
		for q := range p.k {
			var av float64
			if p.ta {
				av = p.a[q*p.lda+i]
			} else {
				av = p.a[i*p.lda+q]
			}
			if p.tb {
				for j := range row {
					row[j] += av * p.b[j*p.ldb+q]
				}
			} else {
				brow := p.b[q*p.ldb : q*p.ldb+p.n]
				for j, bv := range brow {
					row[j] += av * bv
				}
			}
		}
	}
}
