//go:build !unix

package atomicfile

import "os"

// renameAndClose closes f, then renames it to path: these systems do not
// rename an open file.
func renameAndClose(f *os.File, path string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
