package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/minidl/minidl/tensor"
)

// GradCheckStep is the finite-difference step GradCheck uses. With central
// differences the truncation error is O(h²) ≈ 1e-12 and the rounding error
// about 1e-16/h ≈ 1e-10 relative to the function's size.
const GradCheckStep = 1e-6

// GradCheckReport is the result of GradCheck: the worst disagreement between
// Backward and finite differences, and where it occurred.
type GradCheckReport struct {
	// MaxError is the largest |analytic − numeric| / max(1, |analytic|,
	// |numeric|) over every element of every input: an absolute error for
	// small gradients and a relative one for large gradients.
	MaxError float64
	// Input and Index locate the worst element: the position of the input
	// in GradCheck's argument list and the element's index in it.
	Input int
	Index []int
	// Analytic and Numeric are the two gradients at that element.
	Analytic, Numeric float64
}

// String describes the worst disagreement and where it occurred.
func (r GradCheckReport) String() string {
	return fmt.Sprintf("gradient error %.3g at input %d index %v: backward %.10g, finite differences %.10g",
		r.MaxError, r.Input, r.Index, r.Analytic, r.Numeric)
}

// GradCheck compares the gradients that Backward computes for f with central
// finite differences, (f(x+h) − f(x−h)) / 2h for every element of every
// input. f receives the inputs as Params and may return a Var of any shape:
// GradCheck differentiates the sum of its elements weighted by fixed
// pseudo-random weights, so that no output element escapes the check (a
// plain sum would, for example, hide every error in Softmax, whose outputs
// always sum to 1). f must be deterministic; the inputs are left unchanged.
// GradCheck works in float64: it panics with an *Error of kind
// tensor.ErrDType on a float32 input, whose resolution is coarser than the
// step; check a float32 gradient against the float64 one instead.
func GradCheck(f func(x ...*Var) *Var, inputs ...*tensor.Tensor) GradCheckReport {
	for i, in := range inputs {
		if in.DType() != tensor.Float64 {
			panic(errorf("GradCheck", tensor.ErrDType, "input %d is %v: finite differences need float64 (a step of 1e-6 is below float32's resolution); "+
				"check in float64 and compare the float32 gradient with the float64 one", i, in.DType()))
		}
	}
	params := make([]*Var, len(inputs))
	for i, in := range inputs {
		params[i] = Param(in.Clone())
	}
	out := f(params...)
	weights := tensor.Uniform(rand.New(rand.NewPCG(7, 11)), 0.5, 1.5, out.Value.Shape()...)
	if out.requiresGrad {
		out.Mul(Const(weights)).Sum().Backward()
	}
	weighted := func() float64 {
		v := f(params...).Value
		return v.Mul(weights).Sum().Item()
	}
	var report GradCheckReport
	report.MaxError = -1
	for i, p := range params {
		data := p.Value.Data()
		shape := p.Value.Shape()
		for j := range data {
			orig := data[j]
			data[j] = orig + GradCheckStep
			plus := weighted()
			data[j] = orig - GradCheckStep
			minus := weighted()
			data[j] = orig
			numeric := (plus - minus) / (2 * GradCheckStep)
			analytic := 0.0
			if p.Grad != nil {
				analytic = p.Grad.Data()[j]
			}
			e := math.Abs(analytic-numeric) / max(1, math.Abs(analytic), math.Abs(numeric))
			if math.IsNaN(e) {
				e = math.Inf(1)
			}
			if e > report.MaxError {
				report = GradCheckReport{MaxError: e, Input: i, Index: unravel(j, shape), Analytic: analytic, Numeric: numeric}
			}
		}
	}
	report.MaxError = max(report.MaxError, 0)
	return report
}

// unravel turns a flat row-major position into an index for shape.
func unravel(pos int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = pos % shape[k]
		pos /= shape[k]
	}
	return idx
}
