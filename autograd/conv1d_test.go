package autograd

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

func TestConv1dAndPool1dGradients(t *testing.T) {
	type fn = func(x ...*Var) *Var
	for _, tt := range []struct {
		name   string
		f      fn
		inputs []*tensor.Tensor
	}{
		{"Conv1d", func(x ...*Var) *Var { return x[0].Conv1d(x[1], x[2], Conv1dOptions{}) }, []*tensor.Tensor{randn(1, 2, 3, 7), randn(2, 4, 3, 3), randn(3, 4)}},
		{"Conv1dStridedPadded", func(x ...*Var) *Var {
			return x[0].Conv1d(x[1], x[2], Conv1dOptions{Stride: 2, Padding: 2, Dilation: 2})
		}, []*tensor.Tensor{randn(1, 2, 2, 9), randn(2, 3, 2, 3), randn(3, 3)}},
		{"Conv1dGroups", func(x ...*Var) *Var { return x[0].Conv1d(x[1], nil, Conv1dOptions{Groups: 2, Padding: 1}) }, []*tensor.Tensor{randn(1, 2, 4, 6), randn(2, 6, 2, 2)}},
		{"Conv1dSameEven", func(x ...*Var) *Var { return x[0].Conv1d(x[1], x[2], Conv1dOptions{PadMode: PadSame}) }, []*tensor.Tensor{randn(1, 2, 2, 6), randn(2, 3, 2, 4), randn(3, 3)}},
		{"Conv1dSameDilated", func(x ...*Var) *Var {
			return x[0].Conv1d(x[1], x[2], Conv1dOptions{PadMode: PadSame, Dilation: 3})
		}, []*tensor.Tensor{randn(1, 2, 2, 5), randn(2, 3, 2, 2), randn(3, 3)}},
		{"Conv2dSameEven", func(x ...*Var) *Var { return x[0].Conv2d(x[1], x[2], Conv2dOptions{PadMode: PadSame}) }, []*tensor.Tensor{randn(1, 2, 2, 5, 4), randn(2, 3, 2, 2, 3), randn(3, 3)}},
		{"MaxPool1d", func(x ...*Var) *Var { return x[0].MaxPool1d(Pool1dOptions{Kernel: 3, Stride: 2, Padding: 1}) }, []*tensor.Tensor{randn(1, 2, 3, 8)}},
		{"AvgPool1d", func(x ...*Var) *Var { return x[0].AvgPool1d(Pool1dOptions{Kernel: 3, Stride: 2, Padding: 1}) }, []*tensor.Tensor{randn(1, 2, 3, 8)}},
		{"AvgPool1dExcludePad", func(x ...*Var) *Var {
			return x[0].AvgPool1d(Pool1dOptions{Kernel: 4, Stride: 1, Padding: 2, ExcludePad: true})
		}, []*tensor.Tensor{randn(1, 2, 2, 5)}},
		{"AdaptiveAvgPool1d", func(x ...*Var) *Var { return x[0].AdaptiveAvgPool1d(3) }, []*tensor.Tensor{randn(1, 2, 2, 7)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := GradCheck(tt.f, tt.inputs...); r.MaxError > gradTol {
				t.Error(r)
			}
		})
	}
}

// TestPadSameAgainstDefinition checks PadSame and PadValid against the
// definition on an input padded by hand: dilation·(kernel−1) in all, the
// odd one at the end, as PyTorch pads.
func TestPadSameAgainstDefinition(t *testing.T) {
	for i, tt := range []struct {
		kh, kw int
		o      Conv2dOptions
	}{
		{3, 3, Conv2dOptions{PadMode: PadSame}},
		{2, 4, Conv2dOptions{PadMode: PadSame}},
		{2, 3, Conv2dOptions{PadMode: PadSame, Dilation: [2]int{3, 2}, Groups: 3}},
		{1, 6, Conv2dOptions{PadMode: PadSame, Dilation: [2]int{1, 3}}},
		{2, 3, Conv2dOptions{PadMode: PadValid, Stride: [2]int{2, 1}}},
	} {
		x, w := randn(uint64(i), 2, 3, 7, 9), randn(uint64(i)+10, 6, 1, tt.kh, tt.kw)
		if tt.o.Groups == 0 {
			w = randn(uint64(i)+10, 6, 3, tt.kh, tt.kw)
		}
		got := Const(x).Conv2d(Param(w), nil, tt.o)
		padded := x
		if tt.o.PadMode == PadSame {
			d := tt.o.withDefaults().Dilation
			th, tw := d[0]*(tt.kh-1), d[1]*(tt.kw-1)
			padded = padWithZeros(x, th/2, th-th/2, tw/2, tw-tw/2)
			if want := []int{2, 6, 7, 9}; !slices.Equal(got.Shape(), want) {
				t.Errorf("%+v: output %v; want %v", tt.o, got.Shape(), want)
			}
		}
		ref := tt.o
		ref.PadMode = PadExplicit
		if want := naiveConv2d(padded, w, ref); !tensor.AllClose(got.Value, want, 1e-12, 1e-12) {
			t.Errorf("%+v: %v\nwant %v", tt.o, got.Value, want)
		}
		// The 1-D form on the input's first row, against the 2-D one.
		if tt.kh == 1 {
			o1 := Conv1dOptions{Dilation: tt.o.Dilation[1], PadMode: tt.o.PadMode}
			got1 := Const(x.Slice(2, 0, 1).Reshape(2, 3, 9)).Conv1d(Param(w.Reshape(6, 3, tt.kw)), nil, o1).Value
			if want := got.Value.Slice(2, 0, 1).Reshape(2, 6, 9); !tensor.AllClose(got1, want, 1e-12, 1e-12) {
				t.Errorf("Conv1d %+v: %v\nwant %v", o1, got1, want)
			}
		}
	}
}

// padWithZeros pads the planes of x [n c h w] by top and bottom rows and
// left and right columns of zeros.
func padWithZeros(x *tensor.Tensor, top, bottom, left, right int) *tensor.Tensor {
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	out := tensor.Zeros(n, c, h+top+bottom, w+left+right)
	for b := range n {
		for ch := range c {
			for i := range h {
				for j := range w {
					out.Set(x.At(b, ch, i, j), b, ch, i+top, j+left)
				}
			}
		}
	}
	return out
}

// TestPool1dAgainst2d checks the 1-D poolings against the 2-D ones on
// planes of height 1, ties and NaN included.
func TestPool1dAgainst2d(t *testing.T) {
	x := randn(3, 2, 3, 11)
	x.Data()[4] = x.Data()[5] // a tie
	x.Data()[20] = x.Data()[20] / 0 * 0
	o := Pool1dOptions{Kernel: 4, Stride: 3, Padding: 2, ExcludePad: true}
	x2 := x.Reshape(2, 3, 1, 11)
	for _, tt := range []struct {
		name     string
		one, two *Var
	}{
		{"MaxPool1d", Param(x).MaxPool1d(o), Param(x2).MaxPool2d(o.pool2d())},
		{"AvgPool1d", Param(x).AvgPool1d(o), Param(x2).AvgPool2d(o.pool2d())},
		{"AdaptiveAvgPool1d", Param(x).AdaptiveAvgPool1d(4), Param(x2).AdaptiveAvgPool2d(1, 4)},
	} {
		if want := []int{2, 3, tt.two.Value.Dim(3)}; !slices.Equal(tt.one.Shape(), want) {
			t.Errorf("%s: output %v; want %v", tt.name, tt.one.Shape(), want)
			continue
		}
		if !sameBits(tt.one.Value.Data(), tt.two.Value.Data()) {
			t.Errorf("%s: %v; the 2-D form gives %v", tt.name, tt.one.Value, tt.two.Value)
		}
	}
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || (x != x && y != y) })
}

func TestConv1dAndPool1dErrors(t *testing.T) {
	conv := func(x, w []int, o Conv1dOptions) func() {
		return func() { Const(tensor.Zeros(x...)).Conv1d(Param(tensor.Zeros(w...)), nil, o) }
	}
	conv2 := func(o Conv2dOptions) func() {
		return func() { Const(tensor.Zeros(1, 1, 5, 5)).Conv2d(Param(tensor.Zeros(1, 1, 3, 3)), nil, o) }
	}
	pool := func(x []int, o Pool1dOptions) func() { return func() { Const(tensor.Zeros(x...)).MaxPool1d(o) } }
	for _, tt := range []struct {
		name string
		f    func()
		kind error
		want string
	}{
		{"Conv1d on 4-D", conv([]int{1, 1, 5, 5}, []int{1, 1, 3}, Conv1dOptions{}), tensor.ErrShape, "Conv1d: input [1 1 5 5] and weight [1 1 3]: want [batch channels length] and [out in/groups kernel]"},
		{"Conv1d on an empty length", conv([]int{1, 1, 0}, []int{1, 1, 1}, Conv1dOptions{}), tensor.ErrShape, "Conv1d: input [1 1 0]: want channels and length ≥ 1"},
		{"Conv1d empty kernel", conv([]int{1, 1, 4}, []int{1, 1, 0}, Conv1dOptions{}), tensor.ErrShape, "a kernel of at least 1"},
		{"Conv1d negative stride", conv([]int{1, 1, 4}, []int{1, 1, 1}, Conv1dOptions{Stride: -1}), tensor.ErrArgument, "Conv1d: stride [-1], padding [0], dilation [0], groups 0: want none negative"},
		{"Conv1d channels", conv([]int{1, 2, 4}, []int{1, 3, 1}, Conv1dOptions{}), tensor.ErrShape, "input [1 2 4] has 2 channels; the weight [1 3 1] wants 3"},
		{"Conv1d kernel too long", conv([]int{1, 1, 4}, []int{1, 1, 3}, Conv1dOptions{Dilation: 2}), tensor.ErrShape, "Conv1d: input [1 1 4] padded by 0 along dimension 2 is 4 wide, less than the kernel's span of 5"},
		{"Conv1d same strided", conv([]int{1, 1, 4}, []int{1, 1, 3}, Conv1dOptions{PadMode: PadSame, Stride: 2}), tensor.ErrArgument, "Conv1d: stride [2] with PadSame: padding='same' takes stride 1 only"},
		{"Conv1d same with padding", conv([]int{1, 1, 4}, []int{1, 1, 3}, Conv1dOptions{PadMode: PadSame, Padding: 1}), tensor.ErrArgument, "Conv1d: padding [1] with PadMode same: want no Padding"},
		{"Conv1d unknown mode", conv([]int{1, 1, 4}, []int{1, 1, 3}, Conv1dOptions{PadMode: 7}), tensor.ErrArgument, "unknown PadMode(7)"},
		{"Conv2d valid with padding", conv2(Conv2dOptions{PadMode: PadValid, Padding: [2]int{0, 1}}), tensor.ErrArgument, "Conv2d: padding [0 1] with PadMode valid"},
		{"Conv2d same strided", conv2(Conv2dOptions{PadMode: PadSame, Stride: [2]int{1, 2}}), tensor.ErrArgument, "Conv2d: stride [1 2] with PadSame"},
		{"Conv2d same dilation overflow", conv2(Conv2dOptions{PadMode: PadSame, Dilation: [2]int{1 << 62, 1}}), tensor.ErrShape, "kernel 3 and dilation 4611686018427387904 along dimension 2 overflow an int"},
		{"MaxPool1d on 4-D", pool([]int{1, 1, 4, 4}, Pool1dOptions{Kernel: 2}), tensor.ErrShape, "MaxPool1d: input [1 1 4 4]: want [batch channels length]"},
		{"MaxPool1d on an empty length", pool([]int{1, 1, 0}, Pool1dOptions{Kernel: 2}), tensor.ErrShape, "MaxPool1d: input [1 1 0]: want a length ≥ 1"},
		{"MaxPool1d padding", pool([]int{1, 1, 4}, Pool1dOptions{Kernel: 2, Padding: 2}), tensor.ErrArgument, "MaxPool1d: kernel [2], stride [2], padding [2]: want kernels and strides ≥ 1 and padding at most half the kernel"},
		{"MaxPool1d no kernel", pool([]int{1, 1, 4}, Pool1dOptions{}), tensor.ErrArgument, "MaxPool1d: kernel [0]"},
		{"MaxPool1d kernel too long", pool([]int{1, 1, 4}, Pool1dOptions{Kernel: 5}), tensor.ErrShape, "MaxPool1d: input [1 1 4] padded by 0 along dimension 2 is 4 wide, less than the kernel of 5"},
		{"AvgPool1d on 2-D", func() { Const(tensor.Zeros(1, 4)).AvgPool1d(Pool1dOptions{Kernel: 2}) }, tensor.ErrShape, "AvgPool1d: input [1 4]: want [batch channels length]"},
		{"AdaptiveAvgPool1d to 0", func() { Const(tensor.Zeros(1, 1, 4)).AdaptiveAvgPool1d(0) }, tensor.ErrArgument, "AdaptiveAvgPool1d: output size 0: want ≥ 1"},
		{"AdaptiveAvgPool1d to 2⁴⁴", func() { Const(tensor.Zeros(1, 1, 1)).AdaptiveAvgPool1d(1 << 44) }, tensor.ErrShape, "AdaptiveAvgPool1d: the output [1 1 17592186044416] would have more than"},
	} {
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

// TestConv1dEmptyBatch checks that an empty batch gives an empty output and
// zero gradients, as Conv2d's, and that evaluation in chunks (no gradient
// kept) gives the training pass's values.
func TestConv1dEmptyBatch(t *testing.T) {
	x, w, b := Param(tensor.Zeros(0, 2, 5)), Param(tensor.Ones(3, 2, 2)), Param(tensor.Ones(3))
	out := x.Conv1d(w, b, Conv1dOptions{})
	if !slices.Equal(out.Shape(), []int{0, 3, 4}) {
		t.Fatalf("output %v; want [0 3 4]", out.Shape())
	}
	out.Sum().Backward()
	if !tensor.Equal(w.Grad, tensor.Zeros(3, 2, 2)) || !tensor.Equal(b.Grad, tensor.Zeros(3)) || !x.Grad.SameShape(x.Value) {
		t.Errorf("gradients %v %v %v; want zeros", x.Grad, w.Grad, b.Grad)
	}
	xs, ws := randn(4, 3, 2, 8), randn(5, 4, 2, 3)
	train := Const(xs).Conv1d(Param(ws), nil, Conv1dOptions{PadMode: PadSame}).Value
	eval := NoGrad(xs).Conv1d(Param(ws), nil, Conv1dOptions{PadMode: PadSame}).Value
	if !tensor.Equal(train, eval) || !slices.Equal(eval.Shape(), []int{3, 4, 8}) {
		t.Errorf("evaluation %v; training %v", eval, train)
	}
}

// FuzzConv1dShapes gives Conv1d arbitrary shapes and settings, padding
// modes included, and checks them against sizes computed independently in
// big integers, as FuzzLayerShapes does for Conv2d: an output of the right
// shape and values, or a panic with an *Error of the right kind.
func FuzzConv1dShapes(f *testing.F) {
	f.Add(uint8(2), uint8(3), uint8(9), uint8(4), uint8(3), uint8(3), int64(1), int64(0), int64(1), int64(1), uint8(2))
	f.Add(uint8(1), uint8(2), uint8(5), uint8(2), uint8(1), uint8(4), int64(0), int64(0), int64(3), int64(2), uint8(2))
	f.Add(uint8(1), uint8(1), uint8(4), uint8(1), uint8(1), uint8(3), int64(2), int64(1), int64(1), int64(1), uint8(1))
	f.Add(uint8(0), uint8(1), uint8(1), uint8(1), uint8(1), uint8(2), int64(1), int64(0), int64(math.MaxInt/2), int64(1), uint8(2))
	f.Fuzz(func(t *testing.T, n, c, l, o, cw, k uint8, stride, pad, dil, groups int64, mode uint8) {
		n, c, l, o, cw, k, mode = n%5, c%7, l%33, o%9, cw%7, k%17, mode%4
		opt := Conv1dOptions{Stride: int(stride), Padding: int(pad), Dilation: int(dil), Groups: int(groups), PadMode: PadMode(mode)}
		x, w := Const(tensor.Zeros(int(n), int(c), int(l))), Param(tensor.Zeros(int(o), int(cw), int(k)))
		want, before, after, kind := conv1dOracle(x.Value.Shape(), w.Value.Shape(), opt)
		if kind == nil && !fits(want, 1<<16) {
			return
		}
		checkShapeOutcome(t, func() *Var { return x.Conv1d(w, nil, opt) }, want, kind)
		if kind != nil || before+after > 1<<12 { // the values, where padding by hand is cheap
			return
		}
		rng := rand.New(rand.NewPCG(uint64(l), uint64(k)))
		xv, wv := tensor.Normal(rng, 0, 1, x.Value.Shape()...), tensor.Normal(rng, 0, 1, w.Value.Shape()...)
		got := Const(xv).Conv1d(Param(wv), nil, opt).Value
		// The definition, on the input padded by hand as the oracle says.
		x4 := padWithZeros(xv.Reshape(int(n), int(c), 1, int(l)), 0, 0, before, after)
		ref := naiveConv2d(x4, wv.Reshape(int(o), int(cw), 1, int(k)), Conv2dOptions{Stride: [2]int{1, opt.Stride}, Dilation: [2]int{1, opt.Dilation}, Groups: opt.Groups})
		if !tensor.AllClose(got, ref.Reshape(got.Shape()...), 1e-12, 1e-12) {
			t.Fatalf("Conv1d %v * %v with %+v:\n%v\nwant\n%v", xv.Shape(), wv.Shape(), opt, got, ref)
		}
	})
}

// conv1dOracle returns the output shape of a 1-D convolution and the
// padding before and after its input, or the kind of error it must panic
// with.
func conv1dOracle(x, w []int, o Conv1dOptions) (out []*big.Int, before, after int, kind error) {
	if o.Groups < 0 || min(o.Stride, o.Padding, o.Dilation) < 0 {
		return nil, 0, 0, tensor.ErrArgument
	}
	stride, dil, groups := max(o.Stride, 1), max(o.Dilation, 1), max(o.Groups, 1)
	if x[1] == 0 || x[2] == 0 || w[0] == 0 || w[2] == 0 {
		return nil, 0, 0, tensor.ErrShape
	}
	if w[0]%groups != 0 {
		return nil, 0, 0, tensor.ErrArgument
	}
	if x[1] != w[1]*groups {
		return nil, 0, 0, tensor.ErrShape
	}
	before, after = o.Padding, o.Padding
	switch o.PadMode {
	case PadExplicit:
	case PadValid, PadSame:
		if o.Padding != 0 {
			return nil, 0, 0, tensor.ErrArgument
		}
		before, after = 0, 0
		if o.PadMode == PadSame {
			if stride != 1 {
				return nil, 0, 0, tensor.ErrArgument
			}
			total := new(big.Int).Mul(big.NewInt(int64(dil)), big.NewInt(int64(w[2]-1)))
			if total.Cmp(big.NewInt(math.MaxInt)) > 0 {
				return nil, 0, 0, tensor.ErrShape
			}
			before, after = int(total.Int64())/2, int(total.Int64())-int(total.Int64())/2
		}
	default:
		return nil, 0, 0, tensor.ErrArgument
	}
	padded := new(big.Int).Add(big.NewInt(int64(x[2])), new(big.Int).Add(big.NewInt(int64(before)), big.NewInt(int64(after))))
	span := new(big.Int).Add(new(big.Int).Mul(big.NewInt(int64(dil)), big.NewInt(int64(w[2]-1))), big.NewInt(1))
	maxInt := big.NewInt(math.MaxInt)
	if padded.Cmp(maxInt) > 0 || span.Cmp(maxInt) > 0 || padded.Cmp(span) < 0 {
		return nil, 0, 0, tensor.ErrShape
	}
	size := new(big.Int).Sub(padded, span)
	size.Quo(size, big.NewInt(int64(stride))).Add(size, big.NewInt(1))
	out = []*big.Int{big.NewInt(int64(x[0])), big.NewInt(int64(w[0])), size}
	patches := []*big.Int{big.NewInt(int64(x[1])), big.NewInt(int64(w[2])), size, big.NewInt(int64(x[0]))} // a gradient keeps the batch's
	if !fits(out, tensor.MaxElements) || !fits(patches, tensor.MaxElements) {
		return nil, 0, 0, tensor.ErrShape
	}
	return out, before, after, nil
}
