package autograd

import "github.com/minidl/minidl/tensor"

// The 1-D convolution and poolings run the 2-D kernels over planes of
// height 1 with kernels of height 1: an input [batch channels length] is
// laid out as [batch channels 1 length], so nothing is copied, and the
// unfolding of a row of height 1 is the 1-D unfolding.

// Conv1dOptions are a 1-D convolution's settings, as torch.nn.Conv1d
// names them; zero fields take PyTorch's defaults (stride 1, padding 0,
// dilation 1, one group), and negative ones panic. PadMode PadSame or
// PadValid chooses the padding as PyTorch's padding='same' or 'valid'
// does; Padding must then be zero.
type Conv1dOptions struct {
	Stride, Padding, Dilation, Groups int
	PadMode                           PadMode
}

// conv2d returns the options of the 2-D convolution of height 1 that
// computes the 1-D one.
func (o Conv1dOptions) conv2d() Conv2dOptions {
	return Conv2dOptions{
		Stride: [2]int{1, o.Stride}, Padding: [2]int{0, o.Padding}, Dilation: [2]int{1, o.Dilation},
		Groups: o.Groups, PadMode: o.PadMode,
	}
}

// Conv1d returns the 1-D convolution (cross-correlation, as in PyTorch) of
// x [batch channels length] with the filters w [out in/groups kernel] plus
// the bias b [out] (nil for none), as torch.nn.functional.conv1d. It is
// Conv2d's kernel over a height of 1, with its checks, its errors (named
// Conv1d) and its speed.
func (x *Var) Conv1d(w, b *Var, o Conv1dOptions) *Var {
	return x.convolve(newConvGeometry("Conv1d", 1, x.Value, w.Value, b, o.conv2d()), w, b)
}

// Pool1dOptions are a 1-D pooling's settings, as torch.nn.MaxPool1d and
// AvgPool1d name them: Kernel is required; a zero Stride is the kernel
// (PyTorch's default); Padding, at most half the kernel, pads with −∞ for
// the maximum and with zeros for the average. ExcludePad, for AvgPool1d,
// divides each window by the input elements it covers rather than by the
// kernel (PyTorch's count_include_pad=False).
type Pool1dOptions struct {
	Kernel, Stride, Padding int
	ExcludePad              bool
}

// pool2d returns the options of the 2-D pooling of height 1 that computes
// the 1-D one.
func (o Pool1dOptions) pool2d() PoolOptions {
	return PoolOptions{Kernel: [2]int{1, o.Kernel}, Stride: [2]int{1, o.Stride}, Padding: [2]int{0, o.Padding}, ExcludePad: o.ExcludePad}
}

// MaxPool1d returns the maximum of each window of x [batch channels
// length], as torch.nn.functional.max_pool1d. The gradient goes to the
// window's first maximum (PyTorch's choice on ties); a NaN is the maximum
// of any window that holds one. The batch and the channels may be empty.
func (x *Var) MaxPool1d(o Pool1dOptions) *Var {
	return x.maxPool("MaxPool1d", newPoolGeometry("MaxPool1d", 1, x.Value, o.pool2d()))
}

// AvgPool1d returns the mean of each window of x [batch channels length],
// as torch.nn.functional.avg_pool1d: the padding counts as zeros in the
// divisor unless ExcludePad.
func (x *Var) AvgPool1d(o Pool1dOptions) *Var {
	return x.avgPool(newPoolGeometry("AvgPool1d", 1, x.Value, o.pool2d()))
}

// AdaptiveAvgPool1d averages x [batch channels length] down to [batch
// channels size], as torch.nn.functional.adaptive_avg_pool1d: output i
// covers inputs ⌊i·length/size⌋ to ⌈(i+1)·length/size⌉. A size of 1 is
// the global average over time.
func (x *Var) AdaptiveAvgPool1d(size int) *Var {
	checkPoolInput("AdaptiveAvgPool1d", 1, x.Value)
	if size < 1 {
		panic(errorf("AdaptiveAvgPool1d", tensor.ErrArgument, "output size %d: want ≥ 1", size))
	}
	return x.adaptiveAvgPool("AdaptiveAvgPool1d", 1, 1, size)
}
