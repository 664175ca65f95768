package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// PadMode names a convolution's padding as PyTorch's string padding does.
type PadMode uint8

const (
	// PadExplicit pads each side by the options' Padding, as PyTorch's
	// padding given as numbers. It is the default.
	PadExplicit PadMode = iota
	// PadValid pads nothing: PyTorch's padding='valid', the same as a
	// zero Padding.
	PadValid
	// PadSame pads so that the output is as long as the input along each
	// spatial axis: PyTorch's padding='same'. The padding along an axis is
	// dilation·(kernel − 1) in all, half of it (rounded down) before the
	// input and the rest after, so an even kernel pads one more at the end,
	// as PyTorch does. It takes stride 1 only, as in PyTorch.
	PadSame
)

// String returns the mode as PyTorch's padding argument names it: "same",
// "valid", or "explicit" for numbers.
func (m PadMode) String() string {
	switch m {
	case PadExplicit:
		return "explicit"
	case PadValid:
		return "valid"
	case PadSame:
		return "same"
	}
	return fmt.Sprintf("PadMode(%d)", uint8(m))
}

// Conv2dOptions are a 2-D convolution's settings, as torch.nn.Conv2d
// names them; zero fields take PyTorch's defaults (stride 1, padding 0,
// dilation 1, one group), and negative ones panic. Each pair is (height,
// width). PadMode PadSame or PadValid chooses the padding as PyTorch's
// padding='same' or 'valid' does; Padding must then be zero.
type Conv2dOptions struct {
	Stride, Padding, Dilation [2]int
	Groups                    int
	PadMode                   PadMode
}

// withDefaults fills the zero fields.
func (o Conv2dOptions) withDefaults() Conv2dOptions {
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = 1
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// convGeometry is the shape arithmetic of one convolution. A 1-D
// convolution is a 2-D one over planes of height 1, with a kernel of
// height 1: its data are laid out the same.
type convGeometry struct {
	op             string // "Conv2d" or "Conv1d", for messages
	spatial        int    // 2, or 1 for Conv1d
	n, c, h, w     int    // input
	o, kh, kw      int    // weight: o × c/groups × kh × kw
	oh, ow         int    // output height and width
	groups, cg, og int    // groups, input and output channels per group
	opt            Conv2dOptions
	// pad is the padding before the first row and the first column; after
	// the last ones it is the same, or one more for PadSame.
	pad [2]int
	// inside[j] is the range [lo, hi) of output columns whose input column
	// for kernel column j is not padding.
	inside [][2]int
}

// newConvGeometry checks a convolution's shapes and settings at the door,
// before anything is allocated: every size is positive but the batch, no
// size arithmetic overflows, and the output fits in a tensor. spatial is
// 2 for Conv2d, and 1 for Conv1d, whose x and w have no height and whose
// options' first entries are the defaults.
func newConvGeometry(op string, spatial int, x, w *tensor.Tensor, b *Var, o Conv2dOptions) convGeometry {
	if x.Dims() != 2+spatial || w.Dims() != 2+spatial {
		want := "[batch channels height width] and [out in/groups kh kw]"
		if spatial == 1 {
			want = "[batch channels length] and [out in/groups kernel]"
		}
		panic(errorf(op, tensor.ErrShape, "input %v and weight %v: want %s", x.Shape(), w.Shape(), want))
	}
	first := 2 - spatial // the options' first entry that the caller set
	if o.Groups < 0 || min(o.Stride[0], o.Stride[1], o.Padding[0], o.Padding[1], o.Dilation[0], o.Dilation[1]) < 0 {
		panic(errorf(op, tensor.ErrArgument, "stride %v, padding %v, dilation %v, groups %d: want none negative (0 is the default: stride and dilation 1, one group)",
			o.Stride[first:], o.Padding[first:], o.Dilation[first:], o.Groups))
	}
	o = o.withDefaults()
	g := convGeometry{op: op, spatial: spatial, n: x.Dim(0), c: x.Dim(1), h: 1, w: x.Dim(-1), o: w.Dim(0), kh: 1, kw: w.Dim(-1), groups: o.Groups, opt: o}
	if spatial == 2 {
		g.h, g.kh = x.Dim(2), w.Dim(2)
	}
	if g.c == 0 || g.h == 0 || g.w == 0 {
		sizes := "channels, height and width"
		if spatial == 1 {
			sizes = "channels and length"
		}
		panic(errorf(op, tensor.ErrShape, "input %v: want %s ≥ 1 (only the batch may be empty)", x.Shape(), sizes))
	}
	if g.o == 0 || g.kh == 0 || g.kw == 0 {
		least := "1×1"
		if spatial == 1 {
			least = "1"
		}
		panic(errorf(op, tensor.ErrShape, "weight %v: want at least one filter and a kernel of at least %s", w.Shape(), least))
	}
	if g.o%g.groups != 0 {
		panic(errorf(op, tensor.ErrArgument, "%d groups for %d output channels: want a positive divisor", g.groups, g.o))
	}
	if g.c != w.Dim(1)*g.groups {
		panic(errorf(op, tensor.ErrShape, "input %v has %d channels; the weight %v wants %d (%d per filter × %d groups)", x.Shape(), g.c, w.Shape(), w.Dim(1)*g.groups, w.Dim(1), g.groups))
	}
	g.cg, g.og = g.c/g.groups, g.o/g.groups
	if b != nil && (b.Value.Dims() != 1 || b.Value.Dim(0) != g.o) {
		panic(errorf(op, tensor.ErrShape, "bias %v for %d output channels", b.Value.Shape(), g.o))
	}
	kernel := [2]int{g.kh, g.kw}
	after := g.padding(x, kernel)
	g.oh = 1
	if spatial == 2 {
		g.oh = windows(op, x, 2, g.pad[0], after[0], g.kh, o.Dilation[0], o.Stride[0])
	}
	g.ow = windows(op, x, x.Dims()-1, g.pad[1], after[1], g.kw, o.Dilation[1], o.Stride[1])
	if spatial == 2 {
		checkSize(op, "output", g.n, g.o, g.oh, g.ow)
	} else {
		checkSize(op, "output", g.n, g.o, g.ow)
	}
	g.inside = make([][2]int, g.kw)
	for j := range g.kw {
		// 0 ≤ xo·stride + off ≤ w − 1
		st, off := o.Stride[1], j*o.Dilation[1]-g.pad[1]
		lo := min(max(0, ceilDiv(-off, st)), g.ow)
		hi := min(g.ow, floorDiv(g.w-1-off, st)+1)
		g.inside[j] = [2]int{lo, max(lo, hi)}
	}
	return g
}

// padding sets g.pad, the padding before the input along each axis, from
// the options' mode, and returns the padding after it, checking the mode
// and its settings.
func (g *convGeometry) padding(x *tensor.Tensor, kernel [2]int) (after [2]int) {
	o := g.opt
	first := 2 - g.spatial
	switch o.PadMode {
	case PadExplicit:
		g.pad = o.Padding
		return o.Padding
	case PadValid, PadSame:
		if o.Padding != [2]int{} {
			panic(errorf(g.op, tensor.ErrArgument, "padding %v with PadMode %v: want no Padding, which the mode sets", o.Padding[first:], o.PadMode))
		}
	default:
		panic(errorf(g.op, tensor.ErrArgument, "unknown %v: want PadExplicit, PadValid or PadSame", o.PadMode))
	}
	if o.PadMode == PadValid {
		return [2]int{}
	}
	if o.Stride != [2]int{1, 1} {
		panic(errorf(g.op, tensor.ErrArgument, "stride %v with PadSame: padding='same' takes stride 1 only, as in PyTorch", o.Stride[first:]))
	}
	for i := range 2 {
		if kernel[i]-1 > math.MaxInt/o.Dilation[i] {
			axis := x.Dims() - 2 + i
			panic(errorf(g.op, tensor.ErrShape, "input %v: kernel %d and dilation %d along dimension %d overflow an int", x.Shape(), kernel[i], o.Dilation[i], axis))
		}
		total := o.Dilation[i] * (kernel[i] - 1)
		g.pad[i], after[i] = total/2, total-total/2
	}
	return after
}

// windows returns how many windows of kernel elements spaced by dilation
// fit, stride apart, along dimension axis of x padded by before and after:
// (size + before + after − dilation·(kernel−1) − 1)/stride + 1. It panics
// if none fits or the arithmetic would overflow. The paddings are ≥ 0 and
// kernel, dilation, stride ≥ 1.
func windows(op string, x *tensor.Tensor, axis, before, after, kernel, dilation, stride int) int {
	size := x.Dim(axis)
	padText := fmt.Sprint(before)
	if after != before {
		padText = fmt.Sprintf("%d before and %d after", before, after)
	}
	if before > math.MaxInt-size || after > math.MaxInt-size-before || kernel-1 > (math.MaxInt-1)/dilation {
		panic(errorf(op, tensor.ErrShape, "input %v: padding %s, kernel %d and dilation %d along dimension %d overflow an int", x.Shape(), padText, kernel, dilation, axis))
	}
	padded, span := size+before+after, dilation*(kernel-1)+1
	if padded < span {
		kernelText := fmt.Sprintf("the kernel of %d", kernel)
		if dilation > 1 {
			kernelText = fmt.Sprintf("the kernel's span of %d (%d dilated by %d)", span, kernel, dilation)
		}
		panic(errorf(op, tensor.ErrShape, "input %v padded by %s along dimension %d is %d wide, less than %s", x.Shape(), padText, axis, padded, kernelText))
	}
	return (padded-span)/stride + 1
}

// checkSize panics unless a tensor of the given shape, named by what, can
// be made: its element count is at most tensor.MaxElements.
func checkSize(op, what string, shape ...int) {
	if _, ok := tensor.Elements(shape...); !ok {
		panic(errorf(op, tensor.ErrShape, "the %s %v would have more than %d elements", what, shape, tensor.MaxElements))
	}
}

// ceilDiv and floorDiv divide by a positive d, rounding up or down.
func ceilDiv(a, d int) int { return -floorDiv(-a, d) }

func floorDiv(a, d int) int {
	if a >= 0 {
		return a / d
	}
	return -((-a + d - 1) / d)
}

// im2col writes, for group grp and the images n0 ≤ n < n1, the matrix of
// input patches: row (c·kh + i)·kw + j, column n·oh·ow + y·ow + x holds the
// input at channel grp·cg + c, row y·stride − padding + i·dilation (and
// likewise across), or 0 in the padding. With scatter it instead adds col
// back into x, the adjoint that the input gradient needs. Images touch
// disjoint parts of x and col, so ranges of them can run in parallel.
func im2col[E float](g convGeometry, x, col []E, grp int, scatter bool, n0, n1 int) {
	p := g.oh * g.ow
	cols := g.n * p
	for c := range g.cg {
		for i := range g.kh {
			for j := range g.kw {
				row := col[((c*g.kh+i)*g.kw+j)*cols:][:cols]
				for n := n0; n < n1; n++ {
					plane := x[(n*g.c+grp*g.cg+c)*g.h*g.w:][:g.h*g.w]
					out := row[n*p:][:p]
					for y := range g.oh {
						iy := y*g.opt.Stride[0] - g.pad[0] + i*g.opt.Dilation[0]
						line := out[y*g.ow:][:g.ow]
						if iy < 0 || iy >= g.h {
							if !scatter {
								clear(line)
							}
							continue
						}
						in := plane[iy*g.w:][:g.w]
						// Output columns lo ≤ xo < hi read input column xo·stride + off.
						st, off := g.opt.Stride[1], j*g.opt.Dilation[1]-g.pad[1]
						lo, hi := g.inside[j][0], g.inside[j][1]
						switch {
						case scatter:
							for xo := lo; xo < hi; xo++ {
								in[xo*st+off] += line[xo]
							}
						case st == 1:
							clear(line[:lo])
							if lo < hi { // else this kernel column reads only padding, and lo+off may be < 0
								copy(line[lo:hi], in[lo+off:])
							}
							clear(line[hi:])
						default:
							clear(line[:lo])
							for xo := lo; xo < hi; xo++ {
								line[xo] = in[xo*st+off]
							}
							clear(line[hi:])
						}
					}
				}
			}
		}
	}
}

// convChunk bounds the patches unfolded at once when no gradient needs
// them, in elements (32 MB).
const convChunk = 1 << 22

// convForward unfolds the images of x into col (groups·k × n·p) and sets
// out [n o oh ow] to the filters w times the patches plus the bias bd (nil
// for none), using prod (og × n·p) for each group's product by mm.
func convForward[E float](mm product[E], g convGeometry, xd, wd, bd, col, prod, od []E) {
	p := g.oh * g.ow
	cols, k := g.n*p, g.cg*g.kh*g.kw
	for grp := range g.groups {
		col := col[grp*k*cols:][:k*cols]
		gemm.ParallelFor(g.n, k*p, func(lo, hi int) { im2col(g, xd, col, grp, false, lo, hi) })
		mm(false, false, g.og, cols, k, wd[grp*g.og*k:], k, col, cols, prod, cols, false)
		gemm.ParallelFor(g.n, g.og*p, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				for oc := range g.og {
					ch := grp*g.og + oc
					var bias E
					if bd != nil {
						bias = bd[ch]
					}
					dst, src := od[(n*g.o+ch)*p:][:p], prod[oc*cols+n*p:][:p]
					for i, v := range src {
						dst[i] = v + bias
					}
				}
			}
		})
	}
}

// Conv2d returns the 2-D convolution (cross-correlation, as in PyTorch) of
// x [batch channels height width] with the filters w [out in/groups kh kw]
// plus the bias b [out] (nil for none), as torch.nn.functional.conv2d.
// It unfolds the input into patches (im2col) and multiplies them by the
// filters on the matrix engine, one product per group for the whole batch,
// in the operands' dtype: x, w and b must share one.
//
// An empty batch gives an empty output, as in PyTorch; any other empty
// size, a kernel that does not fit the padded input, and an output or
// patches beyond tensor.MaxElements panic with an *Error before anything
// is allocated.
func (x *Var) Conv2d(w, b *Var, o Conv2dOptions) *Var {
	return x.convolve(newConvGeometry("Conv2d", 2, x.Value, w.Value, b, o), w, b)
}

// convolve records the convolution of x with the filters w plus the bias
// b (nil for none) that g describes, 2-D or 1-D, in x's dtype.
func (x *Var) convolve(g convGeometry, w, b *Var) *Var {
	var bv *tensor.Tensor
	if b != nil {
		bv = b.Value
	}
	sameDTypeAsInput(g.op, x.Value, w.Value, bv)
	inputs := []*Var{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	// Check the patches that will be unfolded at once before allocating
	// anything: the whole batch's when a gradient keeps them, else at least
	// one image's.
	keep := recordsGradient(inputs...)
	patches, outShape := []int{g.c, g.kh, g.kw, g.oh, g.ow}, []int{g.n, g.o, g.oh, g.ow}
	if g.spatial == 1 {
		patches, outShape = []int{g.c, g.kw, g.ow}, []int{g.n, g.o, g.ow}
	}
	switch {
	case keep:
		checkSize(g.op, "patches unfolded for the batch", slices.Insert(patches, len(patches)-g.spatial, g.n)...)
	case g.n > 0:
		checkSize(g.op, "patches unfolded for one image", patches...)
	}
	out := tensor.ZerosOf(x.Value.DType(), outShape...)
	if g.n == 0 { // an empty batch, as PyTorch allows: empty output, zero gradients
		return record(out, func(*tensor.Tensor) {
			x.accumulate(tensor.ZerosLike(x.Value), true)
			w.accumulate(tensor.ZerosLike(w.Value), true)
			if b != nil {
				b.accumulate(tensor.ZerosLike(b.Value), true)
			}
		}, inputs...)
	}
	if x.Value.DType() == tensor.Float32 {
		return record(out, convolveOf(gemm.Gemm32, g, x, w, b, out, keep), inputs...)
	}
	return record(out, convolveOf(gemm.Gemm, g, x, w, b, out, keep), inputs...)
}

// convolveOf computes the convolution that g describes into out, whose
// dtype E is the operands', with mm the product, and returns its backward (nil unless keep,
// when no gradient follows and the patches are unfolded a few images at
// a time).
func convolveOf[E float](mm product[E], g convGeometry, x, w, b *Var, out *tensor.Tensor, keep bool) func(*tensor.Tensor) {
	p := g.oh * g.ow
	cols, k := g.n*p, g.cg*g.kh*g.kw
	xd, wd, od := elems[E](x.Value), elems[E](w.Value), elems[E](out)
	var bd []E
	if b != nil {
		bd = elems[E](b.Value)
	}
	if !keep {
		// No gradient will need the patches: unfold a few images at a time,
		// so that an evaluation batch costs little more than its output.
		per := max(1, convChunk/(g.groups*k*p))
		colBuf, prodBuf := buffer[E](g.groups*k*min(per, g.n)*p), buffer[E](g.og*min(per, g.n)*p)
		defer release(colBuf)
		defer release(prodBuf)
		for n0 := 0; n0 < g.n; n0 += per {
			sub := g
			sub.n = min(per, g.n-n0)
			convForward(mm, sub, xd[n0*g.c*g.h*g.w:], wd, bd, *colBuf, *prodBuf, od[n0*g.o*p:])
		}
		return nil
	}
	colData := make([]E, g.groups*k*cols) // kept for the weight's gradient
	prodBuf := buffer[E](g.og * cols)
	defer release(prodBuf)
	convForward(mm, g, xd, wd, bd, colData, *prodBuf, od)
	return func(gr *tensor.Tensor) {
		gd := elems[E](gr)
		// The output gradient of one group as a matrix [og, n·p].
		dprodBuf := buffer[E](g.og * cols)
		defer release(dprodBuf)
		dprod := *dprodBuf
		var dx, dw, db *tensor.Tensor
		if x.requiresGrad {
			dx = tensor.ZerosLike(x.Value)
		}
		if w.requiresGrad {
			dw = tensor.ZerosLike(w.Value)
		}
		if b != nil && b.requiresGrad {
			db = tensor.ZerosLike(b.Value)
		}
		var dcol []E
		if dx != nil {
			dcolBuf := buffer[E](k * cols)
			defer release(dcolBuf)
			dcol = *dcolBuf
		}
		for grp := range g.groups {
			gemm.ParallelFor(g.og, cols, func(lo, hi int) {
				for oc := lo; oc < hi; oc++ {
					ch := grp*g.og + oc
					// The bias's gradient sums in float64 and rounds once, so
					// that a float32 sum over a large batch keeps its digits.
					sum := 0.0
					for n := range g.n {
						src := gd[(n*g.o+ch)*p:][:p]
						copy(dprod[oc*cols+n*p:][:p], src)
						for _, v := range src {
							sum += float64(v)
						}
					}
					if db != nil {
						elems[E](db)[ch] = E(sum)
					}
				}
			})
			col := colData[grp*k*cols:][:k*cols]
			if dw != nil {
				mm(false, true, g.og, k, cols, dprod, cols, col, cols, elems[E](dw)[grp*g.og*k:], k, false)
			}
			if dx != nil {
				mm(true, false, k, cols, g.og, wd[grp*g.og*k:], k, dprod, cols, dcol, cols, false)
				gemm.ParallelFor(g.n, k*p, func(lo, hi int) { im2col(g, elems[E](dx), dcol, grp, true, lo, hi) })
			}
		}
		if dx != nil {
			x.accumulate(dx, true)
		}
		if dw != nil {
			w.accumulate(dw, true)
		}
		if db != nil {
			b.accumulate(db, true)
		}
	}
}

// buffer and release take and return scratch slices of E from the
// engine's pools.
func buffer[E float](n int) *[]E {
	var zero E
	if _, ok := any(zero).(float32); ok {
		return any(gemm.Buffer32(n)).(*[]E)
	}
	return any(gemm.Buffer(n)).(*[]E)
}

func release[E float](p *[]E) {
	switch p := any(p).(type) {
	case *[]float64:
		gemm.Release(p)
	case *[]float32:
		gemm.Release32(p)
	}
}
