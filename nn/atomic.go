package nn

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeFileAtomic writes a file through write, replacing path only once
// everything has been written and synced, so that a crash or an error at
// any point leaves the previous file whole.
//
// The bytes go first to a temporary file in the same folder whose name is
// derived from the target's (".name.tmp"), so that a process killed
// mid-write leaves at most one temporary per target, which the next save
// of the target reuses. A save holds a lock on that temporary while it
// writes (where the system has advisory locks); a second save of the same
// target at the same moment writes to a temporary of its own instead.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("saving %s: folder %s does not exist", path, dir)
	}
	f, err := openTemp(path)
	if err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	if err = renameAndClose(f, path); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	// Sync the folder so that the rename itself survives a crash; not every
	// system allows it, and the data is safe either way.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// openTemp opens the temporary file for a save of path, locked and empty:
// the one derived from path, or, if another save holds it, a new one.
func openTemp(path string) (*os.File, error) {
	name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	// The lock must be on the file that still has the name: another save may
	// have renamed it over the target (and let go of it) between our open
	// and our lock, and that file is now the checkpoint itself.
	if lockFile(f) && stillNamed(f, name) {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	f.Close()
	return os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
}

// stillNamed reports whether name is the file f has open.
func stillNamed(f *os.File, name string) bool {
	open, err1 := f.Stat()
	named, err2 := os.Stat(name)
	return err1 == nil && err2 == nil && os.SameFile(open, named)
}
