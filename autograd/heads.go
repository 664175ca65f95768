package autograd

import (
	"math"
	"slices"

	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// The products of multi-head attention, head by head, on the layout the
// projections give: a tensor [N L heads·d] holds, for each of N sequences
// of L positions, the heads' d features side by side. Each head's rows are
// a matrix with a row stride of heads·d, which the matrix engine reads in
// place, so no head is copied out and nothing is permuted. The N·heads
// products are independent and shared among threads whole.

// headsShape checks the operands of a per-head product (op), float ones, and returns
// the sequences, the heads' width and the row length heads·d.
func headsShape(op string, a, b *tensor.Tensor, heads int, aWant, bWant string) (n, d, e int) {
	floatOnly(op, a, b)
	if heads < 1 {
		panic(errorf(op, tensor.ErrArgument, "%d heads: want at least 1", heads))
	}
	if a.Dims() != 3 && a.Dims() != 4 || b.Dims() != 3 {
		panic(errorf(op, tensor.ErrShape, "%v and %v: want %s and %s", a.Shape(), b.Shape(), aWant, bWant))
	}
	e = b.Dim(2)
	if e%heads != 0 {
		panic(errorf(op, tensor.ErrShape, "%v: %d features are not %d heads of equal width", b.Shape(), e, heads))
	}
	return b.Dim(0), e / heads, e
}

// HeadsMatMulT returns the attention scores of every head: q [N L heads·d]
// and k [N S heads·d] hold heads of d features side by side, and the
// result [N heads L S] holds q_h·k_hᵀ for each sequence and head h, as
// torch.einsum("nlhd,nshd->nhls") on the inputs viewed as [N L heads d].
// q and k share a dtype, the result's.
func (q *Var) HeadsMatMulT(k *Var, heads int) *Var {
	n, d, e := headsShape("HeadsMatMulT", q.Value, k.Value, heads, "[N L heads·d]", "[N S heads·d]")
	if q.Value.Dims() != 3 || q.Value.Dim(0) != n || q.Value.Dim(2) != e {
		panic(errorf("HeadsMatMulT", tensor.ErrShape, "%v and %v: want [N L %d] and [N S %d] of one batch", q.Value.Shape(), k.Value.Shape(), e, e))
	}
	l, s := q.Value.Dim(1), k.Value.Dim(1)
	checkSize("HeadsMatMulT", "output", n, heads, l, s)
	sameDType("HeadsMatMulT", q.Value, k.Value)
	if q.Value.DType() == tensor.Float32 {
		return headsMatMulT(gemm.Gemm32, q, k, n, heads, l, s, d)
	}
	return headsMatMulT(gemm.Gemm, q, k, n, heads, l, s, d)
}

// headsMatMulT is HeadsMatMulT in element type E, with mm its product.
func headsMatMulT[E float](mm product[E], q, k *Var, n, heads, l, s, d int) *Var {
	e := heads * d
	out := tensor.ZerosOf(q.Value.DType(), n, heads, l, s)
	qd, kd, od := elems[E](q.Value), elems[E](k.Value), elems[E](out)
	// Head (i, h)'s rows start at i·L·e + h·d in q (i·S·e + h·d in k).
	gemm.ParallelFor(n*heads, l*s*d, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, h := p/heads, p%heads
			mm(false, true, l, s, d, qd[i*l*e+h*d:], e, kd[i*s*e+h*d:], e, od[p*l*s:], s, false)
		}
	})
	return record(out, func(g *tensor.Tensor) {
		gd := elems[E](g)
		var dq, dk []E
		if q.requiresGrad {
			dq = make([]E, q.Value.Size())
		}
		if k.requiresGrad {
			dk = make([]E, k.Value.Size())
		}
		// Each head writes its own columns of dq and dk.
		gemm.ParallelFor(n*heads, 2*l*s*d, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				i, h := p/heads, p%heads
				if dq != nil { // dq_h = G_h·k_h
					mm(false, false, l, d, s, gd[p*l*s:], s, kd[i*s*e+h*d:], e, dq[i*l*e+h*d:], e, false)
				}
				if dk != nil { // dk_h = G_hᵀ·q_h
					mm(true, false, s, d, l, gd[p*l*s:], s, qd[i*l*e+h*d:], e, dk[i*s*e+h*d:], e, false)
				}
			}
		})
		if dq != nil {
			q.accumulate(tensorOf(dq, q.Value.Shape()), true)
		}
		if dk != nil {
			k.accumulate(tensorOf(dk, k.Value.Shape()), true)
		}
	}, q, k)
}

// HeadsMatMul returns the attention of every head: w [N heads L S] holds
// each head's weights and v [N S heads·d] the heads' values side by side,
// and the result [N L heads·d] holds w_h·v_h for each sequence and head h
// in head h's columns, as torch.einsum("nhls,nshd->nlhd") viewed as
// [N L heads·d]. w and v share a dtype, the result's.
func (w *Var) HeadsMatMul(v *Var, heads int) *Var {
	n, d, e := headsShape("HeadsMatMul", w.Value, v.Value, heads, "[N heads L S]", "[N S heads·d]")
	if w.Value.Dims() != 4 || w.Value.Dim(0) != n || w.Value.Dim(1) != heads || w.Value.Dim(3) != v.Value.Dim(1) {
		panic(errorf("HeadsMatMul", tensor.ErrShape, "%v and %v: want [%d %d L %d] and [%d %d %d]", w.Value.Shape(), v.Value.Shape(), n, heads, v.Value.Dim(1), n, v.Value.Dim(1), e))
	}
	l, s := w.Value.Dim(2), w.Value.Dim(3)
	sameDType("HeadsMatMul", w.Value, v.Value)
	if w.Value.DType() == tensor.Float32 {
		return headsMatMul(gemm.Gemm32, w, v, n, heads, l, s, d)
	}
	return headsMatMul(gemm.Gemm, w, v, n, heads, l, s, d)
}

// headsMatMul is HeadsMatMul in element type E, with mm its product.
func headsMatMul[E float](mm product[E], w, v *Var, n, heads, l, s, d int) *Var {
	e := heads * d
	out := tensor.ZerosOf(w.Value.DType(), n, l, e)
	wd, vd, od := elems[E](w.Value), elems[E](v.Value), elems[E](out)
	gemm.ParallelFor(n*heads, l*s*d, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, h := p/heads, p%heads
			mm(false, false, l, d, s, wd[p*l*s:], s, vd[i*s*e+h*d:], e, od[i*l*e+h*d:], e, false)
		}
	})
	return record(out, func(g *tensor.Tensor) {
		gd := elems[E](g)
		var dw, dv []E
		if w.requiresGrad {
			dw = make([]E, w.Value.Size())
		}
		if v.requiresGrad {
			dv = make([]E, v.Value.Size())
		}
		gemm.ParallelFor(n*heads, 2*l*s*d, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				i, h := p/heads, p%heads
				if dw != nil { // dw_h = G_h·v_hᵀ
					mm(false, true, l, s, d, gd[i*l*e+h*d:], e, vd[i*s*e+h*d:], e, dw[p*l*s:], s, false)
				}
				if dv != nil { // dv_h = w_hᵀ·G_h
					mm(true, false, s, d, l, wd[p*l*s:], s, gd[i*l*e+h*d:], e, dv[i*s*e+h*d:], e, false)
				}
			}
		})
		if dw != nil {
			w.accumulate(tensorOf(dw, w.Value.Shape()), true)
		}
		if dv != nil {
			v.accumulate(tensorOf(dv, v.Value.Shape()), true)
		}
	}, w, v)
}

// MaskedSoftmax returns the softmax along the last axis of x + mask, as
// attention takes it, computed stably: mask, nil for none, has x's last
// dimension and dtype and broadcasts to x's shape; −Inf in it forbids a
// position, and a line forbidden whole is NaN, as the softmax of x.Add(mask)
// is. It computes in one pass per line, with no x + mask in memory, and
// lines are shared among threads whole, so results do not depend on their
// number. In float32 it rounds as Softmax does (exponentials summed in
// float64), so its result is still that of x.Add(mask).Softmax(-1). The
// gradient goes to x.
func (x *Var) MaskedSoftmax(mask *tensor.Tensor) *Var {
	floatOnly("MaskedSoftmax", x.Value)
	xs := x.Value.Shape()
	if len(xs) == 0 {
		panic(errorf("MaskedSoftmax", tensor.ErrShape, "x is a scalar: want a last axis"))
	}
	maskAt := maskRows(x.Value, mask)
	if mask != nil {
		sameDType("MaskedSoftmax", x.Value, mask)
	}
	if x.Value.DType() == tensor.Float32 {
		return maskedSoftmax[float32](x, mask, maskAt)
	}
	return maskedSoftmax[float64](x, mask, maskAt)
}

// maskedSoftmax is MaskedSoftmax in element type E, with maskAt the offset
// in mask of each line's mask.
func maskedSoftmax[E float](x *Var, mask *tensor.Tensor, maskAt []int) *Var {
	xs := x.Value.Shape()
	n := xs[len(xs)-1]
	out := tensor.ZerosLike(x.Value)
	if out.Size() == 0 {
		return record(out, func(*tensor.Tensor) { x.accumulate(tensor.ZerosLike(x.Value), true) }, x)
	}
	rows := out.Size() / n
	xd, od := elems[E](x.Value), elems[E](out)
	var md []E
	if mask != nil {
		md = elems[E](mask)
	}
	gemm.ParallelFor(rows, 4*n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xl, ol := xd[r*n:][:n], od[r*n:][:n]
			if md != nil {
				ml := md[maskAt[r]:][:n]
				for j, v := range xl {
					ol[j] = v + ml[j]
				}
			} else {
				copy(ol, xl)
			}
			top := math.Inf(-1)
			for _, v := range ol {
				if float64(v) > top || v != v {
					top = float64(v)
				}
			}
			sum := 0.0
			for j, v := range ol {
				e := math.Exp(float64(v) - top)
				ol[j] = E(e)
				sum += e
			}
			for j, v := range ol {
				ol[j] = E(float64(v) / sum)
			}
		}
	})
	return record(out, func(g *tensor.Tensor) {
		// dx = s ⊙ (g − Σ g⊙s) per line, in g, which this closure owns;
		// the dot product sums in float64 whatever E is.
		gd := elems[E](g)
		gemm.ParallelFor(rows, 3*n, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				gl, sl := gd[r*n:][:n], od[r*n:][:n]
				dot := 0.0
				for j, v := range gl {
					dot += float64(v) * float64(sl[j])
				}
				for j, v := range gl {
					gl[j] = E(float64(sl[j]) * (float64(v) - dot))
				}
			}
		})
		x.accumulate(g, true)
	}, x)
}

// maskRows checks that mask (nil for none) has x's last dimension and
// broadcasts to x's shape, and returns the offset in mask of the line that
// meets each line of x along the last axis.
func maskRows(x, mask *tensor.Tensor) []int {
	if mask == nil {
		return nil
	}
	xs, ms := x.Shape(), mask.Shape()
	if b, ok := tensor.BroadcastShapes(ms, xs); !ok || !slices.Equal(b, xs) || len(ms) == 0 || ms[len(ms)-1] != xs[len(xs)-1] {
		panic(errorf("MaskedSoftmax", tensor.ErrShape, "mask %v for x %v: want a shape that broadcasts to x's with its last dimension", ms, xs))
	}
	lead := xs[:len(xs)-1]
	// stride[i] is how far a step along x's leading axis i moves in mask.
	stride := make([]int, len(lead))
	step := ms[len(ms)-1]
	for i := len(lead) - 1; i >= 0; i-- {
		mi := i - (len(xs) - len(ms)) // mask's axis, if it has one
		if mi >= 0 && ms[mi] != 1 {
			stride[i] = step
		}
		if mi >= 0 {
			step *= ms[mi]
		}
	}
	rows := x.Size() / max(xs[len(xs)-1], 1)
	at := make([]int, rows)
	idx := make([]int, len(lead))
	off := 0
	for r := range at {
		at[r] = off
		for k := len(lead) - 1; k >= 0; k-- {
			idx[k]++
			off += stride[k]
			if idx[k] < lead[k] {
				break
			}
			off -= stride[k] * lead[k]
			idx[k] = 0
		}
	}
	return at
}
