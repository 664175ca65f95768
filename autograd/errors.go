package autograd

import (
	"fmt"
	"strings"

	"github.com/minidl/minidl/tensor"
)

// Error is the value autograd panics with when it is misused: a Backward
// from a result that is not a scalar, a seed of the wrong shape, a Custom
// operation whose backward returns the wrong gradients. Like a tensor
// shape mismatch it is a bug in the calling code. Its Kind is one of
// tensor's, so errors.Is(e, tensor.ErrShape) holds for shape mistakes here
// as there; an operation on Values that panics reaches the caller as the
// *tensor.Error it is.
type Error struct {
	Op     string // the operation, such as "Backward"
	Kind   error  // tensor.ErrShape, tensor.ErrIndex, tensor.ErrArgument or tensor.ErrDType
	Detail string // the shapes involved and what was expected
}

// Error returns the message: "autograd: Op: detail".
func (e *Error) Error() string { return "autograd: " + e.Op + ": " + e.Detail }

// Unwrap returns the error's kind, so that errors.Is matches it.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(op string, kind error, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// floatOnly panics with ErrDType if any tensor given (nil ones are
// skipped) is Int64: op's kernel reads float32 or float64 slices, and an
// index tensor has neither; an Int64 input meant as indices belongs in an
// nn.Embedding.
func floatOnly(op string, ts ...*tensor.Tensor) {
	for _, t := range ts {
		if t != nil && t.DType() == tensor.Int64 {
			panic(errorf(op, tensor.ErrDType, "an int64 operand %v: %s computes on float tensors only; convert it with To(tensor.Float64) (indices go through an nn.Embedding)", t.Shape(), op))
		}
	}
}

// sameDType panics unless the tensors share a dtype: op computes in one,
// and converting an operand silently would hide a model left in the other.
// An Int64 operand is refused first, by floatOnly.
func sameDType(op string, a, b *tensor.Tensor) {
	floatOnly(op, a, b)
	if a.DType() != b.DType() {
		panic(errorf(op, tensor.ErrDType, "%v %v and %v %v: dtypes differ; convert the second with To(%s)", a.DType(), a.Shape(), b.DType(), b.Shape(), dtypeConstant(a.DType())))
	}
}

// sameDTypeAsInput panics unless every parameter given (nil ones are skipped)
// has the input x's dtype: a float32 input meets float64 weights when the
// model or the batch was not converted, and the message says which to
// convert rather than promoting one silently.
func sameDTypeAsInput(op string, x *tensor.Tensor, params ...*tensor.Tensor) {
	floatOnly(op, x)
	for _, p := range params {
		if p != nil && p.DType() != x.DType() {
			panic(errorf(op, tensor.ErrDType, "a %v input %v and a %v parameter %v: dtypes differ; convert the model with nn.To(model, %s) or the input with To(%s)",
				x.DType(), x.Shape(), p.DType(), p.Shape(), dtypeConstant(x.DType()), dtypeConstant(p.DType())))
		}
	}
}

// dtypeConstant is the Go name of d that a message tells the user to pass,
// such as tensor.Float32.
func dtypeConstant(d tensor.DType) string {
	s := d.String()
	return "tensor." + strings.ToUpper(s[:1]) + s[1:]
}
