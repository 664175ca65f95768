package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minidl/minidl/callbacks"
)

// maxInflation bounds how far a gzip corpus may inflate: to this many times
// its size, plus a MiB. Corpora of learning curves inflate about 3.5 times;
// a file that inflates further is refused before it fills the memory.
const maxInflation = 64

// readCorpusFile reads the curves of a corpus file, gzip-compressed or not,
// and checks that the study can use them.
func readCorpusFile(path string) ([]callbacks.Curve, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return readCorpus(f, info.Size(), path)
}

// readCorpus reads the curves of a corpus of size bytes, inflating it if
// it is gzip-compressed (to at most maxInflation times its size), and
// checks that the study can use them.
func readCorpus(r io.Reader, size int64, name string) ([]callbacks.Curve, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		r = &inflationLimit{r: zr, left: maxInflation*size + 1<<20, size: size}
	} else {
		r = br
	}
	curves, err := callbacks.ReadCurves(r, name)
	if err != nil {
		return nil, err
	}
	return curves, studiable(curves, name)
}

// inflationLimit reads from a decompressor and fails once it has given
// more than left bytes.
type inflationLimit struct {
	r          io.Reader
	left, size int64
}

func (l *inflationLimit) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("it inflates to more than %d times its %d bytes: not a corpus of curves", maxInflation, l.size)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// studiable checks that every curve has what the study reads: a val_loss
// and a test_error series, with a finite value each somewhere, unless the
// run diverged at its start (see divergedAtStart).
func studiable(curves []callbacks.Curve, name string) error {
	if len(curves) == 0 {
		return fmt.Errorf("%s holds no curves", name)
	}
	for i, c := range curves {
		if divergedAtStart(c) {
			continue
		}
		for _, s := range []string{"val_loss", "test_error"} {
			vals, ok := c.Series[s]
			problem := ""
			switch {
			case !ok:
				problem = "no " + s + " series"
			case !hasFinite(vals):
				problem = "no finite value of " + s
			}
			if problem != "" {
				return fmt.Errorf("%s: curve %d (%s): %s; the study needs val_loss and test_error", name, i+1, describe(c), problem)
			}
		}
	}
	if !slices.ContainsFunc(curves, func(c callbacks.Curve) bool { return !divergedAtStart(c) }) {
		return fmt.Errorf("%s: every run diverged at its first value: no curve to study", name)
	}
	return nil
}

// divergedAtStart reports whether a curve's run diverged before its first
// value: it has val_loss and test_error series, neither ever finite. The
// generator records such runs (a learning rate too high to train at all);
// no rule has anything to stop on them, and the study leaves them out.
func divergedAtStart(c callbacks.Curve) bool {
	val, okVal := c.Series["val_loss"]
	test, okTest := c.Series["test_error"]
	return okVal && okTest && !hasFinite(val) && !hasFinite(test)
}

func hasFinite(vals []float64) bool {
	return slices.ContainsFunc(vals, func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) })
}

// describe names a curve in a message.
func describe(c callbacks.Curve) string {
	if c.ID != "" {
		return fmt.Sprintf("run %.60q", c.ID)
	}
	return fmt.Sprintf("task %.40q, model %.40q, optimizer %.40q, seed %d", c.Task, c.Model, c.Optimizer, c.Seed)
}

// writeCorpusFile replaces path with the curves, gzip-compressed if the
// name ends in .gz, atomically: a temporary file in the same folder,
// synced, then renamed.
func writeCorpusFile(path string, curves []callbacks.Curve) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	if err = callbacks.WriteCurves(w, curves...); err != nil {
		return err
	}
	if zw != nil {
		if err = zw.Close(); err != nil {
			return err
		}
	}
	if err = errors.Join(bw.Flush(), tmp.Chmod(0o644), tmp.Sync()); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		d.Sync() // so that the rename survives a crash, where the system allows it
		d.Close()
	}
	return nil
}

// canonical returns the corpus's lines, uncompressed: what "the same
// corpus" means (a gzip wrapper may differ between Go versions).
func canonical(curves []callbacks.Curve) ([]byte, error) {
	var buf bytes.Buffer
	err := callbacks.WriteCurves(&buf, curves...)
	return buf.Bytes(), err
}

// subset returns the first perTask curves of each task, in the corpus's
// order: of a generated corpus, the runs numbered 0 to perTask−1 of each
// task, drawn as every run is, so that they are a sample of the kinds of
// runs of the whole, and are the first the generator trains.
func subset(curves []callbacks.Curve, perTask int) []callbacks.Curve {
	count := map[string]int{}
	var out []callbacks.Curve
	for _, c := range curves {
		if count[c.Task] < perTask {
			count[c.Task]++
			out = append(out, c)
		}
	}
	return out
}
