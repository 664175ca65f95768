package autograd

import (
	"github.com/minidl/minidl/tensor"
)

// Reductions take the axes to reduce, none meaning all, and drop them; the
// KeepDims forms keep them with size 1, as in package tensor.

// Sum returns the sum over the given axes (all if none).
func (a *Var) Sum(axes ...int) *Var { return a.SumKeepDims(axes...).dropAxes(a, axes) }

// SumKeepDims is Sum keeping the reduced axes with size 1.
func (a *Var) SumKeepDims(axes ...int) *Var {
	return record(a.Value.SumKeepDims(axes...), func(g *tensor.Tensor) {
		a.accumulate(g.BroadcastTo(a.Value.Shape()...), true)
	}, a)
}

// Mean returns the mean over the given axes (all if none).
func (a *Var) Mean(axes ...int) *Var { return a.MeanKeepDims(axes...).dropAxes(a, axes) }

// MeanKeepDims is Mean keeping the reduced axes with size 1.
func (a *Var) MeanKeepDims(axes ...int) *Var {
	out := a.Value.MeanKeepDims(axes...)
	scale := float64(out.Size()) / float64(a.Value.Size())
	return record(out, func(g *tensor.Tensor) {
		a.accumulate(g.BroadcastTo(a.Value.Shape()...).Scale(scale), true)
	}, a)
}

// Max returns the largest element over the given axes (all if none). The
// gradient is shared evenly among the elements that tie for the maximum, as
// torch.amax does.
func (a *Var) Max(axes ...int) *Var { return a.MaxKeepDims(axes...).dropAxes(a, axes) }

// MaxKeepDims is Max keeping the reduced axes with size 1.
func (a *Var) MaxKeepDims(axes ...int) *Var {
	return a.extremeReduce(a.Value.MaxKeepDims(axes...), axes)
}

// Min returns the smallest element over the given axes (all if none), with
// the gradient shared among ties as Max does.
func (a *Var) Min(axes ...int) *Var { return a.MinKeepDims(axes...).dropAxes(a, axes) }

// MinKeepDims is Min keeping the reduced axes with size 1.
func (a *Var) MinKeepDims(axes ...int) *Var {
	return a.extremeReduce(a.Value.MinKeepDims(axes...), axes)
}

func (a *Var) extremeReduce(out *tensor.Tensor, axes []int) *Var {
	return record(out, func(g *tensor.Tensor) {
		mask := a.Value.Eq(out)
		count := mask.SumKeepDims(axes...)
		a.accumulate(mask.Mul(g.Div(count)), true)
	}, a)
}

// Var returns the variance over the given axes (all if none) with Bessel's
// correction, as torch.var does by default.
func (a *Var) Var(axes ...int) *Var { return a.VarKeepDims(axes...).dropAxes(a, axes) }

// VarKeepDims is Var keeping the reduced axes with size 1.
func (a *Var) VarKeepDims(axes ...int) *Var {
	out := a.Value.VarKeepDims(axes...)
	return record(out, func(g *tensor.Tensor) {
		n := a.Value.Size() / out.Size()
		centered := a.Value.Sub(a.Value.MeanKeepDims(axes...))
		a.accumulate(centered.Mul(g).Scale(2/float64(n-1)), true)
	}, a)
}

// dropAxes reshapes a keep-dims reduction of in to the shape without the
// reduced axes.
func (a *Var) dropAxes(in *Var, axes []int) *Var {
	shape := []int{}
	reduced := make([]bool, in.Value.Dims())
	for _, ax := range axes {
		if ax < 0 {
			ax += len(reduced)
		}
		reduced[ax] = true
	}
	for i, d := range in.Value.Shape() {
		if len(axes) > 0 && !reduced[i] {
			shape = append(shape, d)
		}
	}
	return a.Reshape(shape...)
}

// Softmax normalizes exp(a) to sum to 1 along axis, computed stably.
func (a *Var) Softmax(axis int) *Var {
	out := a.Value.Softmax(axis)
	return record(out, func(g *tensor.Tensor) {
		// dx = s ⊙ (g − Σ g⊙s)
		if n := out.Dim(-1); (axis == -1 || axis == out.Dims()-1) && out.DType() == tensor.Float64 {
			// Along the last axis the lines are contiguous: one pass over
			// each, in g, which this closure owns.
			gd, sd := g.Data(), out.Data()
			for i := 0; i < len(gd); i += n {
				gl, sl := gd[i:i+n], sd[i:i+n]
				dot := 0.0
				for j, v := range gl {
					dot += v * sl[j]
				}
				for j, v := range gl {
					gl[j] = sl[j] * (v - dot)
				}
			}
			a.accumulate(g, true)
			return
		}
		dot := g.Mul(out).SumKeepDims(axis)
		a.accumulate(out.Mul(g.Sub(dot)), true)
	}, a)
}

// LogSoftmax returns log Softmax along axis, computed stably.
func (a *Var) LogSoftmax(axis int) *Var {
	out := a.Value.LogSoftmax(axis)
	return record(out, func(g *tensor.Tensor) {
		// dx = g − softmax ⊙ Σ g
		a.accumulate(g.Sub(out.Exp().Mul(g.SumKeepDims(axis))), true)
	}, a)
}

// LogSumExp returns log Σ exp(a) along axis, without the axis, computed
// stably.
func (a *Var) LogSumExp(axis int) *Var {
	out := a.Value.LogSumExp(axis)
	return record(out, func(g *tensor.Tensor) {
		ax := axis
		if ax < 0 {
			ax += a.Value.Dims()
		}
		kept := a.Value.Shape()
		kept[ax] = 1
		a.accumulate(a.Value.Softmax(axis).Mul(g.Reshape(kept...)), true)
	}, a)
}
