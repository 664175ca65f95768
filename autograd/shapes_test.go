package autograd

import (
	"errors"
	"math"
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
		{"Conv2d with huge patches", conv([]int{1, 1, 1000, 1000}, []int{1, 1, 1000, 1000}, Conv2dOptions{Padding: [2]int{999, 999}}), tensor.ErrShape, "the patches unfolded for one image [1 1000 1000 1999 1999]"},
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
