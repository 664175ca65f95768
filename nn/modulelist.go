package nn

import (
	"strconv"
	"strings"

	"github.com/minidl/minidl/autograd"
)

// ModuleList holds modules in order, as torch.nn.ModuleList: its
// parameters are named by position ("0.weight", "1.bias", …), so a model
// that keeps a stack of layers in one field,
//
//	type Net struct{ Layers nn.ModuleList }
//
//	func (m *Net) Parameters() []nn.Param {
//		return nn.JoinParameters("layers", m.Layers)
//	}
//
// has PyTorch's state-dict names ("layers.0.weight") and prints as
// PyTorch prints it (see Repr). It is a slice: build it with a literal,
// append to it, index it and range over it. Unlike Sequential it does not
// chain its modules: the model's Forward calls them as it needs, and the
// list's own Forward panics, as PyTorch's does.
type ModuleList []Module

// Forward panics: a ModuleList is a container, not a layer.
func (l ModuleList) Forward(*autograd.Var) *autograd.Var {
	panic(&Error{Op: "ModuleList", Detail: "a ModuleList has no Forward: call its modules from the model's Forward (or use a Sequential, which chains them)"})
}

// Parameters returns the modules' parameters prefixed with their positions.
func (l ModuleList) Parameters() []Param {
	args := make([]any, 0, 2*len(l))
	for i, m := range l {
		args = append(args, strconv.Itoa(i), m)
	}
	return JoinParameters(args...)
}

// String lists the modules as PyTorch prints a ModuleList.
func (l ModuleList) String() string { return listString("ModuleList", l) }

// listString prints modules as PyTorch prints a Sequential or a
// ModuleList called name: each on a line after its position, indented.
func listString(name string, modules []Module) string {
	if len(modules) == 0 {
		return name + "()"
	}
	var b strings.Builder
	b.WriteString(name + "(\n")
	for i, m := range modules {
		inner := strings.ReplaceAll(describe(m), "\n", "\n  ")
		b.WriteString("  (" + strconv.Itoa(i) + "): " + inner + "\n")
	}
	b.WriteString(")")
	return b.String()
}
