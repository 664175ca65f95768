// Package nn provides the building blocks of neural networks on top of
// package autograd: the Module interface, layers (Linear, activations,
// Dropout, Flatten, 1-D and 2-D convolution and pooling, normalization,
// Embedding, the recurrent RNN, LSTM and GRU, MultiheadAttention and the
// transformer encoder), the containers Sequential and ModuleList, weight
// initializers, loss functions, metrics, state dicts and safetensors
// checkpoints.
//
// Everything follows PyTorch's conventions, so that a recipe carries over
// with the same numbers: a Linear layer stores its weight as out×in and is
// initialized as torch.nn.Linear is; losses reduce by the mean by default;
// parameter names are PyTorch's ("0.weight", "0.bias", "2.weight", … for a
// Sequential), so a state dict saved here loads into the same
// torch.nn.Sequential and back.
//
// A model is any Module. Sequential chains modules; a custom model is a
// struct with a Forward method and a Parameters method that names its
// parameters:
//
//	type MLP struct{ Hidden, Out *nn.Linear }
//
//	func (m *MLP) Forward(x *autograd.Var) *autograd.Var {
//		return m.Out.Forward(m.Hidden.Forward(x).ReLU())
//	}
//
//	func (m *MLP) Parameters() []nn.Param {
//		return nn.JoinParameters("hidden", m.Hidden, "out", m.Out)
//	}
package nn

import (
	"fmt"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// Module is a differentiable function with named parameters: a layer or a
// whole model.
type Module interface {
	// Forward computes the module's output for the input x.
	Forward(x *autograd.Var) *autograd.Var
	// Parameters returns the module's parameters, its children's included,
	// with dotted names that are stable from call to call ("0.weight"), as
	// PyTorch's named_parameters gives them. Optimizers take this list.
	Parameters() []Param
}

// Param is a named parameter of a Module.
type Param struct {
	Name string
	Var  *autograd.Var
	// Buffer marks state that PyTorch keeps as a buffer rather than a
	// parameter, such as BatchNorm's running statistics: it is saved,
	// loaded and restored with the parameters but never trained (its Var
	// needs no gradient), and Summary counts it apart from the parameters,
	// as torchinfo does.
	Buffer bool
}

// ParametersOf returns vars as a parameter list named by position ("0",
// "1", …), for an optimizer over Vars that belong to no Module.
func ParametersOf(vars ...*autograd.Var) []Param {
	ps := make([]Param, len(vars))
	for i, v := range vars {
		ps[i] = Param{Name: fmt.Sprint(i), Var: v}
	}
	return ps
}

// JoinParameters gathers the parameters of named children, prefixing each
// child's parameter names with the child's name and a dot. It takes
// alternating names and modules: JoinParameters("hidden", h, "out", o).
func JoinParameters(namesAndModules ...any) []Param {
	if len(namesAndModules)%2 != 0 {
		panic(&Error{Op: "JoinParameters", Detail: "want alternating names and modules"})
	}
	var ps []Param
	for i := 0; i < len(namesAndModules); i += 2 {
		name, ok1 := namesAndModules[i].(string)
		m, ok2 := namesAndModules[i+1].(Module)
		if !ok1 || !ok2 {
			panic(&Error{Op: "JoinParameters", Detail: fmt.Sprintf("argument %d: want a name and a Module, got %T and %T", i, namesAndModules[i], namesAndModules[i+1])})
		}
		for _, p := range m.Parameters() {
			ps = append(ps, Param{Name: name + "." + p.Name, Var: p.Var, Buffer: p.Buffer})
		}
	}
	return ps
}

// Error is the value nn panics with when it is called with arguments that
// cannot be right, such as class labels outside the number of classes; the
// message names the operation and the shapes or values involved.
type Error struct {
	Op     string
	Kind   error // tensor.ErrShape, tensor.ErrIndex, or nil for tensor.ErrArgument
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *Error) Error() string { return "nn: " + e.Op + ": " + e.Detail }

// Unwrap returns the error's kind, one of tensor's, for errors.Is.
func (e *Error) Unwrap() error {
	if e.Kind == nil {
		return tensor.ErrArgument
	}
	return e.Kind
}

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

// Parameters returns the layers' parameters prefixed with their positions,
// as a ModuleList of them names them.
func (s *Sequential) Parameters() []Param { return ModuleList(s.Layers).Parameters() }

// String lists the layers as PyTorch prints a Sequential, a layer of your
// own as Repr describes it.
func (s *Sequential) String() string { return listString("Sequential", s.Layers) }
