package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/tensor"
)

// IDX is the format of the MNIST files: two zero bytes, a type byte, the
// number of dimensions, each dimension as a big-endian uint32, then the
// values in row-major order, big-endian. The files are often gzipped.

// idxTypes maps IDX type codes to their names and sizes in bytes.
var idxTypes = map[byte]struct {
	name string
	size int
}{
	0x08: {"unsigned byte", 1}, 0x09: {"signed byte", 1}, 0x0B: {"int16", 2},
	0x0C: {"int32", 4}, 0x0D: {"float32", 4}, 0x0E: {"float64", 8},
}

// maxIDXElements bounds what an IDX header may announce: 2³⁰ values (8 GiB
// as float64) is far beyond any real IDX file, and a corrupt header claiming
// more is refused before anything is read.
const maxIDXElements = 1 << 30

// LoadIDX reads the IDX file at path, gzipped or not (see ReadIDX).
func LoadIDX(path string) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// ReadIDX reads an IDX file, raw or gzipped (recognized by its magic
// bytes), into a tensor with the file's dimensions; name is used in errors.
// A wrong magic number, an unknown type, dimensions whose product exceeds
// 2³⁰, a truncated file or data after the last value is a *ParseError; an
// error of the stream itself (a corrupt gzip stream, a failing reader) is
// kept inside it (errors.Is finds it) with where it happened.
//
// The raw values are read as they arrive, into a buffer that grows with
// them, and decoded into the exact float64 result only once they are all
// there: the memory follows the data really read, never the header's
// claims, so a stream shorter than its header says fails having cost at
// most twice what it held. A gzip stream that inflates more than
// maxInflation-fold is refused as it does so (real IDX files inflate about
// 5-fold; the format allows 1000-fold), so that a small hostile file cannot
// demand gigabytes.
func ReadIDX(r io.Reader, name string) (*tensor.Tensor, error) {
	fail := func(format string, args ...any) error {
		return &ParseError{File: name, Err: fmt.Errorf(format, args...)}
	}
	// short describes an error of reading what: the file's end, or the
	// stream's own error, wrapped.
	short := func(err error, format string, args ...any) error {
		what := fmt.Sprintf(format, args...)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fail("file ends inside %s", what)
		}
		return &ParseError{File: name, Err: fmt.Errorf("reading %s: %w", what, err)}
	}
	compressed := &countingReader{r: r}
	br := bufio.NewReader(compressed)
	inflation := func(read int) error { return nil }
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fail("bad gzip header: %v", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
		inflation = func(read int) error {
			if read > maxInflation*compressed.n+1<<20 {
				return fail("the gzip stream inflates more than %d-fold (%d bytes from %d): not an IDX file", maxInflation, read, compressed.n)
			}
			return nil
		}
	}
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, short(err, "the 4-byte magic number")
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fail("magic number %x: want two zero bytes, a type and a dimension count", head)
	}
	typ, ok := idxTypes[head[2]]
	if !ok {
		return nil, fail("unknown type code 0x%02x", head[2])
	}
	ndims := int(head[3])
	if ndims == 0 {
		return nil, fail("no dimensions")
	}
	shape := make([]int, ndims)
	count := 1
	for i := range shape {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, short(err, "the dimensions (%d of %d read)", i, ndims)
		}
		shape[i] = int(d)
		if d != 0 && count > maxIDXElements/int(d) {
			return nil, fail("dimensions %s hold more than %d values", quote.Dims(shape[:i+1]), maxIDXElements)
		}
		count *= int(d)
	}
	want := count * typ.size
	raw := make([]byte, 0, min(want, 64<<10))
	for len(raw) < want {
		chunk := min(want-len(raw), max(len(raw), 64<<10))
		raw = slices.Grow(raw, chunk)
		n, err := io.ReadFull(br, raw[len(raw):len(raw)+chunk])
		raw = raw[:len(raw)+n]
		if err != nil {
			return nil, short(err, "the values: dimensions %s need %d, %d were read", quote.Dims(shape), count, len(raw)/typ.size)
		}
		if err := inflation(len(raw)); err != nil {
			return nil, err
		}
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, fail("data continues after the %d values of dimensions %s", count, quote.Dims(shape))
	} else if !errors.Is(err, io.EOF) {
		return nil, short(err, "the end of the file") // such as a gzip checksum error
	}
	return tensor.New(appendIDX(make([]float64, 0, count), raw, head[2]), shape...), nil
}

// maxInflation is the most a gzipped IDX file may inflate: real ones
// inflate about 5-fold (MNIST's images 4.7, its labels 2.1), and gzip at
// most about 1000-fold.
const maxInflation = 128

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// appendIDX decodes big-endian values of the given IDX type.
func appendIDX(vals []float64, b []byte, typ byte) []float64 {
	switch typ {
	case 0x08:
		for _, v := range b {
			vals = append(vals, float64(v))
		}
	case 0x09:
		for _, v := range b {
			vals = append(vals, float64(int8(v)))
		}
	case 0x0B:
		for i := 0; i < len(b); i += 2 {
			vals = append(vals, float64(int16(binary.BigEndian.Uint16(b[i:]))))
		}
	case 0x0C:
		for i := 0; i < len(b); i += 4 {
			vals = append(vals, float64(int32(binary.BigEndian.Uint32(b[i:]))))
		}
	case 0x0D:
		for i := 0; i < len(b); i += 4 {
			vals = append(vals, float64(math.Float32frombits(binary.BigEndian.Uint32(b[i:]))))
		}
	case 0x0E:
		for i := 0; i < len(b); i += 8 {
			vals = append(vals, math.Float64frombits(binary.BigEndian.Uint64(b[i:])))
		}
	}
	return vals
}

// MNIST reads the four MNIST files from dir (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
// each raw or with .gz) and returns the training set (60,000 examples) and
// the test set (10,000). Inputs are the images flattened to 784 values
// scaled to [0, 1]; targets are the digits as class labels [N].
func MNIST(dir string) (train, test *TensorDataset, err error) {
	train, err = mnistPart(dir, "train")
	if err != nil {
		return nil, nil, err
	}
	test, err = mnistPart(dir, "t10k")
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func mnistPart(dir, prefix string) (*TensorDataset, error) {
	images, ipath, err := loadEither(filepath.Join(dir, prefix+"-images-idx3-ubyte"))
	if err != nil {
		return nil, err
	}
	labels, lpath, err := loadEither(filepath.Join(dir, prefix+"-labels-idx1-ubyte"))
	if err != nil {
		return nil, err
	}
	if images.Dims() != 3 || images.Dim(1) != 28 || images.Dim(2) != 28 {
		return nil, &ParseError{File: ipath, Err: fmt.Errorf("images of shape %s: want [N 28 28]", quote.Dims(images.Shape()))}
	}
	if labels.Dims() != 1 || labels.Dim(0) != images.Dim(0) {
		return nil, &ParseError{File: lpath, Err: fmt.Errorf("labels of shape %s for %d images", quote.Dims(labels.Shape()), images.Dim(0))}
	}
	for i, v := range labels.Data() {
		if v < 0 || v > 9 {
			return nil, &ParseError{File: lpath, Err: fmt.Errorf("label %v at position %d is not a digit", v, i)}
		}
	}
	x := images.Reshape(-1, 28*28)
	x.Scale(1.0 / 255)
	return NewTensorDataset(x, labels), nil
}

// loadEither reads path+".gz" if it exists, path otherwise.
func loadEither(path string) (*tensor.Tensor, string, error) {
	if _, err := os.Stat(path + ".gz"); err == nil {
		path += ".gz"
	}
	t, err := LoadIDX(path)
	return t, path, err
}
