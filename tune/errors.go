package tune

import (
	"errors"
	"fmt"
)

// ErrArgument is the kind of every *Error: errors.Is(err, ErrArgument)
// tells a mistake in the code that drives a study (a search space that
// cannot be sampled, a report at a negative step) from a failure of the
// outside world.
var ErrArgument = errors.New("tune: invalid argument")

// ErrJournal is the kind of every *JournalError: errors.Is(err,
// ErrJournal).
var ErrJournal = errors.New("tune: invalid journal")

// ErrPruned is what an objective returns to end its trial as pruned (or
// paused, when a Promoter paused it), as Optuna's TrialPruned:
//
//	if t.ShouldPrune() {
//		return 0, tune.ErrPruned
//	}
//
// The PruningCallback makes train.Fit return it; the study tests for it
// with errors.Is, so it may come wrapped.
var ErrPruned = errors.New("tune: trial pruned")

// Error is the value the package panics with when code asks for something
// that cannot work: a parameter's bounds out of order, a log scale over
// negative numbers, the same parameter asked with two distributions.
type Error struct {
	Op     string // "Trial.Float", "NewTPESampler", …
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *Error) Error() string { return "tune: " + e.Op + ": " + e.Detail }

// Is reports whether target is ErrArgument.
func (e *Error) Is(target error) bool { return target == ErrArgument }

// check panics with an *Error if ok is false.
func check(op string, ok bool, format string, args ...any) {
	if !ok {
		panic(&Error{Op: op, Detail: fmt.Sprintf(format, args...)})
	}
}

// JournalError reports a journal that cannot be read or does not fit the
// study, naming the file and, when one is at fault, the line.
type JournalError struct {
	Path   string
	Line   int // from 1; 0 when no one line is at fault
	Detail string
}

// Error returns the message.
func (e *JournalError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("tune: journal %s: %s", e.Path, e.Detail)
	}
	return fmt.Sprintf("tune: journal %s line %d: %s", e.Path, e.Line, e.Detail)
}

// Is reports whether target is ErrJournal.
func (e *JournalError) Is(target error) bool { return target == ErrJournal }
