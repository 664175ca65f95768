package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"

	"github.com/minidl/minidl/internal/atomicfile"
	"github.com/minidl/minidl/internal/quote"
)

// Encoding is how the categorical columns of a CSV file were encoded:
// each column's categories, sorted (byte order, as scikit-learn's
// OrdinalEncoder sorts them), category i having code i. Sorted rather than
// first-seen codes are the same whatever the order of the rows, so that a
// shuffled or appended file encodes the same. Saved beside a model (Save)
// and given back to ReadCSV (CSVConfig.Encoding), it encodes a second file,
// a test set, as the first.
type Encoding struct {
	Columns []EncodedColumn `json:"columns"`
	// Unknown reserves code len(Values) of every column for a category the
	// encoding does not know, as OrdinalEncoder's
	// handle_unknown="use_encoded_value"; without it, such a category is
	// an error.
	Unknown bool `json:"unknown"`
}

// EncodedColumn is the encoding of one categorical column.
type EncodedColumn struct {
	Name   string   `json:"name"`   // its name in the header; "" without one
	Column int      `json:"column"` // its 0-based index in the file
	Values []string `json:"values"` // the categories, sorted: code i is Values[i]
}

// Sizes returns the number of codes of each column, unknown included: the
// rows an nn.Embedding of the column needs.
func (e *Encoding) Sizes() []int {
	out := make([]int, len(e.Columns))
	for i, c := range e.Columns {
		out[i] = len(c.Values)
		if e.Unknown {
			out[i]++
		}
	}
	return out
}

// MaxCategories bounds the categories of one column of a CSV file, and of
// an Encoding: a column of more distinct values is an identifier rather
// than a category, and the bound keeps a hostile file's memory a small
// multiple of its size.
const MaxCategories = 1 << 16

// maxEncodingBytes bounds an encoding file read back.
const maxEncodingBytes = 64 << 20

// Save writes the encoding to path as JSON, atomically: a crash leaves the
// previous file whole.
func (e *Encoding) Save(path string) error {
	if err := e.check(); err != nil {
		return fmt.Errorf("data: saving encoding %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(e)
	})
}

// LoadEncoding reads an encoding that Save wrote (see ReadEncoding).
func LoadEncoding(path string) (*Encoding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadEncoding(f, path)
}

// ReadEncoding reads an encoding from r; name is used in errors. A file of
// more than 64 MiB, JSON that is not an encoding, unknown fields, or an
// encoding that does not hold (unsorted or repeated categories, more than
// MaxCategories in a column, repeated columns) is a *ParseError.
func ReadEncoding(r io.Reader, name string) (*Encoding, error) {
	return readEncoding(r, name, maxEncodingBytes)
}

// readEncoding is ReadEncoding with a limit of size bytes.
func readEncoding(r io.Reader, name string, size int) (*Encoding, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(size)+1))
	if err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	if len(b) > size {
		return nil, &ParseError{File: name, Err: fmt.Errorf("more than %d bytes: not an encoding", size)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var e Encoding
	if err := dec.Decode(&e); err != nil {
		return nil, &ParseError{File: name, Err: fmt.Errorf("not an encoding: %s", quote.Text(err.Error()))}
	}
	if dec.More() {
		return nil, &ParseError{File: name, Err: errors.New("data after the encoding")}
	}
	if err := e.check(); err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	return &e, nil
}

// check reports what makes e not an encoding.
func (e *Encoding) check() error {
	if len(e.Columns) == 0 {
		return errors.New("no columns")
	}
	for i, c := range e.Columns {
		if c.Column < 0 {
			return fmt.Errorf("column %d: index %d is negative", i, c.Column)
		}
		for _, d := range e.Columns[:i] {
			if d.Column == c.Column || (c.Name != "" && d.Name == c.Name) {
				return fmt.Errorf("column %d (%s) repeats an earlier one", c.Column+1, quote.Name(c.Name))
			}
		}
		if len(c.Values) == 0 || len(c.Values) > MaxCategories {
			return fmt.Errorf("column %d (%s): %d categories; want 1 to %d", c.Column+1, quote.Name(c.Name), len(c.Values), MaxCategories)
		}
		for k := 1; k < len(c.Values); k++ {
			if c.Values[k-1] >= c.Values[k] {
				return fmt.Errorf("column %d (%s): categories %s and %s are not sorted and distinct", c.Column+1, quote.Name(c.Name), quote.Text(c.Values[k-1]), quote.Text(c.Values[k]))
			}
		}
	}
	return nil
}

// catColumn is a categorical column being read: the codes so far, first
// seen order (fitting) or the encoding's (applying).
type catColumn struct {
	ids    map[string]int // fitting: category → first-seen id
	values []string       // fitting: categories by id
	enc    *EncodedColumn // applying
}

// categoricalColumns resolves the categorical columns to indices, in file
// order, and the encoding of each when one is applied.
func categoricalColumns(header *csvHeader, width int, cfg CSVConfig) ([]int, map[int]*EncodedColumn, error) {
	if cfg.Encoding != nil {
		if len(cfg.Categorical) > 0 || len(cfg.CategoricalColumns) > 0 {
			return nil, nil, errors.New("set Categorical or Encoding, not both: the encoding names its columns")
		}
		if err := cfg.Encoding.check(); err != nil {
			return nil, nil, fmt.Errorf("encoding: %w", err)
		}
		var idx []int
		byColumn := map[int]*EncodedColumn{}
		for k := range cfg.Encoding.Columns {
			ec := &cfg.Encoding.Columns[k]
			i := ec.Column
			if cfg.Header && ec.Name != "" {
				if i = header.index(ec.Name); i < 0 {
					return nil, nil, fmt.Errorf("no column %s, which the encoding encodes; the columns are %s", quote.Text(ec.Name), header.list())
				}
			}
			if i >= width {
				return nil, nil, fmt.Errorf("the encoding's column %d is outside the %d columns", i, width)
			}
			idx = append(idx, i)
			byColumn[i] = ec
		}
		slices.Sort(idx)
		return idx, byColumn, nil
	}
	if len(cfg.Categorical) > 0 && !cfg.Header {
		return nil, nil, errors.New("categorical columns by name need a header")
	}
	var idx []int
	for _, name := range cfg.Categorical {
		i := header.index(name)
		if i < 0 {
			return nil, nil, fmt.Errorf("no categorical column %s; the columns are %s", quote.Text(name), header.list())
		}
		idx = append(idx, i)
	}
	for _, i := range cfg.CategoricalColumns {
		if i < 0 || i >= width {
			return nil, nil, fmt.Errorf("categorical column %d outside the %d columns", i, width)
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return slices.Compact(idx), nil, nil
}

// category takes the value of categorical column c.
func (p *csvParser) category(c int, text []byte, line int) error {
	t := bytes.TrimSpace(text)
	if p.isMissing(text) {
		return p.fail(line, c, "empty or missing; want a category (missing categories are never filled)")
	}
	col := p.cats[c]
	if col == nil {
		col = &catColumn{ids: map[string]int{}}
		p.cats[c] = col
	}
	if col.enc != nil {
		code, ok := slices.BinarySearch(col.enc.Values, string(t))
		if !ok {
			if !p.cfg.Encoding.Unknown {
				return p.fail(line, c, "category %s is not in the encoding (%d categories; an Encoding with Unknown gives it a code)", quote.Text(string(t)), len(col.enc.Values))
			}
			code = len(col.enc.Values)
		}
		p.codes = append(p.codes, code)
		return nil
	}
	id, ok := col.ids[string(t)]
	if !ok {
		if len(col.values) == MaxCategories {
			return p.fail(line, c, "more than %d categories: an identifier rather than a category?", MaxCategories)
		}
		id = len(col.values)
		col.values = append(col.values, string(t))
		col.ids[col.values[id]] = id
	}
	p.codes = append(p.codes, id)
	return nil
}

// finishCategories renumbers the first-seen ids in sorted order and
// returns the encoding, or the applied one.
func (p *csvParser) finishCategories(cols []int) *Encoding {
	if p.cfg.Encoding != nil {
		return p.cfg.Encoding
	}
	enc := &Encoding{Unknown: p.cfg.UnknownCategory}
	remap := make([][]int, len(cols))
	names := p.header.names()
	for k, c := range cols {
		col := p.cats[c]
		sorted := slices.Clone(col.values)
		slices.Sort(sorted)
		remap[k] = make([]int, len(col.values))
		for id, v := range col.values {
			remap[k][id], _ = slices.BinarySearch(sorted, v)
		}
		ec := EncodedColumn{Column: c, Values: sorted}
		if p.cfg.Header {
			ec.Name = names[c]
		}
		enc.Columns = append(enc.Columns, ec)
	}
	for i, id := range p.codes {
		k := i % len(cols)
		p.codes[i] = remap[k][id]
	}
	return enc
}

// categoryName returns a name for categorical column c.
func (p *csvParser) categoryName(c int) string {
	if p.cfg.Header {
		return p.header.at(c)
	}
	return strconv.Itoa(c + 1)
}
