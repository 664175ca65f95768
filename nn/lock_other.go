//go:build !unix

package nn

import (
	"os"

	"github.com/minidl/minidl/internal/flock"
)

// lockFile reports true: this system has no advisory locks that Go's
// standard library exposes, so saves of one target are not guarded
// against each other.
func lockFile(f *os.File) bool { return flock.TryLock(f) }

// renameAndClose closes f, then renames it to path: these systems do not
// rename an open file.
func renameAndClose(f *os.File, path string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
