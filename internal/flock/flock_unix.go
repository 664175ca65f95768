//go:build unix

// Package flock takes advisory locks on open files, which the system
// releases when the file is closed or its process dies: a crashed process
// never leaves a lock behind. Where the system has no such locks (or Go's
// standard library does not reach them), every lock is granted at once.
package flock

import (
	"errors"
	"os"
	"syscall"
)

// Supported says this system has the advisory locks TryLock takes.
const Supported = true

// TryLock takes an exclusive lock on f without waiting. It returns
// ErrLocked if another open file holds the lock, and another error if the
// file cannot be locked at all (some network file systems).
func TryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrLocked
	}
	return err
}

// Lock takes an exclusive lock on f, waiting for its holder to let go.
func Lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// Unlock lets go of the lock on f.
func Unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
