package nn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/tensor"
)

// Checkpoints are safetensors files, which PyTorch (through the safetensors
// package) and most other tools read:
//
//	8 bytes      N, the header length, unsigned little-endian
//	N bytes      a JSON object: for each tensor, its name mapped to
//	             {"dtype": "F64", "shape": [8, 2], "data_offsets": [begin, end]},
//	             and optionally "__metadata__" mapped to an object of strings
//	the rest     the tensors' bytes, little-endian, row-major; offsets count
//	             from the end of the header
//
// Tensors are written in their dtype, F64 or F32; reading accepts F64, F32,
// F16, BF16 and the integer and boolean dtypes, converted to float64
// (loading converts them into a float32 model, as load_state_dict copies).

// maxHeaderLen bounds the JSON header, as the reference implementation
// does, so that a corrupt length cannot make a reader allocate without bound.
const maxHeaderLen = 100 << 20

// metadataKey is the reserved header entry holding string metadata.
const metadataKey = "__metadata__"

// ErrFormat is the kind of every *FormatError: errors.Is(err, nn.ErrFormat)
// tells a malformed file from one that could not be opened.
var ErrFormat = errors.New("nn: malformed safetensors file")

// FormatError reports a malformed safetensors file: what is wrong and, when
// the problem lies with one tensor, its name.
type FormatError struct {
	File   string // the file name, if known
	Tensor string // the tensor concerned, if any
	Detail string
}

// Error returns the message, naming the file and tensor when known.
func (e *FormatError) Error() string {
	s := "safetensors"
	if e.File != "" {
		s += " " + e.File
	}
	if e.Tensor != "" {
		s += ": tensor " + quote.Text(e.Tensor)
	}
	return s + ": " + e.Detail
}

// Is reports whether target is ErrFormat.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// WriteSafetensors writes s, and metadata if not empty, to w in the
// safetensors format in s's order, float64 tensors as F64, float32 ones as
// F32 (which a default PyTorch model loads without conversion) and int64
// ones as I64 (torch.int64).
func WriteSafetensors(w io.Writer, s *StateDict, metadata map[string]string) error {
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return err
		}
		fmt.Fprintf(&h, "%q:%s", metadataKey, m)
	}
	var offset uint64
	for i, name := range s.names {
		if name == metadataKey {
			return &FormatError{Tensor: name, Detail: "name is reserved for metadata"}
		}
		t := s.tensors[name]
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		shape := t.Shape()
		if shape == nil {
			shape = []int{}
		}
		dtype, size := "F64", uint64(t.DType().ItemSize())
		switch t.DType() {
		case tensor.Float32:
			dtype = "F32"
		case tensor.Int64:
			dtype = "I64"
		}
		entry, _ := json.Marshal(map[string]any{
			"dtype": dtype, "shape": shape, "data_offsets": []uint64{offset, offset + size*uint64(t.Size())},
		})
		h.Write(key)
		h.WriteByte(':')
		h.Write(entry)
		offset += size * uint64(t.Size())
	}
	h.WriteByte('}')
	// Pad with spaces so that the data starts 8-byte aligned, as the
	// reference writer does.
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	bw := bufio.NewWriter(w)
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(h.Len()))
	bw.Write(lenBuf[:])
	bw.Write(h.Bytes())
	var buf [8]byte
	for _, name := range s.names {
		if t := s.tensors[name]; t.DType() == tensor.Int64 {
			for _, v := range t.Int64s() {
				binary.LittleEndian.PutUint64(buf[:], uint64(v))
				if _, err := bw.Write(buf[:]); err != nil {
					return err
				}
			}
			continue
		}
		if t := s.tensors[name]; t.DType() == tensor.Float32 {
			for _, v := range t.Float32s() {
				binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(v))
				if _, err := bw.Write(buf[:4]); err != nil {
					return err
				}
			}
			continue
		}
		for _, v := range s.tensors[name].Data() {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			if _, err := bw.Write(buf[:]); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// ReadSafetensors parses a safetensors file held in b and returns its
// tensors, in the order of their data and converted to float64, and its
// metadata. Every dtype is read as float64, as load_state_dict copies a
// checkpoint's integers (BatchNorm's num_batches_tracked) into a model's
// float buffers; an I64 value beyond ±2⁵³, which float64 cannot hold
// exactly, is a *FormatError rather than a rounded number. (An int64
// tensor written by WriteSafetensors thus reads back as float64: convert
// it with To(tensor.Int64).) Everything is
// checked before anything is allocated on the file's word: the header
// length against the file size, the JSON, each dtype and shape against its
// byte range, and the byte ranges against each other (inside the data, in
// order, neither overlapping nor leaving gaps). Any violation is a
// *FormatError.
func ReadSafetensors(b []byte) (*StateDict, map[string]string, error) {
	fail := func(tensor, format string, args ...any) error {
		return &FormatError{Tensor: tensor, Detail: fmt.Sprintf(format, args...)}
	}
	if len(b) < 8 {
		return nil, nil, fail("", "file of %d bytes is shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeaderLen {
		return nil, nil, fail("", "header length %d exceeds the limit of %d bytes", n, maxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, nil, fail("", "header length %d exceeds the %d bytes after the length field", n, len(b)-8)
	}
	header, data := b[8:8+n], b[8+n:]
	if len(bytes.TrimSpace(header)) == 0 || bytes.TrimSpace(header)[0] != '{' {
		return nil, nil, fail("", "header is not a JSON object")
	}
	// One decoder reads the whole header, entry by entry, straight into
	// the entries' fields: a header of millions of entries costs a few
	// allocations each, not a decoder each.
	dec := json.NewDecoder(bytes.NewReader(header))
	dec.DisallowUnknownFields()
	if _, err := dec.Token(); err != nil {
		return nil, nil, fail("", "header is not valid JSON: %s", excerpt(err))
	}
	type item struct {
		name       string
		dtype      string
		shape      []int
		begin, end uint64
	}
	var items []item
	var metadata map[string]string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fail("", "header is not valid JSON: %s", excerpt(err))
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fail("", "header key %v is not a string", tok)
		}
		if name == metadataKey {
			if metadata != nil {
				return nil, nil, fail(name, "appears twice in the header")
			}
			if err := dec.Decode(&metadata); err != nil {
				return nil, nil, fail("", "metadata is not an object of strings: %s", excerpt(err))
			}
			if metadata == nil {
				metadata = map[string]string{}
			}
			continue
		}
		var e headerEntry
		if err := dec.Decode(&e); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, nil, fail("", "header is not valid JSON: %s", excerpt(err))
			}
			return nil, nil, fail(name, "entry is not {dtype, shape, data_offsets}: %s", excerpt(err))
		}
		if e.DType == "" || e.Shape == nil || e.DataOffsets == nil {
			return nil, nil, fail(name, "entry lacks dtype, shape or data_offsets")
		}
		size := dtypeSize(e.DType)
		if size == 0 {
			return nil, nil, fail(name, "dtype %s is not supported (want F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL)", quote.Text(e.DType))
		}
		if len(e.DataOffsets) != 2 || e.DataOffsets[0] > e.DataOffsets[1] {
			return nil, nil, fail(name, "data_offsets %s: want [begin, end] with begin ≤ end", listText(e.DataOffsets))
		}
		length := e.DataOffsets[1] - e.DataOffsets[0]
		count := uint64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 {
				return nil, nil, fail(name, "shape %s has a negative dimension", listText(e.Shape))
			}
			// Compare before multiplying, so that the count cannot overflow.
			if d > 0 && count > math.MaxInt64/8/uint64(d) {
				return nil, nil, fail(name, "shape %s is too large", listText(e.Shape))
			}
			count *= uint64(d)
			shape[i] = int(d)
		}
		if count*size != length {
			return nil, nil, fail(name, "shape %s of %s needs %d bytes, data_offsets %v give %d", listText(e.Shape), e.DType, count*size, e.DataOffsets, length)
		}
		items = append(items, item{name: name, dtype: e.DType, shape: shape, begin: e.DataOffsets[0], end: e.DataOffsets[1]})
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fail("", "header is not valid JSON: %s", excerpt(err))
	}
	if rest, _ := io.ReadAll(dec.Buffered()); len(bytes.TrimSpace(rest)) > 0 || dec.More() {
		return nil, nil, fail("", "header has data after its JSON object")
	}
	// A name twice: found by sorting, with no set of every name.
	byName := make([]int, len(items))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int { return strings.Compare(items[a].name, items[b].name) })
	for i := 1; i < len(byName); i++ {
		if items[byName[i]].name == items[byName[i-1]].name {
			return nil, nil, fail(items[byName[i]].name, "appears twice in the header")
		}
	}
	slices.SortStableFunc(items, func(a, b item) int {
		switch {
		case a.begin < b.begin:
			return -1
		case a.begin > b.begin:
			return 1
		}
		return 0
	})
	var pos uint64
	for i, it := range items {
		switch {
		case it.begin < pos:
			return nil, nil, fail(it.name, "data_offsets [%d %d] overlap tensor %s", it.begin, it.end, quote.Text(items[i-1].name))
		case it.begin > pos:
			return nil, nil, fail(it.name, "data_offsets [%d %d] leave a gap of %d bytes before them", it.begin, it.end, it.begin-pos)
		}
		pos = it.end
	}
	if pos != uint64(len(data)) {
		return nil, nil, fail("", "tensors cover %d bytes of data but the file holds %d", pos, len(data))
	}
	s := NewStateDict()
	for _, it := range items {
		raw := data[it.begin:it.end]
		vals, bad := decode(it.dtype, raw)
		if bad >= 0 {
			return nil, nil, fail(it.name, "I64 value %d at position %d is beyond ±2⁵³: float64 cannot hold it exactly", int64(binary.LittleEndian.Uint64(raw[8*bad:])), bad)
		}
		if len(it.shape) == 0 {
			s.Set(it.name, tensor.Scalar(vals[0]))
			continue
		}
		s.Set(it.name, tensor.New(vals, it.shape...))
	}
	return s, metadata, nil
}

// maxExcerpt bounds, in bytes, the text of a JSON decoding error quoted
// in an error: such a text repeats the file's key or number, whatever its
// length.
const maxExcerpt = 160

// excerpt returns the text of err cut to maxExcerpt bytes, at a character
// boundary, with "…" when it was cut.
func excerpt(err error) string {
	msg := err.Error()
	if len(msg) <= maxExcerpt {
		return msg
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// listText prints a shape or offsets read from a file as %v does, the first
// eight numbers only when there are more, with their count.
func listText[T int64 | uint64](v []T) string {
	if len(v) <= 8 {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(fmt.Sprint(v[:8]), "]") + fmt.Sprintf(" … (%d numbers)]", len(v))
}

// dtypeSize gives the bytes per element of the dtypes ReadSafetensors reads.
func dtypeSize(dtype string) uint64 {
	switch dtype {
	case "F64", "I64":
		return 8
	case "F32", "I32":
		return 4
	case "F16", "BF16", "I16":
		return 2
	case "I8", "U8", "BOOL":
		return 1
	}
	return 0
}

// decode converts little-endian values of a dtype to float64. It returns
// the position of the first I64 value beyond ±2⁵³, which float64 cannot
// hold exactly, as bad (−1 if none): a rounded integer is a wrong one.
func decode(dtype string, raw []byte) (vals []float64, bad int) {
	n := len(raw) / int(dtypeSize(dtype))
	vals = make([]float64, n)
	le := binary.LittleEndian
	for i := range vals {
		switch dtype {
		case "F64":
			vals[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		case "F32":
			vals[i] = float64(math.Float32frombits(le.Uint32(raw[4*i:])))
		case "F16":
			vals[i] = halfToFloat(le.Uint16(raw[2*i:]))
		case "BF16":
			vals[i] = float64(math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16))
		case "I64":
			v := int64(le.Uint64(raw[8*i:]))
			if v > 1<<53 || v < -(1<<53) {
				return nil, i
			}
			vals[i] = float64(v)
		case "I32":
			vals[i] = float64(int32(le.Uint32(raw[4*i:])))
		case "I16":
			vals[i] = float64(int16(le.Uint16(raw[2*i:])))
		case "I8":
			vals[i] = float64(int8(raw[i]))
		case "U8":
			vals[i] = float64(raw[i])
		case "BOOL":
			if raw[i] != 0 {
				vals[i] = 1
			}
		}
	}
	return vals, -1
}

// halfToFloat converts an IEEE 754 half-precision number.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0: // zero or subnormal
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// SaveFile writes s and metadata to path as a safetensors file, atomically:
// the bytes go to a temporary file in the same folder, which is synced and
// then renamed over path, so that a crash or an error at any point leaves
// the previous file whole.
func SaveFile(path string, s *StateDict, metadata map[string]string) error {
	return writeFileAtomic(path, func(w io.Writer) error { return WriteSafetensors(w, s, metadata) })
}

// LoadFile reads a safetensors file. Errors name the file.
func LoadFile(path string) (*StateDict, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	s, meta, err := ReadSafetensors(b)
	if fe, ok := errors.AsType[*FormatError](err); ok {
		fe.File = path
	}
	return s, meta, err
}

// Save writes m's parameters to path as a safetensors checkpoint (see
// SaveFile).
func Save(path string, m Module, metadata map[string]string) error {
	return SaveFile(path, StateOf(m), metadata)
}

// Load reads a safetensors checkpoint into m, strictly (see LoadState).
func Load(path string, m Module) error {
	s, _, err := LoadFile(path)
	if err != nil {
		return err
	}
	if err := LoadState(m, s); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
