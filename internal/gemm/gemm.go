// Package gemm is minidl's matrix engine: the general matrix product
// C = op(A)·op(B) (+ C) on row-major float64 or float32 slices with row
// strides, as BLAS's dgemm and sgemm compute it. It holds the blocking and
// packing, the micro-kernels (Go assembly where the processor allows,
// portable Go elsewhere), the choice among them by CPU features, and the
// dispatch of work to helper goroutines. It knows slices and strides, never
// tensors: package tensor checks shapes and calls Gemm or Gemm32.
package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// float is the element types the engine computes in. One generic driver
// (blocking, packing, sharing among threads) serves both; the assembly
// kernels are written for each.
type float interface{ float32 | float64 }

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
	engine64.gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, add)
}

// Gemm32 is Gemm on float32 slices, as BLAS's sgemm: every sum is
// accumulated in float32 (unit roundoff 6e-8), so an entry's error grows
// with the depth as any sgemm's does. Its results are bitwise the same for
// any GOMAXPROCS, as Gemm's are.
func Gemm32(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, add bool) {
	engine32.gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, add)
}

// engine is the matrix engine for one element type on one processor: the
// micro-kernel of the packed product, its blocking, and the fast paths the
// processor has, chosen once from its features (newEngine64 and
// newEngine32). Tests build engines for fewer features than the processor
// has, so that the portable and AVX2 paths run on every machine.
type engine[E float] struct {
	kern microKernel[E]
	// kc is the depth of a block: each entry of C is summed a block at a
	// time, in order, so kc is part of what a result is.
	kc int
	// maxRows is the most rows of C in one row block: a multiple of the
	// kernel's mr.
	maxRows int
	// transpose8, if set, transposes 8 rows at once while packing (see
	// transpose8 in cpu_amd64.go); without it the packing loops do it all.
	transpose8 func(kb int, src []E, ld int, dst []E, ldd int) int
	// copy16, if set, copies kb rows of 16 elements (row strides ld and
	// ldd) while packing; without it the packing loops do.
	copy16 func(kb int, src []E, ld int, dst []E, ldd int)
	// dot and outer, if set, are the kernels of the direct products of
	// direct.go; without them every product packs.
	dot                  func(k int, a []E, lda int, b []E, ldb int, c []E, ldc int, add bool)
	dotUnit              int // the depth dot takes, a multiple of this
	outer                func(k int, a []E, lda int, b []E, ldb int, c []E, ldc int, add bool)
	outerRows, outerCols int
	axpy                 func(alpha E, x, y []E)
	scratch              *sync.Pool // of *[]E, for packing buffers
}

// features are the processor's abilities that the kernels use, as CPUID
// reports them and the operating system saves their registers.
type features struct {
	avx2     bool // AVX2 and FMA, with the YMM state saved
	avx512   bool // AVX-512F, with the ZMM and opmask state saved
	avx512vl bool // AVX-512VL besides
}

// The engines of this processor, chosen once when the package is
// initialized and only read after.
var (
	cpu      = detectCPU()
	engine64 = newEngine64(cpu)
	engine32 = newEngine32(cpu)
)

// scratch64 and scratch32 recycle packing buffers, which would otherwise be
// allocated and zeroed on every product. A sync.Pool is safe for concurrent
// use and holds nothing that changes a result.
var (
	scratch64 = sync.Pool{New: func() any { return new([]float64) }}
	scratch32 = sync.Pool{New: func() any { return new([]float32) }}
)

func (e *engine[E]) getScratch(n int) *[]E {
	p := e.scratch.Get().(*[]E)
	if cap(*p) < n {
		*p = make([]E, n)
	}
	*p = (*p)[:n]
	return p
}

func (e *engine[E]) gemm(transA, transB bool, m, n, k int, a []E, lda int, b []E, ldb int, c []E, ldc int, add bool) {
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
	p := product[E]{ta: transA, tb: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, add: add}
	if e.direct(&p) {
		return
	}
	e.packed(&p)
}

// checkMatrix panics unless s holds a rows×cols matrix with row stride ld.
func checkMatrix[E float](name string, s []E, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("gemm: %s: row stride %d for %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s: %d elements for %d×%d with row stride %d", name, len(s), rows, cols, ld))
	}
}

// product is one call of Gemm.
type product[E float] struct {
	ta, tb        bool
	m, n, k       int
	a, b, c       []E
	lda, ldb, ldc int
	add           bool
}

// clearC zeroes c, for a product that stores rather than adds.
func (p *product[E]) clearC() {
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
// 8×8 at a time in registers. A kernel that can read op(A) where it lies
// (the float32 AVX2 one: the panel's rows are a stride apart, or its depth
// steps are) skips packing A: a last panel of fewer than mr rows is
// computed with the rows before it, and only its own rows written.
//
// Every entry of C is the sum, over the depth blocks in order, of a dot
// product accumulated in depth order from zero; how C is cut into tiles and
// which goroutine computes a tile never change that sum, nor does whether
// op(A) was packed. Results are therefore bitwise identical for any
// GOMAXPROCS. They can differ in the last bits between micro-kernels, which
// is to say between processors (the assembly kernels fuse each
// multiply-add), and between this path and the direct products of
// direct.go, whose choice depends only on the layout, the shape and the
// processor.

// smallGemm is the size (m·n·k) below which packing costs more than it saves.
const smallGemm = 16 * 16 * 16

// parallelGemm is the size above which tiles are shared among goroutines.
const parallelGemm = 96 * 96 * 96

// microKernel computes an mr×nr block of C from a panel of op(A) and a
// packed panel of op(B).
type microKernel[E float] struct {
	name   string
	mr, nr int
	// run adds the product to C, or with add false stores it, not reading C;
	// a is packed.
	run func(k int, a, b, c []E, ldc, mr, nr int, add bool)
	// inPlace, if set, is run reading the mr rows of op(A) where they lie:
	// row r's value at depth step q is a[r·rowStep+q·depthStep].
	inPlace func(k int, a []E, rowStep, depthStep int, b, c []E, ldc int, add bool)
}

// goKernel is the portable micro-kernel.
func goKernel[E float]() microKernel[E] {
	return microKernel[E]{name: "go", mr: 4, nr: 4, run: func(k int, a, b, c []E, ldc, _, _ int, add bool) {
		if !add {
			for r := range 4 {
				clear(c[r*ldc : r*ldc+4])
			}
		}
		kernel4x4(k, a, b, c, ldc)
	}}
}

// packed computes the product by packing, with the engine's micro-kernel.
func (e *engine[E]) packed(p *product[E]) {
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
	mr, nr := e.kern.mr, e.kern.nr
	op := gemmOp[E]{e: e, tb: p.tb, b: p.b, c: p.c, n: n, k: k, ldb: p.ldb, ldc: p.ldc, add: p.add}
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
	for i := 0; i < m; i += e.maxRows {
		op.i, op.mb = i, min(e.maxRows, m-i)
		op.packFrom = 0
		if e.kern.inPlace != nil && op.mb >= mr {
			op.packFrom = op.mb // nothing to pack: see multiply
		}
		op.packPad = (op.mb - op.packFrom + mr - 1) / mr * mr
		ap := e.getScratch(op.packPad * k)
		op.ap = *ap
		op.ta, op.a, op.lda = p.ta, p.a, p.lda
		op.run(tiles, workers)
		e.scratch.Put(ap)
	}
}

// gemmOp is one row block of a product being computed.
type gemmOp[E float] struct {
	e        *engine[E]
	ta, tb   bool
	a, b, c  []E
	lda, ldb int
	ldc      int
	i, mb    int // the row block
	// packFrom is the first row of the block that is packed (all of them
	// unless the kernel reads op(A) in place), packPad the packed rows
	// rounded up to whole panels.
	packFrom, packPad int
	ap                []E // the packed rows of op(A), for every depth block
	n, k              int // columns of C, depth
	tileCols          int
	add               bool // add to C rather than overwrite it
}

// aUnitRows is how many rows of op(A) one unit of packing covers, within
// one depth block: a multiple of every kernel's mr.
const aUnitRows = 48

// run packs op(A) and computes the tiles, sharing both among the calling
// goroutine and workers−1 pooled helpers (see workers.go): each takes units
// of A to pack until none is left, waits until all are packed, then takes
// tiles until none is left.
func (op *gemmOp[E]) run(tiles, workers int) {
	kc, rows := op.e.kc, op.mb-op.packFrom
	rowUnits := (rows + aUnitRows - 1) / aUnitRows
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
			op.e.packA(op.ta, op.a, op.lda, op.i+op.packFrom+r, min(aUnitRows, rows-r), p, kb, op.e.kern.mr, op.ap[op.packPad*p+r*kb:])
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
func (op *gemmOp[E]) tile(j, nb int) {
	kc, mr, nr := op.e.kc, op.e.kern.mr, op.e.kern.nr
	bsize := (nb + nr - 1) / nr * nr * min(kc, op.k)
	scr := op.e.getScratch(bsize + mr*nr) // packed op(B), then a block for the edges of C
	defer op.e.scratch.Put(scr)
	bp, edge := (*scr)[:bsize], (*scr)[bsize:]
	for p := 0; p < op.k; p += kc {
		kb := min(kc, op.k-p)
		op.e.packB(op.tb, op.b, op.ldb, p, kb, j, nb, nr, bp)
		op.multiply(bp, edge, p, kb, j, nb, op.add || p > 0)
	}
}

// multiply adds the product of the row block of op(A) and the packed
// columns [j, j+nb) of op(B), over the depth block [p, p+kb), into C, or
// stores it there if add is false. Blocks at the edges of C are computed
// whole into edge (mr×nr) and the part inside C copied out.
func (op *gemmOp[E]) multiply(bp, edge []E, p, kb, j, nb int, add bool) {
	kern := op.e.kern
	mr, nr, ldc := kern.mr, kern.nr, op.ldc
	ap := op.ap[op.packPad*p : op.packPad*(p+kb)]
	for jj := 0; jj < nb; jj += nr {
		cols := min(nr, nb-jj)
		bpanel := bp[jj*kb : (jj+nr)*kb]
		for ii := 0; ii < op.mb; ii += mr {
			rows := min(mr, op.mb-ii)
			c := op.c[(op.i+ii)*ldc+j+jj:]
			t := edge[:mr*nr]
			if ii < op.packFrom { // read where it lies
				// A last panel of fewer than mr rows is computed whole with
				// the rows before it, into t, and only its own rows copied
				// out: each entry is the same sum whoever computes it.
				from := min(ii, op.mb-mr)
				var a []E
				rowStep, depthStep := op.lda, 1
				if op.ta {
					a, rowStep, depthStep = op.a[p*op.lda+op.i+from:], 1, op.lda
				} else {
					a = op.a[(op.i+from)*op.lda+p:]
				}
				if rows == mr && cols == nr {
					kern.inPlace(kb, a, rowStep, depthStep, bpanel, c, ldc, add)
					continue
				}
				kern.inPlace(kb, a, rowStep, depthStep, bpanel, t, nr, false)
				t = t[(ii-from)*nr:]
			} else {
				apanel := ap[(ii-op.packFrom)*kb : (ii-op.packFrom+mr)*kb]
				if rows == mr && cols == nr {
					kern.run(kb, apanel, bpanel, c, ldc, mr, nr, add)
					continue
				}
				kern.run(kb, apanel, bpanel, t, nr, mr, nr, false)
			}
			for r := range rows {
				row := c[r*ldc : r*ldc+cols]
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
func (e *engine[E]) packA(ta bool, a []E, lda, i, mb, p, kb, mr int, ap []E) {
	tr := e.transpose8
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
		var src [16][]E
		for r := range rows {
			src[r] = a[(i+ii+r)*lda+p : (i+ii+r)*lda+p+kb]
		}
		if rows == 12 {
			// Rows 0-7 and 4-11 in two 8-row transpositions (rows 4-7 are
			// written twice, with the same values); the loop does the rest.
			done := 0
			if tr != nil {
				done = tr(kb, a[(i+ii)*lda+p:], lda, panel, 12)
				tr(kb, a[(i+ii+4)*lda+p:], lda, panel[4:], 12)
			}
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
		gather(src[:rows], 0, kb, mr, panel)
	}
}

// packB copies depth [p, p+kb) of columns [j0, j0+nb) of op(B) into bp as
// panels of nr columns, each stored depth-major, padding the last panel with
// zeros.
func (e *engine[E]) packB(tb bool, b []E, ldb, p, kb, j0, nb, nr int, bp []E) {
	tr := e.transpose8
	var src [32][]E
	for jj := 0; jj < nb; jj += nr {
		panel := bp[jj*kb : (jj+nr)*kb]
		cols := min(nr, nb-jj)
		j := j0 + jj
		if tb { // op(B) column c is row c of b: read the rows side by side
			if cols < nr {
				clear(panel)
			}
			for c := range cols {
				src[c] = b[(j+c)*ldb+p : (j+c)*ldb+p+kb]
			}
			done := 0
			if cols%8 == 0 && tr != nil { // whole groups of eight columns: transpositions
				for c := 0; c < cols; c += 8 {
					done = tr(kb, b[(j+c)*ldb+p:], ldb, panel[c:], nr)
				}
			}
			if cols == 16 && nr == 16 { // a full float64 panel: unrolled
				s0, s1, s2, s3, s4, s5, s6, s7 := src[0][:kb], src[1][:kb], src[2][:kb], src[3][:kb], src[4][:kb], src[5][:kb], src[6][:kb], src[7][:kb]
				s8, s9, s10, s11, s12, s13, s14, s15 := src[8][:kb], src[9][:kb], src[10][:kb], src[11][:kb], src[12][:kb], src[13][:kb], src[14][:kb], src[15][:kb]
				for q := done; q < kb; q++ {
					d := panel[q*16 : q*16+16 : q*16+16]
					d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s0[q], s1[q], s2[q], s3[q], s4[q], s5[q], s6[q], s7[q]
					d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15] = s8[q], s9[q], s10[q], s11[q], s12[q], s13[q], s14[q], s15[q]
				}
				continue
			}
			gather(src[:cols], done, kb, nr, panel)
			continue
		}
		if cols == nr && nr%16 == 0 {
			cp := e.copy16
			if cp == nil {
				cp = copy16[E]
			}
			for c := 0; c < nr; c += 16 {
				cp(kb, b[p*ldb+j+c:], ldb, panel[c:], nr)
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

// gather sets panel[q·ld+r] = src[r][q] for every row r of src and depth
// from ≤ q < kb: rows read side by side, written in order. (A function of
// its own keeps the loop's values in registers.)
//
//go:noinline
func gather[E float](src [][]E, from, kb, ld int, panel []E) {
	for q := from; q < kb; q++ {
		d := panel[q*ld : q*ld+len(src)]
		for r := range d {
			d[r] = src[r][q]
		}
	}
}

// copy16 copies kb rows of 16 elements from src (row stride ld) to dst
// (row stride ldd).
func copy16[E float](kb int, src []E, ld int, dst []E, ldd int) {
	for q := range kb {
		s := src[q*ld : q*ld+16 : q*ld+16]
		d := dst[q*ldd : q*ldd+16 : q*ldd+16]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]
		d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15] = s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15]
	}
}

// kernel4x4 adds the product of a packed 4×kb panel of A and a packed kb×4
// panel of B to the 4×4 block of c at the start of c (row stride ldc).
func kernel4x4[E float](kb int, a, b, c []E, ldc int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 E
	var c20, c21, c22, c23, c30, c31, c32, c33 E
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
func (p *product[E]) small() {
	for i := range p.m {
		row := p.c[i*p.ldc : i*p.ldc+p.n]
		for q := range p.k {
			var av E
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
