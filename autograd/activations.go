package autograd

import (
	"math"

	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// The activations, elementwise, each with PyTorch's formula and its
// gradient at the kinks.

// Tanh returns the hyperbolic tangent elementwise.
func (a *Var) Tanh() *Var {
	return a.unary(a.Value.Tanh(), func(_, y float64) float64 { return 1 - y*y })
}

// Sigmoid returns the logistic function elementwise.
func (a *Var) Sigmoid() *Var {
	return a.unary(a.Value.Sigmoid(), func(_, y float64) float64 { return y * (1 - y) })
}

// ReLU returns max(a, 0) elementwise; its gradient at 0 is 0.
func (a *Var) ReLU() *Var {
	return record(a.Value.ReLU(), func(g *tensor.Tensor) {
		// g belongs to this closure (see Add), so it is masked in place and
		// handed on: no new tensor per step.
		if g.DType() == tensor.Float32 {
			reluMask32(g.Float32s(), a.Value.Float32s())
		} else {
			reluMask64(g.Data(), a.Value.Data())
		}
		a.accumulate(g, true)
	}, a)
}

// reluMask64 sets g to 0 wherever x ≤ 0 (or is NaN), across the
// processors. The signs of activations are a coin toss, so a branch would
// be mispredicted half the time: masking g's bits compiles to a
// conditional move (and gives an exact 0 where g is ±Inf or NaN).
func reluMask64(g, x []float64) {
	x = x[:len(g)]
	gemm.SplitWork(len(g), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			var keep uint64
			if v > 0 {
				keep = ^uint64(0)
			}
			g[lo+i] = math.Float64frombits(math.Float64bits(g[lo+i]) & keep)
		}
	})
}

// reluMask32 is reluMask64 in float32.
func reluMask32(g, x []float32) {
	x = x[:len(g)]
	gemm.SplitWork(len(g), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			var keep uint32
			if v > 0 {
				keep = ^uint32(0)
			}
			g[lo+i] = math.Float32frombits(math.Float32bits(g[lo+i]) & keep)
		}
	})
}

// LeakyReLU returns a where a > 0 and slope·a elsewhere.
func (a *Var) LeakyReLU(slope float64) *Var {
	out := a.Value.Map(func(x float64) float64 {
		if x > 0 {
			return x
		}
		return slope * x
	})
	return a.unary(out, func(x, _ float64) float64 {
		if x > 0 {
			return 1
		}
		return slope
	})
}

// GELU returns x·Φ(x) elementwise, where Φ is the standard normal CDF: the
// exact form of torch.nn.GELU (approximate='none').
func (a *Var) GELU() *Var {
	out := a.Value.Map(func(x float64) float64 { return x * normalCDF(x) })
	return a.unary(out, func(x, _ float64) float64 {
		return normalCDF(x) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
	})
}

func normalCDF(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) }

// SiLU returns x·σ(x) elementwise (torch.nn.SiLU, also called swish).
func (a *Var) SiLU() *Var {
	out := a.Value.Map(func(x float64) float64 { return x * tensor.Sigmoid(x) })
	return a.unary(out, func(x, _ float64) float64 {
		s := tensor.Sigmoid(x)
		return s * (1 + x*(1-s))
	})
}

// Softplus returns log(1 + e^(β·x))/β elementwise, and x itself where
// β·x > threshold, as torch.nn.Softplus (PyTorch's defaults: β = 1,
// threshold = 20). β must be positive.
func (a *Var) Softplus(beta, threshold float64) *Var {
	if !(beta > 0) || math.IsInf(beta, 0) {
		panic(errorf("Softplus", tensor.ErrArgument, "beta is %v; want a positive finite number", beta))
	}
	out := a.Value.Map(func(x float64) float64 {
		if x*beta > threshold {
			return x
		}
		return math.Log1p(math.Exp(x*beta)) / beta
	})
	return a.unary(out, func(x, _ float64) float64 {
		if x*beta > threshold {
			return 1
		}
		return tensor.Sigmoid(x * beta)
	})
}

// ELU returns x where x > 0 and α·(eˣ − 1) elsewhere (torch.nn.ELU;
// PyTorch's default α is 1). The gradient at 0 is α, as PyTorch's.
func (a *Var) ELU(alpha float64) *Var {
	out := a.Value.Map(func(x float64) float64 {
		if x > 0 {
			return x
		}
		return alpha * math.Expm1(x)
	})
	return a.unary(out, func(x, _ float64) float64 {
		if x > 0 {
			return 1
		}
		return alpha * math.Exp(x)
	})
}

// LogSigmoid returns log σ(x) elementwise without overflow
// (torch.nn.LogSigmoid).
func (a *Var) LogSigmoid() *Var {
	out := a.Value.Map(func(x float64) float64 { return math.Min(x, 0) - math.Log1p(math.Exp(-math.Abs(x))) })
	return a.unary(out, func(x, _ float64) float64 { return tensor.Sigmoid(-x) })
}

// GELUTanh returns PyTorch's tanh approximation of GELU,
// ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))) (torch.nn.GELU(approximate='tanh')).
func (a *Var) GELUTanh() *Var {
	const kappa = 0.044715
	// √(2/π) rounded as PyTorch's kernel computes it (√2 · 2/√π · ½ in
	// float64): in the tails, 1 + tanh cancels and shows the last bit.
	sqrt2, twoOverSqrtPi := math.Sqrt2, 2/math.SqrtPi
	beta := sqrt2 * twoOverSqrtPi * 0.5
	out := a.Value.Map(func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(beta*(x+kappa*x*x*x))) })
	return a.unary(out, func(x, _ float64) float64 {
		t := math.Tanh(beta * (x + kappa*x*x*x))
		return 0.5*(1+t) + 0.5*x*(1-t*t)*beta*(1+3*kappa*x*x)
	})
}
