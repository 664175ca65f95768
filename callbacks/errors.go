package callbacks

import (
	"errors"
	"fmt"

	"github.com/minidl/minidl/internal/quote"
)

// ErrConfig is the kind of every *ConfigError: errors.Is(err, ErrConfig)
// tells a setting that cannot work from a failure of the outside world.
var ErrConfig = errors.New("callbacks: invalid configuration")

// ErrState is the kind of every error of a LoadState given a state that no
// State call could have written: errors.Is(err, ErrState).
var ErrState = errors.New("callbacks: invalid saved state")

// ConfigError is the value callbacks panic with when built with settings
// that cannot work, and the error they return when a run cannot supply what
// they need (a monitored name no log will carry, a mode that cannot be
// inferred, a model to restore that was never given).
type ConfigError struct {
	Op     string
	Detail string
}

// Error returns the message, prefixed with the package and operation.
func (e *ConfigError) Error() string { return "callbacks: " + e.Op + ": " + e.Detail }

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

func configErrorf(op, format string, args ...any) *ConfigError {
	return &ConfigError{Op: op, Detail: fmt.Sprintf(format, args...)}
}

// check panics with a *ConfigError if ok is false.
func check(op string, ok bool, format string, args ...any) {
	if !ok {
		panic(configErrorf(op, format, args...))
	}
}

// StateError reports a saved state that LoadState refuses, naming the
// entry at fault.
type StateError struct {
	Op     string // "EarlyStopping.LoadState", …
	Field  string // the entry of the state
	Detail string // what is wrong, quoting at most a short excerpt of the state
}

// Error returns the message, with the entry's name cut short: a saved
// state comes from outside the program.
func (e *StateError) Error() string {
	return fmt.Sprintf("callbacks: %s: %s: %s", e.Op, quote.Text(e.Field), e.Detail)
}

// Is reports whether target is ErrState.
func (e *StateError) Is(target error) bool { return target == ErrState }
