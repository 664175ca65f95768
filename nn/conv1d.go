package nn

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// Conv1d is a 1-D convolution over inputs [batch in length] (NCL), as
// torch.nn.Conv1d: Weight is [out in/groups kernel] as PyTorch stores it,
// Bias is [out] (set it to nil for a layer without one), and Options hold
// the stride, padding (PadMode autograd.PadSame for PyTorch's
// padding='same'), dilation and groups. It runs Conv2d's kernel over a
// height of 1, so it is as fast per element.
type Conv1d struct {
	Weight, Bias *autograd.Var
	Options      autograd.Conv1dOptions
}

// NewConv1d returns a Conv1d from in to out channels with a kernel of the
// given length, initialized as PyTorch does: weight and bias from
// U(−1/√fan, 1/√fan), fan = in/groups·kernel (Kaiming-uniform with
// a = √5). Negative settings and a padding mode that does not fit them
// panic here rather than at the first Forward.
func NewConv1d(rng *rand.Rand, in, out, kernel int, o autograd.Conv1dOptions) *Conv1d {
	if o.Groups < 0 || min(o.Stride, o.Padding, o.Dilation) < 0 {
		panic(&Error{Op: "NewConv1d", Detail: fmt.Sprintf("stride %d, padding %d, dilation %d, groups %d: want none negative (0 is the default: stride and dilation 1, one group)", o.Stride, o.Padding, o.Dilation, o.Groups)})
	}
	checkPadMode("NewConv1d", o.PadMode, []int{o.Padding}, []int{o.Stride})
	groups := max(o.Groups, 1)
	if in <= 0 || out <= 0 || kernel <= 0 || in%groups != 0 || out%groups != 0 {
		panic(&Error{Op: "NewConv1d", Detail: fmt.Sprintf("%d to %d channels, kernel %d, %d groups: want positive sizes and groups dividing both channel counts", in, out, kernel, groups)})
	}
	checkParamSize("NewConv1d", "weight", out, in/groups, kernel)
	w := tensor.Zeros(out, in/groups, kernel)
	KaimingUniform(Kaiming{A: math.Sqrt(5)})(rng, w)
	bound := 1 / math.Sqrt(float64(in/groups*kernel))
	b := tensor.Uniform(rng, -bound, bound, out)
	return &Conv1d{Weight: autograd.Param(w), Bias: autograd.Param(b), Options: o}
}

// Forward returns the convolution of x with the filters, plus the bias. An
// input that is not [batch in length] panics with an *Error naming the
// layer; other shape errors are autograd.Var.Conv1d's.
func (c *Conv1d) Forward(x *autograd.Var) *autograd.Var {
	if w := c.Weight.Value; w.Dims() == 3 {
		in := w.Dim(1) * max(c.Options.Groups, 1)
		op := fmt.Sprintf("Conv1d(%d→%d, kernel %d)", in, w.Dim(0), w.Dim(2))
		switch xs := x.Value.Shape(); {
		case len(xs) != 3:
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v: want [batch %d length]", xs, in)})
		case xs[1] != in:
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v has %d channels; want %d", xs, xs[1], in)})
		}
	}
	return x.Conv1d(c.Weight, c.Bias, c.Options)
}

// Parameters returns "weight" and, if present, "bias".
func (c *Conv1d) Parameters() []Param {
	ps := []Param{{Name: "weight", Var: c.Weight}}
	if c.Bias != nil {
		ps = append(ps, Param{Name: "bias", Var: c.Bias})
	}
	return ps
}

// String describes the layer as PyTorch prints it.
func (c *Conv1d) String() string {
	o, w := c.Options, c.Weight.Value
	groups := max(o.Groups, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "Conv1d(%d, %d, kernel_size=%s, stride=%s", w.Dim(1)*groups, w.Dim(0), single(w.Dim(2)), single(max(o.Stride, 1)))
	if o.PadMode != autograd.PadExplicit {
		fmt.Fprintf(&b, ", padding=%v", o.PadMode)
	} else if o.Padding != 0 {
		fmt.Fprintf(&b, ", padding=%s", single(o.Padding))
	}
	if o.Dilation > 1 {
		fmt.Fprintf(&b, ", dilation=%s", single(o.Dilation))
	}
	if groups != 1 {
		fmt.Fprintf(&b, ", groups=%d", groups)
	}
	if c.Bias == nil {
		b.WriteString(", bias=False")
	}
	return b.String() + ")"
}

// single prints (a,), as PyTorch prints a 1-D size.
func single(a int) string { return fmt.Sprintf("(%d,)", a) }

// MaxPool1d returns a layer taking the maximum of each window, as
// torch.nn.MaxPool1d (see autograd.Var.MaxPool1d).
func MaxPool1d(o autograd.Pool1dOptions) *Func {
	name := fmt.Sprintf("MaxPool1d(kernel_size=%d, stride=%d, padding=%d, dilation=1, ceil_mode=False)", o.Kernel, cmp.Or(o.Stride, o.Kernel), o.Padding)
	return &Func{Name: name, F: func(x *autograd.Var) *autograd.Var { return x.MaxPool1d(o) }}
}

// AvgPool1d returns a layer averaging each window, as torch.nn.AvgPool1d
// (see autograd.Var.AvgPool1d).
func AvgPool1d(o autograd.Pool1dOptions) *Func {
	name := fmt.Sprintf("AvgPool1d(kernel_size=%s, stride=%s, padding=%s)", single(o.Kernel), single(cmp.Or(o.Stride, o.Kernel)), single(o.Padding))
	return &Func{Name: name, F: func(x *autograd.Var) *autograd.Var { return x.AvgPool1d(o) }}
}

// AdaptiveAvgPool1d returns a layer averaging down to size positions, as
// torch.nn.AdaptiveAvgPool1d; 1 is the global average over time.
func AdaptiveAvgPool1d(size int) *Func {
	return &Func{Name: fmt.Sprintf("AdaptiveAvgPool1d(output_size=%d)", size), F: func(x *autograd.Var) *autograd.Var { return x.AdaptiveAvgPool1d(size) }}
}
