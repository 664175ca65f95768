//go:build unix

package nn

import (
	"errors"
	"os"
	"syscall"
)

// advisoryLocks says the system has the advisory locks lockFile takes.
const advisoryLocks = true

// lockFile takes an exclusive advisory lock on f without waiting. It
// returns errLocked if another open file holds the lock, and another error
// if the file cannot be locked at all (some network file systems). The
// system releases the lock when f is closed or its process dies.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

// renameAndClose renames f to path, then closes it: the lock is held until
// the temporary's name is gone, so that no other save takes it over
// half-way.
func renameAndClose(f *os.File, path string) error {
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return f.Close()
}
