//go:build !unix

// Package flock takes advisory locks on open files, which the system
// releases when the file is closed or its process dies: a crashed process
// never leaves a lock behind. Where the system has no such locks (or Go's
// standard library does not reach them), every lock is granted at once.
package flock

import "os"

// TryLock reports true: this system has no advisory locks that Go's
// standard library exposes.
func TryLock(*os.File) bool { return true }

// Lock returns nil at once, as TryLock.
func Lock(*os.File) error { return nil }

// Unlock returns nil.
func Unlock(*os.File) error { return nil }
