package autograd

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

func TestHeadsGradients(t *testing.T) {
	for _, tt := range []struct {
		name   string
		f      func(x ...*Var) *Var
		inputs []*tensor.Tensor
	}{
		{"HeadsMatMulT", func(x ...*Var) *Var { return x[0].HeadsMatMulT(x[1], 3) }, []*tensor.Tensor{randn(1, 2, 4, 6), randn(2, 2, 5, 6)}},
		{"HeadsMatMul", func(x ...*Var) *Var { return x[0].HeadsMatMul(x[1], 3) }, []*tensor.Tensor{randn(1, 2, 3, 4, 5), randn(2, 2, 5, 6)}},
		{"MaskedSoftmax", func(x ...*Var) *Var {
			return x[0].MaskedSoftmax(tensor.New([]float64{0, -1, 0.5, 2, 0, -3, 1, 0}, 2, 1, 1, 4))
		}, []*tensor.Tensor{randn(1, 2, 3, 2, 4)}},
		{"MaskedSoftmaxNil", func(x ...*Var) *Var { return x[0].MaskedSoftmax(nil) }, []*tensor.Tensor{randn(1, 3, 5)}},
		{"Attention", func(x ...*Var) *Var {
			return x[0].HeadsMatMulT(x[1], 2).Softmax(-1).HeadsMatMul(x[2], 2)
		}, []*tensor.Tensor{randn(1, 2, 3, 4), randn(2, 2, 5, 4), randn(3, 2, 5, 4)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := GradCheck(tt.f, tt.inputs...); r.MaxError > gradTol {
				t.Error(r)
			}
		})
	}
}

// TestHeadsAgainstPermutes checks the per-head products against the
// permutes and batched products they replace, on sizes whose products are
// shared among threads.
func TestHeadsAgainstPermutes(t *testing.T) {
	const n, l, s, heads, d = 3, 32, 40, 4, 8 // 12 products of 10,240 multiply-adds: two threads
	q, k, v := randn(1, n, l, heads*d), randn(2, n, s, heads*d), randn(3, n, s, heads*d)
	split := func(x *tensor.Tensor, length int) *tensor.Tensor { // [N len heads·d] → [N·heads len d]
		return x.Reshape(n, length, heads, d).Permute(0, 2, 1, 3).Reshape(n*heads, length, d)
	}
	scores := Const(q).HeadsMatMulT(Const(k), heads).Value
	want := split(q, l).MatMulT(split(k, s)).Reshape(n, heads, l, s)
	if !tensor.AllClose(scores, want, 1e-13, 1e-13) {
		t.Fatalf("HeadsMatMulT: %v\nwant %v", scores, want)
	}
	w := scores.Softmax(-1)
	out := Const(w).HeadsMatMul(Const(v), heads).Value
	wantOut := w.Reshape(n*heads, l, s).MatMul(split(v, s)).Reshape(n, heads, l, d).Permute(0, 2, 1, 3).Reshape(n, l, heads*d)
	if !tensor.AllClose(out, wantOut, 1e-13, 1e-13) {
		t.Fatalf("HeadsMatMul: %v\nwant %v", out, wantOut)
	}
}

// TestHeadsSameOnAnyThreads checks that the per-head products and the
// masked softmax, and their gradients, are bitwise the same on one thread
// and four, in float64 and float32.
func TestHeadsSameOnAnyThreads(t *testing.T) {
	for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
		run := func(procs int) []*tensor.Tensor {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			in := func(seed uint64, shape ...int) *tensor.Tensor { return randn(seed, shape...).To(dtype) }
			q, k, v := Param(in(1, 4, 32, 64)), Param(in(2, 4, 40, 64)), Param(in(3, 4, 40, 64))
			out := q.HeadsMatMulT(k, 8).MaskedSoftmax(in(4, 4, 1, 32, 40)).HeadsMatMul(v, 8)
			out.Square().Sum().Backward()
			return []*tensor.Tensor{out.Value, q.Grad, k.Grad, v.Grad}
		}
		one, four := run(1), run(4)
		for i := range one {
			if one[i].DType() != dtype || !tensor.Equal(one[i], four[i]) {
				t.Errorf("%v: result %d differs between GOMAXPROCS 1 and 4 (or is %v)", dtype, i, one[i].DType())
			}
		}
	}
}

// TestMaskedSoftmaxIsSoftmaxOfSum checks MaskedSoftmax bitwise against
// the softmax of x.Add(mask), for masks broadcast along every kind of
// axis, −Inf and a line forbidden whole (NaN) included, with the gradient,
// on sizes whose lines are shared among threads.
func TestMaskedSoftmaxIsSoftmaxOfSum(t *testing.T) {
	x := randn(4, 3, 4, 50, 40)
	inf := math.Inf(-1)
	rowMask := randn(5, 3, 1, 1, 40)
	rowMask.Set(inf, 1, 0, 0, 7)
	whole := tensor.Zeros(50, 40)
	for j := range 40 {
		whole.Set(inf, 3, j) // line 3 of every sequence and head forbidden whole
	}
	for _, mask := range []*tensor.Tensor{nil, rowMask, randn(6, 40), randn(7, 4, 1, 40), whole} {
		var shape []int
		if mask != nil {
			shape = mask.Shape()
		}
		xv, ref := Param(x.Clone()), Param(x.Clone())
		got := xv.MaskedSoftmax(mask)
		sum := ref
		if mask != nil {
			sum = ref.Add(Const(mask))
		}
		want := sum.Softmax(-1)
		if !sameBits(got.Value.Data(), want.Value.Data()) {
			t.Fatalf("mask %v: MaskedSoftmax differs from the softmax of the sum", shape)
		}
		seed := randn(8, x.Shape()...)
		got.BackwardWith(seed)
		want.BackwardWith(seed)
		if !sameBits(xv.Grad.Data(), ref.Grad.Data()) {
			t.Fatalf("mask %v: MaskedSoftmax's gradient differs from the softmax of the sum's", shape)
		}
	}
	// In float32 too, with the float32 mask.
	x32 := x.To(tensor.Float32)
	for _, mask := range []*tensor.Tensor{nil, rowMask.To(tensor.Float32), whole.To(tensor.Float32)} {
		xv, ref := Param(x32.Clone()), Param(x32.Clone())
		got := xv.MaskedSoftmax(mask)
		sum := ref
		if mask != nil {
			sum = ref.Add(Const(mask))
		}
		want := sum.Softmax(-1)
		if !sameBits(got.Value.Float64s(), want.Value.Float64s()) {
			t.Fatal("float32: MaskedSoftmax differs from the softmax of the sum")
		}
		seed := randn(8, x.Shape()...).To(tensor.Float32)
		got.BackwardWith(seed)
		want.BackwardWith(seed)
		// The gradients differ in rounding only: MaskedSoftmax sums its dot
		// products in float64, Softmax in float32.
		gv, rv := xv.Grad.Float64s(), ref.Grad.Float64s()
		for i := range gv {
			if xv.Grad.DType() != tensor.Float32 || !(math.Abs(gv[i]-rv[i]) <= 1e-6 || gv[i] != gv[i] && rv[i] != rv[i]) {
				t.Fatalf("float32: MaskedSoftmax's gradient %v differs from the softmax of the sum's %v", gv[i], rv[i])
			}
		}
	}
	if w := Const(x).MaskedSoftmax(whole).Value.At(1, 2, 3, 0); w == w {
		t.Errorf("a line forbidden whole has weight %v; want NaN", w)
	}
	mustPanicWith(t, "MaskedSoftmax: mask [40 1] for x [3 4 50 40]: want a shape that broadcasts to x's with its last dimension", func() {
		Const(x).MaskedSoftmax(tensor.Zeros(40, 1))
	})
	mustPanicWith(t, "MaskedSoftmax: mask [2 1 40]", func() { Const(x).MaskedSoftmax(tensor.Zeros(2, 1, 40)) })
	mustPanicWith(t, "MaskedSoftmax: x is a scalar", func() { Const(tensor.Scalar(1)).MaskedSoftmax(nil) })
}

func mustPanicWith(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if e, ok := recover().(*Error); !ok || !strings.Contains(e.Error(), want) {
			t.Errorf("panic %v; want an *autograd.Error containing %q", e, want)
		}
	}()
	f()
}

func TestHeadsErrors(t *testing.T) {
	z := func(shape ...int) *Var { return Const(tensor.Zeros(shape...)) }
	for _, tt := range []struct {
		f    func()
		kind error
		want string
	}{
		{func() { z(2, 3, 6).HeadsMatMulT(z(2, 4, 6), 0) }, tensor.ErrArgument, "HeadsMatMulT: 0 heads: want at least 1"},
		{func() { z(2, 3, 6).HeadsMatMulT(z(2, 4, 6), 4) }, tensor.ErrShape, "HeadsMatMulT: [2 4 6]: 6 features are not 4 heads of equal width"},
		{func() { z(2, 3, 6).HeadsMatMulT(z(3, 4, 6), 2) }, tensor.ErrShape, "HeadsMatMulT: [2 3 6] and [3 4 6]: want [N L 6] and [N S 6] of one batch"},
		{func() { z(2, 3, 4).HeadsMatMulT(z(2, 4, 6), 2) }, tensor.ErrShape, "want [N L 6] and [N S 6] of one batch"},
		{func() { z(3, 6).HeadsMatMulT(z(4, 6), 2) }, tensor.ErrShape, "HeadsMatMulT: [3 6] and [4 6]: want [N L heads·d] and [N S heads·d]"},
		{func() { z(2, 2, 3, 5).HeadsMatMul(z(2, 4, 6), 2) }, tensor.ErrShape, "HeadsMatMul: [2 2 3 5] and [2 4 6]: want [2 2 L 4] and [2 4 6]"},
		{func() { z(2, 3, 3, 4).HeadsMatMul(z(2, 4, 6), 2) }, tensor.ErrShape, "want [2 2 L 4]"},
	} {
		func() {
			defer func() {
				r := recover()
				e, ok := r.(*Error)
				if !ok || !errors.Is(e, tt.kind) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v; want an *autograd.Error of kind %v containing %q", r, tt.kind, tt.want)
				}
			}()
			tt.f()
		}()
	}
}
