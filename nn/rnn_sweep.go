package nn

import (
	"math"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/internal/gemm"
	"github.com/minidl/minidl/tensor"
)

// This file is the recurrence of RNN, LSTM and GRU: one direction of one
// layer run over a whole batch of sequences (a sweep), forward and
// backward, as one fused operation. The input projection x·W_ihᵀ + b_ih of
// every step is computed before, in one product; a sweep adds the
// recurrent product h·W_hhᵀ + b_hh step by step and applies the cell's
// gates in one loop over the batch, saving what its backward pass needs.
// Its backward pass runs the steps in reverse, one product per step for
// the state's gradient, and computes W_hh's gradient in one product over
// all steps at the end.

// cell is the kind of a recurrent layer's cell.
type cell uint8

const (
	cellTanh cell = iota // Elman RNN with tanh
	cellReLU             // Elman RNN with ReLU
	cellLSTM
	cellGRU
)

// gates is how many blocks of hidden-size rows W_ih and W_hh have: PyTorch
// stacks LSTM's as i, f, g, o and GRU's as r, z, n.
func (c cell) gates() int {
	switch c {
	case cellLSTM:
		return 4
	case cellGRU:
		return 3
	}
	return 1
}

// saved is how many values per hidden unit a step keeps for the backward
// pass besides the state: LSTM's four gates; GRU's three and the
// recurrent part of its candidate, W_hn·h + b_hn, which r multiplies.
// An Elman RNN's derivative comes from its output.
func (c cell) saved() int {
	if c == cellLSTM || c == cellGRU {
		return 4
	}
	return 0
}

// float is the element types a sweep computes in.
type float interface{ float32 | float64 }

// sweep is one direction of one layer of a recurrent network run over a
// batch: the sizes, the order of the steps and how many each sequence has.
// Rows of the input projection and of the output are in the input's
// layout, time-major ([steps batch]) or batch-first ([batch steps]); the
// states it keeps are in the order of processing, one [batch hidden]
// matrix per step.
type sweep struct {
	cell                 cell
	steps, batch, hidden int
	batchFirst           bool
	reverse              bool  // from the last step to the first
	lengths              []int // steps of each sequence; nil means all
}

// row is the row of step t of sequence n in the input's layout.
func (w *sweep) row(t, n int) int {
	if w.batchFirst {
		return n*w.steps + t
	}
	return t*w.batch + n
}

// time is the step that the s-th step of processing reads.
func (w *sweep) time(s int) int {
	if w.reverse {
		return w.steps - 1 - s
	}
	return s
}

// active reports whether sequence n has a step t. A sequence's state
// passes unchanged through the steps it lacks, so the forward direction
// ends, and the reverse direction starts, at its last real step, as with
// PyTorch's packed sequences.
func (w *sweep) active(t, n int) bool { return w.lengths == nil || t < w.lengths[n] }

// outRows is the number of rows of a sweep's result: the output of every
// step, then the final hidden state and, for an LSTM, the final cell state.
func (w *sweep) outRows() int {
	rows := (w.steps + 1) * w.batch
	if w.cell == cellLSTM {
		rows += w.batch
	}
	return rows
}

// sweepMemory is what a sweep's forward pass keeps for its backward pass:
// the hidden (and cell) states before each step and after the last, and
// each step's saved activations, in the order of processing.
type sweepMemory[E float] struct {
	hs, cs, act []E
}

// product computes c (+)= op(a)·op(b) on row-major matrices with row
// strides, as gemm.Gemm does.
type product[E float] func(transA, transB bool, m, n, k int, a []E, lda int, b []E, ldb int, c []E, ldc int, add bool)

// dtype is how a sweep reaches tensors of its element type E: their
// values, a tensor made from values, and the matrix product.
type dtype[E float] struct {
	values  func(*tensor.Tensor) []E
	tensor  func([]E, ...int) *tensor.Tensor
	product product[E]
}

// run records the sweep over xp, the input projection of every step, with
// the weights wt and the initial states h0 and c0 ([batch hidden] or nil)
// as one operation, and returns its outputs [rows hidden] and final
// states [batch hidden] (cn is nil but for an LSTM). It computes in the
// dtype of xp, which the caller has checked the others share.
func (w sweep) run(xp *autograd.Var, wt RNNWeights, h0, c0 *autograd.Var) (y, hn, cn *autograd.Var) {
	if xp.Value.DType() == tensor.Float32 {
		return record(w, dtype[float32]{(*tensor.Tensor).Float32s, tensor.NewFloat32, gemm.Gemm32}, xp, wt, h0, c0)
	}
	return record(w, dtype[float64]{(*tensor.Tensor).Data, tensor.New, gemm.Gemm}, xp, wt, h0, c0)
}

// record is run for tensors of element type E.
func record[E float](w sweep, dt dtype[E], xp *autograd.Var, wt RNNWeights, h0, c0 *autograd.Var) (y, hn, cn *autograd.Var) {
	// The operation's inputs, and where each of xp, W_hh, b_hh, h0 and c0
	// is among them (-1 if absent).
	inputs := []*autograd.Var{xp, wt.HH}
	at := [5]int{0, 1, -1, -1, -1}
	for i, v := range []*autograd.Var{wt.BiasHH, h0, c0} {
		if v != nil {
			at[2+i] = len(inputs)
			inputs = append(inputs, v)
		}
	}
	values := func(i int) []E {
		if at[i] < 0 {
			return nil
		}
		return dt.values(inputs[at[i]].Value)
	}
	// Whether the result will record a graph, which autograd decides (a
	// NoGrad input anywhere means no): only then are the states of every
	// step kept for the backward pass.
	keep := autograd.Custom(tensor.Zeros(0), nil, inputs...).RequiresGrad()
	out := make([]E, w.outRows()*w.hidden)
	mem := sweepForward(&w, dt.product, values(0), values(1), values(2), values(3), values(4), out, keep)
	packed := autograd.Custom(dt.tensor(out, w.outRows(), w.hidden), func(g *tensor.Tensor) []*tensor.Tensor {
		var want [5]bool
		for i, a := range at {
			want[i] = a >= 0 && inputs[a].RequiresGrad()
		}
		gr := sweepBackward(&w, dt.product, mem, values(1), dt.values(g), want)
		grads := make([]*tensor.Tensor, len(inputs))
		for i, d := range [][]E{gr.xp, gr.whh, gr.bhh, gr.h0, gr.c0} {
			if want[i] {
				grads[at[i]] = dt.tensor(d, inputs[at[i]].Value.Shape()...)
			}
		}
		return grads
	}, inputs...)
	rows := w.steps * w.batch
	y = packed.Slice(0, 0, rows)
	hn = packed.Slice(0, rows, rows+w.batch)
	if w.cell == cellLSTM {
		cn = packed.Slice(0, rows+w.batch, rows+2*w.batch)
	}
	return y, hn, cn
}

// sweepForward runs the sweep, with mm for its products. xp holds the
// input projection, [rows gates·H]; whh is [gates·H H], bhh [gates·H] or
// nil, h0 and c0 [batch H] or nil for zeros. It writes out, outRows() × H
// and zero on entry: each step's output (left zero past a sequence's end),
// the final hidden state and, for an LSTM, the final cell state. With
// keep, it returns what sweepBackward needs; without, it keeps only the
// current state.
func sweepForward[E float](w *sweep, mm product[E], xp, whh, bhh, h0, c0, out []E, keep bool) sweepMemory[E] {
	T, N, H := w.steps, w.batch, w.hidden
	gh, sh, nh := w.cell.gates()*H, w.cell.saved()*H, N*H
	lstm := w.cell == cellLSTM
	kept := 2 // states alternate between two buffers
	if keep {
		kept = T + 1
	}
	var mem sweepMemory[E]
	mem.hs = make([]E, kept*nh)
	if lstm {
		mem.cs = make([]E, kept*nh)
	}
	if keep {
		mem.act = make([]E, T*N*sh)
	} else {
		mem.act = make([]E, N*sh)
	}
	state := func(s []E, i int) []E {
		if !keep {
			i %= 2
		}
		return s[i*nh : (i+1)*nh]
	}
	if h0 != nil {
		copy(mem.hs, h0)
	}
	if c0 != nil {
		copy(mem.cs, c0)
	}
	hp := make([]E, N*gh) // h·W_hhᵀ + b_hh of the current step
	var h, hNext, c, cNext, act []E
	step := func(t int) func(lo, hi int) {
		return func(lo, hi int) {
			for n := lo; n < hi; n++ {
				r := w.row(t, n)
				y := out[r*H : (r+1)*H]
				hn, hNextN := h[n*H:(n+1)*H], hNext[n*H:(n+1)*H]
				var cn, cNextN []E
				if lstm {
					cn, cNextN = c[n*H:(n+1)*H], cNext[n*H:(n+1)*H]
				}
				if !w.active(t, n) {
					copy(hNextN, hn)
					copy(cNextN, cn)
					continue // its output stays zero
				}
				x, p := xp[r*gh:(r+1)*gh], hp[n*gh:(n+1)*gh]
				a := act[n*sh : (n+1)*sh]
				switch w.cell {
				case cellTanh:
					for j := range H {
						hNextN[j] = tanh(x[j] + p[j])
					}
				case cellReLU:
					for j := range H {
						hNextN[j] = max(x[j]+p[j], 0)
					}
				case cellLSTM:
					lstmForward(H, x, p, cn, a, hNextN, cNextN)
				case cellGRU:
					gruForward(H, x, p, hn, a, hNextN)
				}
				copy(y, hNextN)
			}
		}
	}
	for s := range T {
		h, hNext = state(mem.hs, s), state(mem.hs, s+1)
		if lstm {
			c, cNext = state(mem.cs, s), state(mem.cs, s+1)
		}
		act = mem.act
		if keep {
			act = mem.act[s*N*sh : (s+1)*N*sh]
		}
		if bhh != nil {
			for n := range N {
				copy(hp[n*gh:(n+1)*gh], bhh)
			}
		}
		mm(false, true, N, gh, H, h, H, whh, H, hp, gh, bhh != nil)
		gemm.ParallelFor(N, 8*gh, step(w.time(s)))
	}
	copy(out[T*nh:(T+1)*nh], state(mem.hs, T))
	if lstm {
		copy(out[(T+1)*nh:(T+2)*nh], state(mem.cs, T))
	}
	return mem
}

// lstmForward computes one LSTM step for one sequence from the gates' two
// projections x and p (i, f, g, o blocks of H) and the cell state c,
// writing the new states and the gates.
func lstmForward[E float](H int, x, p, c, gates, hNext, cNext []E) {
	x, p, gates = x[:4*H], p[:4*H], gates[:4*H]
	for j := range H {
		i := sigmoid(x[j] + p[j])
		f := sigmoid(x[H+j] + p[H+j])
		g := tanh(x[2*H+j] + p[2*H+j])
		o := sigmoid(x[3*H+j] + p[3*H+j])
		cj := f*c[j] + i*g
		cNext[j] = cj
		hNext[j] = o * tanh(cj)
		gates[j], gates[H+j], gates[2*H+j], gates[3*H+j] = i, f, g, o
	}
}

// gruForward computes one GRU step for one sequence from the gates' two
// projections x and p (r, z, n blocks of H) and the state h, writing the
// new state and r, z, n and p's n block.
func gruForward[E float](H int, x, p, h, saved, hNext []E) {
	x, p, saved = x[:3*H], p[:3*H], saved[:4*H]
	for j := range H {
		r := sigmoid(x[j] + p[j])
		z := sigmoid(x[H+j] + p[H+j])
		pn := p[2*H+j]
		n := tanh(x[2*H+j] + r*pn)
		hNext[j] = (1-z)*n + z*h[j]
		saved[j], saved[H+j], saved[2*H+j], saved[3*H+j] = r, z, n, pn
	}
}

// sweepGrads are the gradients of a sweep's inputs; a nil one was not
// asked for.
type sweepGrads[E float] struct {
	xp, whh, bhh, h0, c0 []E
}

// sweepBackward returns the gradients of the sweep's inputs given g, the
// gradient of its result (outRows() × H), from the memory of its forward
// pass. want says which inputs need one, in the order xp, whh, bhh, h0,
// c0.
func sweepBackward[E float](w *sweep, mm product[E], mem sweepMemory[E], whh, g []E, want [5]bool) sweepGrads[E] {
	T, N, H := w.steps, w.batch, w.hidden
	gh, sh, nh := w.cell.gates()*H, w.cell.saved()*H, N*H
	lstm := w.cell == cellLSTM
	var grads sweepGrads[E]
	// dh and dc are the gradients of the state after the step in hand:
	// first the final state's, then, step by step, the earlier ones'.
	dh := make([]E, nh)
	copy(dh, g[T*nh:(T+1)*nh])
	var dc []E
	if lstm {
		dc = make([]E, nh)
		copy(dc, g[(T+1)*nh:(T+2)*nh])
	}
	// dhp holds the gradient of each step's h·W_hhᵀ + b_hh, zero for the
	// steps a sequence lacks, in the order of processing.
	dhp := make([]E, T*N*gh)
	var dxp []E
	if want[0] {
		dxp = make([]E, T*N*gh)
	}
	for s := T - 1; s >= 0; s-- {
		t := w.time(s)
		d := dhp[s*N*gh : (s+1)*N*gh]
		act := mem.act[s*N*sh : (s+1)*N*sh]
		h, hNext := mem.hs[s*nh:(s+1)*nh], mem.hs[(s+1)*nh:(s+2)*nh]
		var c, cNext []E
		if lstm {
			c, cNext = mem.cs[s*nh:(s+1)*nh], mem.cs[(s+1)*nh:(s+2)*nh]
		}
		gemm.ParallelFor(N, 8*gh, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				if !w.active(t, n) {
					continue // the state passed through: dh and dc pass back
				}
				r := w.row(t, n)
				dhn := dh[n*H : (n+1)*H]
				for j, v := range g[r*H : (r+1)*H] {
					dhn[j] += v
				}
				dn := d[n*gh : (n+1)*gh]
				var dx []E
				if dxp != nil {
					dx = dxp[r*gh : (r+1)*gh]
				}
				a := act[n*sh : (n+1)*sh]
				switch w.cell {
				case cellTanh:
					for j, y := range hNext[n*H : (n+1)*H] {
						dn[j] = dhn[j] * (1 - y*y)
					}
					clear(dhn)
				case cellReLU:
					for j, y := range hNext[n*H : (n+1)*H] {
						if y > 0 {
							dn[j] = dhn[j]
						}
					}
					clear(dhn)
				case cellLSTM:
					lstmBackward(H, a, c[n*H:(n+1)*H], cNext[n*H:(n+1)*H], dhn, dc[n*H:(n+1)*H], dn)
				case cellGRU:
					gruBackward(H, a, h[n*H:(n+1)*H], dhn, dn, dx)
					continue // it wrote dx, which differs from dn
				}
				if dx != nil {
					copy(dx, dn)
				}
			}
		})
		// The earlier state reaches this step's gates through W_hh.
		mm(false, false, N, H, gh, d, gh, whh, H, dh, H, true)
	}
	grads.xp = dxp
	if want[1] {
		grads.whh = make([]E, gh*H)
		mm(true, false, gh, H, T*N, dhp, gh, mem.hs[:T*nh], H, grads.whh, H, false)
	}
	if want[2] {
		grads.bhh = make([]E, gh)
		for r := range T * N {
			for j, v := range dhp[r*gh : (r+1)*gh] {
				grads.bhh[j] += v
			}
		}
	}
	if want[3] {
		grads.h0 = dh
	}
	if want[4] {
		grads.c0 = dc
	}
	return grads
}

// lstmBackward turns dh, the gradient of a sequence's new hidden state,
// and dc, of its new cell state, into d, the gradient of the gates' sum
// x + p (i, f, g, o), from the gates and the old and new cell states c and
// cNext. It leaves in dc the gradient of the old cell state and zeroes dh:
// the old hidden state's gradient comes through W_hh.
func lstmBackward[E float](H int, gates, c, cNext, dh, dc, d []E) {
	gates, d = gates[:4*H], d[:4*H]
	for j := range H {
		i, f, g, o := gates[j], gates[H+j], gates[2*H+j], gates[3*H+j]
		tc := tanh(cNext[j])
		dC := dc[j] + dh[j]*o*(1-tc*tc)
		d[j] = dC * g * i * (1 - i)
		d[H+j] = dC * c[j] * f * (1 - f)
		d[2*H+j] = dC * i * (1 - g*g)
		d[3*H+j] = dh[j] * tc * o * (1 - o)
		dc[j] = dC * f
		dh[j] = 0
	}
}

// gruBackward turns dh, the gradient of a sequence's new state, into d,
// the gradient of p = h·W_hhᵀ + b_hh, and dx, of x = the input projection
// (nil if not wanted), from the saved r, z, n, p_n and the old state h. It
// leaves in dh the part of the old state's gradient that does not pass
// through W_hh.
func gruBackward[E float](H int, saved, h, dh, d, dx []E) {
	saved, d = saved[:4*H], d[:3*H]
	for j := range H {
		r, z, n, pn := saved[j], saved[H+j], saved[2*H+j], saved[3*H+j]
		dN := dh[j] * (1 - z) * (1 - n*n)
		dR := dN * pn * r * (1 - r)
		dZ := dh[j] * (h[j] - n) * z * (1 - z)
		d[j], d[H+j], d[2*H+j] = dR, dZ, dN*r
		if dx != nil {
			dx[j], dx[H+j], dx[2*H+j] = dR, dZ, dN
		}
		dh[j] *= z
	}
}

func sigmoid[E float](x E) E { return E(tensor.Sigmoid(float64(x))) }

func tanh[E float](x E) E { return E(math.Tanh(float64(x))) }
