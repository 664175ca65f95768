//go:build unix

package nn

import (
	"os"

	"github.com/minidl/minidl/internal/flock"
)

// lockFile takes an exclusive advisory lock on f without waiting and
// reports whether it got it. The system releases it when f is closed or
// its process dies.
func lockFile(f *os.File) bool { return flock.TryLock(f) }

// renameAndClose renames f to path, then closes it: the lock is held until
// the temporary's name is gone, so that no other save takes it over
// half-way.
func renameAndClose(f *os.File, path string) error {
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return f.Close()
}
