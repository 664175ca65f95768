package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// Conv2d is a 2-D convolution over inputs [batch in height width] (NCHW),
// as torch.nn.Conv2d: Weight is [out in/groups kh kw] as PyTorch stores it,
// Bias is [out] (set it to nil for a layer without one), and Options hold
// the stride, padding (PadMode autograd.PadSame for PyTorch's
// padding='same'), dilation and groups.
type Conv2d struct {
	Weight, Bias *autograd.Var
	Options      autograd.Conv2dOptions
}

// NewConv2d returns a Conv2d from in to out channels with a kernel of
// kernel[0]×kernel[1], initialized as PyTorch does: weight and bias from
// U(−1/√fan, 1/√fan), fan = in/groups·kh·kw (Kaiming-uniform with a = √5).
// Negative settings and a padding mode that does not fit them panic here
// rather than at the first Forward.
func NewConv2d(rng *rand.Rand, in, out int, kernel [2]int, o autograd.Conv2dOptions) *Conv2d {
	if o.Groups < 0 || min(o.Stride[0], o.Stride[1], o.Padding[0], o.Padding[1], o.Dilation[0], o.Dilation[1]) < 0 {
		panic(&Error{Op: "NewConv2d", Detail: fmt.Sprintf("stride %v, padding %v, dilation %v, groups %d: want none negative (0 is the default: stride and dilation 1, one group)", o.Stride, o.Padding, o.Dilation, o.Groups)})
	}
	checkPadMode("NewConv2d", o.PadMode, o.Padding[:], o.Stride[:])
	groups := max(o.Groups, 1)
	if in <= 0 || out <= 0 || kernel[0] <= 0 || kernel[1] <= 0 || in%groups != 0 || out%groups != 0 {
		panic(&Error{Op: "NewConv2d", Detail: fmt.Sprintf("%d to %d channels, kernel %v, %d groups: want positive sizes and groups dividing both channel counts", in, out, kernel, groups)})
	}
	checkParamSize("NewConv2d", "weight", out, in/groups, kernel[0], kernel[1])
	w := tensor.Zeros(out, in/groups, kernel[0], kernel[1])
	KaimingUniform(Kaiming{A: math.Sqrt(5)})(rng, w)
	bound := 1 / math.Sqrt(float64(in/groups*kernel[0]*kernel[1]))
	b := tensor.Uniform(rng, -bound, bound, out)
	return &Conv2d{Weight: autograd.Param(w), Bias: autograd.Param(b), Options: o}
}

// Forward returns the convolution of x with the filters, plus the bias. An
// input that is not [batch in height width] panics with an *Error naming
// the layer; other shape errors are autograd.Var.Conv2d's.
func (c *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	if w := c.Weight.Value; w.Dims() == 4 {
		in := w.Dim(1) * max(c.Options.Groups, 1)
		op := fmt.Sprintf("Conv2d(%d→%d, kernel %d×%d)", in, w.Dim(0), w.Dim(2), w.Dim(3))
		switch xs := x.Value.Shape(); {
		case len(xs) != 4:
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v: want [batch %d height width]", xs, in)})
		case xs[1] != in:
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v has %d channels; want %d", xs, xs[1], in)})
		}
	}
	return x.Conv2d(c.Weight, c.Bias, c.Options)
}

// Parameters returns "weight" and, if present, "bias".
func (c *Conv2d) Parameters() []Param {
	ps := []Param{{Name: "weight", Var: c.Weight}}
	if c.Bias != nil {
		ps = append(ps, Param{Name: "bias", Var: c.Bias})
	}
	return ps
}

// String describes the layer as PyTorch prints it.
func (c *Conv2d) String() string {
	o, w := c.Options, c.Weight.Value
	groups := max(o.Groups, 1)
	stride, dilation := o.Stride, o.Dilation
	for i := range 2 {
		stride[i], dilation[i] = max(stride[i], 1), max(dilation[i], 1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Conv2d(%d, %d, kernel_size=%s, stride=%s", w.Dim(1)*groups, w.Dim(0), pair(w.Dim(2), w.Dim(3)), pair(stride[0], stride[1]))
	if o.PadMode != autograd.PadExplicit {
		fmt.Fprintf(&b, ", padding=%v", o.PadMode)
	} else if o.Padding != [2]int{} {
		fmt.Fprintf(&b, ", padding=%s", pair(o.Padding[0], o.Padding[1]))
	}
	if dilation != [2]int{1, 1} {
		fmt.Fprintf(&b, ", dilation=%s", pair(dilation[0], dilation[1]))
	}
	if groups != 1 {
		fmt.Fprintf(&b, ", groups=%d", groups)
	}
	if c.Bias == nil {
		b.WriteString(", bias=False")
	}
	return b.String() + ")"
}

// pair prints (a, b), as PyTorch prints a size.
func pair(a, b int) string { return fmt.Sprintf("(%d, %d)", a, b) }

// checkPadMode panics, naming the constructor op, unless the padding mode
// is known and fits the padding and strides set beside it, as the
// convolution checks them at every Forward.
func checkPadMode(op string, m autograd.PadMode, padding, stride []int) {
	switch m {
	case autograd.PadExplicit:
		return
	case autograd.PadValid, autograd.PadSame:
	default:
		panic(&Error{Op: op, Detail: fmt.Sprintf("unknown %v: want PadExplicit, PadValid or PadSame", m)})
	}
	if slices.ContainsFunc(padding, func(p int) bool { return p != 0 }) {
		panic(&Error{Op: op, Detail: fmt.Sprintf("padding %v with PadMode %v: want no Padding, which the mode sets", padding, m)})
	}
	if m == autograd.PadSame && slices.ContainsFunc(stride, func(s int) bool { return s > 1 }) {
		panic(&Error{Op: op, Detail: fmt.Sprintf("stride %v with PadSame: padding='same' takes stride 1 only, as in PyTorch", stride)})
	}
}

// MaxPool2d returns a layer taking the maximum of each window, as
// torch.nn.MaxPool2d (see autograd.Var.MaxPool2d).
func MaxPool2d(o autograd.PoolOptions) *Func {
	return &Func{Name: "MaxPool2d(" + poolSettings(o) + ", dilation=1, ceil_mode=False)", F: func(x *autograd.Var) *autograd.Var { return x.MaxPool2d(o) }}
}

// AvgPool2d returns a layer averaging each window, as torch.nn.AvgPool2d
// (see autograd.Var.AvgPool2d).
func AvgPool2d(o autograd.PoolOptions) *Func {
	return &Func{Name: "AvgPool2d(" + poolSettings(o) + ")", F: func(x *autograd.Var) *autograd.Var { return x.AvgPool2d(o) }}
}

// AdaptiveAvgPool2d returns a layer averaging down to oh×ow, as
// torch.nn.AdaptiveAvgPool2d; (1, 1) is global average pooling.
func AdaptiveAvgPool2d(oh, ow int) *Func {
	return &Func{Name: "AdaptiveAvgPool2d(output_size=" + pair(oh, ow) + ")", F: func(x *autograd.Var) *autograd.Var { return x.AdaptiveAvgPool2d(oh, ow) }}
}

// poolSettings prints a pooling's kernel, stride and padding as PyTorch
// prints them as they were given: as numbers (kernel_size=2) when all three
// are square, as they would have been given to PyTorch, else as pairs.
func poolSettings(o autograd.PoolOptions) string {
	stride := o.Stride
	for i := range 2 {
		if stride[i] == 0 {
			stride[i] = o.Kernel[i]
		}
	}
	if o.Kernel[0] == o.Kernel[1] && stride[0] == stride[1] && o.Padding[0] == o.Padding[1] {
		return fmt.Sprintf("kernel_size=%d, stride=%d, padding=%d", o.Kernel[0], stride[0], o.Padding[0])
	}
	return fmt.Sprintf("kernel_size=%s, stride=%s, padding=%s", pair(o.Kernel[0], o.Kernel[1]), pair(stride[0], stride[1]), pair(o.Padding[0], o.Padding[1]))
}
