package tensor

import "fmt"

// Error is the value tensor operations panic with when they are given
// tensors of the wrong shape, an index out of range or an invalid argument.
// Such a mistake is a bug in the calling code, like an out-of-range slice
// index, so it panics rather than returning an error. Recover it with
//
//	if e, ok := recover().(*tensor.Error); ok { … }
type Error struct {
	Op     string // the operation, such as "MatMul"
	Detail string // the shapes involved and what was expected
}

// Error returns the message: "tensor: Op: detail".
func (e *Error) Error() string { return "tensor: " + e.Op + ": " + e.Detail }

func errorf(op, format string, args ...any) *Error {
	return &Error{Op: op, Detail: fmt.Sprintf(format, args...)}
}
