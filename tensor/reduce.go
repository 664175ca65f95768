package tensor

import (
	"math"
	"slices"
)

// Reductions take the axes to reduce (none means all of them). The plain
// forms drop the reduced axes; the KeepDims forms keep them with size 1, so
// that the result broadcasts against the input. Negative axes count from the
// end.

// Sum returns the sum over the given axes (all if none).
func (t *Tensor) Sum(axes ...int) *Tensor {
	return t.SumKeepDims(axes...).Reshape(t.dropped("Sum", axes)...)
}

// SumKeepDims is Sum keeping the reduced axes with size 1.
func (t *Tensor) SumKeepDims(axes ...int) *Tensor {
	floatOnly("Sum", t)
	out := zerosOf("Sum", t.dtype, t.kept("Sum", axes))
	sumInto(out, t)
	return out
}

// Mean returns the mean over the given axes (all if none).
func (t *Tensor) Mean(axes ...int) *Tensor {
	floatOnly("Mean", t)
	return t.MeanKeepDims(axes...).Reshape(t.dropped("Mean", axes)...)
}

// MeanKeepDims is Mean keeping the reduced axes with size 1.
func (t *Tensor) MeanKeepDims(axes ...int) *Tensor {
	floatOnly("MeanKeepDims", t)
	out := t.SumKeepDims(axes...)
	return out.Scale(float64(out.Size()) / float64(t.Size()))
}

// Max returns the largest element over the given axes (all if none). A NaN
// anywhere in a reduced run makes its result NaN.
func (t *Tensor) Max(axes ...int) *Tensor {
	return t.MaxKeepDims(axes...).Reshape(t.dropped("Max", axes)...)
}

// MaxKeepDims is Max keeping the reduced axes with size 1.
func (t *Tensor) MaxKeepDims(axes ...int) *Tensor { return t.extreme("Max", axes, maxKernel) }

// Min returns the smallest element over the given axes (all if none). A NaN
// anywhere in a reduced run makes its result NaN.
func (t *Tensor) Min(axes ...int) *Tensor {
	return t.MinKeepDims(axes...).Reshape(t.dropped("Min", axes)...)
}

// MinKeepDims is Min keeping the reduced axes with size 1.
func (t *Tensor) MinKeepDims(axes ...int) *Tensor { return t.extreme("Min", axes, minKernel) }

// Var returns the variance over the given axes (all if none) with Bessel's
// correction (dividing by N−1), as torch.var does by default.
func (t *Tensor) Var(axes ...int) *Tensor {
	return t.VarKeepDims(axes...).Reshape(t.dropped("Var", axes)...)
}

// VarKeepDims is Var keeping the reduced axes with size 1.
func (t *Tensor) VarKeepDims(axes ...int) *Tensor {
	floatOnly("Var", t)
	mean := t.MeanKeepDims(axes...)
	d := t.Sub(mean)
	out := d.Mul(d).SumKeepDims(axes...)
	n := t.Size() / max(out.Size(), 1)
	return out.Scale(1 / float64(n-1))
}

// SumTo sums t over the axes along which shape was broadcast to t's shape,
// returning a tensor of the given shape. It is how the gradient of a
// broadcasting operation is returned to an input's shape.
func (t *Tensor) SumTo(shape ...int) *Tensor {
	floatOnly("SumTo", t)
	if b, ok := BroadcastShapes(shape, t.shape); !ok || !slices.Equal(b, t.shape) {
		panic(shapeError("SumTo", "%v to %v: target does not broadcast to the source", t.shape, shape))
	}
	if slices.Equal(shape, t.shape) {
		return t.Clone()
	}
	out := zerosOf("SumTo", t.dtype, shape)
	sumInto(out, t)
	return out
}

// sumInto adds every element of in into the element of out it broadcasts
// from. out's shape must broadcast to in's, and the dtypes agree.
func sumInto(out, in *Tensor) {
	if in.dtype == Float32 {
		sumRuns(out.f32, in.f32, out.shape, in.shape)
	} else {
		sumRuns(out.data, in.data, out.shape, in.shape)
	}
}

// sumRuns is sumInto on the elements. A run summed into one element is
// accumulated in float64 whatever E, so a float32 sum of many elements
// keeps float64's accuracy until it is rounded once.
func sumRuns[E float](out, in []E, outShape, inShape []int) {
	if len(in) == 0 {
		return
	}
	eachRun(inShape, inShape, outShape, func(o, _, ib, n, _, sb int) {
		src := in[o : o+n]
		if sb == 1 {
			dst := out[ib : ib+n]
			for j, v := range src {
				dst[j] += v
			}
			return
		}
		s := 0.0
		for _, v := range src {
			s += float64(v)
		}
		out[ib] += E(s)
	})
}

// extreme computes Max or Min with the reduced axes kept.
func (t *Tensor) extreme(op string, axes []int, k kernels) *Tensor {
	floatOnly(op, t)
	if t.Size() == 0 {
		panic(shapeError(op, "shape %v: no elements to reduce", t.shape))
	}
	out := zerosOf(op, t.dtype, t.kept(op, axes))
	if t.dtype == Float32 {
		extremeRuns(out.f32, t.f32, out.shape, t.shape, k.k32)
	} else {
		extremeRuns(out.data, t.data, out.shape, t.shape, k.k64)
	}
	return out
}

// extremeRuns sets every element of out to k folded over the elements of
// in that reduce to it.
func extremeRuns[E float](out, in []E, outShape, inShape []int, k kernel[E]) {
	seen := make([]bool, len(out)) // whether an output element has a value
	eachRun(inShape, inShape, outShape, func(o, _, ib, n, _, sb int) {
		src := in[o : o+n]
		if sb == 1 {
			dst := out[ib : ib+n]
			if !seen[ib] {
				copy(dst, src)
				for j := range n {
					seen[ib+j] = true
				}
				return
			}
			k.vv(dst, dst, src)
			return
		}
		acc := out[ib : ib+1]
		start := 0
		if !seen[ib] {
			acc[0], start = src[0], 1
			seen[ib] = true
		}
		for _, v := range src[start:] {
			k.vs(acc, acc, v)
		}
	})
}

// axesSet normalizes axes (none means all) into a membership mask.
func (t *Tensor) axesSet(op string, axes []int) []bool {
	set := make([]bool, len(t.shape))
	if len(axes) == 0 {
		for i := range set {
			set[i] = true
		}
		return set
	}
	for _, a := range axes {
		a = t.axis(op, a)
		if set[a] {
			panic(indexError(op, "axis %d repeated in %v", a, axes))
		}
		set[a] = true
	}
	return set
}

// kept returns t's shape with the reduced axes set to 1.
func (t *Tensor) kept(op string, axes []int) []int {
	shape := slices.Clone(t.shape)
	for i, r := range t.axesSet(op, axes) {
		if r {
			shape[i] = 1
		}
	}
	return shape
}

// dropped returns t's shape without the reduced axes.
func (t *Tensor) dropped(op string, axes []int) []int {
	shape := []int{}
	for i, r := range t.axesSet(op, axes) {
		if !r {
			shape = append(shape, t.shape[i])
		}
	}
	return shape
}

// ArgMax returns the index of the largest element along axis, as float64
// values in a float64 tensor without that axis, whatever t's dtype (an
// index is not one of t's values). Ties go to the first index; a NaN
// counts as the largest, as torch.argmax does.
func (t *Tensor) ArgMax(axis int) *Tensor {
	floatOnly("ArgMax", t)
	axis = t.axis("ArgMax", axis)
	if t.shape[axis] == 0 {
		panic(shapeError("ArgMax", "shape %v: axis %d is empty", t.shape, axis))
	}
	out := Zeros(t.dropped("ArgMax", []int{axis})...)
	if t.dtype == Float32 {
		argMax(out.data, t.f32, t.shape, axis)
	} else {
		argMax(out.data, t.data, t.shape, axis)
	}
	return out
}

func argMax[E float](out []float64, data []E, shape []int, axis int) {
	outer, inner := splitAt(shape, axis)
	n := shape[axis]
	for i := range outer {
		for j := range inner {
			base := i*n*inner + j
			best, bi := data[base], 0
			for q := 1; q < n && best == best; q++ {
				if v := data[base+q*inner]; v > best || v != v {
					best, bi = v, q
				}
			}
			out[i*inner+j] = float64(bi)
		}
	}
}

// Softmax returns exp(t) normalized to sum to 1 along axis, computed by
// subtracting each run's maximum first so that no exponential overflows.
// A float32 line is exponentiated and summed in float64.
func (t *Tensor) Softmax(axis int) *Tensor {
	floatOnly("Softmax", t)
	out := t.Clone()
	axis = t.axis("Softmax", axis)
	if t.dtype == Float32 {
		eachLine(out.f32, t.shape, axis, softmaxLine[float32])
	} else {
		eachLine(out.data, t.shape, axis, softmaxLine[float64])
	}
	return out
}

// softmaxLine replaces line[0], line[stride], … by their softmax.
func softmaxLine[E float](line []E, stride int) {
	m := lineMax(line, stride)
	s := 0.0
	for q := 0; q < len(line); q += stride {
		e := math.Exp(float64(line[q]) - m)
		line[q] = E(e)
		s += e
	}
	for q := 0; q < len(line); q += stride {
		line[q] = E(float64(line[q]) / s)
	}
}

// LogSoftmax returns the logarithm of Softmax along axis, computed as
// x − max − log Σ exp(x − max), which stays finite where Softmax underflows.
func (t *Tensor) LogSoftmax(axis int) *Tensor {
	floatOnly("LogSoftmax", t)
	out := t.Clone()
	axis = t.axis("LogSoftmax", axis)
	if t.dtype == Float32 {
		eachLine(out.f32, t.shape, axis, logSoftmaxLine[float32])
	} else {
		eachLine(out.data, t.shape, axis, logSoftmaxLine[float64])
	}
	return out
}

// logSoftmaxLine replaces line[0], line[stride], … by their log-softmax.
func logSoftmaxLine[E float](line []E, stride int) {
	lse := lineLogSumExp(line, stride)
	for q := 0; q < len(line); q += stride {
		line[q] = E(float64(line[q]) - lse)
	}
}

// LogSumExp returns log Σ exp(t) along axis, without the axis, computed
// stably.
func (t *Tensor) LogSumExp(axis int) *Tensor {
	floatOnly("LogSumExp", t)
	axis = t.axis("LogSumExp", axis)
	out := zerosOf("LogSumExp", t.dtype, t.dropped("LogSumExp", []int{axis}))
	if t.dtype == Float32 {
		logSumExpLines(out.f32, t.f32, t.shape, axis)
	} else {
		logSumExpLines(out.data, t.data, t.shape, axis)
	}
	return out
}

func logSumExpLines[E float](out, data []E, shape []int, axis int) {
	i := 0
	eachLine(data, shape, axis, func(line []E, stride int) {
		out[i] = E(lineLogSumExp(line, stride))
		i++
	})
}

// eachLine calls f for every line of data (of shape) along axis, in the
// row-major order of the other axes; a line is line[0], line[stride], …
// within the slice.
func eachLine[E float](data []E, shape []int, axis int, f func(line []E, stride int)) {
	outer, inner := splitAt(shape, axis)
	n := shape[axis]
	if n == 0 {
		return
	}
	for i := range outer {
		for j := range inner {
			base := i*n*inner + j
			f(data[base:base+(n-1)*inner+1], inner)
		}
	}
}

func lineMax[E float](line []E, stride int) float64 {
	m := math.Inf(-1)
	for q := 0; q < len(line); q += stride {
		if v := float64(line[q]); v > m || v != v {
			m = v
		}
	}
	return m
}

func lineLogSumExp[E float](line []E, stride int) float64 {
	m := lineMax(line, stride)
	if math.IsInf(m, 0) {
		return m // all −Inf gives −Inf; any +Inf gives +Inf
	}
	s := 0.0
	for q := 0; q < len(line); q += stride {
		s += math.Exp(float64(line[q]) - m)
	}
	return m + math.Log(s)
}

// BroadcastTo returns t repeated along the axes where it broadcasts to shape,
// as a new tensor of that shape and t's dtype.
func (t *Tensor) BroadcastTo(shape ...int) *Tensor {
	if b, ok := BroadcastShapes(t.shape, shape); !ok || !slices.Equal(b, shape) {
		panic(shapeError("BroadcastTo", "%v to %v: shapes do not broadcast", t.shape, shape))
	}
	out := zerosOf("BroadcastTo", t.dtype, shape)
	switch t.dtype {
	case Float32:
		broadcastRuns(out.f32, t.f32, shape, t.shape)
	case Int64:
		broadcastRuns(out.i64, t.i64, shape, t.shape)
	default:
		broadcastRuns(out.data, t.data, shape, t.shape)
	}
	return out
}

func broadcastRuns[E element](out, in []E, shape, inShape []int) {
	if len(out) == 0 {
		return
	}
	eachRun(shape, shape, inShape, func(o, _, ib, n, _, sb int) {
		dst := out[o : o+n]
		if sb == 1 {
			copy(dst, in[ib:ib+n])
			return
		}
		v := in[ib]
		for j := range dst {
			dst[j] = v
		}
	})
}
