package autograd

import (
	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// The products of multi-head attention, head by head, on the layout the
// projections give: a tensor [N L heads·d] holds, for each of N sequences
// of L positions, the heads' d features side by side. Each head's rows are
// a matrix with a row stride of heads·d, which the matrix engine reads in
// place, so no head is copied out and nothing is permuted. The N·heads
// products are independent and shared among threads whole.

// headsShape checks the operands of a per-head product (op) and returns
// the sequences, the heads' width and the row length heads·d.
func headsShape(op string, a, b *tensor.Tensor, heads int, aWant, bWant string) (n, d, e int) {
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
func (q *Var) HeadsMatMulT(k *Var, heads int) *Var {
	n, d, e := headsShape("HeadsMatMulT", q.Value, k.Value, heads, "[N L heads·d]", "[N S heads·d]")
	if q.Value.Dims() != 3 || q.Value.Dim(0) != n || q.Value.Dim(2) != e {
		panic(errorf("HeadsMatMulT", tensor.ErrShape, "%v and %v: want [N L %d] and [N S %d] of one batch", q.Value.Shape(), k.Value.Shape(), e, e))
	}
	l, s := q.Value.Dim(1), k.Value.Dim(1)
	checkSize("HeadsMatMulT", "output", n, heads, l, s)
	out := tensor.Zeros(n, heads, l, s)
	qd, kd, od := q.Value.Data(), k.Value.Data(), out.Data()
	// Head (i, h)'s rows start at i·L·e + h·d in q (i·S·e + h·d in k).
	gemm.ParallelFor(n*heads, l*s*d, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, h := p/heads, p%heads
			gemm.Gemm(false, true, l, s, d, qd[i*l*e+h*d:], e, kd[i*s*e+h*d:], e, od[p*l*s:], s, false)
		}
	})
	return record(out, func(g *tensor.Tensor) {
		gd := g.Data()
		var dq, dk *tensor.Tensor
		if q.requiresGrad {
			dq = tensor.Zeros(q.Value.Shape()...)
		}
		if k.requiresGrad {
			dk = tensor.Zeros(k.Value.Shape()...)
		}
		// Each head writes its own columns of dq and dk.
		gemm.ParallelFor(n*heads, 2*l*s*d, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				i, h := p/heads, p%heads
				if dq != nil { // dq_h = G_h·k_h
					gemm.Gemm(false, false, l, d, s, gd[p*l*s:], s, kd[i*s*e+h*d:], e, dq.Data()[i*l*e+h*d:], e, false)
				}
				if dk != nil { // dk_h = G_hᵀ·q_h
					gemm.Gemm(true, false, s, d, l, gd[p*l*s:], s, qd[i*l*e+h*d:], e, dk.Data()[i*s*e+h*d:], e, false)
				}
			}
		})
		if dq != nil {
			q.accumulate(dq, true)
		}
		if dk != nil {
			k.accumulate(dk, true)
		}
	}, q, k)
}

// HeadsMatMul returns the attention of every head: w [N heads L S] holds
// each head's weights and v [N S heads·d] the heads' values side by side,
// and the result [N L heads·d] holds w_h·v_h for each sequence and head h
// in head h's columns, as torch.einsum("nhls,nshd->nlhd") viewed as
// [N L heads·d].
func (w *Var) HeadsMatMul(v *Var, heads int) *Var {
	n, d, e := headsShape("HeadsMatMul", w.Value, v.Value, heads, "[N heads L S]", "[N S heads·d]")
	if w.Value.Dims() != 4 || w.Value.Dim(0) != n || w.Value.Dim(1) != heads || w.Value.Dim(3) != v.Value.Dim(1) {
		panic(errorf("HeadsMatMul", tensor.ErrShape, "%v and %v: want [%d %d L %d] and [%d %d %d]", w.Value.Shape(), v.Value.Shape(), n, heads, v.Value.Dim(1), n, v.Value.Dim(1), e))
	}
	l, s := w.Value.Dim(2), w.Value.Dim(3)
	out := tensor.Zeros(n, l, e)
	wd, vd, od := w.Value.Data(), v.Value.Data(), out.Data()
	gemm.ParallelFor(n*heads, l*s*d, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i, h := p/heads, p%heads
			gemm.Gemm(false, false, l, d, s, wd[p*l*s:], s, vd[i*s*e+h*d:], e, od[i*l*e+h*d:], e, false)
		}
	})
	return record(out, func(g *tensor.Tensor) {
		gd := g.Data()
		var dw, dv *tensor.Tensor
		if w.requiresGrad {
			dw = tensor.Zeros(w.Value.Shape()...)
		}
		if v.requiresGrad {
			dv = tensor.Zeros(v.Value.Shape()...)
		}
		gemm.ParallelFor(n*heads, 2*l*s*d, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				i, h := p/heads, p%heads
				if dw != nil { // dw_h = G_h·v_hᵀ
					gemm.Gemm(false, true, l, s, d, gd[i*l*e+h*d:], e, vd[i*s*e+h*d:], e, dw.Data()[p*l*s:], s, false)
				}
				if dv != nil { // dv_h = w_hᵀ·G_h
					gemm.Gemm(true, false, s, d, l, wd[p*l*s:], s, gd[i*l*e+h*d:], e, dv.Data()[i*s*e+h*d:], e, false)
				}
			}
		})
		if dw != nil {
			w.accumulate(dw, true)
		}
		if dv != nil {
			v.accumulate(dv, true)
		}
	}, w, v)
}
