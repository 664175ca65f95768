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

// idxValues is an IDX file's values as stored: big-endian, of type typ.
type idxValues struct {
	raw   []byte
	typ   byte
	shape []int
}

// tensor decodes the values into a tensor of dtype (Float64 or Float32),
// each multiplied by scale in float64 and then rounded to the dtype, so
// that a float32 result is the float64 one converted by To, without the
// float64 copy.
func (v idxValues) tensor(dtype tensor.DType, scale float64) *tensor.Tensor {
	if dtype == tensor.Float32 {
		return tensor.NewFloat32(decodeIDX[float32](v.raw, v.typ, scale), v.shape...)
	}
	return tensor.New(decodeIDX[float64](v.raw, v.typ, scale), v.shape...)
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
	v, err := readIDX(r, name)
	if err != nil {
		return nil, err
	}
	return v.tensor(tensor.Float64, 1), nil
}

// readIDX reads and checks an IDX file as ReadIDX describes, leaving its
// values undecoded.
func readIDX(r io.Reader, name string) (idxValues, error) {
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
			return idxValues{}, fail("bad gzip header: %v", err)
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
		return idxValues{}, short(err, "the 4-byte magic number")
	}
	if head[0] != 0 || head[1] != 0 {
		return idxValues{}, fail("magic number %x: want two zero bytes, a type and a dimension count", head)
	}
	typ, ok := idxTypes[head[2]]
	if !ok {
		return idxValues{}, fail("unknown type code 0x%02x", head[2])
	}
	ndims := int(head[3])
	if ndims == 0 {
		return idxValues{}, fail("no dimensions")
	}
	shape := make([]int, ndims)
	count := 1
	for i := range shape {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return idxValues{}, short(err, "the dimensions (%d of %d read)", i, ndims)
		}
		shape[i] = int(d)
		if d != 0 && count > maxIDXElements/int(d) {
			return idxValues{}, fail("dimensions %s hold more than %d values", quote.Dims(shape[:i+1]), maxIDXElements)
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
			return idxValues{}, short(err, "the values: dimensions %s need %d, %d were read", quote.Dims(shape), count, len(raw)/typ.size)
		}
		if err := inflation(len(raw)); err != nil {
			return idxValues{}, err
		}
	}
	if _, err := br.ReadByte(); err == nil {
		return idxValues{}, fail("data continues after the %d values of dimensions %s", count, quote.Dims(shape))
	} else if !errors.Is(err, io.EOF) {
		return idxValues{}, short(err, "the end of the file") // such as a gzip checksum error
	}
	return idxValues{raw: raw, typ: head[2], shape: shape}, nil
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

// decodeIDX decodes big-endian values of the given IDX type, each
// multiplied by scale in float64 and rounded to E.
func decodeIDX[E float32 | float64](b []byte, typ byte, scale float64) []E {
	size := idxTypes[typ].size
	vals := make([]E, 0, len(b)/size)
	for i := 0; i+size <= len(b); i += size {
		var v float64
		switch typ {
		case 0x08:
			v = float64(b[i])
		case 0x09:
			v = float64(int8(b[i]))
		case 0x0B:
			v = float64(int16(binary.BigEndian.Uint16(b[i:])))
		case 0x0C:
			v = float64(int32(binary.BigEndian.Uint32(b[i:])))
		case 0x0D:
			v = float64(math.Float32frombits(binary.BigEndian.Uint32(b[i:])))
		case 0x0E:
			v = math.Float64frombits(binary.BigEndian.Uint64(b[i:]))
		}
		vals = append(vals, E(v*scale))
	}
	return vals
}

// MNIST reads the four MNIST files from dir (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
// each raw or with .gz) and returns the training set (60,000 examples) and
// the test set (10,000). Inputs are the images flattened to 784 values
// scaled to [0, 1], in float64; targets are the digits as class labels
// [N]. MNISTIn reads them in another dtype.
func MNIST(dir string) (train, test *TensorDataset, err error) {
	return MNISTIn(dir, tensor.Float64)
}

// MNISTIn is MNIST with the images in dtype, Float64 or Float32: float32
// images are decoded from the files' bytes directly, the same values as
// MNIST's converted with To, and never held in float64 (60,000 images take
// 188 MB rather than 376). Any other dtype is an error.
func MNISTIn(dir string, dtype tensor.DType) (train, test *TensorDataset, err error) {
	if dtype != tensor.Float64 && dtype != tensor.Float32 {
		return nil, nil, fmt.Errorf("data: MNIST images in %v: want float64 or float32", dtype)
	}
	train, err = mnistPart(dir, "train", dtype)
	if err != nil {
		return nil, nil, err
	}
	test, err = mnistPart(dir, "t10k", dtype)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func mnistPart(dir, prefix string, dtype tensor.DType) (*TensorDataset, error) {
	images, ipath, err := loadEither(filepath.Join(dir, prefix+"-images-idx3-ubyte"))
	if err != nil {
		return nil, err
	}
	labelValues, lpath, err := loadEither(filepath.Join(dir, prefix+"-labels-idx1-ubyte"))
	if err != nil {
		return nil, err
	}
	shape := images.shape
	if len(shape) != 3 || shape[1] != 28 || shape[2] != 28 {
		return nil, &ParseError{File: ipath, Err: fmt.Errorf("images of shape %s: want [N 28 28]", quote.Dims(shape))}
	}
	labels := labelValues.tensor(tensor.Float64, 1)
	if labels.Dims() != 1 || labels.Dim(0) != shape[0] {
		return nil, &ParseError{File: lpath, Err: fmt.Errorf("labels of shape %s for %d images", quote.Dims(labels.Shape()), shape[0])}
	}
	for i, v := range labels.Data() {
		if v < 0 || v > 9 {
			return nil, &ParseError{File: lpath, Err: fmt.Errorf("label %v at position %d is not a digit", v, i)}
		}
	}
	images.shape = []int{shape[0], 28 * 28}
	return NewTensorDataset(images.tensor(dtype, 1.0/255), labels), nil
}

// loadEither reads the IDX file path+".gz" if it exists, path otherwise.
func loadEither(path string) (idxValues, string, error) {
	if _, err := os.Stat(path + ".gz"); err == nil {
		path += ".gz"
	}
	f, err := os.Open(path)
	if err != nil {
		return idxValues{}, path, err
	}
	defer f.Close()
	v, err := readIDX(f, path)
	return v, path, err
}
