package nn

import (
	"fmt"

	"github.com/minidl/minidl/tensor"
)

// To converts every parameter and buffer of m to dtype in place, as
// PyTorch's model.to(dtype) (model.float() for tensor.Float32): each Var
// keeps its identity, so optimizers built afterwards see the converted
// values. Gradients are cleared. Build the optimizer after converting, as
// in PyTorch, since its state takes the dtype of the parameters it is made
// over. Int64 buffers (counts, indices) are left as they are, as
// model.to(dtype) leaves a module's integer buffers, and converting to
// Int64 is refused: a model computes in a float dtype.
func To(m Module, dtype tensor.DType) {
	if dtype == tensor.Int64 {
		panic(&Error{Op: "To", Kind: tensor.ErrDType, Detail: "int64: a model computes in a float dtype; want tensor.Float64 or tensor.Float32"})
	}
	for _, p := range m.Parameters() {
		if d := p.Var.Value.DType(); d != dtype && d != tensor.Int64 {
			p.Var.Value = p.Var.Value.To(dtype)
			p.Var.Grad = nil
		}
	}
}

// DTypeOf returns the dtype of m's parameters, float64 for a module
// without any. It panics with an *Error naming two parameters if they
// differ: a model computes in one dtype (convert it with To). Int64
// buffers do not count: they are never converted.
func DTypeOf(m Module) tensor.DType {
	var params []Param // a new slice: a module may return its own
	for _, p := range m.Parameters() {
		if p.Var.Value.DType() != tensor.Int64 {
			params = append(params, p)
		}
	}
	if len(params) == 0 {
		return tensor.Float64
	}
	first := params[0]
	for _, p := range params[1:] {
		if d := p.Var.Value.DType(); d != first.Var.Value.DType() {
			panic(&Error{Op: "DTypeOf", Kind: tensor.ErrDType, Detail: fmt.Sprintf("%s is %v and %s is %v: convert the model with nn.To", first.Name, first.Var.Value.DType(), p.Name, d)})
		}
	}
	return first.Var.Value.DType()
}

// dtypeConstant is the Go name of d that a message tells the user to pass:
// tensor.Float32 or tensor.Float64.
func dtypeConstant(d tensor.DType) string {
	if d == tensor.Float32 {
		return "tensor.Float32"
	}
	return "tensor.Float64"
}
