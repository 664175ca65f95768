// Package autograd implements reverse-mode automatic differentiation over
// tensors, defined by run: every operation on a Var computes its value at
// once and, when some input needs a gradient, records its inputs and a
// closure that turns the gradient of its result into gradients of its
// inputs. Backward walks that record in reverse topological order.
//
//	w := autograd.Param(tensor.New([]float64{1, 2}, 2, 1))
//	x := autograd.Const(tensor.New([]float64{3, 4}, 1, 2))
//	loss := x.MatMul(w).Square().Sum()
//	loss.Backward()
//	fmt.Println(w.Grad) // 2·(x·w)·xᵀ = [[66] [88]]
//
// Gradients accumulate: a second Backward adds to w.Grad until ZeroGrad
// clears it, as in PyTorch. Only leaves (Params) keep their gradient after
// Backward; intermediate results drop theirs to save memory.
//
// Three kinds of leaf exist. A Param needs a gradient. A Const does not, but
// operations that mix it with a Param are recorded. A NoGrad value marks a
// whole computation as inference: every result that depends on it records
// nothing, even when Params take part. That is how a validation pass runs
// without building a graph, and because the mark travels with the data
// rather than living in a global switch, any number of goroutines may
// evaluate a model at once.
//
// GradCheck compares Backward with central finite differences for any
// function of Vars; every operation in this package is tested with it.
package autograd

import "github.com/minidl/minidl/tensor"

// Var is a tensor value in a computation graph, with the gradient of a
// scalar result with respect to it once Backward has run.
type Var struct {
	// Value is the tensor this Var holds. Optimizers update the Value of
	// Params in place.
	Value *tensor.Tensor
	// Grad is the accumulated gradient, with Value's shape and dtype, or nil if no
	// gradient has reached this Var since it was last zeroed. ZeroGrad
	// keeps the tensor to write the next gradient into, so Clone a
	// gradient you want to keep past ZeroGrad.
	Grad *tensor.Tensor

	spare        *tensor.Tensor // the gradient ZeroGrad cleared, for reuse
	requiresGrad bool
	noGrad       bool // results depending on this Var record no graph
	mode         mode // training or evaluation, for layers that have both
	parents      []*Var
	backward     func(g *tensor.Tensor)
}

// mode is the behaviour asked of layers with a training and an evaluation
// behaviour (Dropout, batch normalization). It travels with the data, as
// NoGrad does: a result takes the strongest mode among its inputs, an
// explicit Train over Eval over none.
type mode uint8

const (
	unset    mode = iota // training behaviour, PyTorch's default
	eval                 // evaluation: NoGrad inputs and Eval
	training             // training asked explicitly: Train
)

// Param returns a leaf that needs a gradient: a trainable parameter. It
// panics (ErrDType) on an Int64 tensor, as PyTorch's "only floating point
// tensors can require gradients": an index has no gradient.
func Param(t *tensor.Tensor) *Var {
	if t.DType() == tensor.Int64 {
		panic(errorf("Param", tensor.ErrDType, "an int64 tensor of shape %v: only float tensors have gradients; use Const for indices, or convert with To(tensor.Float64)", t.Shape()))
	}
	return &Var{Value: t, requiresGrad: true}
}

// Const returns a leaf that needs no gradient, such as a batch of inputs
// or of Int64 indices.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// NoGrad returns a leaf that turns off recording for everything computed
// from it: the results need no gradient whatever else they combine with.
// It also puts everything computed from it in evaluation mode (see
// Evaluating). Feed a model NoGrad inputs to evaluate it: no graph is
// built, Dropout passes its input through, and nothing in the model is
// written, so any number of goroutines may do so at once.
func NoGrad(t *tensor.Tensor) *Var { return &Var{Value: t, noGrad: true, mode: eval} }

// Eval returns v in evaluation mode: the same value, with gradients
// flowing through to v, and everything computed from it evaluated (Dropout
// off, batch normalization on its running statistics), as after PyTorch's
// model.eval(). It is for a gradient through a model in evaluation mode,
// such as the gradient of a prediction with respect to its input.
func (v *Var) Eval() *Var { return v.withMode(eval) }

// Train returns v in training mode, which overrides evaluation everywhere
// it flows: NoGrad(x).Train() runs a model's training behaviour (Dropout
// on, as for Monte Carlo dropout) without building a graph.
func (v *Var) Train() *Var { return v.withMode(training) }

// Evaluating reports whether layers with a training and an evaluation
// behaviour should evaluate v: it was computed from a NoGrad or Eval input,
// and from no Train one. Values are in training mode otherwise.
func (v *Var) Evaluating() bool { return v.mode == eval }

// withMode returns v, passing its gradient through, with the mode m.
func (v *Var) withMode(m mode) *Var {
	out := record(v.Value, func(g *tensor.Tensor) { v.accumulate(g, false) }, v)
	out.mode = m
	return out
}

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// IsLeaf reports whether v was made directly (Param, Const, NoGrad, Detach)
// rather than computed by an operation that recorded a graph.
func (v *Var) IsLeaf() bool { return v.backward == nil }

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Item returns the only element of a one-element Var.
func (v *Var) Item() float64 { return v.Value.Item() }

// String formats v's value.
func (v *Var) String() string { return v.Value.String() }

// Detach returns a Const that shares v's value and its mode and is cut off
// from its graph.
func (v *Var) Detach() *Var { return &Var{Value: v.Value, mode: v.mode} }

// To returns v converted to dtype, as torch.Tensor.to: v itself when it
// already has that dtype, else a new value whose gradient flows back to v
// converted to v's dtype. It joins a float32 value to a computation that
// runs in float64, and back. Converting to Int64 cuts the graph, as in
// PyTorch: the result is a leaf with no gradient, since an index has none.
func (v *Var) To(dtype tensor.DType) *Var {
	from := v.Value.DType()
	if from == dtype {
		return v
	}
	if dtype == tensor.Int64 {
		return &Var{Value: v.Value.To(dtype), noGrad: v.noGrad, mode: v.mode}
	}
	return record(v.Value.To(dtype), func(g *tensor.Tensor) { v.accumulate(g.To(from), true) }, v)
}

// ZeroGrad clears v's gradient: Grad becomes nil, as with PyTorch's
// zero_grad(set_to_none=True), so an optimizer skips v until a gradient
// reaches it again. The old tensor is kept and may be overwritten by the
// next Backward, which saves allocating a large gradient on every step.
func (v *Var) ZeroGrad() {
	if v.Grad != nil {
		v.spare = v.Grad
	}
	v.Grad = nil
}

// accumulate adds g to v's gradient. If owned, v may keep g itself instead of
// a copy; an operation passes owned only for a tensor no one else holds.
func (v *Var) accumulate(g *tensor.Tensor, owned bool) {
	if !v.requiresGrad {
		return
	}
	if v.Grad == nil {
		if !owned {
			g = g.Clone()
		}
		v.Grad = g
		return
	}
	v.Grad.AddScaled(1, g)
}

// accumulateProduct adds op(a)·op(b) to v's gradient, computing the product
// straight into the gradient (or into the tensor ZeroGrad kept) rather than
// through a temporary. v must be 2-D.
func (v *Var) accumulateProduct(a, b *tensor.Tensor, ta, tb bool) {
	if !v.requiresGrad {
		return
	}
	if v.Grad != nil {
		v.Grad.AddMatMul(a, b, ta, tb)
		return
	}
	dst := v.spare
	v.spare = nil
	if dst == nil || !dst.SameShape(v.Value) || dst.DType() != v.Value.DType() {
		dst = tensor.ZerosLike(v.Value)
	}
	v.Grad = dst.SetMatMul(a, b, ta, tb)
}

// record returns a Var holding value that, when some input needs a gradient
// and none is NoGrad, remembers its inputs and the backward closure. The
// result takes the strongest mode of its inputs.
func record(value *tensor.Tensor, backward func(g *tensor.Tensor), inputs ...*Var) *Var {
	out := &Var{Value: value, requiresGrad: recordsGradient(inputs...)}
	for _, in := range inputs {
		out.noGrad = out.noGrad || in.noGrad
		out.mode = max(out.mode, in.mode)
	}
	if out.requiresGrad {
		out.parents = inputs
		out.backward = backward
	}
	return out
}

// recordsGradient reports whether record keeps the backward function of an
// operation on inputs: some input requires a gradient and none is
// graph-free. An operation can skip keeping what only its backward needs
// when it does not.
func recordsGradient(inputs ...*Var) bool {
	requires := false
	for _, in := range inputs {
		if in.noGrad {
			return false
		}
		requires = requires || in.requiresGrad
	}
	return requires
}

// Custom records an operation defined outside this package, as
// torch.autograd.Function does. value is the result computed from the
// inputs' values; backward receives the gradient of the result and returns
// one gradient per input, each with that input's shape, or nil for an input
// that needs none (check inputs[i].RequiresGrad to skip work). Custom lets
// fused operations, such as a loss computed in one pass, join the graph.
func Custom(value *tensor.Tensor, backward func(g *tensor.Tensor) []*tensor.Tensor, inputs ...*Var) *Var {
	return record(value, func(g *tensor.Tensor) {
		grads := backward(g)
		if len(grads) != len(inputs) {
			panic(errorf("Custom", tensor.ErrArgument, "backward returned %d gradients for %d inputs", len(grads), len(inputs)))
		}
		for i, gi := range grads {
			if gi == nil || !inputs[i].requiresGrad {
				continue
			}
			if !gi.SameShape(inputs[i].Value) {
				panic(errorf("Custom", tensor.ErrShape, "gradient %d of shape %v differs from its input's %v", i, gi.Shape(), inputs[i].Value.Shape()))
			}
			inputs[i].accumulate(gi, false)
		}
	}, inputs...)
}

// Backward computes the gradient of v, which must hold a single element,
// with respect to every Var it depends on, adding it to their Grad fields.
//
// v must have recorded a graph: Backward panics, as PyTorch's backward
// raises, on a result that no Param reaches or that was computed from a
// NoGrad value. A loss whose targets were wrapped in NoGrad is the usual
// cause; NoGrad is for evaluation, and data and targets for training are
// Consts.
func (v *Var) Backward() {
	if v.Value.Size() != 1 {
		panic(errorf("Backward", tensor.ErrShape, "result of shape %v is not a scalar: use BackwardWith and a seed gradient", v.Value.Shape()))
	}
	v.backwardFrom("Backward", tensor.FullOf(v.Value.DType(), 1, v.Value.Shape()...))
}

// BackwardWith is Backward for a result of any shape: seed is the gradient
// of the final scalar with respect to v, with v's shape. It panics as
// Backward does on a result that recorded no graph.
func (v *Var) BackwardWith(seed *tensor.Tensor) {
	if !seed.SameShape(v.Value) {
		panic(errorf("BackwardWith", tensor.ErrShape, "seed of shape %v for result of shape %v", seed.Shape(), v.Value.Shape()))
	}
	v.backwardFrom("BackwardWith", seed)
}

// backwardFrom runs the backward pass of Backward and BackwardWith (op) from
// v with the gradient seed, after checking that v recorded a graph.
func (v *Var) backwardFrom(op string, seed *tensor.Tensor) {
	switch {
	case v.noGrad:
		panic(errorf(op, tensor.ErrArgument, "the result was computed from a NoGrad value, so it recorded no graph "+
			"and no Param would receive a gradient; NoGrad is for evaluation: wrap training inputs and targets in Const"))
	case !v.requiresGrad:
		panic(errorf(op, tensor.ErrArgument, "the result depends on no Param, so no gradient would reach anything "+
			"(Const and Detach give values that take none; trainable values are Params)"))
	}
	order := topoOrder(v)
	v.accumulate(seed, false)
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward == nil || n.Grad == nil {
			continue
		}
		g := n.Grad
		n.Grad = nil // intermediate gradients are not kept, as in PyTorch
		n.backward(g)
	}
}

// topoOrder returns the Vars that v depends on and that need a gradient,
// each after all of its inputs, found without recursion so that graphs of
// any depth work.
func topoOrder(v *Var) []*Var {
	type frame struct {
		v    *Var
		next int
	}
	var order []*Var
	seen := map[*Var]bool{v: true}
	stack := []frame{{v: v}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.v.parents) {
			p := top.v.parents[top.next]
			top.next++
			if p.requiresGrad && !seen[p] {
				seen[p] = true
				stack = append(stack, frame{v: p})
			}
			continue
		}
		order = append(order, top.v)
		stack = stack[:len(stack)-1]
	}
	return order
}
