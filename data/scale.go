package data

import (
	"github.com/minidl/minidl/tensor"
)

// Scalers are fitted on the training inputs only and then applied, with the
// same statistics, to validation and test inputs, so that nothing of those
// leaks into training. They work per feature: on the last axis of [N …
// features] inputs, over all other axes.

// StandardScaler standardizes each feature to zero mean and unit variance:
// (x − Mean) / Std. A constant feature keeps Std 1, as scikit-learn does,
// rather than dividing by zero.
type StandardScaler struct {
	Mean, Std *tensor.Tensor // per feature
}

// FitStandard returns the StandardScaler of x, using the population
// standard deviation (dividing by N), as scikit-learn does. A float32 x is
// summed in float64, so the statistics do not carry float32's rounding.
func FitStandard(x *tensor.Tensor) *StandardScaler {
	axes := featureAxes("FitStandard", x)
	x = x.To(tensor.Float64)
	mean := x.Mean(axes...)
	d := x.Sub(mean)
	std := d.Mul(d).Mean(axes...).Sqrt()
	for i, s := range std.Data() {
		if s == 0 {
			std.Data()[i] = 1
		}
	}
	return &StandardScaler{Mean: mean, Std: std}
}

// Transform returns x standardized.
func (s *StandardScaler) Transform(x *tensor.Tensor) *tensor.Tensor {
	checkFeatures("StandardScaler.Transform", x, s.Mean)
	return x.Sub(s.Mean.To(x.DType())).Div(s.Std.To(x.DType()))
}

// InverseTransform undoes Transform.
func (s *StandardScaler) InverseTransform(x *tensor.Tensor) *tensor.Tensor {
	checkFeatures("StandardScaler.InverseTransform", x, s.Mean)
	return x.Mul(s.Std.To(x.DType())).Add(s.Mean.To(x.DType()))
}

// MinMaxScaler maps each feature linearly from [Min, Max] as seen in the
// training data to [Lo, Hi]. Values outside the training range map outside
// [Lo, Hi]; nothing is clipped. A constant feature maps to Lo.
type MinMaxScaler struct {
	Min, Max *tensor.Tensor // per feature
	Lo, Hi   float64
}

// FitMinMax returns the MinMaxScaler of x onto [lo, hi] (scikit-learn's
// default is [0, 1]).
func FitMinMax(x *tensor.Tensor, lo, hi float64) *MinMaxScaler {
	if !(lo < hi) {
		panicf("FitMinMax", "range [%v, %v] is empty", lo, hi)
	}
	axes := featureAxes("FitMinMax", x)
	x = x.To(tensor.Float64)
	return &MinMaxScaler{Min: x.Min(axes...), Max: x.Max(axes...), Lo: lo, Hi: hi}
}

// scale returns (Hi−Lo)/(Max−Min) per feature, with 0 for a constant one.
func (s *MinMaxScaler) scale() *tensor.Tensor {
	span := s.Max.Sub(s.Min)
	out := tensor.Zeros(span.Shape()...)
	for i, w := range span.Data() {
		if w != 0 {
			out.Data()[i] = (s.Hi - s.Lo) / w
		}
	}
	return out
}

// Transform returns x mapped to [Lo, Hi].
func (s *MinMaxScaler) Transform(x *tensor.Tensor) *tensor.Tensor {
	checkFeatures("MinMaxScaler.Transform", x, s.Min)
	d := x.DType()
	return x.Sub(s.Min.To(d)).Mul(s.scale().To(d)).AddScalar(s.Lo)
}

// InverseTransform undoes Transform (for a constant feature it returns the
// constant).
func (s *MinMaxScaler) InverseTransform(x *tensor.Tensor) *tensor.Tensor {
	checkFeatures("MinMaxScaler.InverseTransform", x, s.Min)
	inv := s.scale()
	for i, v := range inv.Data() {
		if v != 0 {
			inv.Data()[i] = 1 / v
		}
	}
	d := x.DType()
	return x.SubScalar(s.Lo).Mul(inv.To(d)).Add(s.Min.To(d))
}

// featureAxes returns every axis but the last, checking there is data.
func featureAxes(op string, x *tensor.Tensor) []int {
	if x.Dims() < 2 || x.Dim(0) == 0 {
		panicKind(tensor.ErrShape, op, "inputs of shape %v: want [N … features] with N > 0", x.Shape())
	}
	axes := make([]int, x.Dims()-1)
	for i := range axes {
		axes[i] = i
	}
	return axes
}

// checkFeatures panics unless x is a float tensor whose last axis has the
// fitted statistics' features.
func checkFeatures(op string, x, stat *tensor.Tensor) {
	if x.DType() == tensor.Int64 { // the statistics would be converted to int64 first, a misleading failure
		panicKind(tensor.ErrDType, op, "int64 inputs of shape %v: a scaler computes on float tensors (category codes are not scaled); convert with To(tensor.Float64)", x.Shape())
	}
	if x.Dims() < 1 || x.Dim(-1) != stat.Size() {
		panicKind(tensor.ErrShape, op, "inputs of shape %v for a scaler fitted on %d features", x.Shape(), stat.Size())
	}
}
