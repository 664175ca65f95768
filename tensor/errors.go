package tensor

import (
	"errors"
	"fmt"
)

// The kinds of *Error, for errors.Is: a recovered panic value err is a
// shape mismatch if errors.Is(err, tensor.ErrShape).
var (
	// ErrShape: shapes that do not fit the operation (they differ, do not
	// broadcast, or have too many elements).
	ErrShape = errors.New("tensor: bad shape")
	// ErrIndex: an index, axis or range outside a tensor.
	ErrIndex = errors.New("tensor: index out of range")
	// ErrArgument: any other argument that cannot be right, such as a zero
	// step or bounds in the wrong order.
	ErrArgument = errors.New("tensor: bad argument")
	// ErrDType: tensors of different dtypes given to one operation, or a
	// typed accessor (Data, Float32s) used on a tensor of another dtype.
	ErrDType = errors.New("tensor: dtypes differ")
)

// Error is the value tensor operations panic with when they are given
// tensors of the wrong shape, an index out of range or an invalid argument.
// Such a mistake is a bug in the calling code, like an out-of-range slice
// index, so it panics rather than returning an error. Recover it with
//
//	if e, ok := recover().(*tensor.Error); ok { … }
//
// and tell its kind with errors.Is(e, tensor.ErrShape) and the like.
type Error struct {
	Op     string // the operation, such as "MatMul"
	Kind   error  // ErrShape, ErrIndex, ErrArgument or ErrDType
	Detail string // the shapes involved and what was expected
}

// Error returns the message: "tensor: Op: detail".
func (e *Error) Error() string { return "tensor: " + e.Op + ": " + e.Detail }

// Unwrap returns the error's kind, so that errors.Is matches it.
func (e *Error) Unwrap() error { return e.Kind }

func shapeError(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: ErrShape, Detail: fmt.Sprintf(format, args...)}
}

func indexError(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: ErrIndex, Detail: fmt.Sprintf(format, args...)}
}

func argError(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: ErrArgument, Detail: fmt.Sprintf(format, args...)}
}

func dtypeError(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: ErrDType, Detail: fmt.Sprintf(format, args...)}
}
