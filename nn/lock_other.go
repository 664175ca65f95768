//go:build !unix

package nn

import (
	"errors"
	"os"
)

// advisoryLocks says the system has the advisory locks lockFile takes.
const advisoryLocks = false

// lockFile fails: this system has no advisory locks that Go's standard
// library exposes, so saves of one target are not guarded against each
// other.
func lockFile(*os.File) error { return errors.ErrUnsupported }

// renameAndClose closes f, then renames it to path: these systems do not
// rename an open file.
func renameAndClose(f *os.File, path string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
