package autograd

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestDegenerateLayerShapes checks that convolution and pooling check
// every shape at the door: empty planes, zero channels or filters, sizes
// whose arithmetic overflows and outputs or temporaries beyond
// tensor.MaxElements panic with an *Error naming the operation, before
// anything is allocated, instead of an index out of range, an engine's
// string, a wrapped-around shape or a fatal out-of-memory error.
func TestDegenerateLayerShapes(t *testing.T) {
	k2p1 := PoolOptions{Kernel: [2]int{2, 2}, Padding: [2]int{1, 1}}
	conv := func(x, w []int, o Conv2dOptions) func() {
		return func() { Const(tensor.Zeros(x...)).Conv2d(Param(tensor.Zeros(w...)), nil, o) }
	}
	big := math.MaxInt / 2
	tests := []struct {
		name string
		f    func()
		kind error
		want string
	}{
		{"MaxPool2d on an empty plane, padded", func() { Const(tensor.Zeros(1, 1, 0, 0)).MaxPool2d(k2p1) }, tensor.ErrShape, "MaxPool2d: input [1 1 0 0]: want height and width ≥ 1"},
		{"AvgPool2d on an empty plane, padded", func() { Const(tensor.Zeros(1, 1, 3, 0)).AvgPool2d(k2p1) }, tensor.ErrShape, "AvgPool2d: input [1 1 3 0]: want height and width ≥ 1"},
		{"AdaptiveAvgPool2d on an empty plane", func() { Const(tensor.Zeros(1, 1, 0, 0)).AdaptiveAvgPool2d(2, 2) }, tensor.ErrShape, "AdaptiveAvgPool2d: input [1 1 0 0]: want height and width ≥ 1"},
		{"Conv2d on zero channels", conv([]int{1, 0, 5, 5}, []int{2, 0, 3, 3}, Conv2dOptions{}), tensor.ErrShape, "Conv2d: input [1 0 5 5]: want channels, height and width ≥ 1"},
		{"Conv2d on an empty plane, padded", conv([]int{1, 1, 0, 0}, []int{2, 1, 1, 1}, Conv2dOptions{Padding: [2]int{1, 1}}), tensor.ErrShape, "want channels, height and width ≥ 1"},
		{"Conv2d with no filters", conv([]int{1, 1, 5, 5}, []int{0, 1, 3, 3}, Conv2dOptions{}), tensor.ErrShape, "weight [0 1 3 3]: want at least one filter"},
		{"Conv2d with an empty kernel", conv([]int{1, 1, 5, 5}, []int{1, 1, 0, 3}, Conv2dOptions{}), tensor.ErrShape, "a kernel of at least 1×1"},
		{"Conv2d with negative groups", conv([]int{1, 2, 3, 3}, []int{2, 1, 1, 1}, Conv2dOptions{Groups: -2}), tensor.ErrArgument, "groups -2: want none negative"},
		{"Conv2d with negative padding", conv([]int{1, 1, 3, 3}, []int{1, 1, 1, 1}, Conv2dOptions{Padding: [2]int{0, -1}}), tensor.ErrArgument, "padding [0 -1]"},
		{"Conv2d padding near MaxInt", conv([]int{1, 1, 1, 1}, []int{1, 1, 1, 1}, Conv2dOptions{Padding: [2]int{big + 1, 0}}), tensor.ErrShape, "overflow an int"},
		{"Conv2d padding to MaxInt", conv([]int{1, 1, 1, 1}, []int{1, 1, 1, 1}, Conv2dOptions{Padding: [2]int{big, 0}}), tensor.ErrShape, "the output [1 1 9223372036854775807 1] would have more than"},
		{"Conv2d padding 2⁶²", conv([]int{1, 1, 1, 1}, []int{1, 1, 1, 1}, Conv2dOptions{Padding: [2]int{0, 1 << 62}}), tensor.ErrShape, "along dimension 3 overflow an int"},
		{"Conv2d dilation near MaxInt", conv([]int{1, 1, 3, 3}, []int{1, 1, 3, 3}, Conv2dOptions{Dilation: [2]int{1 << 62, 1}}), tensor.ErrShape, "dilation 4611686018427387904 along dimension 2 overflow an int"},
		{"Conv2d dilated past the input", conv([]int{1, 1, 3, 3}, []int{1, 1, 3, 3}, Conv2dOptions{Dilation: [2]int{1, 2}}), tensor.ErrShape, "padded by 0 along dimension 3 is 3 wide, less than the kernel's span of 5"},
		{"Conv2d padding a million", conv([]int{1, 1, 1, 1}, []int{1, 1, 1, 1}, Conv2dOptions{Padding: [2]int{1e6, 1e6}}), tensor.ErrShape, "the output [1 1 2000001 2000001] would have more than 1099511627776 elements"},
		{"Conv2d with huge patches", func() {
			NoGrad(tensor.Zeros(1, 1, 1000, 1000)).Conv2d(Param(tensor.Zeros(1, 1, 1000, 1000)), nil, Conv2dOptions{Padding: [2]int{999, 999}})
		}, tensor.ErrShape, "the patches unfolded for one image [1 1000 1000 1999 1999]"},
		{"Conv2d keeping huge patches", conv([]int{1 << 16, 1, 1, 1}, []int{1, 1, 3, 3}, Conv2dOptions{Padding: [2]int{1000, 1000}}), tensor.ErrShape, "the patches unfolded for the batch [1 3 3 65536 1999 1999]"},
		{"MaxPool2d padding near MaxInt", func() {
			Const(tensor.Zeros(1, 1, 3, 3)).MaxPool2d(PoolOptions{Kernel: [2]int{math.MaxInt, 1}, Padding: [2]int{big, 0}})
		}, tensor.ErrShape, "MaxPool2d: input [1 1 3 3]: padding 4611686018427387903"},
		{"AvgPool2d padding more than half the kernel", func() {
			Const(tensor.Zeros(1, 1, 3, 3)).AvgPool2d(PoolOptions{Kernel: [2]int{3, 3}, Padding: [2]int{2, 0}})
		}, tensor.ErrArgument, "padding at most half the kernel"},
		{"AdaptiveAvgPool2d to 2⁴⁴", func() { Const(tensor.Zeros(1, 1, 1, 1)).AdaptiveAvgPool2d(1<<44, 1) }, tensor.ErrShape, "AdaptiveAvgPool2d: the output [1 1 17592186044416 1] would have more than"},
		{"AdaptiveAvgPool2d window overflow", func() { Const(tensor.Zeros(0, 1, 1<<40, 1)).AdaptiveAvgPool2d(1<<24, 1) }, tensor.ErrShape, "the window arithmetic overflows an int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				e, ok := r.(*Error)
				if !ok || !errors.Is(e, tt.kind) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v (%T); want an *autograd.Error of kind %v containing %q", r, r, tt.kind, tt.want)
				}
			}()
			tt.f()
		})
	}
}

// TestEmptyBatches checks that an empty batch, or empty channels for
// pooling, gives an empty output and zero gradients, as in PyTorch.
func TestEmptyBatches(t *testing.T) {
	pool := PoolOptions{Kernel: [2]int{2, 2}}
	for _, tt := range []struct {
		name  string
		f     func(x, w, b *Var) *Var
		input []int
		want  []int
	}{
		{"Conv2d", func(x, w, b *Var) *Var { return x.Conv2d(w, b, Conv2dOptions{}) }, []int{0, 1, 5, 5}, []int{0, 2, 3, 3}},
		{"MaxPool2d", func(x, _, _ *Var) *Var { return x.MaxPool2d(pool) }, []int{0, 1, 4, 4}, []int{0, 1, 2, 2}},
		{"MaxPool2d without channels", func(x, _, _ *Var) *Var { return x.MaxPool2d(pool) }, []int{2, 0, 4, 4}, []int{2, 0, 2, 2}},
		{"AvgPool2d", func(x, _, _ *Var) *Var { return x.AvgPool2d(pool) }, []int{0, 3, 4, 4}, []int{0, 3, 2, 2}},
		{"AdaptiveAvgPool2d", func(x, _, _ *Var) *Var { return x.AdaptiveAvgPool2d(3, 1) }, []int{1, 0, 4, 4}, []int{1, 0, 3, 1}},
	} {
		for _, inference := range []bool{false, true} {
			x := Param(tensor.Zeros(tt.input...))
			if inference {
				x = NoGrad(x.Value)
			}
			w, b := Param(tensor.Ones(2, 1, 3, 3)), Param(tensor.Ones(2))
			out := tt.f(x, w, b)
			if !slices.Equal(out.Shape(), tt.want) {
				t.Errorf("%s of %v: output %v, want %v", tt.name, tt.input, out.Shape(), tt.want)
			}
			if inference {
				continue
			}
			out.Sum().Backward()
			if x.Grad == nil || !x.Grad.SameShape(x.Value) {
				t.Errorf("%s of %v: input gradient %v", tt.name, tt.input, x.Grad)
			}
			if tt.name == "Conv2d" && (w.Grad == nil || !tensor.Equal(w.Grad, tensor.Zeros(2, 1, 3, 3)) || !tensor.Equal(b.Grad, tensor.Zeros(2))) {
				t.Errorf("Conv2d of an empty batch: weight gradient %v, bias gradient %v; want zeros", w.Grad, b.Grad)
			}
		}
	}
}

// FuzzLayerShapes gives convolution and pooling arbitrary shapes and
// settings, huge and negative ones included, and checks them against sizes
// computed independently in big integers: every input either gives an
// output of the right shape or panics with an *Error of the right kind,
// never with anything else, never with a shape from wrapped-around
// arithmetic, and never tries to allocate beyond tensor.MaxElements.
func FuzzLayerShapes(f *testing.F) {
	f.Add(uint8(2), uint8(3), uint8(8), uint8(8), uint8(4), uint8(3), uint8(3), uint8(3), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), false, false)
	f.Add(uint8(0), uint8(1), uint8(5), uint8(5), uint8(2), uint8(1), uint8(3), uint8(3), int64(0), int64(0), int64(1), int64(1), int64(0), int64(0), int64(0), true, false)
	f.Add(uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), int64(1), int64(1), int64(math.MaxInt/2), int64(1e6), int64(1), int64(1<<62), int64(1), false, true)
	f.Add(uint8(1), uint8(1), uint8(0), uint8(0), uint8(1), uint8(1), uint8(2), uint8(2), int64(0), int64(0), int64(1), int64(1), int64(0), int64(0), int64(0), true, true)
	f.Fuzz(func(t *testing.T, n, c, h, w, o, cw, kh, kw uint8, s0, s1, p0, p1, d0, d1, groups int64, pool, evaluate bool) {
		n, c, h, w, cw, o, kh, kw = n%9, c%9, h%17, w%17, cw%9, o%17, kh%33, kw%33
		x := Const(tensor.Zeros(int(n), int(c), int(h), int(w)))
		if evaluate {
			x = NoGrad(x.Value)
		}
		if pool {
			fuzzPool(t, x, [2]int{int(kh), int(kw)}, [2]int{int(s0), int(s1)}, [2]int{int(p0), int(p1)})
			return
		}
		weight := Param(tensor.Zeros(int(o), int(cw), int(kh), int(kw)))
		opt := Conv2dOptions{Stride: [2]int{int(s0), int(s1)}, Padding: [2]int{int(p0), int(p1)}, Dilation: [2]int{int(d0), int(d1)}, Groups: int(groups)}
		want, kind := convOracle(x.Value.Shape(), weight.Value.Shape(), opt, !evaluate)
		if kind == nil && (!fits(want, 1<<16) || !fits([]*big.Int{big.NewInt(int64(c)), big.NewInt(int64(kh)), big.NewInt(int64(kw)), want[0], want[2], want[3]}, 1<<20)) {
			return // valid but too large to compute here
		}
		checkShapeOutcome(t, func() *Var { return x.Conv2d(weight, nil, opt) }, want, kind)
		if kind == nil { // and the values, of random inputs, against the definition
			rng := rand.New(rand.NewPCG(uint64(h)<<8|uint64(w), uint64(kh)<<8|uint64(kw)))
			xv, wv := tensor.Normal(rng, 0, 1, x.Value.Shape()...), tensor.Normal(rng, 0, 1, weight.Value.Shape()...)
			got := Const(xv).Conv2d(Param(wv), nil, opt).Value
			if ref := naiveConv2d(xv, wv, opt); !tensor.AllClose(got, ref, 1e-12, 1e-12) {
				t.Fatalf("Conv2d %v * %v with %+v:\n%v\nwant\n%v", xv.Shape(), wv.Shape(), opt, got, ref)
			}
		}
	})
}

// naiveConv2d is the convolution by its definition, one output element at
// a time, zero padding read as zeros.
func naiveConv2d(x, w *tensor.Tensor, o Conv2dOptions) *tensor.Tensor {
	o = o.withDefaults()
	n, h, wd := x.Dim(0), x.Dim(2), x.Dim(3)
	oc, cg, kh, kw := w.Dim(0), w.Dim(1), w.Dim(2), w.Dim(3)
	oh := (h+2*o.Padding[0]-o.Dilation[0]*(kh-1)-1)/o.Stride[0] + 1
	ow := (wd+2*o.Padding[1]-o.Dilation[1]*(kw-1)-1)/o.Stride[1] + 1
	out := tensor.Zeros(n, oc, oh, ow)
	og := oc / o.Groups
	for b := range n {
		for f := range oc {
			grp := f / og
			for y := range oh {
				for xo := range ow {
					sum := 0.0
					for ci := range cg {
						for i := range kh {
							for j := range kw {
								iy := y*o.Stride[0] - o.Padding[0] + i*o.Dilation[0]
								ix := xo*o.Stride[1] - o.Padding[1] + j*o.Dilation[1]
								if iy >= 0 && iy < h && ix >= 0 && ix < wd {
									sum += x.At(b, grp*cg+ci, iy, ix) * w.At(f, ci, i, j)
								}
							}
						}
					}
					out.Set(sum, b, f, y, xo)
				}
			}
		}
	}
	return out
}

// TestConv2dPaddingWiderThanStride: with a padding wider than the kernel
// and a stride wider still, whole kernel columns read only padding; the
// range of output columns they read the input for was cut below the output
// (a slice out of range, found by FuzzLayerShapes).
func TestConv2dPaddingWiderThanStride(t *testing.T) {
	for i, tt := range []struct {
		o      Conv2dOptions
		kernel int // width
	}{
		{Conv2dOptions{Stride: [2]int{93, 33}, Padding: [2]int{85, 38}, Dilation: [2]int{77, 34}}, 3},
		{Conv2dOptions{Stride: [2]int{1, 5}, Padding: [2]int{0, 4}}, 3},
		{Conv2dOptions{Stride: [2]int{2, 7}, Padding: [2]int{3, 6}, Dilation: [2]int{1, 2}}, 3},
		{Conv2dOptions{Padding: [2]int{21, 57}, Dilation: [2]int{81, 29}}, 5}, // stride 1: copied, not gathered
	} {
		x, w := randn(uint64(i), 2, 3, 9, 8), randn(uint64(i)+10, 4, 3, 1, tt.kernel)
		got := NoGrad(x).Conv2d(Param(w), nil, tt.o).Value
		if ref := naiveConv2d(x, w, tt.o); !tensor.AllClose(got, ref, 1e-12, 1e-12) {
			t.Errorf("%+v: %v, want %v", tt.o, got, ref)
		}
		if r := GradCheck(func(v ...*Var) *Var { return v[0].Conv2d(v[1], nil, tt.o) }, x, w); r.MaxError > gradTol {
			t.Errorf("%+v: %v", tt.o, r)
		}
	}
}

// fuzzPool checks MaxPool2d and AvgPool2d of x against an oracle.
func fuzzPool(t *testing.T, x *Var, kernel, stride, pad [2]int) {
	o := PoolOptions{Kernel: kernel, Stride: stride, Padding: pad}
	var want []*big.Int
	var kind error
	shape := x.Value.Shape()
	if shape[2] == 0 || shape[3] == 0 { // the input is checked first
		kind = tensor.ErrShape
	}
	for i := range 2 {
		if stride[i] == 0 {
			stride[i] = kernel[i]
		}
		if kind == nil && (kernel[i] < 1 || stride[i] < 1 || pad[i] < 0 || 2*int64(pad[i]) > int64(kernel[i])) {
			kind = tensor.ErrArgument
		}
	}
	if kind == nil {
		want = []*big.Int{big.NewInt(int64(shape[0])), big.NewInt(int64(shape[1]))}
		for i := range 2 {
			size, ok := windowsOracle(shape[2+i], pad[i], kernel[i], 1, stride[i])
			if !ok {
				kind = tensor.ErrShape
			}
			want = append(want, size)
		}
		if kind == nil && !fits(want, tensor.MaxElements) {
			kind = tensor.ErrShape
		}
		if kind == nil && !fits(want, 1<<16) {
			return
		}
	}
	checkShapeOutcome(t, func() *Var { return x.MaxPool2d(o) }, want, kind)
	checkShapeOutcome(t, func() *Var { return x.AvgPool2d(o) }, want, kind)
}

// convOracle returns the output shape of a convolution, or the kind of
// error it must panic with.
func convOracle(x, w []int, o Conv2dOptions, keep bool) ([]*big.Int, error) {
	if o.Groups < 0 || min(o.Stride[0], o.Stride[1], o.Padding[0], o.Padding[1], o.Dilation[0], o.Dilation[1]) < 0 {
		return nil, tensor.ErrArgument
	}
	o = o.withDefaults()
	if x[1] == 0 || x[2] == 0 || x[3] == 0 || w[0] == 0 || w[2] == 0 || w[3] == 0 {
		return nil, tensor.ErrShape
	}
	if w[0]%o.Groups != 0 {
		return nil, tensor.ErrArgument
	}
	if x[1] != w[1]*o.Groups {
		return nil, tensor.ErrShape
	}
	out := []*big.Int{big.NewInt(int64(x[0])), big.NewInt(int64(w[0]))}
	for i := range 2 {
		size, ok := windowsOracle(x[2+i], o.Padding[i], w[2+i], o.Dilation[i], o.Stride[i])
		if !ok {
			return nil, tensor.ErrShape
		}
		out = append(out, size)
	}
	// The patches unfolded at once: the batch's if a gradient keeps them,
	// else one image's, if there is one.
	patches := []*big.Int{big.NewInt(int64(x[1])), big.NewInt(int64(w[2])), big.NewInt(int64(w[3])), out[2], out[3]}
	if keep || x[0] == 0 {
		patches = append(patches, out[0])
	}
	if !fits(out, tensor.MaxElements) || !fits(patches, tensor.MaxElements) {
		return nil, tensor.ErrShape
	}
	return out, nil
}

// windowsOracle is windows in big integers: the count, and false if no
// window fits or a size exceeds an int.
func windowsOracle(size, pad, kernel, dilation, stride int) (*big.Int, bool) {
	padded := new(big.Int).Add(big.NewInt(int64(size)), new(big.Int).Mul(big.NewInt(2), big.NewInt(int64(pad))))
	span := new(big.Int).Add(new(big.Int).Mul(big.NewInt(int64(dilation)), big.NewInt(int64(kernel-1))), big.NewInt(1))
	maxInt := big.NewInt(math.MaxInt)
	if padded.Cmp(maxInt) > 0 || span.Cmp(maxInt) > 0 || padded.Cmp(span) < 0 {
		return nil, false
	}
	count := new(big.Int).Sub(padded, span)
	count.Quo(count, big.NewInt(int64(stride)))
	return count.Add(count, big.NewInt(1)), true
}

// fits reports whether the product of dims is at most limit.
func fits(dims []*big.Int, limit int64) bool {
	p := big.NewInt(1)
	for _, d := range dims {
		p.Mul(p, d)
	}
	return p.Cmp(big.NewInt(limit)) <= 0
}

// checkShapeOutcome runs op and checks that it gives an output of shape
// want, or panics with an *Error of kind when kind is not nil.
func checkShapeOutcome(t *testing.T, op func() *Var, want []*big.Int, kind error) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		e, ok := r.(*Error)
		if kind == nil || !ok || !errors.Is(e, kind) {
			t.Fatalf("panic %v (%T); want %v", r, r, func() any {
				if kind == nil {
					return fmt.Sprint("output ", want)
				}
				return kind
			}())
		}
	}()
	out := op()
	if kind != nil {
		t.Fatalf("output %v; want a panic of kind %v", out.Shape(), kind)
	}
	for i, d := range out.Shape() {
		if big.NewInt(int64(d)).Cmp(want[i]) != 0 {
			t.Fatalf("output %v; want %v", out.Shape(), want)
		}
	}
}
