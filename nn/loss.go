package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// Loss computes a scalar training objective from a model's output and the
// targets. The plain loss functions of this package (MSE, CrossEntropy, …)
// are Losses that average over the elements, PyTorch's default; the
// constructors ending in Loss (MSELoss, CrossEntropyLoss, …) choose another
// Reduction.
//
// Unlike PyTorch, the elementwise losses require pred and target to have the
// same shape: a [N 1] prediction against a [N] target would otherwise
// broadcast to [N N] and train on the wrong objective without a word.
type Loss func(pred, target *autograd.Var) *autograd.Var

// Reduction says how a loss combines the per-element losses.
type Reduction int

const (
	// Mean averages the per-element losses (the default).
	Mean Reduction = iota
	// Sum adds them.
	Sum
	// None returns them unreduced, one per element (per example for
	// CrossEntropy and NLL).
	None
)

func (r Reduction) apply(v *autograd.Var) *autograd.Var {
	switch r {
	case Mean:
		return v.Mean()
	case Sum:
		return v.Sum()
	case None:
		return v
	}
	panic(&Error{Op: "Reduction", Detail: fmt.Sprintf("unknown reduction %d", int(r))})
}

// String returns "mean", "sum" or "none", PyTorch's names.
func (r Reduction) String() string {
	switch r {
	case Mean:
		return "mean"
	case Sum:
		return "sum"
	case None:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", int(r))
}

func sameShape(op string, pred, target *autograd.Var) {
	if !pred.Value.SameShape(target.Value) {
		panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("prediction %v and target %v: shapes differ", pred.Value.Shape(), target.Value.Shape())})
	}
}

// MSE is the mean squared error, mean((pred − target)²), as
// torch.nn.MSELoss. It is twice the textbook least-squares cost
// J(θ) = 1/(2m) Σ (h(x) − y)², which carries a factor ½ only to cancel the
// 2 of the derivative: both have the same minimizer, and gradient descent on
// MSE with learning rate α takes the steps that J would with 2α.
func MSE(pred, target *autograd.Var) *autograd.Var { return MSELoss(Mean)(pred, target) }

// MSELoss returns the squared error with the given reduction.
func MSELoss(r Reduction) Loss {
	return func(pred, target *autograd.Var) *autograd.Var {
		sameShape("MSE", pred, target)
		return r.apply(pred.Sub(target).Square())
	}
}

// L1 is the mean absolute error, mean(|pred − target|), as torch.nn.L1Loss.
func L1(pred, target *autograd.Var) *autograd.Var { return L1Loss(Mean)(pred, target) }

// L1Loss returns the absolute error with the given reduction.
func L1Loss(r Reduction) Loss {
	return func(pred, target *autograd.Var) *autograd.Var {
		sameShape("L1", pred, target)
		return r.apply(pred.Sub(target).Abs())
	}
}

// Huber is the Huber loss with δ = 1 and mean reduction, as
// torch.nn.HuberLoss().
func Huber(pred, target *autograd.Var) *autograd.Var { return HuberLoss(1, Mean)(pred, target) }

// HuberLoss returns the Huber loss with threshold delta > 0: ½d² where
// |d| < δ and δ(|d| − ½δ) elsewhere, for d = pred − target.
func HuberLoss(delta float64, r Reduction) Loss {
	if !(delta > 0) {
		panic(&Error{Op: "HuberLoss", Detail: fmt.Sprintf("delta %v must be positive", delta)})
	}
	return func(pred, target *autograd.Var) *autograd.Var {
		sameShape("Huber", pred, target)
		d := pred.Value.Sub(target.Value)
		loss := d.Map(func(x float64) float64 {
			if z := math.Abs(x); z < delta {
				return 0.5 * z * z
			}
			return delta * (math.Abs(x) - 0.5*delta)
		})
		return r.apply(autograd.Custom(loss, func(g *tensor.Tensor) []*tensor.Tensor {
			dp := g.Mul(d.Clip(-delta, delta))
			return []*tensor.Tensor{dp, dp.Neg()}
		}, pred, target))
	}
}

// bceLogFloor is where PyTorch clamps the logarithms of BCE, so that a
// probability of exactly 0 or 1 gives a loss of 100 rather than infinity.
const bceLogFloor = -100

// bceEps bounds the denominator p(1−p) of BCE's gradient. PyTorch writes it
// as 1e-12 in single precision, hence the conversion: the gradient at p = 0
// or 1 then matches PyTorch's to the last bit.
const bceEps = float64(float32(1e-12))

// BCE is the binary cross-entropy of probabilities pred ∈ [0, 1] against
// targets, −mean(t·log p + (1−t)·log(1−p)), with each logarithm clamped to
// at least −100 as torch.nn.BCELoss does. Prefer BCEWithLogits on a model
// without a final sigmoid: it is exact where this one saturates. A NaN
// prediction (a diverging model) gives a NaN loss, for TerminateOnNaN or
// EarlyStopping to stop on; a finite one outside [0, 1] is a bug and panics.
func BCE(pred, target *autograd.Var) *autograd.Var { return BCELoss(Mean)(pred, target) }

// BCELoss returns the binary cross-entropy on probabilities with the given
// reduction.
func BCELoss(r Reduction) Loss {
	return inFloat64(func(pred, target *autograd.Var) *autograd.Var {
		sameShape("BCE", pred, target)
		p, t := pred.Value.Data(), target.Value.Data()
		loss := tensor.Zeros(pred.Value.Shape()...)
		logit := tensor.Zeros(pred.Value.Shape()...) // log p − log(1−p), clamped
		for i, pi := range p {
			if !(pi >= 0 && pi <= 1) && !math.IsNaN(pi) {
				panic(&Error{Op: "BCE", Detail: fmt.Sprintf("prediction %v at position %d is not a probability in [0, 1]", pi, i)})
			}
			lp, lq := max(math.Log(pi), bceLogFloor), max(math.Log1p(-pi), bceLogFloor)
			loss.Data()[i] = -(t[i]*lp + (1-t[i])*lq)
			logit.Data()[i] = lp - lq
		}
		return r.apply(autograd.Custom(loss, func(g *tensor.Tensor) []*tensor.Tensor {
			dp := tensor.Zeros(g.Shape()...)
			for i, pi := range p {
				// PyTorch's backward: (p − t) / max(p(1−p), ε).
				dp.Data()[i] = g.Data()[i] * (pi - t[i]) / max(pi*(1-pi), bceEps)
			}
			return []*tensor.Tensor{dp, g.Mul(logit).Neg()}
		}, pred, target))
	})
}

// inFloat64 runs loss, whose kernel computes in float64, on operands of
// any dtype: float32 ones are converted in and the loss back, its gradient
// flowing through both conversions. The float64 pass keeps the stable forms
// stable (log-sum-exp, log1p), where float32 arithmetic would lose what
// PyTorch's float32 kernels keep by accumulating wider; a loss is one small
// pass over [batch classes], so the conversions cost little.
//
// Int64 targets (class labels) are passed as they are: they are indices,
// not values to compute on, and a loss that reads labels reads them
// directly. Int64 predictions are refused: a loss needs float ones.
func inFloat64(loss Loss) Loss {
	return func(pred, target *autograd.Var) *autograd.Var {
		dtype := pred.Value.DType()
		if dtype == tensor.Int64 {
			panic(&Error{Kind: tensor.ErrDType, Op: "loss", Detail: fmt.Sprintf("int64 predictions of shape %v: a loss needs float predictions (scores, logits); convert with To(tensor.Float64)", pred.Value.Shape())})
		}
		if target.Value.DType() == tensor.Float32 {
			target = target.To(tensor.Float64)
		}
		if dtype == tensor.Float64 {
			return loss(pred, target)
		}
		return loss(pred.To(tensor.Float64), target).To(dtype)
	}
}

// BCEWithLogits is the binary cross-entropy of sigmoid(pred) against
// targets, computed from the logits x as PyTorch's
// torch.nn.BCEWithLogitsLoss does, (1−t)·x + m + log(e^−m + e^(−x−m)) with
// m = max(−x, 0), which cannot overflow for any x; mean reduction.
func BCEWithLogits(pred, target *autograd.Var) *autograd.Var {
	return BCEWithLogitsLoss(Mean)(pred, target)
}

// BCEWithLogitsLoss returns the binary cross-entropy on logits with the
// given reduction.
func BCEWithLogitsLoss(r Reduction) Loss {
	return BCEWithLogitsLossWith(BCEWithLogitsOptions{Reduction: r})
}

// BCEWithLogitsOptions configures BCEWithLogitsLossWith; the zero value is
// PyTorch's default.
type BCEWithLogitsOptions struct {
	// PosWeight, if not nil, weighs the positive term of each output, as
	// PyTorch's pos_weight: the loss becomes
	// −(p·t·log σ(x) + (1−t)·log(1−σ(x))). It broadcasts against the
	// targets, one weight per class ([C] for targets [N C]) or one for all
	// ([1]); weights must be finite and ≥ 0.
	PosWeight *tensor.Tensor
	Reduction Reduction
}

// BCEWithLogitsLossWith returns the binary cross-entropy on logits with the
// given options.
func BCEWithLogitsLossWith(o BCEWithLogitsOptions) Loss {
	if o.PosWeight != nil {
		for i, p := range o.PosWeight.Data() {
			if !(p >= 0) || math.IsInf(p, 1) {
				panic(&Error{Op: "BCEWithLogitsLoss", Detail: fmt.Sprintf("positive weight %d is %v; want a finite number ≥ 0", i, p)})
			}
		}
		o.PosWeight = o.PosWeight.Clone() // the caller's tensor may change later
	}
	return inFloat64(func(pred, target *autograd.Var) *autograd.Var {
		sameShape("BCEWithLogits", pred, target)
		x, t := pred.Value, target.Value
		// l = 1 + (p−1)·t scales the softplus term; it is 1 without PosWeight.
		var l *tensor.Tensor
		if o.PosWeight != nil {
			if shape, ok := tensor.BroadcastShapes(o.PosWeight.Shape(), t.Shape()); !ok || !slices.Equal(shape, t.Shape()) {
				panic(&Error{Kind: tensor.ErrShape, Op: "BCEWithLogits", Detail: fmt.Sprintf("positive weights of shape %v do not broadcast to targets of shape %v", o.PosWeight.Shape(), t.Shape())})
			}
			l = t.Mul(o.PosWeight.AddScalar(-1)).AddScalar(1)
		}
		loss := tensor.Zeros(x.Shape()...)
		softplus := tensor.Zeros(x.Shape()...) // log(1 + e^−x), computed stably
		for i, xi := range x.Data() {
			m := max(-xi, 0)
			softplus.Data()[i] = m + math.Log(math.Exp(-m)+math.Exp(-xi-m))
			li := 1.0
			if l != nil {
				li = l.Data()[i]
			}
			loss.Data()[i] = (1-t.Data()[i])*xi + li*softplus.Data()[i]
		}
		return o.Reduction.apply(autograd.Custom(loss, func(g *tensor.Tensor) []*tensor.Tensor {
			if l == nil {
				return []*tensor.Tensor{g.Mul(x.Sigmoid().Sub(t)), g.Mul(x).Neg()}
			}
			// d/dx = l·σ(x) − p·t, in PyTorch's form (exact 0 where σ
			// rounds to 1); d/dt = −x + (p−1)·log(1 + e^−x).
			dx := l.Mul(x.Sigmoid()).Sub(t.Mul(o.PosWeight))
			dt := x.Neg().Add(softplus.Mul(o.PosWeight.AddScalar(-1)))
			return []*tensor.Tensor{g.Mul(dx), g.Mul(dt)}
		}, pred, target))
	})
}

// CrossEntropy is the cross-entropy of logits [N C] against class labels
// [N] (indices 0 … C−1: an Int64 tensor, as PyTorch's int64 targets, or
// whole numbers in a float one), averaged over the batch, as
// torch.nn.CrossEntropyLoss: mean(logsumexp(x) − x[label]), computed stably
// from the logits. Targets of shape [N C] are read as class probabilities
// instead.
func CrossEntropy(logits, target *autograd.Var) *autograd.Var {
	return CrossEntropyLoss(CrossEntropyOptions{})(logits, target)
}

// CrossEntropyOptions configures CrossEntropyLoss; the zero value is
// PyTorch's default.
type CrossEntropyOptions struct {
	// LabelSmoothing ε ∈ [0, 1] mixes the target with the uniform
	// distribution: the target becomes (1−ε)·target + ε/C.
	LabelSmoothing float64
	// Weight, if not nil, holds one finite, non-negative weight per class
	// (shape [C]), as PyTorch's weight: each class's terms are scaled by
	// it, and with class labels the mean divides by the sum of the
	// examples' label weights instead of their count (with probability
	// targets it stays the mean over the batch, as in PyTorch).
	Weight *tensor.Tensor
	// IgnoreIndex, if not nil, is a label whose examples count for nothing:
	// zero loss and gradient, and left out of the mean. It may lie outside
	// [0, C), as PyTorch's default −100 does; nil means no label is ignored.
	// Only class labels have it.
	IgnoreIndex *int
	Reduction   Reduction
}

// CrossEntropyLoss returns the cross-entropy from logits with the given
// options.
func CrossEntropyLoss(o CrossEntropyOptions) Loss {
	eps := o.LabelSmoothing
	if !(eps >= 0 && eps <= 1) {
		panic(&Error{Op: "CrossEntropyLoss", Detail: fmt.Sprintf("label smoothing %v outside [0, 1]", eps)})
	}
	if o.Weight != nil {
		if o.Weight.Dims() != 1 {
			panic(&Error{Kind: tensor.ErrShape, Op: "CrossEntropyLoss", Detail: fmt.Sprintf("class weights of shape %v: want [classes]", o.Weight.Shape())})
		}
		for i, w := range o.Weight.Data() {
			if !(w >= 0) || math.IsInf(w, 1) {
				panic(&Error{Op: "CrossEntropyLoss", Detail: fmt.Sprintf("class weight %d is %v; want a finite number ≥ 0", i, w)})
			}
		}
		o.Weight = o.Weight.Clone() // the caller's tensor may change later
	}
	return inFloat64(func(logits, target *autograd.Var) *autograd.Var {
		x := logits.Value
		if x.Dims() != 2 {
			panic(&Error{Kind: tensor.ErrShape, Op: "CrossEntropy", Detail: fmt.Sprintf("logits of shape %v: want [batch classes]", x.Shape())})
		}
		n, c := x.Dim(0), x.Dim(1)
		w := o.Weight
		if w == nil {
			w = tensor.Ones(c)
		} else if w.Dim(0) != c {
			panic(&Error{Kind: tensor.ErrShape, Op: "CrossEntropy", Detail: fmt.Sprintf("%d class weights for logits of %d classes", w.Dim(0), c)})
		}
		if !target.Value.SameShape(x) {
			labels := classLabels("CrossEntropy", target.Value, n, c, o.IgnoreIndex)
			loss, total := crossEntropyLabels(logits, labels, w.Data(), eps)
			if o.Reduction == Mean {
				return loss.Sum().MulScalar(1 / total) // 0/0 = NaN when every label is ignored, as PyTorch
			}
			return o.Reduction.apply(loss)
		}
		if o.IgnoreIndex != nil {
			panic(&Error{Op: "CrossEntropy", Detail: "IgnoreIndex is for class labels, but the targets are probabilities [batch classes]"})
		}
		// The target distribution, smoothed, and each class's weight on it.
		q := target.Value.MulScalar(1 - eps).AddScalar(eps / float64(c))
		wq := q
		if o.Weight != nil { // unweighted, the common case, costs no extra pass
			wq = q.Mul(w)
		}
		logp := x.LogSoftmax(1)
		loss := logp.Mul(wq).Sum(1).Neg()
		return o.Reduction.apply(autograd.Custom(loss, func(g *tensor.Tensor) []*tensor.Tensor {
			gcol := g.Reshape(n, 1)
			// d/dx = softmax·Σ w·q − w·q, per row.
			dx := logp.Exp().Mul(wq.Sum(1).Reshape(n, 1)).Sub(wq).Mul(gcol)
			dt := logp.Mul(gcol).Scale(-(1 - eps))
			if o.Weight != nil {
				dt = dt.Mul(w)
			}
			return []*tensor.Tensor{dx, dt}
		}, logits, target))
	})
}

// crossEntropyLabels is the unreduced cross-entropy of logits [N C] against
// class labels (−1 for an ignored example) with class weights w and the
// targets smoothed by eps: per row −(1−eps)·w[y]·logp[y] − eps/C·Σ w·logp,
// and its gradient softmax·((1−eps)·w[y] + eps/C·Σw) − (1−eps)·w[y]·δy −
// eps/C·w, computed in one pass each way. It also returns the sum of the
// labels' weights, the denominator of PyTorch's mean. Labels are the common
// case of a training step, so it builds no target matrix.
func crossEntropyLabels(logits *autograd.Var, labels []int, w []float64, eps float64) (*autograd.Var, float64) {
	logp := logits.Value.LogSoftmax(1)
	n, c := logp.Dim(0), logp.Dim(1)
	lp := logp.Data()
	loss := tensor.Zeros(n)
	ld := loss.Data()
	total, wsum := 0.0, 0.0
	for _, v := range w {
		wsum += v
	}
	for i, y := range labels {
		if y < 0 {
			continue
		}
		total += w[y]
		row := lp[i*c : (i+1)*c]
		ld[i] = -(1 - eps) * w[y] * row[y]
		if eps != 0 {
			sum := 0.0
			for j, v := range row {
				sum += w[j] * v
			}
			ld[i] -= eps / float64(c) * sum
		}
	}
	return autograd.Custom(loss, func(g *tensor.Tensor) []*tensor.Tensor {
		dx := tensor.Zeros(n, c)
		dd, gd := dx.Data(), g.Data()
		for i, y := range labels {
			if y < 0 {
				continue
			}
			row, out := lp[i*c:(i+1)*c], dd[i*c:(i+1)*c]
			scale := (1-eps)*w[y] + eps/float64(c)*wsum
			for j, v := range row {
				out[j] = gd[i] * (math.Exp(v)*scale - eps/float64(c)*w[j])
			}
			out[y] -= gd[i] * (1 - eps) * w[y]
		}
		return []*tensor.Tensor{dx}
	}, logits), total
}

// NLL is the negative log-likelihood of log-probabilities [N C] (the output
// of LogSoftmax) against class labels [N] (Int64, or whole numbers in a
// float tensor), averaged: mean(−logp[label]), as torch.nn.NLLLoss.
func NLL(logProbs, target *autograd.Var) *autograd.Var { return NLLLoss(Mean)(logProbs, target) }

// NLLLoss returns the negative log-likelihood with the given reduction.
func NLLLoss(r Reduction) Loss {
	return inFloat64(func(logProbs, target *autograd.Var) *autograd.Var {
		x := logProbs.Value
		if x.Dims() != 2 {
			panic(&Error{Kind: tensor.ErrShape, Op: "NLL", Detail: fmt.Sprintf("log-probabilities of shape %v: want [batch classes]", x.Shape())})
		}
		n, c := x.Dim(0), x.Dim(1)
		labels := classLabels("NLL", target.Value, n, c, nil)
		loss := tensor.Zeros(n)
		for i, y := range labels {
			loss.Data()[i] = -x.Data()[i*c+y]
		}
		return r.apply(autograd.Custom(loss, func(g *tensor.Tensor) []*tensor.Tensor {
			dx := tensor.Zeros(n, c)
			for i, y := range labels {
				dx.Data()[i*c+y] = -g.Data()[i]
			}
			return []*tensor.Tensor{dx, nil}
		}, logProbs, target))
	})
}

// classLabels checks that t (Int64, or float holding whole numbers) holds
// n labels in [0, c) and returns them as ints; a label equal to *ignore,
// if ignore is not nil, is returned as −1.
func classLabels(op string, t *tensor.Tensor, n, c int, ignore *int) []int {
	if !slices.Equal(t.Shape(), []int{n}) {
		panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("labels of shape %v for %d examples of %d classes: want [%d] class indices or [%d %d] probabilities", t.Shape(), n, c, n, n, c)})
	}
	vals, bad := indexValues(t)
	if bad >= 0 {
		panic(&Error{Kind: tensor.ErrIndex, Op: op, Detail: fmt.Sprintf("label %v at position %d is not a class index in [0, %d)", t.Float64s()[bad], bad, c)})
	}
	labels := make([]int, n)
	for i, v := range vals {
		if ignore != nil && v == int64(*ignore) {
			labels[i] = -1
			continue
		}
		if v < 0 || v >= int64(c) {
			panic(&Error{Kind: tensor.ErrIndex, Op: op, Detail: fmt.Sprintf("label %v at position %d is not a class index in [0, %d)", v, i, c)})
		}
		labels[i] = int(v)
	}
	return labels
}

// indexValues returns the elements of t, which holds indices: an Int64
// tensor's as they are, a float tensor's (the form indices took before
// Int64, still accepted) converted when every one is a whole number in
// int64's range. Otherwise it returns the position of the first float
// element that is not as bad; bad is −1 when all are.
func indexValues(t *tensor.Tensor) (vals []int64, bad int) {
	if t.DType() == tensor.Int64 {
		return t.Int64s(), -1
	}
	fs := t.Float64s()
	vals = make([]int64, len(fs))
	for i, v := range fs {
		if v != math.Trunc(v) || !(v >= -(1<<63) && v < 1<<63) {
			return nil, i
		}
		vals[i] = int64(v)
	}
	return vals, -1
}
