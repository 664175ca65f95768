package data

import (
	"fmt"

	"github.com/minidl/minidl/tensor"
)

// WindowsConfig says how Windows cuts a series.
type WindowsConfig struct {
	// Length is the number of steps of each input window, Keras's
	// sequence_length; required.
	Length int
	// Horizon is the number of steps after each window that are its
	// targets; 0 means 1, the next step.
	Horizon int
	// Stride is the number of steps between the starts of consecutive
	// windows, Keras's sequence_stride; 0 means 1.
	Stride int
}

// WindowDataset is the Dataset of the sliding windows of a series, made by
// Windows. It keeps the series and gathers each batch's windows when asked,
// so that overlapping windows cost no memory.
type WindowDataset struct {
	series                  *tensor.Tensor
	length, horizon, stride int
	n, features             int
	xShape, yShape          []int // the shape of one example, without the batch axis
}

// Windows returns the data set of the windows of a series of shape [T]
// (one value a step) or [T F] (F features a step), as Keras's
// timeseries_dataset_from_array with the targets shifted by the window
// (data[:-horizon], targets data[length:]): example i is the window of
// Length steps starting at step i·Stride, and its target the Horizon steps
// that follow it. Inputs are [N Length] for a series [T], [N Length F] for
// [T F], the batch-first form nn.LSTM takes (reshape a series [T] to [T 1]
// for it); targets are [N Horizon] or [N Horizon F]. There are
// ⌊(T − Length − Horizon) / Stride⌋ + 1 windows; a series shorter than
// Length + Horizon, or a configuration that is not positive, is an error.
// Keras's sampling_rate (steps skipped inside a window) is not offered.
// Batches have the series' dtype: an Int64 series of token indices gives
// Int64 windows and next-token targets, for an nn.Embedding and
// nn.CrossEntropy.
func Windows(series *tensor.Tensor, cfg WindowsConfig) (*WindowDataset, error) {
	if cfg.Horizon == 0 {
		cfg.Horizon = 1
	}
	if cfg.Stride == 0 {
		cfg.Stride = 1
	}
	switch {
	case series.Dims() != 1 && series.Dims() != 2:
		return nil, &Error{Op: "Windows", Kind: tensor.ErrShape, Detail: fmt.Sprintf("series of shape %v: want [steps] or [steps features]", series.Shape())}
	case cfg.Length < 1 || cfg.Horizon < 1 || cfg.Stride < 1:
		return nil, &Error{Op: "Windows", Detail: fmt.Sprintf("Length %d, Horizon %d, Stride %d: want a positive Length, and a Horizon and Stride positive or 0 for 1", cfg.Length, cfg.Horizon, cfg.Stride)}
	case series.Dim(0) < cfg.Length+cfg.Horizon:
		return nil, &Error{Op: "Windows", Kind: tensor.ErrShape, Detail: fmt.Sprintf("series of %d steps is too short for one window of %d steps and %d of horizon: want at least %d steps", series.Dim(0), cfg.Length, cfg.Horizon, cfg.Length+cfg.Horizon)}
	}
	d := &WindowDataset{series: series, length: cfg.Length, horizon: cfg.Horizon, stride: cfg.Stride,
		n: (series.Dim(0)-cfg.Length-cfg.Horizon)/cfg.Stride + 1, features: 1,
		xShape: []int{cfg.Length}, yShape: []int{cfg.Horizon}}
	if series.Dims() == 2 {
		d.features = series.Dim(1)
		d.xShape, d.yShape = append(d.xShape, d.features), append(d.yShape, d.features)
	}
	return d, nil
}

// Len returns the number of windows.
func (d *WindowDataset) Len() int { return d.n }

// Batch returns the windows at indices and their targets.
func (d *WindowDataset) Batch(indices []int) (x, y *tensor.Tensor) {
	x = tensor.ZerosOf(d.series.DType(), append([]int{len(indices)}, d.xShape...)...)
	y = tensor.ZerosOf(d.series.DType(), append([]int{len(indices)}, d.yShape...)...)
	d.FillBatch(x, y, indices)
	return x, y
}

// FillBatch gathers the windows at indices into x and y, of the shapes and
// dtype Batch returns, without allocating.
func (d *WindowDataset) FillBatch(x, y *tensor.Tensor, indices []int) {
	xs, ys := d.length*d.features, d.horizon*d.features
	if x.Size() != len(indices)*xs || y.Size() != len(indices)*ys {
		panicKind(tensor.ErrShape, "WindowDataset.FillBatch", "inputs %v and targets %v for %d windows of shapes %v and %v", x.Shape(), y.Shape(), len(indices), d.xShape, d.yShape)
	}
	if dt := d.series.DType(); x.DType() != dt || y.DType() != dt {
		panicKind(tensor.ErrDType, "WindowDataset.FillBatch", "%v inputs and %v targets for a %v series: want the series' dtype", x.DType(), y.DType(), dt)
	}
	switch d.series.DType() {
	case tensor.Float32:
		fillWindows(d, d.series.Float32s(), x.Float32s(), y.Float32s(), indices)
	case tensor.Int64:
		fillWindows(d, d.series.Int64s(), x.Int64s(), y.Int64s(), indices)
	default:
		fillWindows(d, d.series.Data(), x.Data(), y.Data(), indices)
	}
}

// fillWindows is FillBatch on the backing slices of one dtype.
func fillWindows[E float32 | float64 | int64](d *WindowDataset, src, xd, yd []E, indices []int) {
	xs, ys := d.length*d.features, d.horizon*d.features
	for k, i := range indices {
		if i < 0 || i >= d.n {
			panicKind(tensor.ErrIndex, "WindowDataset", "window %d of %d", i, d.n)
		}
		start := i * d.stride * d.features
		copy(xd[k*xs:(k+1)*xs], src[start:start+xs])
		copy(yd[k*ys:(k+1)*ys], src[start+xs:start+xs+ys])
	}
}
