//go:build !unix

// Package flock takes advisory locks on open files, which the system
// releases when the file is closed or its process dies: a crashed process
// never leaves a lock behind. Where the system has no such locks (or Go's
// standard library does not reach them), TryLock says so and Lock grants at
// once.
package flock

import (
	"errors"
	"os"
)

// Supported says this system has no advisory locks that Go's standard
// library exposes.
const Supported = false

// TryLock returns errors.ErrUnsupported: no lock can be taken here.
func TryLock(*os.File) error { return errors.ErrUnsupported }

// Lock returns nil at once: callers that must wait go on unguarded.
func Lock(*os.File) error { return nil }

// Unlock returns nil.
func Unlock(*os.File) error { return nil }
