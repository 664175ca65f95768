package train

import (
	"fmt"

	"github.com/minidl/minidl/tensor"
)

// Error is the value train panics with when it is called with an argument
// that cannot be right, such as a negative batch size or a scalar to
// predict over: a bug in the calling code, as an out-of-range index is.
// The message names the function and what was expected.
type Error struct {
	Op     string
	Kind   error // tensor.ErrShape, tensor.ErrIndex or tensor.ErrArgument
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *Error) Error() string { return "train: " + e.Op + ": " + e.Detail }

// Unwrap returns the error's kind, one of tensor's, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

func argError(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: tensor.ErrArgument, Detail: fmt.Sprintf(format, args...)}
}

func shapeError(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf(format, args...)}
}
