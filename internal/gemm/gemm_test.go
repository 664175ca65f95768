package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// matrix is a rows×cols matrix stored with row stride ld, the padding
// between rows filled with a sentinel that no product writes.
type matrix[E float] struct {
	rows, cols, ld int
	data           []E
}

const sentinel = -12345.678

func randMatrix[E float](rng *rand.Rand, rows, cols, pad int) matrix[E] {
	ld := max(cols+pad, 1)
	m := matrix[E]{rows, cols, ld, make([]E, max(rows*ld, 1))}
	for i := range m.data {
		m.data[i] = sentinel
	}
	for i := range rows {
		for j := range cols {
			m.data[i*ld+j] = E(rng.NormFloat64())
		}
	}
	return m
}

func (m matrix[E]) at(i, j int, trans bool) float64 {
	if trans {
		return float64(m.data[j*m.ld+i])
	}
	return float64(m.data[i*m.ld+j])
}

// naive is the textbook triple loop every kernel is checked against, in
// float64 whatever the element type. It returns the product and, for each
// entry, the sum of the absolute values of its terms, which bounds the
// rounding error of any order of summation.
func naive[E float](ta, tb bool, m, n, k int, a, b matrix[E]) (prod, abs []float64) {
	prod, abs = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, sa float64
			for q := range k {
				t := a.at(i, q, ta) * b.at(q, j, tb)
				s += t
				sa += math.Abs(t)
			}
			prod[i*n+j], abs[i*n+j] = s, sa
		}
	}
	return prod, abs
}

// tolerance is how far an entry of a product computed in E may be from the
// exact one, given the sum of its terms' absolute values and the depth k.
// float64: 1e-12 relative, as the float64 engine has always been held to.
// float32: the worst-case bound of a sum of k+1 rounded terms (the product
// added to C counts as one), (k+1)·2⁻²⁴ times the sum of their absolute
// values, doubled for the sum of two products that add makes. A kernel that
// drops or repeats one term misses it by about 1/k of that sum.
func tolerance[E float](want, absSum float64, k int, add bool) float64 {
	var zero E
	if _, ok := any(zero).(float64); ok {
		return 1e-12 * (1 + math.Abs(want))
	}
	tol := float64(k+1) * 0x1p-24 * absSum
	if add {
		tol *= 2
	}
	return tol + 1e-30
}

// checkProduct runs prod (which stores, then adds, op(a)·op(b) into c) and
// compares c with the naive product, and the padding of c with the
// sentinel.
func checkProduct[E float](t *testing.T, name string, rng *rand.Rand, ta, tb bool, m, n, k int, prod func(a, b, c matrix[E], add bool)) {
	t.Helper()
	ar, ac := m, k
	if ta {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb {
		br, bc = n, k
	}
	a, b := randMatrix[E](rng, ar, ac, rng.IntN(4)), randMatrix[E](rng, br, bc, rng.IntN(4))
	c := randMatrix[E](rng, m, n, rng.IntN(4))
	for i := range m {
		for j := range n {
			c.data[i*c.ld+j] = E(math.NaN()) // storing must not read C
		}
	}
	want, absSum := naive(ta, tb, m, n, k, a, b)
	for _, add := range []bool{false, true} {
		prod(a, b, c, add)
		scale := 1.0
		if add {
			scale = 2
		}
		for i := range m {
			for j := range n {
				got, w := float64(c.data[i*c.ld+j]), scale*want[i*n+j]
				if math.Abs(got-w) > tolerance[E](w, absSum[i*n+j], k, add) || math.IsNaN(got) {
					t.Fatalf("%s: transposes %v %v, m n k = %d %d %d, strides %d %d %d, add %v: C[%d][%d] = %v, want %v",
						name, ta, tb, m, n, k, a.ld, b.ld, c.ld, add, i, j, got, w)
				}
			}
			for j := n; j < c.ld && i*c.ld+j < len(c.data); j++ {
				if c.data[i*c.ld+j] != sentinel {
					t.Fatalf("%s: m n k = %d %d %d: wrote into C's padding at row %d column %d", name, m, n, k, i, j)
				}
			}
		}
	}
}

// shapes returns random product shapes, small and large enough to be
// packed, shared among threads and (for the direct kernels) read in place.
func shapes(rng *rand.Rand, count int) [][3]int {
	out := [][3]int{{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {17, 33, 19}, {64, 128, 300}, {100, 70, 260}, {13, 600, 2}, {200, 130, 120}}
	for range count {
		out = append(out, [3]int{1 + rng.IntN(90), 1 + rng.IntN(90), 1 + rng.IntN(160)})
	}
	return out
}

// directShapes are the shapes the direct kernels were written for: rows
// and columns that are and are not multiples of their blocks, depths with a
// remainder of 8 and of 16, more than one pass, and beyond what Aᵀ·B reads
// in place; and a product of more rows than a row block of the packed path.
var directShapes = [][3]int{{6, 4, 200}, {7, 5, 121}, {13, 10, 128}, {12, 16, 29}, {64, 128, 784}, {11, 9, 1100},
	{100, 30, 301}, {25, 33, 600}, {37, 70, 3}, {12, 32, 40}, {13, 33, 100}, {24, 64, 512}, {30, 45, 513}, {780, 17, 33}, {770, 17, 33}}

var transposes = [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}

// featureSets returns the processor's features and every smaller set the
// kernels are chosen by (AVX2 without AVX-512, and none), so that the tests
// run every path this processor can.
func featureSets() []features {
	sets := []features{cpu}
	if cpu.avx512 {
		sets = append(sets, features{avx2: cpu.avx2, avx512: false, avx512vl: false})
	}
	if cpu.avx2 || cpu.avx512 {
		sets = append(sets, features{})
	}
	return sets
}

// engines returns the engines of featureSets for element type E.
func engines[E float]() []*engine[E] {
	var out []*engine[E]
	for _, f := range featureSets() {
		var e any
		var zero E
		if _, ok := any(zero).(float64); ok {
			e = newEngine64(f)
		} else {
			e = newEngine32(f)
		}
		out = append(out, e.(*engine[E]))
	}
	return out
}

// TestKernels checks every micro-kernel this processor can run (AVX-512,
// AVX2 and the portable one, whichever are here), through the packed path,
// against the naive product over random shapes, strides and transposes.
func TestKernels(t *testing.T) {
	testKernels[float64](t)
	testKernels[float32](t)
}

func testKernels[E float](t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var names []string
	for _, e := range engines[E]() {
		name := fmt.Sprintf("%T %s", E(0), e.kern.name)
		names = append(names, name)
		for _, sz := range shapes(rng, 40) {
			for _, tr := range transposes {
				m, n, k := sz[0], sz[1], sz[2]
				checkProduct(t, name, rng, tr[0], tr[1], m, n, k, func(a, b, c matrix[E], add bool) {
					p := product[E]{ta: tr[0], tb: tr[1], m: m, n: n, k: k, a: a.data, lda: a.ld, b: b.data, ldb: b.ld, c: c.data, ldc: c.ld, add: add}
					e.packed(&p)
				})
			}
		}
	}
	t.Logf("kernels: %v", names)
}

// TestPanelRemainders checks products whose last panel of op(B) holds
// every number of columns from 1 to a whole panel (of 16 float64 or 32
// float32 columns with AVX-512, 8 with AVX2), in every layout, on every
// engine: a remainder of 16 float32 columns once took the float64 panel's
// layout when packing Bᵀ.
func TestPanelRemainders(t *testing.T) {
	testPanelRemainders[float64](t)
	testPanelRemainders[float32](t)
}

func testPanelRemainders[E float](t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, e := range engines[E]() {
		name := fmt.Sprintf("%T %s", E(0), e.kern.name)
		for n := 64 + 1; n <= 64+e.kern.nr; n++ {
			for _, tr := range transposes {
				checkProduct(t, name, rng, tr[0], tr[1], 2*e.kern.mr+1, n, 37, func(a, b, c matrix[E], add bool) {
					p := product[E]{ta: tr[0], tb: tr[1], m: 2*e.kern.mr + 1, n: n, k: 37, a: a.data, lda: a.ld, b: b.data, ldb: b.ld, c: c.data, ldc: c.ld, add: add}
					e.packed(&p)
				})
			}
		}
	}
}

// TestGemm checks the entry points, which pick the direct kernels where
// they apply, over random shapes, strides and transposes and directShapes,
// on the processor's engines and on those of fewer features.
func TestGemm(t *testing.T) {
	t.Logf("features %+v; direct kernels float64 %v, float32 %v", cpu, engine64.dot != nil, engine32.dot != nil)
	rng := rand.New(rand.NewPCG(23, 24))
	for _, sz := range append(shapes(rng, 40), directShapes...) {
		for _, tr := range transposes {
			m, n, k := sz[0], sz[1], sz[2]
			checkProduct(t, "Gemm", rng, tr[0], tr[1], m, n, k, func(a, b, c matrix[float64], add bool) {
				Gemm(tr[0], tr[1], m, n, k, a.data, a.ld, b.data, b.ld, c.data, c.ld, add)
			})
			checkProduct(t, "Gemm32", rng, tr[0], tr[1], m, n, k, func(a, b, c matrix[float32], add bool) {
				Gemm32(tr[0], tr[1], m, n, k, a.data, a.ld, b.data, b.ld, c.data, c.ld, add)
			})
		}
	}
	testEngines[float64](t)
	testEngines[float32](t)
}

// testEngines checks the engines of fewer features than the processor has
// through their whole dispatch, direct paths included.
func testEngines[E float](t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, e := range engines[E]()[1:] {
		name := fmt.Sprintf("%T engine %s", E(0), e.kern.name)
		for _, sz := range append(shapes(rng, 10), directShapes...) {
			for _, tr := range transposes {
				m, n, k := sz[0], sz[1], sz[2]
				checkProduct(t, name, rng, tr[0], tr[1], m, n, k, func(a, b, c matrix[E], add bool) {
					e.gemm(tr[0], tr[1], m, n, k, a.data, a.ld, b.data, b.ld, c.data, c.ld, add)
				})
			}
		}
	}
}

// TestDeterministic checks that one thread and three give the same bits,
// on every path of every engine.
func TestDeterministic(t *testing.T) {
	testDeterministic[float64](t)
	testDeterministic[float32](t)
}

func testDeterministic[E float](t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, e := range engines[E]() {
		for _, sz := range [][3]int{{64, 128, 784}, {128, 784, 64}, {200, 130, 120}, {300, 40, 500}, {256, 256, 256}} {
			for _, tr := range transposes {
				m, n, k := sz[0], sz[1], sz[2]
				a, b := randMatrix[E](rng, max(m, k), max(m, k), 0), randMatrix[E](rng, max(n, k), max(n, k), 0)
				run := func(procs int) []E {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
					c := make([]E, m*n)
					e.gemm(tr[0], tr[1], m, n, k, a.data, a.ld, b.data, b.ld, c, n, false)
					return c
				}
				if one, three := run(1), run(3); !slices.Equal(one, three) {
					t.Errorf("%T %s: m n k = %v, transposes %v: one thread and three differ", E(0), e.kern.name, sz, tr)
				}
			}
		}
	}
}

// TestGemmPanics checks that a stride shorter than its row or a slice too
// short for its matrix is refused before any kernel reads it.
func TestGemmPanics(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"short a", func() {
			Gemm(false, false, 2, 2, 2, make([]float64, 3), 2, make([]float64, 4), 2, make([]float64, 4), 2, false)
		}},
		{"short c", func() {
			Gemm(false, false, 2, 2, 2, make([]float64, 4), 2, make([]float64, 4), 2, make([]float64, 3), 2, false)
		}},
		{"stride", func() {
			Gemm(false, true, 2, 2, 3, make([]float64, 6), 2, make([]float64, 6), 3, make([]float64, 4), 2, false)
		}},
		{"negative", func() { Gemm(false, false, -1, 2, 2, nil, 2, nil, 2, nil, 2, false) }},
		{"short a 32", func() {
			Gemm32(false, false, 2, 2, 2, make([]float32, 3), 2, make([]float32, 4), 2, make([]float32, 4), 2, false)
		}},
		{"short b 32", func() {
			Gemm32(true, true, 2, 2, 2, make([]float32, 4), 2, make([]float32, 3), 2, make([]float32, 4), 2, false)
		}},
		{"short c 32", func() {
			Gemm32(false, false, 2, 2, 2, make([]float32, 4), 2, make([]float32, 4), 2, make([]float32, 3), 2, false)
		}},
		{"stride 32", func() {
			Gemm32(false, true, 2, 2, 3, make([]float32, 6), 2, make([]float32, 6), 3, make([]float32, 4), 2, false)
		}},
		{"negative 32", func() { Gemm32(false, false, 2, -1, 2, nil, 2, nil, 2, nil, 2, false) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tt.name)
				}
			}()
			tt.f()
		}()
	}
}

// TestAxpy checks Axpy and Axpy32 short and long enough to be shared among
// threads, in chunks that do not divide it, with and without the assembly.
func TestAxpy(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	testAxpy(t, "Axpy", Axpy)
	testAxpy(t, "Axpy32", Axpy32)
	for _, e := range engines[float64]() {
		testAxpy(t, "float64 engine "+e.kern.name, e.axpyShared)
	}
	for _, e := range engines[float32]() {
		testAxpy(t, "float32 engine "+e.kern.name, e.axpyShared)
	}
}

func testAxpy[E float](t *testing.T, name string, axpy func(alpha E, x, y []E)) {
	t.Helper()
	for _, n := range []int{0, 1, 37, 3*minSplit + 17} {
		x, y := make([]E, n+1), make([]E, n) // x may be longer than y
		for i := range n {
			x[i], y[i] = 0.25, E(i)
		}
		x[n] = 1
		axpy(4, x, y)
		for i := range n {
			if y[i] != E(i)+1 {
				t.Fatalf("%s: n = %d: y[%d] = %v, want %v", name, n, i, y[i], i+1)
			}
		}
	}
}

// TestPoolFollowsGOMAXPROCS checks that the pool grows when GOMAXPROCS
// rises after its first use.
func TestPoolFollowsGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	done := make(chan struct{})
	runHelper(func() { close(done) })
	<-done
	runtime.GOMAXPROCS(6)
	done = make(chan struct{})
	runHelper(func() { close(done) })
	<-done
	helpers.mu.Lock()
	started := helpers.started
	helpers.mu.Unlock()
	if started < 5 {
		t.Errorf("%d helpers after GOMAXPROCS rose to 6, want at least 5", started)
	}
}

// TestOnWorkers checks that the work is done once whoever does it, that
// onWorkers returns without waiting for a helper that cannot start (every
// helper of the pool is kept busy), and that such a helper, once free,
// never runs the work after onWorkers has returned.
func TestOnWorkers(t *testing.T) {
	runHelper(func() {}) // start the pool
	helpers.mu.Lock()
	n := helpers.started
	helpers.mu.Unlock()
	release := make(chan struct{})
	var busy sync.WaitGroup
	for range n { // one job per helper
		busy.Add(1)
		runHelper(func() {
			busy.Done()
			<-release
		})
	}
	busy.Wait()
	const pieces = 1000
	var next, done, calls atomic.Int64
	work := func() {
		calls.Add(1)
		for next.Add(1) <= pieces {
			done.Add(1)
		}
	}
	returned := make(chan struct{})
	go func() {
		onWorkers(3, work)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("onWorkers waited for helpers that could not start")
	}
	close(release)
	if done.Load() != pieces || calls.Load() != 1 {
		t.Fatalf("%d pieces done in %d calls, want %d in 1", done.Load(), calls.Load(), pieces)
	}
	drained := make(chan struct{})
	runHelper(func() { close(drained) }) // queued behind the called-off jobs
	<-drained
	if calls.Load() != 1 {
		t.Fatalf("a helper ran the work after onWorkers returned (%d calls)", calls.Load())
	}
}

// TestParallelFor checks that every item is visited once, whether the loop
// is shared among threads or not, and that Buffer and Buffer32 give slices of the size
// asked for from the right class.
func TestParallelFor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, c := range []struct{ n, cost int }{{0, 1}, {1, 1 << 20}, {7, 1}, {64, minSplit / 8}, {1000, minSplit}, {3, minSplit}} {
		visits := make([]atomic.Int32, c.n)
		ParallelFor(c.n, c.cost, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				visits[i].Add(1)
			}
		})
		for i := range visits {
			if v := visits[i].Load(); v != 1 {
				t.Fatalf("n %d, cost %d: item %d visited %d times", c.n, c.cost, i, v)
			}
		}
	}
	for _, n := range []int{0, 1, 2, 3, 1000, 1 << 20} {
		b := Buffer(n)
		if len(*b) != n || cap(*b) < n || cap(*b) > max(1, 2*n) {
			t.Errorf("Buffer(%d): len %d, cap %d", n, len(*b), cap(*b))
		}
		Release(b)
		b32 := Buffer32(n)
		if len(*b32) != n || cap(*b32) < n || cap(*b32) > max(1, 2*n) {
			t.Errorf("Buffer32(%d): len %d, cap %d", n, len(*b32), cap(*b32))
		}
		Release32(b32)
	}
}
