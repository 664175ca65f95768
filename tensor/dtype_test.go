package tensor

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// TestFloat32Ops runs every operation on float32 tensors and checks the
// result against the same operation in float64 on the same (float32-
// representable) values: the result must be float32 (ArgMax's indices are
// float64) and differ only by float32 rounding. Each case states its
// tolerance: one rounding (rtol 1e-6) for an elementwise op, more for a sum
// whose error grows with its length.
func TestFloat32Ops(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 23))
	// Inputs drawn in float64 and rounded to float32 once, so that the
	// float64 reference sees exactly the values the float32 op sees.
	rounded := func(shape ...int) *Tensor { return Normal(rng, 0, 1, shape...).To(Float32).To(Float64) }
	a, b, c := rounded(4, 6, 5), rounded(6, 1), rounded(4, 5, 3)
	m1, m2 := rounded(40, 70), rounded(70, 30)
	pos := a.Abs().AddScalar(0.1).To(Float32).To(Float64)
	const (
		elementwise = 1e-6 // one float32 rounding
		summed      = 1e-5 // a sum of a few dozen terms
		product     = 1e-4 // products of depth up to 70, absolute on values of order 10
	)
	for _, tt := range []struct {
		name string
		f    func(ts ...*Tensor) *Tensor
		in   []*Tensor
		tol  float64
	}{
		{"Add", func(x ...*Tensor) *Tensor { return x[0].Add(x[1]) }, []*Tensor{a, b}, elementwise},
		{"Sub", func(x ...*Tensor) *Tensor { return x[0].Sub(x[1]) }, []*Tensor{a, b}, elementwise},
		{"Mul", func(x ...*Tensor) *Tensor { return x[0].Mul(x[1]) }, []*Tensor{a, b}, elementwise},
		{"Div", func(x ...*Tensor) *Tensor { return x[0].Div(x[1]) }, []*Tensor{a, pos}, elementwise},
		{"Pow", func(x ...*Tensor) *Tensor { return x[0].Pow(x[1]) }, []*Tensor{pos, b}, elementwise},
		{"Maximum", func(x ...*Tensor) *Tensor { return x[0].Maximum(x[1]) }, []*Tensor{a, b}, 0},
		{"Minimum", func(x ...*Tensor) *Tensor { return x[0].Minimum(x[1]) }, []*Tensor{a, b}, 0},
		{"Eq", func(x ...*Tensor) *Tensor { return x[0].Eq(x[0].Maximum(x[1])) }, []*Tensor{a, b}, 0},
		{"Ne", func(x ...*Tensor) *Tensor { return x[0].Ne(x[1]) }, []*Tensor{a, b}, 0},
		{"Gt", func(x ...*Tensor) *Tensor { return x[0].Gt(x[1]) }, []*Tensor{a, b}, 0},
		{"Ge", func(x ...*Tensor) *Tensor { return x[0].Ge(x[1]) }, []*Tensor{a, b}, 0},
		{"Lt", func(x ...*Tensor) *Tensor { return x[0].Lt(x[1]) }, []*Tensor{a, b}, 0},
		{"Le", func(x ...*Tensor) *Tensor { return x[0].Le(x[1]) }, []*Tensor{a, b}, 0},
		{"AddScalar", func(x ...*Tensor) *Tensor { return x[0].AddScalar(0.5) }, []*Tensor{a}, elementwise},
		{"SubScalar", func(x ...*Tensor) *Tensor { return x[0].SubScalar(0.5) }, []*Tensor{a}, elementwise},
		{"MulScalar", func(x ...*Tensor) *Tensor { return x[0].MulScalar(0.5) }, []*Tensor{a}, elementwise},
		{"DivScalar", func(x ...*Tensor) *Tensor { return x[0].DivScalar(4) }, []*Tensor{a}, elementwise},
		{"PowScalar", func(x ...*Tensor) *Tensor { return x[0].PowScalar(1.5) }, []*Tensor{pos}, elementwise},
		{"PowScalar2", func(x ...*Tensor) *Tensor { return x[0].PowScalar(2) }, []*Tensor{a}, elementwise},
		{"Neg", func(x ...*Tensor) *Tensor { return x[0].Neg() }, []*Tensor{a}, 0},
		{"Exp", func(x ...*Tensor) *Tensor { return x[0].Exp() }, []*Tensor{a}, elementwise},
		{"Log", func(x ...*Tensor) *Tensor { return x[0].Log() }, []*Tensor{pos}, elementwise},
		{"Sqrt", func(x ...*Tensor) *Tensor { return x[0].Sqrt() }, []*Tensor{pos}, elementwise},
		{"Abs", func(x ...*Tensor) *Tensor { return x[0].Abs() }, []*Tensor{a}, 0},
		{"Square", func(x ...*Tensor) *Tensor { return x[0].Square() }, []*Tensor{a}, elementwise},
		{"Tanh", func(x ...*Tensor) *Tensor { return x[0].Tanh() }, []*Tensor{a}, elementwise},
		{"Sigmoid", func(x ...*Tensor) *Tensor { return x[0].Sigmoid() }, []*Tensor{a}, elementwise},
		{"ReLU", func(x ...*Tensor) *Tensor { return x[0].ReLU() }, []*Tensor{a}, 0},
		{"Clip", func(x ...*Tensor) *Tensor { return x[0].Clip(-0.5, 0.25) }, []*Tensor{a}, 0},
		{"Map", func(x ...*Tensor) *Tensor { return x[0].Map(math.Sin) }, []*Tensor{a}, elementwise},
		{"Sum", func(x ...*Tensor) *Tensor { return x[0].Sum() }, []*Tensor{a}, summed},
		{"Sum0", func(x ...*Tensor) *Tensor { return x[0].Sum(0) }, []*Tensor{a}, summed},
		{"Sum1", func(x ...*Tensor) *Tensor { return x[0].SumKeepDims(1) }, []*Tensor{a}, summed},
		{"Sum02", func(x ...*Tensor) *Tensor { return x[0].Sum(0, 2) }, []*Tensor{a}, summed},
		{"Mean", func(x ...*Tensor) *Tensor { return x[0].Mean(2) }, []*Tensor{a}, summed},
		{"MeanKeepDims", func(x ...*Tensor) *Tensor { return x[0].MeanKeepDims(0, 1) }, []*Tensor{a}, summed},
		{"Max", func(x ...*Tensor) *Tensor { return x[0].Max(1) }, []*Tensor{a}, 0},
		{"Min", func(x ...*Tensor) *Tensor { return x[0].MinKeepDims(0, 2) }, []*Tensor{a}, 0},
		{"Var", func(x ...*Tensor) *Tensor { return x[0].Var(2) }, []*Tensor{a}, summed},
		{"ArgMax", func(x ...*Tensor) *Tensor { return x[0].ArgMax(1) }, []*Tensor{a}, 0},
		{"Softmax", func(x ...*Tensor) *Tensor { return x[0].Softmax(1) }, []*Tensor{a}, elementwise},
		{"LogSoftmax", func(x ...*Tensor) *Tensor { return x[0].LogSoftmax(-1) }, []*Tensor{a}, elementwise},
		{"LogSumExp", func(x ...*Tensor) *Tensor { return x[0].LogSumExp(0) }, []*Tensor{a}, elementwise},
		{"SumTo", func(x ...*Tensor) *Tensor { return x[0].SumTo(6, 1) }, []*Tensor{a}, summed},
		{"BroadcastTo", func(x ...*Tensor) *Tensor { return x[0].BroadcastTo(2, 6, 3) }, []*Tensor{b}, 0},
		{"MatMul", func(x ...*Tensor) *Tensor { return x[0].MatMul(x[1]) }, []*Tensor{m1, m2}, product},
		{"MatMulT", func(x ...*Tensor) *Tensor { return x[0].MatMulT(x[1].T()) }, []*Tensor{m1, m2}, product},
		{"TMatMul", func(x ...*Tensor) *Tensor { return x[0].T().TMatMul(x[1]) }, []*Tensor{m1, m2}, product},
		{"MatMulBatched", func(x ...*Tensor) *Tensor { return x[0].MatMul(x[1]) }, []*Tensor{a, c}, summed},
		{"MatMulShared", func(x ...*Tensor) *Tensor { return x[0].MatMul(x[1].Slice(0, 0, 1).Reshape(5, 3)) }, []*Tensor{a, c}, summed},
		{"TMatMulBatched", func(x ...*Tensor) *Tensor { return x[0].TMatMul(x[0]) }, []*Tensor{a}, summed},
		{"SetMatMul", func(x ...*Tensor) *Tensor { return ZerosOf(x[0].DType(), 40, 40).SetMatMul(x[0], x[1], false, true) }, []*Tensor{m1, m1}, product},
		{"AddMatMul", func(x ...*Tensor) *Tensor { return x[1].Clone().AddMatMul(x[0], x[0], true, false) }, []*Tensor{m2, rounded(30, 30)}, product},
		{"T", func(x ...*Tensor) *Tensor { return x[0].T() }, []*Tensor{m1}, 0},
		{"Permute", func(x ...*Tensor) *Tensor { return x[0].Permute(2, 0, 1) }, []*Tensor{a}, 0},
		{"Reshape", func(x ...*Tensor) *Tensor { return x[0].Reshape(-1, 10) }, []*Tensor{a}, 0},
		{"Concat", func(x ...*Tensor) *Tensor { return Concat(1, x[0], x[1].Permute(0, 2, 1)) }, []*Tensor{a, c}, 0},
		{"Stack", func(x ...*Tensor) *Tensor { return Stack(1, x[0], x[0]) }, []*Tensor{b}, 0},
		{"Slice", func(x ...*Tensor) *Tensor { return x[0].Slice(1, 2, 5) }, []*Tensor{a}, 0},
		{"Rows", func(x ...*Tensor) *Tensor { return x[0].Rows(1, 3) }, []*Tensor{a}, 0},
		{"IndexRows", func(x ...*Tensor) *Tensor { return x[0].IndexRows([]int{3, 0, 3}) }, []*Tensor{a}, 0},
		{"ScatterAddRows", func(x ...*Tensor) *Tensor { return ZerosLike(x[0]).ScatterAddRows(x[0], []int{1, 1, 0, 3}) }, []*Tensor{a}, elementwise},
		{"AddScaled", func(x ...*Tensor) *Tensor { return x[0].Clone().AddScaled(0.25, x[1]) }, []*Tensor{a, a.Exp().To(Float32).To(Float64)}, elementwise},
		{"Scale", func(x ...*Tensor) *Tensor { return x[0].Clone().Scale(0.1) }, []*Tensor{a}, elementwise},
		{"Fill", func(x ...*Tensor) *Tensor { return x[0].Clone().Fill(0.1) }, []*Tensor{a}, elementwise},
		{"CopyFrom", func(x ...*Tensor) *Tensor { return ZerosLike(x[0]).CopyFrom(x[1]) }, []*Tensor{a, a.Neg()}, 0},
	} {
		want := tt.f(tt.in...)
		in32 := make([]*Tensor, len(tt.in))
		for i, x := range tt.in {
			in32[i] = x.To(Float32)
		}
		got := tt.f(in32...)
		wantDType := Float32
		if tt.name == "ArgMax" {
			wantDType = Float64
		}
		if got.DType() != wantDType {
			t.Errorf("%s: float32 inputs give a %v result, want %v", tt.name, got.DType(), wantDType)
			continue
		}
		// A result exactly representable in float32 (a copy, a mask, a
		// maximum) must be exact; the rest within the case's tolerance.
		if !AllClose(got, want, tt.tol, tt.tol) {
			t.Errorf("%s: float32 result differs from float64 by more than %g:\n got %v\nwant %v", tt.name, tt.tol, got, want)
		}
		for i, x := range in32 {
			if !AllClose(x, tt.in[i], 0, 0) {
				t.Errorf("%s: changed its input %d", tt.name, i)
			}
		}
	}
}

// TestDTypeAccessors checks construction, conversion and the typed
// accessors of a float32 tensor.
func TestDTypeAccessors(t *testing.T) {
	x := NewFloat32([]float32{1, 2.5, -3, 4, 5, 6}, 2, 3)
	if x.DType() != Float32 || x.Size() != 6 || x.Dims() != 2 {
		t.Fatalf("NewFloat32: dtype %v size %d dims %d", x.DType(), x.Size(), x.Dims())
	}
	if New([]float64{1}).DType() != Float64 || Zeros(2).DType() != Float64 || Scalar(1).DType() != Float64 {
		t.Error("the float64 constructors do not give Float64")
	}
	if x.At(0, 1) != 2.5 || x.Slice(1, 2, 3).Sum().Item() != 3 {
		t.Errorf("At(0,1) = %v, Item of the last column's sum = %v", x.At(0, 1), x.Slice(1, 2, 3).Sum().Item())
	}
	x.Set(0.1, 1, 2)
	if got := x.Float32s()[5]; got != float32(0.1) {
		t.Errorf("Set(0.1) stored %v, want float32(0.1)", got)
	}
	if got := x.Float64s(); got[5] != float64(float32(0.1)) || len(got) != 6 {
		t.Errorf("Float64s = %v", got)
	}
	if x.To(Float32) != x {
		t.Error("To(its own dtype) copied, want the tensor itself as torch's to")
	}
	y := x.To(Float64)
	if y.DType() != Float64 || y.Data()[1] != 2.5 || y.Data()[5] != float64(float32(0.1)) {
		t.Errorf("To(Float64) = %v", y)
	}
	y.Data()[0] = 100
	if x.At(0, 0) != 1 {
		t.Error("To(Float64) shares data with its source")
	}
	if r := Full(1.0/3, 2).To(Float32).Float32s(); r[0] != float32(1.0/3) {
		t.Errorf("To(Float32) rounds 1/3 to %v, want %v", r[0], float32(1.0/3))
	}
	v := x.Reshape(3, 2)
	v.Float32s()[0] = 7
	if x.At(0, 0) != 7 {
		t.Error("Reshape of a float32 tensor does not share data")
	}
	x.Rows(1, 2).Fill(-1)
	if x.At(1, 0) != -1 || x.At(0, 2) != -3 {
		t.Error("Rows of a float32 tensor does not share exactly its rows")
	}
	if z := ZerosOf(Float32, 2, 2); z.DType() != Float32 || len(z.Float32s()) != 4 {
		t.Errorf("ZerosOf(Float32) = %v", z)
	}
	if f := FullOf(Float32, 0.1, 3); f.Float32s()[2] != float32(0.1) {
		t.Errorf("FullOf(Float32, 0.1) = %v", f)
	}
	if z := ZerosLike(x); z.DType() != Float32 || !z.SameShape(x) {
		t.Errorf("ZerosLike = %v", z)
	}
	if c := x.Clone(); c.DType() != Float32 || !Equal(c, x) {
		t.Errorf("Clone = %v", c)
	}
	if Float64.ItemSize() != 8 || Float32.ItemSize() != 4 || Float32.String() != "float32" || Float64.String() != "float64" {
		t.Error("ItemSize or String of the dtypes")
	}
	// CopyFrom converts, as copy_ does; Equal needs the same dtype;
	// AllClose compares values across dtypes.
	d := New([]float64{0.1, 2})
	f := ZerosOf(Float32, 2).CopyFrom(d)
	if f.Float32s()[0] != float32(0.1) || Zeros(2).CopyFrom(f).Data()[0] != float64(float32(0.1)) {
		t.Error("CopyFrom across dtypes does not convert")
	}
	if Equal(d, d.To(Float32)) || !Equal(d.To(Float32), d.To(Float32)) {
		t.Error("Equal must require the same dtype")
	}
	if !AllClose(d.To(Float32), d, 1e-7, 0) || AllClose(d.To(Float32), d, 1e-9, 0) {
		t.Error("AllClose across dtypes does not compare the values")
	}
}

// TestDTypePanics checks that a typed accessor used on the other dtype and
// every mix of dtypes panic with an ErrDType that says what to convert.
func TestDTypePanics(t *testing.T) {
	d, f := Ones(2, 2), ZerosOf(Float32, 2, 2)
	for _, tt := range []struct {
		name, want string
		fn         func()
	}{
		{"Data", "Data: float32 tensor of shape [2 2]: Data reads float64 tensors; use Float32s", func() { f.Data() }},
		{"Float32s", "Float32s: float64 tensor of shape [2 2]: Float32s reads float32 tensors", func() { d.Float32s() }},
		{"Add", "Add: float64 [2 2] and float32 [2 2]: dtypes differ; convert one with To(tensor.Float64) or To(tensor.Float32)", func() { d.Add(f) }},
		{"Mul broadcast", "Mul: float32 [2 2] and float64 []", func() { f.Mul(Scalar(2)) }},
		{"Gt", "Gt: float32", func() { f.Gt(d) }},
		{"MatMul", "MatMul: float64 [2 2] and float32 [2 2]: dtypes differ", func() { d.MatMul(f) }},
		{"SetMatMul", "SetMatMul: float32 [2 2] and float64 [2 2]", func() { ZerosOf(Float32, 2, 2).SetMatMul(f, d, false, false) }},
		{"AddScaled", "AddScaled: float64 [2 2] and float32 [2 2]", func() { d.AddScaled(1, f) }},
		{"Concat", "Concat: float64 [2 2] and float32 [2 2]", func() { Concat(0, d, f) }},
		{"Stack", "Concat: float32 [1 2 2] and float64 [1 2 2]", func() { Stack(0, f, d) }},
		{"GatherRows", "GatherRows: float32 [1 2] and float64 [2 2]", func() { ZerosOf(Float32, 1, 2).GatherRows(d, []int{0}) }},
		{"ScatterAddRows", "ScatterAddRows: float64 [2 2] and float32 [2 2]", func() { Zeros(2, 2).ScatterAddRows(f, []int{0, 1}) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, ErrDType) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v, want an ErrDType *tensor.Error containing %q", e, tt.want)
				}
			}()
			tt.fn()
		})
	}
	mustPanic(t, "ZerosOf: unknown dtype DType(9)", func() { ZerosOf(DType(9), 2) })
	mustPanic(t, "To: unknown dtype DType(3)", func() { d.To(DType(3)) })
	mustPanic(t, "NewFloat32: 3 values do not fill shape [2 2]", func() { NewFloat32(make([]float32, 3), 2, 2) })
}

// TestFloat32Stable checks that softmax, log-softmax and log-sum-exp stay
// finite in float32 where a naive form overflows or underflows.
func TestFloat32Stable(t *testing.T) {
	x := NewFloat32([]float32{1000, 1000, 0, -200})
	if got := x.Slice(0, 0, 2).Softmax(0).Float32s(); got[0] != 0.5 || got[1] != 0.5 {
		t.Errorf("Softmax([1000 1000]) = %v, want [0.5 0.5]", got)
	}
	if got := x.Slice(0, 2, 4).LogSoftmax(0).Float32s(); got[0] != 0 || got[1] != -200 {
		t.Errorf("LogSoftmax([0 -200]) = %v, want [0 -200]", got)
	}
	if got := x.Slice(0, 0, 2).LogSumExp(0).Item(); math.Abs(got-(1000+math.Ln2)) > 1e-4 {
		t.Errorf("LogSumExp([1000 1000]) = %v, want 1000 + ln 2", got)
	}
}

// TestFloat32Deterministic checks that float32 products and reductions are
// bitwise identical whatever the number of threads, as float64 ones are.
func TestFloat32Deterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	a, b := Normal(rng, 0, 1, 300, 200).To(Float32), Normal(rng, 0, 1, 200, 150).To(Float32)
	run := func() []*Tensor {
		return []*Tensor{a.MatMul(b), a.MatMulT(b.T()), a.TMatMul(a), a.Sum(0), a.Softmax(1)}
	}
	prev := runtime.GOMAXPROCS(1)
	one := run()
	runtime.GOMAXPROCS(4)
	four := run()
	runtime.GOMAXPROCS(prev)
	for i := range one {
		if !Equal(one[i], four[i]) {
			t.Errorf("result %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
}

// TestFloat32String checks that a float32 tensor prints its dtype and
// rounds its elements as float32 values, while float64 prints as before.
func TestFloat32String(t *testing.T) {
	for _, tt := range []struct {
		got  *Tensor
		want string
	}{
		{NewFloat32([]float32{1, -2.5, 0.1}), "[   1 -2.5  0.1] shape [3] dtype float32"},
		{ZerosOf(Float32), "0 shape [] dtype float32"},
		{New([]float64{0.1}).To(Float32).To(Float64), "[0.1] shape [1]"},
	} {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
