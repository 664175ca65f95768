package nn

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// LayerNorm normalizes each example over its last dimensions, as
// torch.nn.LayerNorm: y = (x − mean)/√(var + ε)·Weight + Bias, the mean and
// the biased variance taken over the trailing dimensions that equal
// Shape. Weight and Bias have that shape (ones and zeros at first); both
// are nil without the elementwise affine. Training and evaluation compute
// the same: LayerNorm keeps no running statistics.
type LayerNorm struct {
	Shape        []int // the normalized trailing dimensions
	Eps          float64
	Weight, Bias *autograd.Var
}

// LayerNormConfig holds LayerNorm's options; the zero value is PyTorch's
// default.
type LayerNormConfig struct {
	// Eps is added to the variance; 0 means PyTorch's 1e-5.
	Eps float64
	// ElementwiseAffine, if set to false, leaves out Weight and Bias;
	// nil means true, as in PyTorch.
	ElementwiseAffine *bool
}

// NewLayerNorm returns a LayerNorm over trailing dimensions of the given
// shape (PyTorch's normalized_shape).
func NewLayerNorm(shape []int, cfg LayerNormConfig) *LayerNorm {
	if len(shape) == 0 {
		panic(&Error{Op: "NewLayerNorm", Detail: "the normalized shape is empty; want one or more trailing dimensions"})
	}
	for _, d := range shape {
		if d <= 0 {
			panic(&Error{Op: "NewLayerNorm", Detail: fmt.Sprintf("normalized shape %v has a dimension that is not positive", shape)})
		}
	}
	if cfg.Eps < 0 || cfg.Eps != cfg.Eps {
		panic(&Error{Op: "NewLayerNorm", Detail: fmt.Sprintf("eps is %v; want a non-negative number (0 for 1e-5)", cfg.Eps)})
	}
	l := &LayerNorm{Shape: slices.Clone(shape), Eps: cmp.Or(cfg.Eps, 1e-5)}
	if cfg.ElementwiseAffine == nil || *cfg.ElementwiseAffine {
		l.Weight = autograd.Param(tensor.Ones(shape...))
		l.Bias = autograd.Param(tensor.Zeros(shape...))
	}
	return l
}

// Forward normalizes x, whose trailing dimensions must equal l.Shape.
func (l *LayerNorm) Forward(x *autograd.Var) *autograd.Var {
	xs := x.Value.Shape()
	if len(xs) < len(l.Shape) || !slices.Equal(xs[len(xs)-len(l.Shape):], l.Shape) {
		panic(&Error{Op: "LayerNorm", Kind: tensor.ErrShape, Detail: fmt.Sprintf("input of shape %v does not end in the normalized shape %v", xs, l.Shape)})
	}
	axes := make([]int, len(l.Shape))
	for i := range axes {
		axes[i] = len(xs) - len(l.Shape) + i
	}
	centered := x.Sub(x.MeanKeepDims(axes...))
	variance := centered.Square().MeanKeepDims(axes...)
	y := centered.Div(variance.AddScalar(l.Eps).Sqrt())
	if l.Weight != nil {
		y = y.Mul(l.Weight)
	}
	if l.Bias != nil {
		y = y.Add(l.Bias)
	}
	return y
}

// Parameters returns "weight" and "bias", if the layer has them.
func (l *LayerNorm) Parameters() []Param {
	var ps []Param
	if l.Weight != nil {
		ps = append(ps, Param{Name: "weight", Var: l.Weight})
	}
	if l.Bias != nil {
		ps = append(ps, Param{Name: "bias", Var: l.Bias})
	}
	return ps
}

// String describes the layer as PyTorch prints it.
func (l *LayerNorm) String() string {
	dims := make([]string, len(l.Shape))
	for i, d := range l.Shape {
		dims[i] = fmt.Sprint(d)
	}
	shape := "(" + strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	affine := "True"
	if l.Weight == nil {
		affine = "False"
	}
	return fmt.Sprintf("LayerNorm(%s), eps=%g, elementwise_affine=%s)", shape, l.Eps, affine)
}
