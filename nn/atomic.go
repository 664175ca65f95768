package nn

import (
	"io"

	"github.com/minidl/minidl/internal/atomicfile"
)

// writeFileAtomic writes a file through write, replacing path only once
// everything has been written and synced (see atomicfile.Write), so that a
// crash or an error at any point leaves the previous file whole.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, write)
}
