package autograd

import (
	"fmt"
	"math"

	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// PoolOptions are a 2-D pooling's settings, as torch.nn.MaxPool2d and
// AvgPool2d name them: Kernel is required; a zero Stride is the kernel
// (PyTorch's default); Padding, at most half the kernel, pads with −∞ for
// the maximum and with zeros for the average. Each pair is (height,
// width). Pooling takes inputs [batch channels height width] whose
// batch or channels may be empty (the output is then empty) but not their
// planes; an output beyond tensor.MaxElements panics before it is made.
type PoolOptions struct {
	Kernel, Stride, Padding [2]int
	// ExcludePad, for AvgPool2d, divides each window by the input elements
	// it covers rather than by the kernel's size (PyTorch's
	// count_include_pad=False).
	ExcludePad bool
}

// poolGeometry is the shape arithmetic of one pooling: the input planes
// (batch × channels), their size and the output's. A 1-D pooling is a 2-D
// one over planes of height 1 with a kernel of height 1.
type poolGeometry struct {
	spatial              int // 2, or 1 for the 1-D poolings
	planes, h, w, oh, ow int
	opt                  PoolOptions
}

// newPoolGeometry checks a pooling's shapes and settings at the door,
// before anything is allocated: the planes are not empty (the batch and
// the channels may be), no size arithmetic overflows, and the output fits
// in a tensor. spatial is 2, or 1 for inputs [batch channels length],
// whose options' first entries are a kernel of 1 and no padding.
func newPoolGeometry(op string, spatial int, x *tensor.Tensor, o PoolOptions) poolGeometry {
	checkPoolInput(op, spatial, x)
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = o.Kernel[i]
		}
	}
	for i := range 2 {
		if o.Kernel[i] < 1 || o.Stride[i] < 1 || o.Padding[i] < 0 || o.Padding[i] > o.Kernel[i]/2 {
			first := 2 - spatial
			panic(errorf(op, tensor.ErrArgument, "kernel %v, stride %v, padding %v: want kernels and strides ≥ 1 and padding at most half the kernel",
				o.Kernel[first:], o.Stride[first:], o.Padding[first:]))
		}
	}
	g := poolGeometry{spatial: spatial, planes: x.Dim(0) * x.Dim(1), h: 1, w: x.Dim(-1), oh: 1, opt: o}
	if spatial == 2 {
		g.h = x.Dim(2)
		g.oh = windows(op, x, 2, o.Padding[0], o.Padding[0], o.Kernel[0], 1, o.Stride[0])
	}
	g.ow = windows(op, x, x.Dims()-1, o.Padding[1], o.Padding[1], o.Kernel[1], 1, o.Stride[1])
	checkSize(op, "output", g.shape(x, g.oh, g.ow)...)
	return g
}

// shape returns the shape of an output oh×ow (ow long for 1-D) of x.
func (g poolGeometry) shape(x *tensor.Tensor, oh, ow int) []int {
	if g.spatial == 1 {
		return []int{x.Dim(0), x.Dim(1), ow}
	}
	return []int{x.Dim(0), x.Dim(1), oh, ow}
}

// checkPoolInput panics unless x is a float [batch channels height width], or
// [batch channels length] for spatial 1, with a plane of at least one
// element.
func checkPoolInput(op string, spatial int, x *tensor.Tensor) {
	floatOnly(op, x)
	want, sizes := "[batch channels height width]", "height and width"
	if spatial == 1 {
		want, sizes = "[batch channels length]", "a length"
	}
	if x.Dims() != 2+spatial {
		panic(errorf(op, tensor.ErrShape, "input %v: want %s", x.Shape(), want))
	}
	if x.Dim(2) == 0 || x.Dim(-1) == 0 {
		panic(errorf(op, tensor.ErrShape, "input %v: want %s ≥ 1 (only the batch and the channels may be empty)", x.Shape(), sizes))
	}
}

// window returns output (y, x)'s rows [y0, y1) and columns [x0, x1) in the
// input, clipped to it.
func (g poolGeometry) window(y, x int) (y0, y1, x0, x1 int) {
	y0 = y*g.opt.Stride[0] - g.opt.Padding[0]
	x0 = x*g.opt.Stride[1] - g.opt.Padding[1]
	y1, x1 = min(y0+g.opt.Kernel[0], g.h), min(x0+g.opt.Kernel[1], g.w)
	return max(y0, 0), y1, max(x0, 0), x1
}

// MaxPool2d returns the maximum of each window of x [batch channels
// height width], as torch.nn.functional.max_pool2d. The gradient goes to
// the window's first maximum in row-major order (PyTorch's choice on ties);
// a NaN is the maximum of any window that holds one.
func (x *Var) MaxPool2d(o PoolOptions) *Var {
	return x.maxPool("MaxPool2d", newPoolGeometry("MaxPool2d", 2, x.Value, o))
}

// maxPool records the maximum pooling (op) that g describes, in x's dtype.
func (x *Var) maxPool(op string, g poolGeometry) *Var {
	if g.h*g.w > math.MaxInt32 {
		panic(errorf(op, tensor.ErrShape, "input %v: a plane of %d elements; %s records the position of each maximum in 32 bits, so planes hold at most %d", x.Value.Shape(), g.h*g.w, op, math.MaxInt32))
	}
	out := tensor.ZerosOf(x.Value.DType(), g.shape(x.Value, g.oh, g.ow)...)
	argmax := make([]int32, out.Size()) // the index within the plane
	if x.Value.DType() == tensor.Float32 {
		maxPoolForward(g, elems[float32](x.Value), elems[float32](out), argmax)
	} else {
		maxPoolForward(g, elems[float64](x.Value), elems[float64](out), argmax)
	}
	return record(out, func(gr *tensor.Tensor) {
		dx := tensor.ZerosLike(x.Value)
		if dx.DType() == tensor.Float32 {
			maxPoolBackward(g, elems[float32](dx), elems[float32](gr), argmax)
		} else {
			maxPoolBackward(g, elems[float64](dx), elems[float64](gr), argmax)
		}
		x.accumulate(dx, true)
	}, x)
}

// maxPoolForward sets od to the maximum of each window of xd and argmax to
// its index within the plane.
func maxPoolForward[E float](g poolGeometry, xd, od []E, argmax []int32) {
	halving := g.opt.Kernel == [2]int{2, 2} && g.opt.Stride == [2]int{2, 2} && g.opt.Padding == [2]int{}
	per := g.oh * g.ow
	gemm.ParallelFor(g.planes, g.h*g.w, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			plane, out, arg := xd[pl*g.h*g.w:][:g.h*g.w], od[pl*per:][:per], argmax[pl*per:][:per]
			if halving {
				maxPoolHalving(g, plane, out, arg)
			} else {
				maxPoolWindows(g, plane, out, arg)
			}
		}
	})
}

// maxPoolWindows is maxPoolForward on one plane, for any windows.
func maxPoolWindows[E float](g poolGeometry, plane, od []E, argmax []int32) {
	for y := range g.oh {
		for xo := range g.ow {
			y0, y1, x0, x1 := g.window(y, xo) // never empty: padding ≤ kernel/2
			at := y0*g.w + x0
			best := plane[at]
		scan:
			for iy := y0; iy < y1 && best == best; iy++ {
				for ix, v := range plane[iy*g.w+x0 : iy*g.w+x1] {
					if v > best {
						best, at = v, iy*g.w+x0+ix
					} else if v != v {
						best, at = v, iy*g.w+x0+ix
						break scan // nothing beats a NaN
					}
				}
			}
			i := y*g.ow + xo
			od[i], argmax[i] = best, int32(at)
		}
	}
}

// maxPoolHalving is maxPoolForward on one plane for the 2×2 windows of
// stride 2 without padding that most CNNs use, with the same choice of
// maximum: the first in row-major order, or the first NaN. It compares
// poolKeys, integers the compiler selects between with conditional moves
// rather than branches (after a ReLU, ties are everywhere and a branch on
// each would be mispredicted), and without the general path's window arithmetic; a
// window holding a NaN, which no key orders, takes a short loop instead.
func maxPoolHalving[E float](g poolGeometry, plane, od []E, argmax []int32) {
	w := g.w // in a register, so that choosing an offset needs no load (and no branch)
	for y := range g.oh {
		top, bottom := plane[2*y*w:][:w], plane[(2*y+1)*w:][:w]
		out, arg := od[y*g.ow:][:g.ow], argmax[y*g.ow:][:g.ow]
		for xo := range out {
			x := 2 * xo
			b0, b1, b2, b3 := floatBits(top[x]), floatBits(top[x+1]), floatBits(bottom[x]), floatBits(bottom[x+1])
			var off int
			if max(b0&math.MaxInt64, b1&math.MaxInt64, b2&math.MaxInt64, b3&math.MaxInt64) > infBits {
				off = firstNaN(b0, b1, b2, b3, w)
			} else {
				// A tournament: each row's first maximum, then the bottom
				// row's only if strictly greater, as it comes later.
				top, bottom := poolKey(b0), poolKey(b2)
				offBottom := w
				if k := poolKey(b1); k > top {
					top, off = k, 1
				}
				if k := poolKey(b3); k > bottom {
					bottom, offBottom = k, w+1
				}
				if bottom > top {
					off = offBottom
				}
			}
			at := 2*y*w + x + off
			out[xo], arg[xo] = plane[at], int32(at)
		}
	}
}

// infBits is +Inf as float64 bits: the magnitudes above it are NaNs.
const infBits = 0x7FF0000000000000

// floatBits returns v's value as the bits of a float64 (float32 widens
// exactly, NaNs keeping their sign), as a signed integer.
func floatBits[E float](v E) int64 { return int64(math.Float64bits(float64(v))) }

// firstNaN returns the offset, within a 2×2 window of a plane w wide, of
// the first NaN among the window's values' bits in row-major order.
func firstNaN(b0, b1, b2, b3 int64, w int) int {
	for i, b := range [4]int64{b0, b1, b2, b3} {
		if b&math.MaxInt64 > infBits {
			return [4]int{0, 1, w, w + 1}[i]
		}
	}
	panic("autograd: firstNaN called on a window without a NaN")
}

// poolKey maps the bits of a number that is not a NaN to an integer that
// orders as the numbers do, −0 equal to +0, without a branch: a negative
// number's magnitude bits are reversed, and shifted up by one so that −0
// lands on +0's 0.
func poolKey(bits int64) int64 {
	sign := bits >> 63 // −1 for a negative number, else 0
	return (bits ^ (sign & math.MaxInt64)) - sign
}

// maxPoolBackward adds each output gradient in gd to the input gradient dd
// at its window's maximum.
func maxPoolBackward[E float](g poolGeometry, dd, gd []E, argmax []int32) {
	per := g.oh * g.ow
	gemm.ParallelFor(g.planes, g.h*g.w, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			plane := dd[pl*g.h*g.w:][:g.h*g.w]
			for i, at := range argmax[pl*per:][:per] {
				plane[at] += gd[pl*per+i]
			}
		}
	})
}

// AvgPool2d returns the mean of each window of x [batch channels height
// width], as torch.nn.functional.avg_pool2d: the padding counts as zeros
// in the divisor unless ExcludePad.
func (x *Var) AvgPool2d(o PoolOptions) *Var {
	return x.avgPool(newPoolGeometry("AvgPool2d", 2, x.Value, o))
}

// avgPool records the average pooling that g describes.
func (x *Var) avgPool(g poolGeometry) *Var {
	return x.averageWindows(g, func(y, xo int) (y0, y1, x0, x1 int, size float64) {
		y0, y1, x0, x1 = g.window(y, xo)
		size = float64(g.opt.Kernel[0] * g.opt.Kernel[1])
		if g.opt.ExcludePad {
			size = float64((y1 - y0) * (x1 - x0))
		}
		return
	}, g.oh, g.ow)
}

// AdaptiveAvgPool2d averages x [batch channels height width] down to
// [batch channels oh ow], as torch.nn.functional.adaptive_avg_pool2d:
// output row i covers input rows ⌊i·h/oh⌋ to ⌈(i+1)·h/oh⌉, and likewise
// across. (1, 1) is the global average pooling of a CNN's head.
func (x *Var) AdaptiveAvgPool2d(oh, ow int) *Var {
	checkPoolInput("AdaptiveAvgPool2d", 2, x.Value)
	if oh < 1 || ow < 1 {
		panic(errorf("AdaptiveAvgPool2d", tensor.ErrArgument, "output size %d×%d: want both ≥ 1", oh, ow))
	}
	return x.adaptiveAvgPool("AdaptiveAvgPool2d", 2, oh, ow)
}

// adaptiveAvgPool records the adaptive average pooling (op) of x, checked
// by checkPoolInput, to oh×ow, both ≥ 1 (oh 1 for spatial 1).
func (x *Var) adaptiveAvgPool(op string, spatial, oh, ow int) *Var {
	g := poolGeometry{spatial: spatial, planes: x.Value.Dim(0) * x.Value.Dim(1), h: 1, w: x.Value.Dim(-1)}
	if spatial == 2 {
		g.h = x.Value.Dim(2)
	}
	checkSize(op, "output", g.shape(x.Value, oh, ow)...)
	if oh > math.MaxInt/g.h || ow > math.MaxInt/g.w { // the windows' bounds are (i+1)·h/oh
		size := fmt.Sprintf("%d×%d", oh, ow)
		if spatial == 1 {
			size = fmt.Sprint(ow)
		}
		panic(errorf(op, tensor.ErrShape, "output size %s of input %v: the window arithmetic overflows an int", size, x.Value.Shape()))
	}
	return x.averageWindows(g, func(y, xo int) (y0, y1, x0, x1 int, size float64) {
		y0, y1 = y*g.h/oh, ((y+1)*g.h+oh-1)/oh
		x0, x1 = xo*g.w/ow, ((xo+1)*g.w+ow-1)/ow
		return y0, y1, x0, x1, float64((y1 - y0) * (x1 - x0))
	}, oh, ow)
}

// windowFunc gives the rows [y0, y1) and columns [x0, x1) that output (y, x)
// of an average pooling averages, and the divisor.
type windowFunc func(y, x int) (y0, y1, x0, x1 int, size float64)

// averageWindows records the average pooling whose window and divisor for
// each output position window gives, in x's dtype.
func (x *Var) averageWindows(g poolGeometry, window windowFunc, oh, ow int) *Var {
	out := tensor.ZerosOf(x.Value.DType(), g.shape(x.Value, oh, ow)...)
	if x.Value.DType() == tensor.Float32 {
		averageForward(g, window, oh, ow, elems[float32](x.Value), elems[float32](out))
	} else {
		averageForward(g, window, oh, ow, elems[float64](x.Value), elems[float64](out))
	}
	return record(out, func(gr *tensor.Tensor) {
		dx := tensor.ZerosLike(x.Value)
		if dx.DType() == tensor.Float32 {
			averageBackward(g, window, oh, ow, elems[float32](dx), elems[float32](gr))
		} else {
			averageBackward(g, window, oh, ow, elems[float64](dx), elems[float64](gr))
		}
		x.accumulate(dx, true)
	}, x)
}

// averageForward sets od to the average of each window of xd. The sums
// run in float64 and round once, so that a float32 window's mean keeps
// its digits; in float64 that is the plain sum.
func averageForward[E float](g poolGeometry, window windowFunc, oh, ow int, xd, od []E) {
	for pl := range g.planes {
		plane := xd[pl*g.h*g.w:][:g.h*g.w]
		for y := range oh {
			for xo := range ow {
				y0, y1, x0, x1, size := window(y, xo)
				sum := 0.0
				for iy := y0; iy < y1; iy++ {
					for _, v := range plane[iy*g.w+x0 : iy*g.w+x1] {
						sum += float64(v)
					}
				}
				od[(pl*oh+y)*ow+xo] = E(sum / size)
			}
		}
	}
}

// averageBackward adds to dd each output gradient of gd shared out over
// its window.
func averageBackward[E float](g poolGeometry, window windowFunc, oh, ow int, dd, gd []E) {
	for pl := range g.planes {
		plane := dd[pl*g.h*g.w:][:g.h*g.w]
		for y := range oh {
			for xo := range ow {
				y0, y1, x0, x1, size := window(y, xo)
				share := E(float64(gd[(pl*oh+y)*ow+xo]) / size)
				for iy := y0; iy < y1; iy++ {
					row := plane[iy*g.w+x0 : iy*g.w+x1]
					for j := range row {
						row[j] += share
					}
				}
			}
		}
	}
}
