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
	// LR returns the current learning rate (the default group's, when the
	// optimizer has parameter groups).
	LR() float64
	// SetLR sets the learning rate of every parameter group.
	SetLR(lr float64)
	// LRs returns the learning rate of each parameter group, the default
	// group's first: one rate unless the config has Groups.
	LRs() []float64
	// SetLRs sets each group's learning rate, for schedules and plateau
	// rules; it takes one rate per group.
	SetLRs(lrs []float64)
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
	kind := name[strings.LastIndex(name, ".")+1:]
	for _, v := range values {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Sprintf("%v is not finite", v)
		case kind == "beta1" && (v <= 0 || v >= 1):
			return fmt.Sprintf("%v is outside (0, 1)", v)
		case kind == "momentum" && v <= 0: // saved only when there is one
			return fmt.Sprintf("%v is not positive", v)
		case (kind == "lr" || accumulatesSquares(kind)) && v < 0:
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

// base holds what every optimizer shares: the parameters and their groups,
// the per-parameter step counts and the named per-parameter buffers.
type base struct {
	kind    string
	params  []*autograd.Var
	groupOf []int     // the group of each parameter
	groups  []hyper   // each group's settings, the default group's first
	steps   []float64 // per parameter, as PyTorch's state["step"]
	buffers []buffer
	// settings are the optimizer-wide settings a schedule may change (SGD's
	// momentum, Adam's β₁), saved with the state so a resumed run has them.
	settings []setting
}

// buffer is one named per-parameter state tensor, such as Adam's exp_avg.
type buffer struct {
	name string
	t    []*tensor.Tensor
}

// setting is a named optimizer-wide value that State saves.
type setting struct {
	name string
	v    *float64
}

func newBase(kind string, named []nn.Param, def hyper, groups []Group, bufferNames ...string) base {
	check(kind, def.lr >= 0, "learning rate %v is negative", def.lr)
	params := make([]*autograd.Var, len(named))
	seen := make(map[*autograd.Var]int, len(named))
	for i, p := range named {
		check(kind, p.Var != nil, "parameter %d (%q) is nil", i, p.Name)
		j, dup := seen[p.Var]
		check(kind, !dup, "parameters %d (%q) and %d (%q) are the same Var: it would be updated twice per step", j, named[j].Name, i, p.Name)
		seen[p.Var] = i
		params[i] = p.Var
	}
	groupOf, settings := assignGroups(kind, params, def, groups)
	b := base{kind: kind, params: params, groupOf: groupOf, groups: settings, steps: make([]float64, len(params))}
	for _, name := range bufferNames {
		buf := buffer{name: name, t: make([]*tensor.Tensor, len(params))}
		for i, p := range params {
			buf.t[i] = tensor.ZerosLike(p.Value)
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

// LR returns the learning rate of the default group, the only one unless
// the config has Groups.
func (b *base) LR() float64 { return b.groups[0].lr }

// SetLR sets the learning rate of every group.
func (b *base) SetLR(lr float64) {
	check(b.kind, lr >= 0, "learning rate %v is negative", lr)
	for g := range b.groups {
		b.groups[g].lr = lr
	}
}

// State returns "lr" (the default group's rate), "group.<g>.lr" and
// "group.<g>.params" (the indices of its parameters) for every other group
// g, each setting a schedule may change ("momentum", "beta1"), and
// "<i>.step" and "<i>.<buffer>" for parameter i.
func (b *base) State() *nn.StateDict {
	s := nn.NewStateDict()
	s.Set("lr", tensor.Scalar(b.groups[0].lr))
	for g := 1; g < len(b.groups); g++ {
		s.Set(groupName(g, "lr"), tensor.Scalar(b.groups[g].lr))
		ix := b.groupMembers(g)
		s.Set(groupName(g, "params"), tensor.New(ix, len(ix)))
	}
	for _, st := range b.settings {
		s.Set(st.name, tensor.Scalar(*st.v))
	}
	for i := range b.params {
		s.Set(fmt.Sprintf("%d.step", i), tensor.Scalar(b.steps[i]))
		for _, buf := range b.buffers {
			s.Set(fmt.Sprintf("%d.%s", i, buf.name), buf.t[i].Clone())
		}
	}
	return s
}

// LoadState restores what State saved. Every entry must be present with the
// right shape and a value State could have written (finite rates, the same
// groups, whole step counts, finite buffers, second moments not negative),
// and nothing else may be; otherwise it returns a *nn.StateDictError naming
// every offending entry and nothing changes.
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
		case strings.HasSuffix(name, ".params") && !tensor.Equal(got, w):
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: the state's group holds parameters %v, the optimizer's %v", name, got.Float64s(), w.Float64s()))
		default:
			if why := badStateValue(name, got.Float64s()); why != "" {
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
	item := func(name string) float64 {
		t, _ := s.Get(name)
		return t.Item()
	}
	b.groups[0].lr = item("lr")
	for g := 1; g < len(b.groups); g++ {
		b.groups[g].lr = item(groupName(g, "lr"))
	}
	for _, st := range b.settings {
		*st.v = item(st.name)
	}
	for i := range b.params {
		b.steps[i] = item(fmt.Sprintf("%d.step", i))
		for _, buf := range b.buffers {
			t, _ := s.Get(fmt.Sprintf("%d.%s", i, buf.name))
			buf.t[i].CopyFrom(t)
		}
	}
	return nil
}

// element is a parameter's element type. An optimizer updates float64 and
// float32 parameters alike, each in its own dtype, and keeps its state
// (momentum, moments) in that dtype, as PyTorch's optimizers do.
type element interface{ float32 | float64 }

// elements returns the backing slice of t, whose dtype must be E's.
func elements[E element](t *tensor.Tensor) []E {
	var e E
	if _, ok := any(e).(float32); ok {
		return any(t.Float32s()).([]E)
	}
	return any(t.Data()).([]E)
}

// update is an optimizer's step for one parameter of element type E: its
// index, value, gradient and its group's settings.
type update[E element] func(i int, p, g []E, h hyper)

// each calls the update of the parameter's dtype for every parameter that
// has a gradient, after counting its step.
func (b *base) each(f64 update[float64], f32 update[float32]) {
	for i, v := range b.params {
		if v.Grad == nil {
			continue
		}
		b.steps[i]++
		for _, buf := range b.buffers {
			// State made before the model was converted (nn.To) takes the
			// parameter's dtype at its first step, as PyTorch makes its
			// state lazily in the parameter's dtype.
			if t := buf.t[i]; t.DType() != v.Value.DType() {
				buf.t[i] = t.To(v.Value.DType())
			}
		}
		if v.Value.DType() == tensor.Float32 {
			f32(i, v.Value.Float32s(), v.Grad.Float32s(), b.groups[b.groupOf[i]])
		} else {
			f64(i, v.Value.Data(), v.Grad.Data(), b.groups[b.groupOf[i]])
		}
	}
}

// buf returns the data of buffer k of parameter i, of element type E.
func buf[E element](b *base, k, i int) []E { return elements[E](b.buffers[k].t[i]) }

// sqrt is math.Sqrt in E: for float32, the square root in float64 rounded
// once, which is the correctly rounded float32 root.
func sqrt[E element](x E) E { return E(math.Sqrt(float64(x))) }
