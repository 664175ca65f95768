package autograd

import (
	"math"
	"slices"

	"github.com/minidl/minidl/tensor"
)

// Binary operations broadcast as their tensor counterparts do; the gradient
// reaching each input is summed back over the axes it was broadcast along.

// unbroadcast returns g summed to shape, and whether the result is a fresh
// tensor (owned) rather than g itself.
func unbroadcast(g *tensor.Tensor, shape []int) (*tensor.Tensor, bool) {
	if slices.Equal(g.Shape(), shape) {
		return g, false
	}
	return g.SumTo(shape...), true
}

// Add returns a + b, broadcasting.
func (a *Var) Add(b *Var) *Var {
	return record(a.Value.Add(b.Value), func(g *tensor.Tensor) {
		// g belongs to this closure, so the first input may keep it.
		ga, _ := unbroadcast(g, a.Value.Shape())
		a.accumulate(ga, true)
		if b.requiresGrad { // a mask or other constant needs no sum
			gb, owned := unbroadcast(g, b.Value.Shape())
			b.accumulate(gb, owned)
		}
	}, a, b)
}

// Sub returns a − b, broadcasting.
func (a *Var) Sub(b *Var) *Var {
	return record(a.Value.Sub(b.Value), func(g *tensor.Tensor) {
		ga, _ := unbroadcast(g, a.Value.Shape())
		a.accumulate(ga, true)
		if b.requiresGrad {
			gb, _ := unbroadcast(g.Neg(), b.Value.Shape())
			b.accumulate(gb, true)
		}
	}, a, b)
}

// Mul returns the elementwise product a ⊙ b, broadcasting.
func (a *Var) Mul(b *Var) *Var {
	return record(a.Value.Mul(b.Value), func(g *tensor.Tensor) {
		if a.requiresGrad {
			a.accumulate(g.Mul(b.Value).SumTo(a.Value.Shape()...), true)
		}
		if b.requiresGrad {
			b.accumulate(g.Mul(a.Value).SumTo(b.Value.Shape()...), true)
		}
	}, a, b)
}

// Div returns the elementwise quotient a / b, broadcasting.
func (a *Var) Div(b *Var) *Var {
	out := a.Value.Div(b.Value)
	return record(out, func(g *tensor.Tensor) {
		if a.requiresGrad {
			a.accumulate(g.Div(b.Value).SumTo(a.Value.Shape()...), true)
		}
		if b.requiresGrad { // d(a/b)/db = −(a/b)/b
			b.accumulate(g.Mul(out).Div(b.Value).Neg().SumTo(b.Value.Shape()...), true)
		}
	}, a, b)
}

// Pow returns a raised elementwise to the power b, broadcasting. The
// gradient with respect to b is g·aᵇ·ln a, taken as 0 where a is 0, as
// PyTorch does.
func (a *Var) Pow(b *Var) *Var {
	out := a.Value.Pow(b.Value)
	return record(out, func(g *tensor.Tensor) {
		if a.requiresGrad {
			da := b.Value.Mul(a.Value.Pow(b.Value.AddScalar(-1)))
			a.accumulate(g.Mul(da).SumTo(a.Value.Shape()...), true)
		}
		if b.requiresGrad {
			lna := a.Value.Map(func(x float64) float64 {
				if x == 0 {
					return 0
				}
				return math.Log(x)
			})
			b.accumulate(g.Mul(out).Mul(lna).SumTo(b.Value.Shape()...), true)
		}
	}, a, b)
}

// Maximum returns the elementwise larger of a and b, broadcasting. Where
// they are equal the gradient is split evenly, as torch.maximum does.
func (a *Var) Maximum(b *Var) *Var { return a.extreme(b, a.Value.Maximum(b.Value), 1) }

// Minimum returns the elementwise smaller of a and b, broadcasting. Where
// they are equal the gradient is split evenly, as torch.minimum does.
func (a *Var) Minimum(b *Var) *Var { return a.extreme(b, a.Value.Minimum(b.Value), -1) }

// extreme is the backward of Maximum (sign 1) and Minimum (sign −1): the
// gradient goes to the input that won, half to each on a tie.
func (a *Var) extreme(b *Var, out *tensor.Tensor, sign float64) *Var {
	return record(out, func(g *tensor.Tensor) {
		share := func(x, y float64) float64 {
			switch d := sign * (x - y); {
			case d > 0:
				return 1
			case d == 0:
				return 0.5
			}
			return 0
		}
		if a.requiresGrad {
			w := binaryMap(a.Value, b.Value, share)
			a.accumulate(g.Mul(w).SumTo(a.Value.Shape()...), true)
		}
		if b.requiresGrad {
			w := binaryMap(b.Value, a.Value, share)
			b.accumulate(g.Mul(w).SumTo(b.Value.Shape()...), true)
		}
	}, a, b)
}

// binaryMap applies f elementwise to x and y broadcast together, giving a
// tensor of x's dtype (float32 values are passed to f as float64).
func binaryMap(x, y *tensor.Tensor, f func(x, y float64) float64) *tensor.Tensor {
	shape, _ := tensor.BroadcastShapes(x.Shape(), y.Shape())
	xb, yb := x.BroadcastTo(shape...), y.BroadcastTo(shape...)
	out := tensor.Zeros(shape...)
	o, xs, ys := out.Data(), xb.Float64s(), yb.Float64s()
	for i := range o {
		o[i] = f(xs[i], ys[i])
	}
	return out.To(x.DType())
}

// AddScalar returns a + c.
func (a *Var) AddScalar(c float64) *Var {
	return record(a.Value.AddScalar(c), func(g *tensor.Tensor) { a.accumulate(g, true) }, a)
}

// MulScalar returns c·a.
func (a *Var) MulScalar(c float64) *Var {
	return record(a.Value.MulScalar(c), func(g *tensor.Tensor) { a.accumulate(g.MulScalar(c), true) }, a)
}

// PowScalar returns a raised elementwise to the power c.
func (a *Var) PowScalar(c float64) *Var {
	return record(a.Value.PowScalar(c), func(g *tensor.Tensor) {
		a.accumulate(g.Mul(a.Value.PowScalar(c-1)).Scale(c), true)
	}, a)
}

// Neg returns −a.
func (a *Var) Neg() *Var { return a.MulScalar(-1) }

// unary records an elementwise operation whose derivative is given by
// deriv(x, y), where x is the input and y the output element.
func (a *Var) unary(out *tensor.Tensor, deriv func(x, y float64) float64) *Var {
	return record(out, func(g *tensor.Tensor) {
		if g.DType() == tensor.Float32 {
			// float32 values are passed to deriv as float64 and the
			// gradient rounded once.
			d := tensor.ZerosLike(g)
			dd, gd, xd, yd := d.Float32s(), g.Float32s(), a.Value.Float32s(), out.Float32s()
			for i := range dd {
				dd[i] = float32(float64(gd[i]) * deriv(float64(xd[i]), float64(yd[i])))
			}
			a.accumulate(d, true)
			return
		}
		d := tensor.Zeros(g.Shape()...)
		dd, gd, xd, yd := d.Data(), g.Data(), a.Value.Data(), out.Data()
		for i := range dd {
			dd[i] = gd[i] * deriv(xd[i], yd[i])
		}
		a.accumulate(d, true)
	}, a)
}

// Exp returns eᵃ elementwise.
func (a *Var) Exp() *Var {
	return a.unary(a.Value.Exp(), func(_, y float64) float64 { return y })
}

// Log returns the natural logarithm elementwise.
func (a *Var) Log() *Var {
	return a.unary(a.Value.Log(), func(x, _ float64) float64 { return 1 / x })
}

// Sqrt returns the square root elementwise.
func (a *Var) Sqrt() *Var {
	return a.unary(a.Value.Sqrt(), func(_, y float64) float64 { return 0.5 / y })
}

// Abs returns |a| elementwise; its gradient at 0 is 0, as in PyTorch.
func (a *Var) Abs() *Var {
	return a.unary(a.Value.Abs(), func(x, _ float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	})
}

// Square returns a² elementwise.
func (a *Var) Square() *Var {
	return a.unary(a.Value.Square(), func(x, _ float64) float64 { return 2 * x })
}

// Clip limits a to [lo, hi] elementwise. The gradient passes where
// lo ≤ a ≤ hi, bounds included, as torch.clamp's does.
func (a *Var) Clip(lo, hi float64) *Var {
	return a.unary(a.Value.Clip(lo, hi), func(x, _ float64) float64 { return b2f(x >= lo && x <= hi) })
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// MatMul returns the matrix product a·b with the shapes tensor.MatMul takes.
// Its backward computes only the input gradients that are needed.
func (a *Var) MatMul(b *Var) *Var {
	return record(a.Value.MatMul(b.Value), func(g *tensor.Tensor) {
		if a.requiresGrad { // dA = G·Bᵀ
			a.accumulate(g.MatMulT(b.Value), true)
		}
		if b.requiresGrad { // dB = Aᵀ·G, summed over a shared B's batch
			if b.Value.Dims() == 2 {
				b.accumulateProduct(flatIfShared(a.Value, b.Value), flatIfShared(g, b.Value), true, false)
			} else {
				b.accumulate(a.Value.TMatMul(g), true)
			}
		}
	}, a, b)
}

// MatMulT returns a·bᵀ without forming the transpose (see
// tensor.MatMulT); a linear layer computes x·Wᵀ with it.
func (a *Var) MatMulT(b *Var) *Var {
	return record(a.Value.MatMulT(b.Value), func(g *tensor.Tensor) {
		if a.requiresGrad { // dA = G·B
			a.accumulate(g.MatMul(b.Value), true)
		}
		if b.requiresGrad { // dB = Gᵀ·A
			if b.Value.Dims() == 2 {
				b.accumulateProduct(flatIfShared(g, b.Value), flatIfShared(a.Value, b.Value), true, false)
			} else {
				b.accumulate(g.TMatMul(a.Value), true)
			}
		}
	}, a, b)
}

// Linear returns x·wᵀ + b, as torch.nn.functional.linear: x is [n in] (or
// [batch n in]), w is [out in], b is [out] or nil. It computes in one pass
// what x.MatMulT(w).Add(b) computes in two, and its backward writes the
// weight gradient straight into w's gradient.
func (x *Var) Linear(w, b *Var) *Var {
	if b == nil {
		return x.MatMulT(w)
	}
	out, ok := linearForward(x.Value, w.Value, b.Value)
	if !ok {
		return x.MatMulT(w).Add(b)
	}
	return record(out, func(g *tensor.Tensor) {
		g2 := g.Reshape(-1, g.Dim(-1))
		if x.requiresGrad { // dX = G·W
			x.accumulate(g.MatMul(w.Value), true)
		}
		if w.requiresGrad { // dW = Gᵀ·X
			w.accumulateProduct(g2, x.Value.Reshape(-1, x.Value.Dim(-1)), true, false)
		}
		if b.requiresGrad { // db = Σ over rows of G
			b.accumulate(g2.Sum(0), true)
		}
	}, x, w, b)
}

// linearForward computes x·wᵀ + b by filling the output with b and adding
// the product into it. It reports false for shapes it does not cover, which
// the caller then computes in two steps (with their shape errors).
func linearForward(x, w, b *tensor.Tensor) (*tensor.Tensor, bool) {
	if x.Dims() < 2 || x.Dims() > 3 || w.Dims() != 2 || b.Dims() != 1 || x.Dim(-1) != w.Dim(1) || b.Dim(0) != w.Dim(0) {
		return nil, false
	}
	x2 := x.Reshape(-1, x.Dim(-1))
	out := b.BroadcastTo(x2.Dim(0), w.Dim(0))
	out.AddMatMul(x2, w, false, true)
	shape := x.Shape()
	shape[len(shape)-1] = w.Dim(0)
	return out.Reshape(shape...), true
}

// flatIfShared turns a batch [n m k] into one matrix [n·m k] when it was
// multiplied by a single 2-D matrix b, so that b's gradient sums the batch.
func flatIfShared(t, b *tensor.Tensor) *tensor.Tensor {
	if t.Dims() == 3 && b.Dims() == 2 {
		return t.Reshape(-1, t.Dim(-1))
	}
	return t
}

// T returns the transpose of a 2-D Var.
func (a *Var) T() *Var {
	return record(a.Value.T(), func(g *tensor.Tensor) { a.accumulate(g.T(), true) }, a)
}

// Permute reorders a's axes as tensor.Permute does.
func (a *Var) Permute(axes ...int) *Var {
	out := a.Value.Permute(axes...)
	return record(out, func(g *tensor.Tensor) {
		inverse := make([]int, len(axes))
		for i, ax := range axes {
			inverse[ax] = i
		}
		a.accumulate(g.Permute(inverse...), true)
	}, a)
}

// Reshape returns a with a new shape (one dimension may be -1).
func (a *Var) Reshape(shape ...int) *Var {
	return record(a.Value.Reshape(shape...), func(g *tensor.Tensor) {
		a.accumulate(g.Reshape(a.Value.Shape()...), true)
	}, a)
}

// Concat joins Vars along an existing axis.
func Concat(axis int, vs ...*Var) *Var {
	values := make([]*tensor.Tensor, len(vs))
	for i, v := range vs {
		values[i] = v.Value
	}
	out := tensor.Concat(axis, values...)
	if axis < 0 {
		axis += out.Dims()
	}
	return record(out, func(g *tensor.Tensor) {
		start := 0
		for _, v := range vs {
			n := v.Value.Dim(axis)
			if v.requiresGrad {
				v.accumulate(g.Slice(axis, start, start+n), true)
			}
			start += n
		}
	}, vs...)
}

// Stack joins Vars of one shape along a new axis.
func Stack(axis int, vs ...*Var) *Var {
	expanded := make([]*Var, len(vs))
	for i, v := range vs {
		shape := v.Value.Shape()
		ax := axis
		if ax < 0 {
			ax += len(shape) + 1
		}
		if ax < 0 || ax > len(shape) {
			panic(errorf("Stack", tensor.ErrIndex, "axis %d out of range for %d tensors of shape %v", axis, len(vs), shape))
		}
		expanded[i] = v.Reshape(slices.Insert(shape, ax, 1)...)
	}
	if axis < 0 {
		axis += vs[0].Value.Dims() + 1
	}
	return Concat(axis, expanded...)
}

// Slice returns the entries of a whose index along axis lies in
// [start, end).
func (a *Var) Slice(axis, start, end int) *Var {
	out := a.Value.Slice(axis, start, end)
	return record(out, func(g *tensor.Tensor) {
		ax := axis
		if ax < 0 {
			ax += a.Value.Dims()
		}
		shape := a.Value.Shape()
		parts := []*tensor.Tensor{}
		if start > 0 {
			shape[ax] = start
			parts = append(parts, tensor.ZerosOf(g.DType(), shape...))
		}
		parts = append(parts, g)
		if rest := a.Value.Dim(ax) - end; rest > 0 {
			shape[ax] = rest
			parts = append(parts, tensor.ZerosOf(g.DType(), shape...))
		}
		a.accumulate(tensor.Concat(ax, parts...), true)
	}, a)
}

// IndexRows gathers the rows of a at the given indices; the gradient of a
// row picked twice is the sum of both.
func (a *Var) IndexRows(indices []int) *Var {
	return record(a.Value.IndexRows(indices), func(g *tensor.Tensor) {
		a.accumulate(tensor.ZerosLike(a.Value).ScatterAddRows(g, indices), true)
	}, a)
}
