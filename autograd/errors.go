package autograd

import (
	"fmt"

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

// float64Only panics unless every tensor given is float64: op's kernel
// reads float64 slices and has no float32 path yet, and a named panic at
// the door says so where reading the slice would only name Data.
func float64Only(op string, ts ...*tensor.Tensor) {
	for _, t := range ts {
		if t != nil && t.DType() != tensor.Float64 {
			panic(errorf(op, tensor.ErrDType, "a %v operand of shape %v: %s computes in float64 only so far; convert with To(tensor.Float64)", t.DType(), t.Shape(), op))
		}
	}
}

// sameDType panics unless the tensors share a dtype: op computes in one,
// and converting an operand silently would hide a model left in the other.
func sameDType(op string, a, b *tensor.Tensor) {
	if a.DType() != b.DType() {
		panic(errorf(op, tensor.ErrDType, "%v %v and %v %v: dtypes differ; convert the second with To(%s)", a.DType(), a.Shape(), b.DType(), b.Shape(), dtypeConstant(a.DType())))
	}
}

// dtypeConstant is the Go name of d that a message tells the user to pass:
// tensor.Float32 or tensor.Float64.
func dtypeConstant(d tensor.DType) string {
	if d == tensor.Float32 {
		return "tensor.Float32"
	}
	return "tensor.Float64"
}
