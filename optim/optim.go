// Package optim provides the optimizers that update a model's parameters
// from their gradients (SGD, Adam, AdamW, RMSprop, Adagrad), gradient
// clipping, learning-rate schedules and the plateau rule that lowers the
// learning rate when a metric stops improving.
//
// Every formula is PyTorch's, in PyTorch's order of operations: where the
// weight decay enters, where eps is added, how bias correction is applied.
// Porting a recipe gives the same numbers (the tests check several steps of
// each optimizer against values computed by PyTorch 1.13 to 1e-12).
//
// A training step is
//
//	opt.ZeroGrad()
//	loss := nn.MSE(model.Forward(x), y)
//	loss.Backward()
//	opt.Step()
//
// and, once its buffers exist, Step allocates nothing.
//
// Config structs follow one rule, in every package of minidl: the zero
// value of a config is the documented default (PyTorch's), and every value
// PyTorch accepts can be said. A field whose zero would be invalid (a
// learning rate, a beta, eps) takes the default when zero; a field whose
// zero is meaningful and the default (momentum, Adam's weight decay) is a
// plain value; a field whose zero is meaningful but not the default
// (AdamW's weight decay, a plateau's patience and threshold) is a pointer,
// nil meaning the default: WeightDecay: new(0.0) says "none".
package optim

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step updates every parameter that has a gradient.
	Step()
	// ZeroGrad clears the gradients of the parameters.
	ZeroGrad()
	// LR returns the current learning rate.
	LR() float64
	// SetLR sets the learning rate, for schedules and plateau rules.
	SetLR(lr float64)
	// State returns the optimizer's state (learning rate, step counts and
	// per-parameter buffers) as a state dict, to be saved for resuming.
	State() *nn.StateDict
	// LoadState restores a state returned by State of an optimizer of the
	// same kind over parameters of the same shapes.
	LoadState(s *nn.StateDict) error
}

// ErrConfig is the kind of every *Error, for errors.Is.
var ErrConfig = errors.New("optim: invalid setting")

// Error is the value optim panics with when it is given an invalid
// setting, such as a negative learning rate.
type Error struct {
	Op     string
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *Error) Error() string { return "optim: " + e.Op + ": " + e.Detail }

// Is reports whether target is ErrConfig.
func (e *Error) Is(target error) bool { return target == ErrConfig }

func check(op string, ok bool, format string, args ...any) {
	if !ok {
		panic(&Error{Op: op, Detail: fmt.Sprintf(format, args...)})
	}
}

// badStateValue says what is wrong with the values of a saved state entry,
// or returns "" if nothing is.
func badStateValue(name string, values []float64) string {
	_, kind, _ := strings.Cut(name, ".")
	for _, v := range values {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Sprintf("%v is not finite", v)
		case (name == "lr" || accumulatesSquares(kind)) && v < 0:
			return fmt.Sprintf("%v is negative", v)
		case kind == "step" && (v != math.Trunc(v) || v < 0 || v > 1<<53):
			return fmt.Sprintf("%v is not a step count", v)
		}
	}
	return ""
}

// accumulatesSquares reports whether a buffer sums squares, and so is never
// negative.
func accumulatesSquares(buffer string) bool {
	switch buffer {
	case "exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum":
		return true
	}
	return false
}

// valueOr returns *p, or def if p is nil: the default of a setting whose
// zero is meaningful.
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// orDefault returns def if v is zero.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// base holds what every optimizer shares: the parameters, the learning rate,
// the per-parameter step counts and the named per-parameter buffers.
type base struct {
	kind    string
	params  []*autograd.Var
	lr      float64
	steps   []float64 // per parameter, as PyTorch's state["step"]
	buffers []buffer
}

// buffer is one named per-parameter state tensor, such as Adam's exp_avg.
type buffer struct {
	name string
	t    []*tensor.Tensor
}

func newBase(kind string, named []nn.Param, lr float64, bufferNames ...string) base {
	check(kind, lr >= 0, "learning rate %v is negative", lr)
	params := make([]*autograd.Var, len(named))
	seen := make(map[*autograd.Var]int, len(named))
	for i, p := range named {
		check(kind, p.Var != nil, "parameter %d (%q) is nil", i, p.Name)
		j, dup := seen[p.Var]
		check(kind, !dup, "parameters %d (%q) and %d (%q) are the same Var: it would be updated twice per step", j, named[j].Name, i, p.Name)
		seen[p.Var] = i
		params[i] = p.Var
	}
	b := base{kind: kind, params: params, lr: lr, steps: make([]float64, len(params))}
	for _, name := range bufferNames {
		buf := buffer{name: name, t: make([]*tensor.Tensor, len(params))}
		for i, p := range params {
			buf.t[i] = tensor.Zeros(p.Value.Shape()...)
		}
		b.buffers = append(b.buffers, buf)
	}
	return b
}

// ZeroGrad clears the gradients of the parameters.
func (b *base) ZeroGrad() {
	for _, p := range b.params {
		p.ZeroGrad()
	}
}

// LR returns the learning rate.
func (b *base) LR() float64 { return b.lr }

// SetLR sets the learning rate.
func (b *base) SetLR(lr float64) {
	check(b.kind, lr >= 0, "learning rate %v is negative", lr)
	b.lr = lr
}

// State returns "lr", "<i>.step" and "<i>.<buffer>" for parameter i.
func (b *base) State() *nn.StateDict {
	s := nn.NewStateDict()
	s.Set("lr", tensor.Scalar(b.lr))
	for i := range b.params {
		s.Set(fmt.Sprintf("%d.step", i), tensor.Scalar(b.steps[i]))
		for _, buf := range b.buffers {
			s.Set(fmt.Sprintf("%d.%s", i, buf.name), buf.t[i].Clone())
		}
	}
	return s
}

// LoadState restores what State saved. Every entry must be present with the
// right shape and a value State could have written (a finite rate, whole
// step counts, finite buffers, second moments not negative), and nothing
// else may be; otherwise it returns a *nn.StateDictError naming every
// offending entry and nothing changes.
func (b *base) LoadState(s *nn.StateDict) error {
	want := b.State()
	e := &nn.StateDictError{Target: "the " + b.kind + " optimizer"}
	for _, name := range want.Names() {
		w, _ := want.Get(name)
		got, ok := s.Get(name)
		switch {
		case !ok:
			e.Missing = append(e.Missing, name)
		case !got.SameShape(w):
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: state %v, optimizer %v", name, got.Shape(), w.Shape()))
		default:
			if why := badStateValue(name, got.Data()); why != "" {
				e.Mismatched = append(e.Mismatched, name+": "+why)
			}
		}
	}
	for _, name := range s.Names() {
		if _, ok := want.Get(name); !ok {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) > 0 {
		return e
	}
	lr, _ := s.Get("lr")
	b.lr = lr.Item()
	for i := range b.params {
		st, _ := s.Get(fmt.Sprintf("%d.step", i))
		b.steps[i] = st.Item()
		for _, buf := range b.buffers {
			t, _ := s.Get(fmt.Sprintf("%d.%s", i, buf.name))
			buf.t[i].CopyFrom(t)
		}
	}
	return nil
}

// each calls f for every parameter that has a gradient, with its index,
// value data and gradient data, after counting the step.
func (b *base) each(f func(i int, p, g []float64)) {
	for i, v := range b.params {
		if v.Grad == nil {
			continue
		}
		b.steps[i]++
		f(i, v.Value.Data(), v.Grad.Data())
	}
}

// buf returns the data of buffer k of parameter i.
func (b *base) buf(k, i int) []float64 { return b.buffers[k].t[i].Data() }
