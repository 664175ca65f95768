package tensor

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var approx = cmpopts.EquateApprox(1e-12, 1e-12)

// check compares a tensor's shape and data with the expected ones.
func check(t *testing.T, name string, got *Tensor, shape []int, data []float64) {
	t.Helper()
	if diff := cmp.Diff(shape, got.Shape(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: shape (-want +got):\n%s", name, diff)
	}
	if diff := cmp.Diff(data, got.Data(), approx, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("%s: data (-want +got):\n%s", name, diff)
	}
}

// mustPanic runs f and checks that it panics with an *Error whose message
// contains want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		e, ok := r.(*Error)
		if !ok {
			t.Fatalf("panic value %#v, want *tensor.Error containing %q", r, want)
		}
		if !strings.Contains(e.Error(), want) {
			t.Fatalf("panic %q, want it to contain %q", e.Error(), want)
		}
	}()
	f()
}

func TestConstruction(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name  string
		got   *Tensor
		shape []int
		data  []float64
	}{
		{"New", New([]float64{1, 2, 3, 4, 5, 6}, 2, 3), []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"New1D", New([]float64{1, 2}), []int{2}, []float64{1, 2}},
		{"Zeros", Zeros(2, 2), []int{2, 2}, []float64{0, 0, 0, 0}},
		{"Ones", Ones(3), []int{3}, []float64{1, 1, 1}},
		{"Full", Full(7, 1, 2), []int{1, 2}, []float64{7, 7}},
		{"Scalar", Scalar(3), []int{}, []float64{3}},
		{"Arange", Arange(0, 1, 0.25), []int{4}, []float64{0, 0.25, 0.5, 0.75}},
		{"ArangeDown", Arange(3, 0, -1), []int{3}, []float64{3, 2, 1}},
		{"ArangeEmpty", Arange(3, 0, 1), []int{0}, []float64{}},
		{"Linspace", Linspace(0, 1, 5), []int{5}, []float64{0, 0.25, 0.5, 0.75, 1}},
		{"Linspace1", Linspace(2, 9, 1), []int{1}, []float64{2}},
		{"Eye", Eye(2), []int{2, 2}, []float64{1, 0, 0, 1}},
		{"Clone", New([]float64{1, 2}).Clone(), []int{2}, []float64{1, 2}},
		{"ReshapeInfer", Arange(0, 6, 1).Reshape(3, -1), []int{3, 2}, []float64{0, 1, 2, 3, 4, 5}},
		{"ReshapeScalar", New([]float64{5}).Reshape(), []int{}, []float64{5}},
	}
	for _, tt := range tests {
		check(t, tt.name, tt.got, tt.shape, tt.data)
	}
	n := Normal(rng, 2, 3, 1000)
	if m := n.Mean().Item(); math.Abs(m-2) > 0.3 {
		t.Errorf("Normal mean %v, want about 2", m)
	}
	u := Uniform(rng, -1, 1, 1000)
	if u.Min().Item() < -1 || u.Max().Item() >= 1 {
		t.Errorf("Uniform out of [-1, 1): min %v max %v", u.Min().Item(), u.Max().Item())
	}
	a, b := Normal(rand.New(rand.NewPCG(5, 5)), 0, 1, 4), Normal(rand.New(rand.NewPCG(5, 5)), 0, 1, 4)
	if !Equal(a, b) {
		t.Error("Normal with equal seeds differs")
	}
}

func TestAccessors(t *testing.T) {
	x := Arange(0, 24, 1).Reshape(2, 3, 4)
	if x.Dims() != 3 || x.Size() != 24 || x.Dim(-1) != 4 || x.Dim(0) != 2 {
		t.Errorf("Dims %d Size %d Dim(-1) %d", x.Dims(), x.Size(), x.Dim(-1))
	}
	if got := x.At(1, 2, 3); got != 23 {
		t.Errorf("At(1,2,3) = %v, want 23", got)
	}
	x.Set(-1, 0, 1, 2)
	if got := x.Data()[6]; got != -1 {
		t.Errorf("Set wrote %v at 6, want -1", got)
	}
	if Scalar(4).Item() != 4 {
		t.Error("Item")
	}
	v := x.Reshape(4, 6)
	v.Data()[0] = 99
	if x.At(0, 0, 0) != 99 {
		t.Error("Reshape does not share data")
	}
	s := x.Shape()
	s[0] = 100
	if x.Dim(0) != 2 {
		t.Error("Shape returned the internal slice")
	}
	if !x.SameShape(Zeros(2, 3, 4)) || x.SameShape(Zeros(2, 3)) {
		t.Error("SameShape")
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		want string
		f    func()
	}{
		{"New: 3 values do not fill shape [2 2]", func() { New([]float64{1, 2, 3}, 2, 2) }},
		{"negative dimension", func() { Zeros(-1, 2) }},
		{"MatMul: [2 3] × [4 5]: inner dimensions differ", func() { Zeros(2, 3).MatMul(Zeros(4, 5)) }},
		{"MatMul: [2] × [2 2]: want 2-D", func() { Zeros(2).MatMul(Zeros(2, 2)) }},
		{"MatMul: [2 2 2] × [3 2 2]: batch sizes differ", func() { Zeros(2, 2, 2).MatMul(Zeros(3, 2, 2)) }},
		{"Add: [2 3] and [2]: shapes do not broadcast", func() { Zeros(2, 3).Add(Zeros(2)) }},
		{"Reshape: [6] (6 elements) to [4] (4 elements)", func() { Zeros(6).Reshape(4) }},
		{"Reshape: [6] to [-1 -1]", func() { Zeros(6).Reshape(-1, -1) }},
		{"cannot infer", func() { Zeros(6).Reshape(4, -1) }},
		{"At: index [2 0] out of range for shape [2 2]", func() { Zeros(2, 2).At(2, 0) }},
		{"Set: index [0] for shape [2 2]: want 2 indices", func() { Zeros(2, 2).Set(1, 0) }},
		{"Item: shape [2] has 2 elements", func() { Zeros(2).Item() }},
		{"Arange: step must be non-zero", func() { Arange(0, 1, 0) }},
		{"Linspace: negative count", func() { Linspace(0, 1, -1) }},
		{"T: shape [2 2 2]", func() { Zeros(2, 2, 2).T() }},
		{"Permute: axes [0 0]", func() { Zeros(2, 2).Permute(0, 0) }},
		{"Permute: axes [0]", func() { Zeros(2, 2).Permute(0) }},
		{"Concat: [2 2] and [2 3] along axis 0", func() { Concat(0, Zeros(2, 2), Zeros(2, 3)) }},
		{"Concat: [2 2] and [2]: dimension counts", func() { Concat(0, Zeros(2, 2), Zeros(2)) }},
		{"Concat: no tensors", func() { Concat(0) }},
		{"Stack: [2] and [3]: shapes differ", func() { Stack(0, Zeros(2), Zeros(3)) }},
		{"Stack: axis out of range", func() { Stack(3, Zeros(2)) }},
		{"Stack: no tensors", func() { Stack(0) }},
		{"Slice: [1, 3) along axis 0 of shape [2]", func() { Zeros(2).Slice(0, 1, 3) }},
		{"axis 2 out of range for shape [2 2]", func() { Zeros(2, 2).Sum(2) }},
		{"axis 0 repeated", func() { Zeros(2, 2).Sum(0, 0) }},
		{"GatherRows: row index 5 out of range", func() { Zeros(2, 2).IndexRows([]int{5}) }},
		{"IndexRows: scalar has no rows", func() { Scalar(1).IndexRows([]int{0}) }},
		{"ScatterAddRows: row index 3", func() { Zeros(2, 2).ScatterAddRows(Zeros(1, 2), []int{3}) }},
		{"ScatterAddRows: [2 2] += 1 rows of [1 3]", func() { Zeros(2, 2).ScatterAddRows(Zeros(1, 3), []int{0}) }},
		{"GatherRows: [1 3] ← 1 rows of [2 2]", func() { Zeros(1, 3).GatherRows(Zeros(2, 2), []int{0}) }},
		{"SetMatMul: [2 2] = [2 3 1] × [3 2]: want 2-D", func() { Zeros(2, 2).SetMatMul(Zeros(2, 3, 1), Zeros(3, 2), false, false) }},
		{"AddMatMul: [2 3] × [2 2]: inner dimensions differ", func() { Zeros(2, 2).AddMatMul(Zeros(2, 3), Zeros(2, 2), false, false) }},
		{"SetMatMul: destination [2 2] for a [3 2] product", func() { Zeros(2, 2).SetMatMul(Zeros(2, 3), Zeros(2, 2), true, false) }},
		{"AddMatMul: the destination shares memory", func() { sq := Zeros(2, 2); sq.AddMatMul(sq, Eye(2), false, false) }},
		{"Clip: lower bound 2 above upper bound 1", func() { Zeros(2).Clip(2, 1) }},
		{"AddScaled: [2] += α·[3]", func() { Zeros(2).AddScaled(1, Zeros(3)) }},
		{"CopyFrom: [2] ← [3]", func() { Zeros(2).CopyFrom(Zeros(3)) }},
		{"SumTo: [2 3] to [4]", func() { Zeros(2, 3).SumTo(4) }},
		{"BroadcastTo: [3] to [2 2]", func() { Zeros(3).BroadcastTo(2, 2) }},
		{"Max: shape [0]: no elements", func() { Zeros(0).Max() }},
		{"ArgMax: shape [2 0]: axis 1 is empty", func() { Zeros(2, 0).ArgMax(1) }},
	}
	for _, tt := range tests {
		mustPanic(t, tt.want, tt.f)
	}
}

func TestBroadcastShapes(t *testing.T) {
	tests := []struct {
		a, b, want []int
		ok         bool
	}{
		{[]int{3, 1, 4}, []int{5, 1}, []int{3, 5, 4}, true},
		{[]int{}, []int{2, 2}, []int{2, 2}, true},
		{[]int{2, 3}, []int{3}, []int{2, 3}, true},
		{[]int{2, 3}, []int{2}, nil, false},
		{[]int{1}, []int{0}, []int{0}, true},
	}
	for _, tt := range tests {
		got, ok := BroadcastShapes(tt.a, tt.b)
		if ok != tt.ok || !cmp.Equal(got, tt.want, cmpopts.EquateEmpty()) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, %v; want %v, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestElementwise(t *testing.T) {
	a := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	row := New([]float64{10, 20, 30})
	col := New([]float64{1, 2}, 2, 1)
	nan := math.NaN()
	tests := []struct {
		name  string
		got   *Tensor
		shape []int
		data  []float64
	}{
		{"Add", a.Add(a), []int{2, 3}, []float64{2, 4, 6, 8, 10, 12}},
		{"AddRow", a.Add(row), []int{2, 3}, []float64{11, 22, 33, 14, 25, 36}},
		{"AddCol", a.Add(col), []int{2, 3}, []float64{2, 3, 4, 6, 7, 8}},
		{"AddScalarTensor", a.Add(Scalar(1)), []int{2, 3}, []float64{2, 3, 4, 5, 6, 7}},
		{"ScalarAdd", Scalar(1).Add(a), []int{2, 3}, []float64{2, 3, 4, 5, 6, 7}},
		{"RowPlusCol", row.Add(col), []int{2, 3}, []float64{11, 21, 31, 12, 22, 32}},
		{"Sub", a.Sub(row), []int{2, 3}, []float64{-9, -18, -27, -6, -15, -24}},
		{"SubCol", col.Sub(a), []int{2, 3}, []float64{0, -1, -2, -2, -3, -4}},
		{"SubScalarLeft", Scalar(1).Sub(row), []int{3}, []float64{-9, -19, -29}},
		{"Mul", a.Mul(col), []int{2, 3}, []float64{1, 2, 3, 8, 10, 12}},
		{"MulScalarLeft", Scalar(2).Mul(row), []int{3}, []float64{20, 40, 60}},
		{"Div", a.Div(col), []int{2, 3}, []float64{1, 2, 3, 2, 2.5, 3}},
		{"Pow", col.Pow(New([]float64{2, 3}, 1, 2)), []int{2, 2}, []float64{1, 1, 4, 8}},
		{"Maximum", New([]float64{1, 5, nan}).Maximum(New([]float64{3, 2, 1})), []int{3}, []float64{3, 5, nan}},
		{"MaximumNaNRight", New([]float64{1}).Maximum(New([]float64{nan})), []int{1}, []float64{nan}},
		{"Minimum", New([]float64{1, 5, nan}).Minimum(New([]float64{3, 2, 1})), []int{3}, []float64{1, 2, nan}},
		{"Eq", row.Eq(Scalar(20)), []int{3}, []float64{0, 1, 0}},
		{"Ne", row.Ne(Scalar(20)), []int{3}, []float64{1, 0, 1}},
		{"Gt", row.Gt(Scalar(20)), []int{3}, []float64{0, 0, 1}},
		{"Ge", row.Ge(Scalar(20)), []int{3}, []float64{0, 1, 1}},
		{"Lt", row.Lt(Scalar(20)), []int{3}, []float64{1, 0, 0}},
		{"Le", row.Le(Scalar(20)), []int{3}, []float64{1, 1, 0}},
		{"BroadcastBoth1", Zeros(3, 1, 2).Add(Ones(1, 4, 1)), []int{3, 4, 2}, ones(24)},
		{"Broadcast3D", Arange(0, 2, 1).Reshape(2, 1, 1).Mul(Ones(1, 2, 2)), []int{2, 2, 2}, []float64{0, 0, 0, 0, 1, 1, 1, 1}},
		{"BroadcastAllOnes", Ones(1, 1).Add(Ones(1)), []int{1, 1}, []float64{2}},
		{"BroadcastScalarRuns", Ones(2, 1).Add(Ones(1, 3)).Add(Zeros(2, 3)), []int{2, 3}, []float64{2, 2, 2, 2, 2, 2}},
		{"BroadcastInnerScalar", Ones(2, 1, 3).Mul(Full(2, 2, 1, 1)), []int{2, 1, 3}, []float64{2, 2, 2, 2, 2, 2}},
		{"AddScalar", row.AddScalar(1), []int{3}, []float64{11, 21, 31}},
		{"SubScalar", row.SubScalar(1), []int{3}, []float64{9, 19, 29}},
		{"MulScalar", row.MulScalar(2), []int{3}, []float64{20, 40, 60}},
		{"DivScalar", row.DivScalar(10), []int{3}, []float64{1, 2, 3}},
		{"PowScalar2", row.PowScalar(2), []int{3}, []float64{100, 400, 900}},
		{"PowScalar1", row.PowScalar(1), []int{3}, []float64{10, 20, 30}},
		{"PowScalarHalf", New([]float64{4, 9}).PowScalar(0.5), []int{2}, []float64{2, 3}},
		{"Neg", row.Neg(), []int{3}, []float64{-10, -20, -30}},
		{"Exp", New([]float64{0, 1}).Exp(), []int{2}, []float64{1, math.E}},
		{"Log", New([]float64{1, math.E}).Log(), []int{2}, []float64{0, 1}},
		{"Sqrt", New([]float64{4, 9}).Sqrt(), []int{2}, []float64{2, 3}},
		{"Abs", New([]float64{-4, 9}).Abs(), []int{2}, []float64{4, 9}},
		{"Square", New([]float64{-4, 3}).Square(), []int{2}, []float64{16, 9}},
		{"Tanh", New([]float64{0, 1}).Tanh(), []int{2}, []float64{0, math.Tanh(1)}},
		{"Sigmoid", New([]float64{0, 1000, -1000, 2}).Sigmoid(), []int{4}, []float64{0.5, 1, 0, 1 / (1 + math.Exp(-2))}},
		{"ReLU", New([]float64{-1, 0, 2, nan, math.Copysign(0, -1), math.Inf(-1), math.Inf(1)}).ReLU(), []int{7}, []float64{0, 0, 2, nan, 0, 0, math.Inf(1)}},
		{"Clip", New([]float64{-5, 0.5, 5}).Clip(0, 1), []int{3}, []float64{0, 0.5, 1}},
		{"Map", row.Map(func(x float64) float64 { return x + 0.5 }), []int{3}, []float64{10.5, 20.5, 30.5}},
	}
	for _, tt := range tests {
		check(t, tt.name, tt.got, tt.shape, tt.data)
	}
}

func ones(n int) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = 1
	}
	return d
}

func TestInPlace(t *testing.T) {
	x := New([]float64{1, 2, 3})
	d := x.Data()
	x.AddScaled(2, New([]float64{1, 1, 1})).Scale(10)
	check(t, "AddScaled+Scale", x, []int{3}, []float64{30, 40, 50})
	x.Fill(7)
	check(t, "Fill", x, []int{3}, []float64{7, 7, 7})
	x.CopyFrom(New([]float64{4, 5, 6}))
	check(t, "CopyFrom", x, []int{3}, []float64{4, 5, 6})
	if &d[0] != &x.Data()[0] {
		t.Error("in-place helper replaced the backing array")
	}
	// Long enough for the vector loop and its tail.
	long, ones := Arange(0, 37, 1), Ones(37)
	long.AddScaled(-2, ones)
	if !AllClose(long, Arange(-2, 35, 1), 0, 0) {
		t.Errorf("AddScaled on 37 elements: %v", long)
	}
	// Long enough to be shared among threads, in chunks that do not divide it.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	n := 3<<15 + 17 // past the engine's smallest share
	big, step := Arange(0, float64(n), 1), Full(0.25, n)
	big.AddScaled(4, step)
	if !AllClose(big, Arange(1, float64(n)+1, 1), 0, 0) {
		t.Errorf("AddScaled on %d elements differs from the loop", n)
	}
	allocs := testing.AllocsPerRun(100, func() {
		x.AddScaled(0.5, x).Scale(0.5).Fill(1).CopyFrom(x)
	})
	if allocs != 0 {
		t.Errorf("in-place helpers allocate %v times", allocs)
	}
}

// naiveMatMul is the textbook triple loop the fast kernel is checked against.
func naiveMatMul(a, b *Tensor) *Tensor {
	m, k, n := a.Dim(0), a.Dim(1), b.Dim(1)
	out := Zeros(m, n)
	for i := range m {
		for j := range n {
			s := 0.0
			for q := range k {
				s += a.At(i, q) * b.At(q, j)
			}
			out.Set(s, i, j)
		}
	}
	return out
}

func TestMatMul(t *testing.T) {
	check(t, "2x3·3x2", New([]float64{1, 2, 3, 4, 5, 6}, 2, 3).MatMul(New([]float64{7, 8, 9, 10, 11, 12}, 3, 2)),
		[]int{2, 2}, []float64{58, 64, 139, 154})
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 64, 64}, {70, 300, 130}, {130, 257, 67}, {5, 600, 3}} {
		m, k, n := sz[0], sz[1], sz[2]
		a, b := Normal(rng, 0, 1, m, k), Normal(rng, 0, 1, k, n)
		want := naiveMatMul(a, b)
		if got := a.MatMul(b); !AllClose(got, want, 1e-12, 1e-12) {
			t.Errorf("MatMul %v: differs from the naive product", sz)
		}
		if got := a.MatMulT(b.T()); !AllClose(got, want, 1e-12, 1e-12) {
			t.Errorf("MatMulT %v: differs from the naive product", sz)
		}
		if got := a.T().TMatMul(b); !AllClose(got, want, 1e-12, 1e-12) {
			t.Errorf("TMatMul %v: differs from the naive product", sz)
		}
	}
	// Batched: 3-D × 3-D and 3-D × 2-D agree with per-matrix products.
	a, b, w := Normal(rng, 0, 1, 3, 4, 5), Normal(rng, 0, 1, 3, 5, 2), Normal(rng, 0, 1, 5, 2)
	ab, aw := a.MatMul(b), a.MatMul(w)
	for i := range 3 {
		ai := a.Slice(0, i, i+1).Reshape(4, 5)
		if !AllClose(ab.Slice(0, i, i+1).Reshape(4, 2), naiveMatMul(ai, b.Slice(0, i, i+1).Reshape(5, 2)), 1e-12, 1e-12) {
			t.Errorf("batched MatMul: matrix %d differs", i)
		}
		if !AllClose(aw.Slice(0, i, i+1).Reshape(4, 2), naiveMatMul(ai, w), 1e-12, 1e-12) {
			t.Errorf("3-D × 2-D MatMul: matrix %d differs", i)
		}
	}
	if got := a.MatMulT(b.Permute(0, 2, 1)); !AllClose(got, ab, 1e-12, 1e-12) {
		t.Error("batched MatMulT differs from MatMul")
	}
	if got := a.Permute(0, 2, 1).TMatMul(b); !AllClose(got, ab, 1e-12, 1e-12) {
		t.Error("batched TMatMul differs from MatMul")
	}
	if got := a.MatMulT(w.T()); !AllClose(got, aw, 1e-12, 1e-12) {
		t.Error("3-D × 2-D MatMulT differs from MatMul")
	}
	check(t, "empty", Zeros(0, 3).MatMul(Zeros(3, 2)), []int{0, 2}, []float64{})
	// Destination forms.
	a2, b2 := Normal(rng, 0, 1, 30, 40), Normal(rng, 0, 1, 50, 40)
	want2 := a2.MatMulT(b2)
	dst := Full(math.NaN(), 30, 50)
	if !AllClose(dst.SetMatMul(a2, b2, false, true), want2, 1e-12, 1e-12) {
		t.Error("SetMatMul")
	}
	if !AllClose(dst.AddMatMul(a2.T(), b2.T(), true, false), want2.MulScalar(2), 1e-12, 1e-12) {
		t.Error("AddMatMul")
	}
	if !AllClose(Ones(1, 1).AddMatMul(New([]float64{2, 3}, 1, 2), New([]float64{4, 5}, 2, 1), false, false), New([]float64{24}, 1, 1), 0, 0) {
		t.Error("small AddMatMul")
	}
}

// TestMatMulDeterministic checks that the product is bitwise identical
// whatever the number of threads: work is split at fixed boundaries.
func TestMatMulDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	a, b := Normal(rng, 0, 1, 300, 200), Normal(rng, 0, 1, 200, 150)
	prev := runtime.GOMAXPROCS(1)
	one := a.MatMul(b)
	runtime.GOMAXPROCS(4)
	four := a.MatMul(b)
	runtime.GOMAXPROCS(prev)
	if !Equal(one, four) {
		t.Error("MatMul differs between GOMAXPROCS 1 and 4")
	}
}

func TestShapeOps(t *testing.T) {
	a := Arange(0, 6, 1).Reshape(2, 3)
	x := Arange(0, 24, 1).Reshape(2, 3, 4)
	tests := []struct {
		name  string
		got   *Tensor
		shape []int
		data  []float64
	}{
		{"T", a.T(), []int{3, 2}, []float64{0, 3, 1, 4, 2, 5}},
		{"Permute", x.Permute(2, 0, 1).Slice(0, 1, 2), []int{1, 2, 3}, []float64{1, 5, 9, 13, 17, 21}},
		{"PermuteId", a.Permute(0, 1), []int{2, 3}, []float64{0, 1, 2, 3, 4, 5}},
		{"Concat0", Concat(0, a, a), []int{4, 3}, []float64{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}},
		{"Concat1", Concat(-1, a, a.Slice(1, 0, 1)), []int{2, 4}, []float64{0, 1, 2, 0, 3, 4, 5, 3}},
		{"Stack0", Stack(0, New([]float64{1, 2}), New([]float64{3, 4})), []int{2, 2}, []float64{1, 2, 3, 4}},
		{"Stack1", Stack(-1, New([]float64{1, 2}), New([]float64{3, 4})), []int{2, 2}, []float64{1, 3, 2, 4}},
		{"Slice", a.Slice(1, 1, 3), []int{2, 2}, []float64{1, 2, 4, 5}},
		{"SliceEmpty", a.Slice(0, 1, 1), []int{0, 3}, []float64{}},
		{"IndexRows", a.IndexRows([]int{1, 1, 0}), []int{3, 3}, []float64{3, 4, 5, 3, 4, 5, 0, 1, 2}},
		{"ScatterAddRows", Zeros(2, 2).ScatterAddRows(Ones(3, 2), []int{1, 1, 0}), []int{2, 2}, []float64{1, 1, 2, 2}},
		{"BroadcastTo", New([]float64{1, 2}, 2, 1).BroadcastTo(2, 3), []int{2, 3}, []float64{1, 1, 1, 2, 2, 2}},
		{"BroadcastToRow", New([]float64{1, 2}).BroadcastTo(2, 2), []int{2, 2}, []float64{1, 2, 1, 2}},
		{"BroadcastToEmpty", Ones(1).BroadcastTo(0), []int{0}, []float64{}},
		{"PermuteEmpty", Zeros(0, 2).Permute(1, 0), []int{2, 0}, []float64{}},
	}
	for _, tt := range tests {
		check(t, tt.name, tt.got, tt.shape, tt.data)
	}
	big := Normal(rand.New(rand.NewPCG(1, 1)), 0, 1, 70, 45)
	if !Equal(big.T().T(), big) {
		t.Error("T of T is not the identity for a tiled transpose")
	}
}

func TestReductions(t *testing.T) {
	a := New([]float64{1, 5, 3, 4, 2, 6}, 2, 3)
	nan := math.NaN()
	tests := []struct {
		name  string
		got   *Tensor
		shape []int
		data  []float64
	}{
		{"Sum", a.Sum(), []int{}, []float64{21}},
		{"Sum0", a.Sum(0), []int{3}, []float64{5, 7, 9}},
		{"Sum1", a.Sum(-1), []int{2}, []float64{9, 12}},
		{"SumBoth", a.Sum(1, 0), []int{}, []float64{21}},
		{"SumKeep", a.SumKeepDims(1), []int{2, 1}, []float64{9, 12}},
		{"SumKeepAll", a.SumKeepDims(), []int{1, 1}, []float64{21}},
		{"Mean", a.Mean(), []int{}, []float64{3.5}},
		{"Mean0", a.Mean(0), []int{3}, []float64{2.5, 3.5, 4.5}},
		{"MeanKeep", a.MeanKeepDims(1), []int{2, 1}, []float64{3, 4}},
		{"Max", a.Max(), []int{}, []float64{6}},
		{"Max0", a.Max(0), []int{3}, []float64{4, 5, 6}},
		{"Max1", a.MaxKeepDims(1), []int{2, 1}, []float64{5, 6}},
		{"Min", a.Min(), []int{}, []float64{1}},
		{"Min1", a.Min(1), []int{2}, []float64{1, 2}},
		{"MinKeep0", a.MinKeepDims(0), []int{1, 3}, []float64{1, 2, 3}},
		{"MaxNaN", New([]float64{1, nan, 3}).Max(), []int{}, []float64{nan}},
		{"Var", New([]float64{1, 2, 3, 4}).Var(), []int{}, []float64{5.0 / 3}},
		{"Var1", a.Var(1), []int{2}, []float64{4, 4}},
		{"VarKeep", a.VarKeepDims(0), []int{1, 3}, []float64{4.5, 4.5, 4.5}},
		{"ArgMax1", a.ArgMax(1), []int{2}, []float64{1, 2}},
		{"ArgMax0", a.ArgMax(0), []int{3}, []float64{1, 0, 1}},
		{"ArgMaxTie", New([]float64{3, 3, 1}).ArgMax(0), []int{}, []float64{0}},
		{"ArgMaxNaN", New([]float64{3, nan, 9}).ArgMax(0), []int{}, []float64{1}},
		{"SumTo", a.SumTo(3), []int{3}, []float64{5, 7, 9}},
		{"SumToCol", a.SumTo(2, 1), []int{2, 1}, []float64{9, 12}},
		{"SumToScalar", a.SumTo(), []int{}, []float64{21}},
		{"SumToSame", a.SumTo(2, 3), []int{2, 3}, []float64{1, 5, 3, 4, 2, 6}},
		{"Sum3D", Arange(0, 24, 1).Reshape(2, 3, 4).Sum(0, 2), []int{3}, []float64{60, 92, 124}},
		{"SumEmpty", Zeros(0, 3).Sum(0), []int{3}, []float64{0, 0, 0}},
	}
	for _, tt := range tests {
		check(t, tt.name, tt.got, tt.shape, tt.data)
	}
}

func TestSoftmaxStable(t *testing.T) {
	x := New([]float64{1000, 1001, 1002, -1000, -1001, -1002}, 2, 3)
	e := []float64{math.Exp(-2), math.Exp(-1), 1}
	s := e[0] + e[1] + e[2]
	check(t, "Softmax", x.Softmax(1), []int{2, 3}, []float64{e[0] / s, e[1] / s, e[2] / s, e[2] / s, e[1] / s, e[0] / s})
	l := math.Log(s)
	check(t, "LogSoftmax", x.LogSoftmax(-1), []int{2, 3}, []float64{-2 - l, -1 - l, -l, -l, -1 - l, -2 - l})
	check(t, "LogSumExp", x.LogSumExp(1), []int{2}, []float64{1002 + l, -1000 + l})
	check(t, "SoftmaxAxis0", New([]float64{0, 0, 0, 0}, 2, 2).Softmax(0), []int{2, 2}, []float64{0.5, 0.5, 0.5, 0.5})
	inf := math.Inf(1)
	check(t, "LogSumExpInf", New([]float64{inf, 0, math.Inf(-1), math.Inf(-1)}, 2, 2).LogSumExp(1), []int{2}, []float64{inf, math.Inf(-1)})
}

func TestEqualAllClose(t *testing.T) {
	a := New([]float64{1, 2, math.Inf(1)})
	if !Equal(a, a.Clone()) || Equal(a, New([]float64{1, 2, 3})) || Equal(a, a.Reshape(3, 1)) {
		t.Error("Equal")
	}
	if !AllClose(a, New([]float64{1 + 1e-10, 2, math.Inf(1)}), 1e-9, 0) {
		t.Error("AllClose rejects close values")
	}
	if AllClose(a, New([]float64{1.1, 2, math.Inf(1)}), 1e-9, 1e-9) || AllClose(a, a.Reshape(1, 3), 1, 1) {
		t.Error("AllClose accepts distant values or other shapes")
	}
	if AllClose(New([]float64{math.NaN()}), New([]float64{math.NaN()}), 1, 1) {
		t.Error("AllClose accepts NaN")
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		got  *Tensor
		want string
	}{
		{Scalar(2.5), "2.5 shape []"},
		{New([]float64{1, -2.5, 3}), "[   1 -2.5    3] shape [3]"},
		{New([]float64{1, 2, 3, 4}, 2, 2), "[[1 2]\n [3 4]] shape [2 2]"},
		{Zeros(2, 1, 1), "[[[0]]\n\n [[0]]] shape [2 1 1]"},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	big := Arange(0, 2000, 1)
	if s := big.String(); !strings.Contains(s, "   0    1    2 ... 1997 1998 1999") {
		t.Errorf("large tensor not elided: %q", s)
	}
}

func TestRows(t *testing.T) {
	x := Arange(0, 12, 1).Reshape(4, 3)
	r := x.Rows(1, 3)
	check(t, "Rows", r, []int{2, 3}, []float64{3, 4, 5, 6, 7, 8})
	r.Set(-1, 0, 0)
	if x.At(1, 0) != -1 {
		t.Error("Rows does not share data")
	}
	mustPanic(t, "Rows: [3, 5) of shape [4 3]", func() { x.Rows(3, 5) })
	mustPanic(t, "Rows: [0, 1) of shape []", func() { Scalar(1).Rows(0, 1) })
}

// TestReLUZeroSign checks that ReLU maps −0 and negatives to +0, as
// max(x, 0) does, and keeps NaN.
func TestReLUZeroSign(t *testing.T) {
	out := New([]float64{math.Copysign(0, -1), -3, math.NaN()}).ReLU().Data()
	if math.Signbit(out[0]) || math.Signbit(out[1]) || !math.IsNaN(out[2]) {
		t.Errorf("ReLU(−0, −3, NaN) = %v (sign bits %v %v)", out, math.Signbit(out[0]), math.Signbit(out[1]))
	}
}

// TestErrorKinds checks that every panic names its kind for errors.Is.
func TestErrorKinds(t *testing.T) {
	catch := func(f func()) (err error) {
		defer func() { err, _ = recover().(error) }()
		f()
		return nil
	}
	for _, tt := range []struct {
		name string
		f    func()
		kind error
	}{
		{"MatMul", func() { Ones(2, 3).MatMul(Ones(2, 3)) }, ErrShape},
		{"Add", func() { Ones(2, 3).Add(Ones(4)) }, ErrShape},
		{"At", func() { Ones(2).At(5) }, ErrIndex},
		{"Sum axis", func() { Ones(2).Sum(3) }, ErrIndex},
		{"Arange", func() { Arange(0, 1, 0) }, ErrArgument},
		{"Clip", func() { Ones(1).Clip(1, 0) }, ErrArgument},
	} {
		err := catch(tt.f)
		var te *Error
		if !errors.As(err, &te) || !errors.Is(err, tt.kind) {
			t.Errorf("%s: %v, want a *tensor.Error of kind %v", tt.name, err, tt.kind)
		}
		for _, other := range []error{ErrShape, ErrIndex, ErrArgument, ErrDType} {
			if other != tt.kind && errors.Is(err, other) {
				t.Errorf("%s: also matches %v", tt.name, other)
			}
		}
	}
}

// TestSizeOverflow checks that a shape whose element count overflows, or
// that no slice could hold, panics with a *tensor.Error naming the shape
// wherever a shape is made, instead of wrapping around to a small tensor.
func TestSizeOverflow(t *testing.T) {
	huge := 1 << 32
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"Zeros wraps to 0", func() { Zeros(huge, huge) }},
		{"Zeros too large to allocate", func() { Zeros(3, 1<<62) }},
		{"Zeros beyond memory", func() { Zeros(1 << 44) }},
		{"Zeros one past MaxElements", func() { Zeros(MaxElements+1, 1) }},
		{"Full", func() { Full(1, huge, huge, 2) }},
		{"New", func() { New([]float64{1}, huge, huge) }},
		{"Reshape", func() { Ones(1).Reshape(huge, huge) }},
		{"Reshape with -1", func() { Ones(0).Reshape(-1, huge, huge) }},
		{"BroadcastTo", func() { Ones(1, 1).BroadcastTo(huge, huge) }},
	} {
		func() {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, ErrShape) || !strings.Contains(e.Error(), "elements") {
					t.Errorf("%s: panic %v, want a shape *tensor.Error about the element count", tt.name, e)
				}
			}()
			tt.f()
		}()
	}
	for _, tt := range []struct {
		shape []int
		n     int
		ok    bool
	}{
		{[]int{2, 3, 4}, 24, true},
		{[]int{}, 1, true},
		{[]int{0, huge, huge}, 0, true},
		{[]int{MaxElements}, MaxElements, true},
		{[]int{MaxElements, 2}, 0, false},
		{[]int{huge, huge}, 0, false},
		{[]int{2, -1}, 0, false},
	} {
		if n, ok := Elements(tt.shape...); n != tt.n || ok != tt.ok {
			t.Errorf("Elements(%v) = %d, %t; want %d, %t", tt.shape, n, ok, tt.n, tt.ok)
		}
	}
	// A zero dimension makes an empty tensor however large the others.
	if z := Zeros(0, huge, huge); z.Size() != 0 {
		t.Errorf("Zeros(0, 2³², 2³²) has %d elements", z.Size())
	}
	// Axes are reported as given.
	mustPanic(t, "axis -3 out of range for shape [2 3]", func() { Ones(2, 3).Dim(-3) })
}
