// Package atomicfile writes files atomically: to a locked temporary in the
// same folder, synced, then renamed over the target, so that a crash or an
// error at any point leaves the previous file whole. nn saves checkpoints
// and data saves its sidecars through it.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/minidl/minidl/internal/flock"
)

// Write writes a file through write, replacing path only once
// everything has been written and synced, so that a crash or an error at
// any point leaves the previous file whole.
//
// The bytes go first to a temporary file in the same folder whose name is
// derived from the target's: ".name.tmp", or, while other saves of the
// target hold that one, ".name.tmp1", ".name.tmp2", …, the first that no
// save holds. A save holds a lock on its temporary while it writes (where
// the system has advisory locks), and a process killed mid-write loses its
// lock, so the temporaries it leaves are taken over by the next saves:
// there are never more than the saves that ran at once. A save that
// succeeds removes the temporaries of its target that no save holds (left
// by a killed save, or by an older minidl's random names); one that fails
// removes its own.
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("saving %s: folder %s does not exist", path, dir)
	}
	f, locked, err := OpenTemp(path)
	if err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			if locked { // remove it while it is ours, before another save takes it
				os.Remove(f.Name())
				f.Close()
			} else {
				f.Close()
				os.Remove(f.Name())
			}
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
	if locked {
		removeStale(path)
	}
	return nil
}

// maxTemps bounds the saves of one target that may run at once.
const maxTemps = 64

// tempName returns the name of the i-th temporary file of path.
func tempName(path string, i int) string {
	name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if i > 0 {
		name += strconv.Itoa(i)
	}
	return name
}

// OpenTemp opens a temporary file for a save of path, empty, and reports
// whether it holds the file's lock: the first of path's temporaries that
// no other save holds. Where files cannot be locked, it is the first,
// unguarded.
func OpenTemp(path string) (f *os.File, locked bool, err error) {
	for i := range maxTemps {
		name := tempName(path, i)
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, false, err
		}
		switch err := flock.TryLock(f); {
		// The lock must be on the file that still has the name: another
		// save may have renamed it over the target (and let go of it), or
		// removed it as stale, between our open and our lock.
		case err == nil && stillNamed(f, name):
			locked = true
		case err == nil || errors.Is(err, flock.ErrLocked):
			f.Close()
			continue
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, false, err
		}
		return f, locked, nil
	}
	return nil, false, fmt.Errorf("more than %d saves of it at once", maxTemps)
}

// removeStale removes the temporaries of path that no save holds: those a
// killed save left, named as tempName names them or, from older versions,
// with random digits.
func removeStale(path string) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || strings.Trim(rest, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			continue
		}
		if flock.TryLock(f) == nil && stillNamed(f, name) {
			os.Remove(name) // while locked: no save can be writing it
		}
		f.Close()
	}
}

// stillNamed reports whether name is the file f has open.
func stillNamed(f *os.File, name string) bool {
	open, err1 := f.Stat()
	named, err2 := os.Stat(name)
	return err1 == nil && err2 == nil && os.SameFile(open, named)
}
