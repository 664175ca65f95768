package gemm

import (
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
type matrix struct {
	rows, cols, ld int
	data           []float64
}

const sentinel = -12345.678

func randMatrix(rng *rand.Rand, rows, cols, pad int) matrix {
	ld := max(cols+pad, 1)
	m := matrix{rows, cols, ld, make([]float64, max(rows*ld, 1))}
	for i := range m.data {
		m.data[i] = sentinel
	}
	for i := range rows {
		for j := range cols {
			m.data[i*ld+j] = rng.NormFloat64()
		}
	}
	return m
}

func (m matrix) at(i, j int, trans bool) float64 {
	if trans {
		return m.data[j*m.ld+i]
	}
	return m.data[i*m.ld+j]
}

// naive is the textbook triple loop every kernel is checked against.
func naive(ta, tb bool, m, n, k int, a, b matrix) []float64 {
	out := make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for q := range k {
				s += a.at(i, q, ta) * b.at(q, j, tb)
			}
			out[i*n+j] = s
		}
	}
	return out
}

// checkProduct runs prod (which stores, then adds, op(a)·op(b) into c) and
// compares c with the naive product, and the padding of c with the
// sentinel.
func checkProduct(t *testing.T, name string, rng *rand.Rand, ta, tb bool, m, n, k int, prod func(a, b, c matrix, add bool)) {
	t.Helper()
	ar, ac := m, k
	if ta {
		ar, ac = k, m
	}
	br, bc := k, n
	if tb {
		br, bc = n, k
	}
	a, b := randMatrix(rng, ar, ac, rng.IntN(4)), randMatrix(rng, br, bc, rng.IntN(4))
	c := randMatrix(rng, m, n, rng.IntN(4))
	for i := range m {
		for j := range n {
			c.data[i*c.ld+j] = math.NaN() // storing must not read C
		}
	}
	want := naive(ta, tb, m, n, k, a, b)
	for _, add := range []bool{false, true} {
		prod(a, b, c, add)
		scale := 1.0
		if add {
			scale = 2
		}
		for i := range m {
			for j := range n {
				got, w := c.data[i*c.ld+j], scale*want[i*n+j]
				if math.Abs(got-w) > 1e-12*(1+math.Abs(w)) || math.IsNaN(got) {
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

var transposes = [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}

// TestKernels checks every micro-kernel this processor can run (AVX-512,
// AVX2 and the portable one, whichever are here), through the packed path,
// against the naive product over random shapes, strides and transposes.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, kern := range kernels {
		for _, sz := range shapes(rng, 40) {
			for _, tr := range transposes {
				m, n, k := sz[0], sz[1], sz[2]
				checkProduct(t, kern.name, rng, tr[0], tr[1], m, n, k, func(a, b, c matrix, add bool) {
					p := product{ta: tr[0], tb: tr[1], m: m, n: n, k: k, a: a.data, lda: a.ld, b: b.data, ldb: b.ld, c: c.data, ldc: c.ld, add: add}
					p.packed(kern)
				})
			}
		}
	}
	if kernels[len(kernels)-1].name != "go" {
		t.Error("the portable kernel is not the last resort")
	}
	t.Logf("kernels: %v", kernelNames())
}

func kernelNames() []string {
	var names []string
	for _, k := range kernels {
		names = append(names, k.name)
	}
	return names
}

// TestGemm checks the entry point, which picks the direct kernels where
// they apply, over random shapes, strides and transposes, and the shapes
// the direct kernels were written for: rows and columns that are and are
// not multiples of their blocks, depths with a remainder of 8, more than one
// pass, and beyond what Aᵀ·B reads in place.
func TestGemm(t *testing.T) {
	t.Logf("direct kernels on this processor: %v", hasDirect)
	rng := rand.New(rand.NewPCG(23, 24))
	direct := [][3]int{{6, 4, 200}, {7, 5, 121}, {13, 10, 128}, {12, 16, 29}, {64, 128, 784}, {11, 9, 1100}, {100, 30, 301}, {25, 33, 600}, {37, 70, 3}}
	for _, sz := range append(shapes(rng, 40), direct...) {
		for _, tr := range transposes {
			m, n, k := sz[0], sz[1], sz[2]
			checkProduct(t, "Gemm", rng, tr[0], tr[1], m, n, k, func(a, b, c matrix, add bool) {
				Gemm(tr[0], tr[1], m, n, k, a.data, a.ld, b.data, b.ld, c.data, c.ld, add)
			})
		}
	}
}

// TestDeterministic checks that one thread and three give the same bits,
// on every path.
func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, sz := range [][3]int{{64, 128, 784}, {128, 784, 64}, {200, 130, 120}, {300, 40, 500}} {
		for _, tr := range transposes {
			m, n, k := sz[0], sz[1], sz[2]
			a, b := randMatrix(rng, max(m, k), max(m, k), 0), randMatrix(rng, max(n, k), max(n, k), 0)
			run := func(procs int) []float64 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				c := make([]float64, m*n)
				Gemm(tr[0], tr[1], m, n, k, a.data, a.ld, b.data, b.ld, c, n, false)
				return c
			}
			if one, three := run(1), run(3); !slices.Equal(one, three) {
				t.Errorf("m n k = %v, transposes %v: one thread and three differ", sz, tr)
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

// TestAxpy checks Axpy short and long enough to be shared among threads,
// in chunks that do not divide it.
func TestAxpy(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for _, n := range []int{0, 1, 37, 3*minSplit + 17} {
		x, y := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i], y[i] = 0.25, float64(i)
		}
		Axpy(4, x, y)
		for i := range n {
			if y[i] != float64(i)+1 {
				t.Fatalf("n = %d: y[%d] = %v, want %v", n, i, y[i], i+1)
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
// is shared among threads or not, and that Buffer gives slices of the size
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
	}
}
