//go:build unix

package atomicfile

import "os"

// renameAndClose renames f to path, then closes it: the lock is held until
// the temporary's name is gone, so that no other save takes it over
// half-way.
func renameAndClose(f *os.File, path string) error {
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return f.Close()
}
