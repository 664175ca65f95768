// Package nn provides the building blocks of neural networks on top of
// package autograd: the Module interface, layers (Linear, activations,
// Dropout, Flatten, Sequential), weight initializers, loss functions,
// metrics, state dicts and safetensors checkpoints.
//
// Everything follows PyTorch's conventions, so that a recipe carries over
// with the same numbers: a Linear layer stores its weight as out×in and is
// initialized as torch.nn.Linear is; losses reduce by the mean by default;
// parameter names are PyTorch's ("0.weight", "0.bias", "2.weight", … for a
// Sequential), so a state dict saved here loads into the same
// torch.nn.Sequential and back.
//
// A model is any Module. Sequential chains modules; a custom model is a
// struct with a Forward method and a Params method that names its
// parameters:
//
//	type MLP struct{ Hidden, Out *nn.Linear }
//
//	func (m *MLP) Forward(x *autograd.Var) *autograd.Var {
//		return m.Out.Forward(m.Hidden.Forward(x).ReLU())
//	}
//
//	func (m *MLP) Params() []nn.Param {
//		return nn.JoinParams("hidden", m.Hidden, "out", m.Out)
//	}
package nn

import (
	"fmt"
	"strings"

	"github.com/minidl/minidl/autograd"
)

// Module is a differentiable function with named parameters: a layer or a
// whole model.
type Module interface {
	// Forward computes the module's output for the input x.
	Forward(x *autograd.Var) *autograd.Var
	// Params returns the module's parameters, its children's included, with
	// dotted names that are stable from call to call ("0.weight").
	Params() []Param
}

// Param is a named parameter of a Module.
type Param struct {
	Name string
	Var  *autograd.Var
}

// Trainable is implemented by modules whose behaviour differs between
// training and evaluation, such as Dropout, and by containers of them. A
// custom model that holds such modules implements it by passing the call
// on.
type Trainable interface {
	// SetTraining switches the module to training (true) or evaluation
	// (false) behaviour.
	SetTraining(training bool)
}

// SetTraining puts m in training (true) or evaluation (false) mode if it
// has such modes, as PyTorch's model.train() and model.eval() do. Modules
// start in training mode.
func SetTraining(m Module, training bool) {
	if t, ok := m.(Trainable); ok {
		t.SetTraining(training)
	}
}

// Parameters returns the parameter Vars of m in the order of m.Params,
// ready for an optimizer.
func Parameters(m Module) []*autograd.Var {
	ps := m.Params()
	vs := make([]*autograd.Var, len(ps))
	for i, p := range ps {
		vs[i] = p.Var
	}
	return vs
}

// JoinParams gathers the parameters of named children, prefixing each
// child's parameter names with the child's name and a dot. It takes
// alternating names and modules: JoinParams("hidden", h, "out", o).
func JoinParams(namesAndModules ...any) []Param {
	if len(namesAndModules)%2 != 0 {
		panic(&Error{Op: "JoinParams", Detail: "want alternating names and modules"})
	}
	var ps []Param
	for i := 0; i < len(namesAndModules); i += 2 {
		name, ok1 := namesAndModules[i].(string)
		m, ok2 := namesAndModules[i+1].(Module)
		if !ok1 || !ok2 {
			panic(&Error{Op: "JoinParams", Detail: fmt.Sprintf("argument %d: want a name and a Module, got %T and %T", i, namesAndModules[i], namesAndModules[i+1])})
		}
		for _, p := range m.Params() {
			ps = append(ps, Param{Name: name + "." + p.Name, Var: p.Var})
		}
	}
	return ps
}

// Error is the value nn panics with when it is called with arguments that
// cannot be right, such as class labels outside the number of classes; the
// message names the operation and the shapes or values involved.
type Error struct {
	Op     string
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *Error) Error() string { return "nn: " + e.Op + ": " + e.Detail }

// Sequential applies its modules in order, feeding each one's output to the
// next, as torch.nn.Sequential does. Its parameters are named by position:
// "0.weight", "0.bias", "2.weight", ….
type Sequential struct {
	Layers []Module
}

// NewSequential returns a Sequential of the given modules.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies the layers in order.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	for _, l := range s.Layers {
		x = l.Forward(x)
	}
	return x
}

// Params returns the layers' parameters prefixed with their positions.
func (s *Sequential) Params() []Param {
	args := make([]any, 0, 2*len(s.Layers))
	for i, l := range s.Layers {
		args = append(args, fmt.Sprint(i), l)
	}
	return JoinParams(args...)
}

// Parameters returns the parameter Vars, ready for an optimizer.
func (s *Sequential) Parameters() []*autograd.Var { return Parameters(s) }

// SetTraining sets training or evaluation mode on every layer.
func (s *Sequential) SetTraining(training bool) {
	for _, l := range s.Layers {
		SetTraining(l, training)
	}
}

// String lists the layers as PyTorch prints a Sequential.
func (s *Sequential) String() string {
	var b strings.Builder
	b.WriteString("Sequential(\n")
	for i, l := range s.Layers {
		inner := strings.ReplaceAll(fmt.Sprint(l), "\n", "\n  ")
		fmt.Fprintf(&b, "  (%d): %s\n", i, inner)
	}
	b.WriteString(")")
	return b.String()
}
