package nn

import (
	"fmt"
	"slices"

	"github.com/minidl/minidl/autograd"
)

// MultiInput is a Module that takes several inputs, in order, as a
// PyTorch module's forward(self, codes, features) does: category codes for
// an Embedding and numeric features, say, kept apart rather than packed
// into one tensor and sliced again. train.Fit, Evaluate and PredictInputs
// pass a multi-input loader's batches to ForwardInputs.
//
// Its Forward, the one-input call every Module has, is ForwardInputs of
// that one input; a model that needs several panics there with an *Error,
// as ForwardInputs does when given the wrong number of inputs (see
// CheckInputs).
type MultiInput interface {
	Module
	// ForwardInputs computes the module's output for its inputs, in order.
	ForwardInputs(xs ...*autograd.Var) *autograd.Var
}

// NamedInputs is implemented by a model whose inputs have names, in
// order; train.Fit then checks that a data set that names its inputs
// (data.MultiTensorDataset.WithNames) names them the same, in the same
// order, so that swapped inputs are an error before the first epoch rather
// than a model that trains on the wrong columns.
type NamedInputs interface {
	InputNames() []string
}

// ForwardInputs returns m's output for the inputs xs: m.ForwardInputs(xs...)
// if m is a MultiInput, m.Forward(xs[0]) for one input. It panics with an
// *Error naming m's type if m takes one input and is given several, or if
// xs is empty: the check train.Fit makes before its first epoch, for loops
// of one's own.
func ForwardInputs(m Module, xs ...*autograd.Var) *autograd.Var {
	if mi, ok := m.(MultiInput); ok {
		return mi.ForwardInputs(xs...)
	}
	if len(xs) != 1 {
		panic(&Error{Op: "ForwardInputs", Detail: fmt.Sprintf("%T takes one input (it is not an nn.MultiInput), given %d", m, len(xs))})
	}
	return m.Forward(xs[0])
}

// CheckInputs panics with an *Error naming op, the model and the counts
// unless xs holds want inputs: the first line of a ForwardInputs.
func CheckInputs(op string, xs []*autograd.Var, want int) {
	if len(xs) != want {
		panic(&Error{Op: op, Detail: fmt.Sprintf("%d inputs, want %d", len(xs), want)})
	}
}

// InputsProblem returns what is wrong with feeding a model batches of n
// inputs named names (nil if they have none), or "" if nothing is: a
// model that is not a MultiInput takes one input, and a model with
// NamedInputs wants its own names, count and order.
func InputsProblem(m Module, n int, names []string) string {
	mi, multi := m.(MultiInput)
	if n != 1 && !multi {
		return fmt.Sprintf("%d inputs per example, but the model (%T) takes one: want an nn.MultiInput, whose ForwardInputs takes them", n, m)
	}
	named, ok := mi.(NamedInputs)
	if !multi || !ok {
		return ""
	}
	want := named.InputNames()
	switch {
	case len(want) != n:
		return fmt.Sprintf("%d inputs per example, but the model (%T) takes %d (%q)", n, m, len(want), want)
	case names != nil && !slices.Equal(names, want):
		return fmt.Sprintf("inputs named %q, but the model (%T) takes %q in that order", names, m, want)
	}
	return ""
}
