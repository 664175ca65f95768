package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// Linear is a fully connected layer, y = x·Wᵀ + b, with Weight of shape
// out×in and Bias of shape out, as torch.nn.Linear stores them. Inputs are
// [… in], with any number of leading dimensions ([batch in], [batch n in],
// or a single example [in]), as in PyTorch; an input whose last dimension
// is not in panics with an *Error naming the layer and the width it wants.
// Set Bias to nil for a layer without one.
type Linear struct {
	Weight, Bias *autograd.Var
}

// NewLinear returns a Linear layer from in to out features initialized as
// PyTorch does: the weight from Kaiming-uniform with a = √5, which is
// U(−1/√in, 1/√in), and the bias from U(−1/√in, 1/√in).
func NewLinear(rng *rand.Rand, in, out int) *Linear {
	if in <= 0 || out <= 0 {
		panic(&Error{Op: "NewLinear", Detail: fmt.Sprintf("in %d and out %d features must be positive", in, out)})
	}
	checkParamSize("NewLinear", "weight", out, in)
	w := tensor.Zeros(out, in)
	KaimingUniform(Kaiming{A: math.Sqrt(5)})(rng, w)
	bound := 1 / math.Sqrt(float64(in))
	b := tensor.Uniform(rng, -bound, bound, out)
	return &Linear{Weight: autograd.Param(w), Bias: autograd.Param(b)}
}

// Forward returns x·Wᵀ + b.
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	w := l.Weight.Value
	if w.Dims() != 2 || (l.Bias != nil && !slices.Equal(l.Bias.Value.Shape(), []int{w.Dim(0)})) {
		var bias []int
		if l.Bias != nil {
			bias = l.Bias.Value.Shape()
		}
		panic(&Error{Op: "Linear", Kind: tensor.ErrShape, Detail: fmt.Sprintf("weight %v and bias %v: want [out in] and [out]", w.Shape(), bias)})
	}
	in, out := w.Dim(1), w.Dim(0)
	switch dims := x.Value.Dims(); {
	case dims == 0 || x.Value.Dim(-1) != in:
		panic(&Error{Op: fmt.Sprintf("Linear(%d→%d)", in, out), Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v: want %d features in its last dimension, [… %d]", x.Value.Shape(), in, in)})
	case dims == 2 || dims == 3: // the shapes the fused product takes as they are
		return x.Linear(l.Weight, l.Bias)
	}
	shape := x.Value.Shape()
	shape[len(shape)-1] = out
	return x.Reshape(-1, in).Linear(l.Weight, l.Bias).Reshape(shape...)
}

// Parameters returns "weight" and, if present, "bias".
func (l *Linear) Parameters() []Param {
	ps := []Param{{Name: "weight", Var: l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Param{Name: "bias", Var: l.Bias})
	}
	return ps
}

// String describes the layer as PyTorch prints it.
func (l *Linear) String() string {
	return fmt.Sprintf("Linear(in_features=%d, out_features=%d, bias=%s)", l.Weight.Value.Dim(1), l.Weight.Value.Dim(0), pyBool(l.Bias != nil))
}

// checkParamSize panics, naming the constructor op, if a parameter of the
// given shape would exceed tensor.MaxElements.
func checkParamSize(op, what string, shape ...int) {
	if _, ok := tensor.Elements(shape...); !ok {
		panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("a %s of shape %v would have more than %d elements", what, shape, tensor.MaxElements)})
	}
}

// Func is a layer without parameters that applies a function, such as an
// activation.
type Func struct {
	Name string
	F    func(*autograd.Var) *autograd.Var
}

// Forward applies the function.
func (f *Func) Forward(x *autograd.Var) *autograd.Var { return f.F(x) }

// Parameters returns nothing: a Func has no parameters.
func (f *Func) Parameters() []Param { return nil }

// String returns the layer's name.
func (f *Func) String() string { return f.Name }

// ReLU returns a layer computing max(x, 0).
func ReLU() *Func { return &Func{Name: "ReLU()", F: (*autograd.Var).ReLU} }

// LeakyReLU returns a layer computing x for x > 0 and slope·x otherwise.
// PyTorch's default slope is 0.01.
func LeakyReLU(slope float64) *Func {
	return &Func{Name: "LeakyReLU(negative_slope=" + pyFloat(slope) + ")", F: func(x *autograd.Var) *autograd.Var { return x.LeakyReLU(slope) }}
}

// Tanh returns a layer computing the hyperbolic tangent.
func Tanh() *Func { return &Func{Name: "Tanh()", F: (*autograd.Var).Tanh} }

// Sigmoid returns a layer computing the logistic function.
func Sigmoid() *Func { return &Func{Name: "Sigmoid()", F: (*autograd.Var).Sigmoid} }

// GELU returns a layer computing the exact Gaussian error linear unit
// x·Φ(x), PyTorch's default form.
func GELU() *Func { return &Func{Name: "GELU(approximate='none')", F: (*autograd.Var).GELU} }

// GELUTanh returns a layer computing GELU's tanh approximation, as
// torch.nn.GELU(approximate='tanh').
func GELUTanh() *Func {
	return &Func{Name: "GELU(approximate='tanh')", F: (*autograd.Var).GELUTanh}
}

// SiLU returns a layer computing x·σ(x), as torch.nn.SiLU.
func SiLU() *Func { return &Func{Name: "SiLU()", F: (*autograd.Var).SiLU} }

// Softplus returns a layer computing log(1 + e^(β·x))/β, linear where
// β·x > threshold, as torch.nn.Softplus; PyTorch's defaults are
// Softplus(1, 20). It panics unless β is positive and finite.
func Softplus(beta, threshold float64) *Func {
	autograd.Const(tensor.Zeros(0)).Softplus(beta, threshold) // checks beta now, not at the first Forward
	return &Func{Name: fmt.Sprintf("Softplus(beta=%g, threshold=%g)", beta, threshold), F: func(x *autograd.Var) *autograd.Var { return x.Softplus(beta, threshold) }}
}

// ELU returns a layer computing x for x > 0 and α·(eˣ − 1) otherwise, as
// torch.nn.ELU; PyTorch's default α is 1.
func ELU(alpha float64) *Func {
	return &Func{Name: "ELU(alpha=" + pyFloat(alpha) + ")", F: func(x *autograd.Var) *autograd.Var { return x.ELU(alpha) }}
}

// LogSigmoid returns a layer computing log σ(x), as torch.nn.LogSigmoid.
func LogSigmoid() *Func { return &Func{Name: "LogSigmoid()", F: (*autograd.Var).LogSigmoid} }

// Softmax returns a layer normalizing exp(x) along axis.
func Softmax(axis int) *Func {
	return &Func{Name: fmt.Sprintf("Softmax(dim=%d)", axis), F: func(x *autograd.Var) *autograd.Var { return x.Softmax(axis) }}
}

// LogSoftmax returns a layer computing log Softmax along axis.
func LogSoftmax(axis int) *Func {
	return &Func{Name: fmt.Sprintf("LogSoftmax(dim=%d)", axis), F: func(x *autograd.Var) *autograd.Var { return x.LogSoftmax(axis) }}
}

// Identity returns a layer that returns its input.
func Identity() *Func {
	return &Func{Name: "Identity()", F: func(x *autograd.Var) *autograd.Var { return x }}
}

// Flatten returns a layer reshaping [batch d1 d2 …] to [batch d1·d2·…], as
// torch.nn.Flatten() does.
func Flatten() *Func {
	return &Func{Name: "Flatten(start_dim=1, end_dim=-1)", F: func(x *autograd.Var) *autograd.Var {
		if x.Value.Dims() < 1 {
			panic(&Error{Kind: tensor.ErrShape, Op: "Flatten", Detail: "input is a scalar; want a batch"})
		}
		return x.Reshape(x.Value.Dim(0), -1)
	}}
}

// Dropout zeroes each input element with probability P during training and
// scales the survivors by 1/(1−P), so that evaluation, where it passes its
// input through unchanged, needs no rescaling (inverted dropout, as
// torch.nn.Dropout). Which it does follows its input (see
// autograd.Var.Evaluating): an input computed from autograd.NoGrad, as
// Predict, Evaluate and Fit's validation feed, is evaluated, so a Dropout
// anywhere in any module is off during evaluation with no code to write.
// Evaluation writes nothing; training draws from the layer's own
// *rand.Rand, so a Dropout layer must not train in several goroutines at
// once.
type Dropout struct {
	P   float64
	rng *rand.Rand
}

// NewDropout returns a Dropout layer that drops with probability
// p ∈ [0, 1] using rng.
func NewDropout(rng *rand.Rand, p float64) *Dropout {
	if !(p >= 0 && p <= 1) {
		panic(&Error{Op: "NewDropout", Detail: fmt.Sprintf("probability %v outside [0, 1]", p)})
	}
	return &Dropout{P: p, rng: rng}
}

// Forward applies dropout to an input in training mode, and is the
// identity in evaluation mode.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var {
	if x.Evaluating() || d.P == 0 {
		return x
	}
	mask := tensor.Zeros(x.Value.Shape()...)
	if d.P < 1 {
		keep := 1 / (1 - d.P)
		m := mask.Data()
		for i := range m {
			if d.rng.Float64() >= d.P {
				m[i] = keep
			}
		}
	}
	return x.Mul(autograd.Const(mask.To(x.Value.DType()))) // the same draws in either dtype
}

// Parameters returns nothing: Dropout has no parameters.
func (d *Dropout) Parameters() []Param { return nil }

// String describes the layer as PyTorch prints it.
func (d *Dropout) String() string { return "Dropout(p=" + pyFloat(d.P) + ", inplace=False)" }
