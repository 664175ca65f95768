package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/tensor"
)

// ErrFormat is the kind of every *ParseError: errors.Is(err, data.ErrFormat)
// tells malformed input from a file that could not be opened.
var ErrFormat = errors.New("data: malformed input")

// ParseError reports malformed input in a file: which file, where in it,
// and what was expected.
type ParseError struct {
	File   string // the file's name, as given to the reader
	Line   int    // 1-based line, 0 if not about one line
	Column string // the column's 1-based number and its name in the header, if any: "2 (price)"; "" if not about one
	Err    error
}

// Error returns "file:line: column 2 (name): what is wrong".
func (e *ParseError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Column != "" {
		s += ": column " + e.Column
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// Is reports whether target is ErrFormat.
func (e *ParseError) Is(target error) bool { return target == ErrFormat }

// CSVConfig says how to read a CSV file into inputs and targets.
type CSVConfig struct {
	// Header says the first row names the columns.
	Header bool
	// Targets names the target columns (with Header); TargetColumns gives
	// them by 0-based index instead. With neither, the last column is the
	// target.
	Targets       []string
	TargetColumns []int
	// Classes reads the single target column as class labels: Y has shape
	// [N] of class indices. A target column whose every value is text is
	// read as class labels anyway, the distinct labels sorted and numbered
	// from 0.
	Classes bool
	// Comma is the field separator; 0 means ','.
	Comma rune
	// AllowNonFinite reads the texts NaN, Inf and -Inf as numbers; by
	// default they are refused, since one of them turns a scaler's mean,
	// and then training, into NaN.
	AllowNonFinite bool

	// Missing says what becomes of a missing value in an input column: an
	// empty field, or one of MissingValues. The zero value, MissingError,
	// refuses it with a *ParseError naming the line and the column. The
	// others read the file whole first, then fill every missing value of a
	// column as scikit-learn's SimpleImputer does, from that column's
	// values in this file. A missing target is always refused: a filled
	// label is a made-up one.
	Missing Missing
	// FillValue is the value of MissingConstant (0 by default, as
	// SimpleImputer's fill_value for numbers).
	FillValue float64
	// MissingValues are texts that also mean a missing value, such as "NA"
	// or "?", compared with a field's text without its surrounding spaces.
	MissingValues []string

	// Skip names columns to leave out (with Header); SkipColumns gives them
	// by 0-based index. A skipped column is not read at all, so it may hold
	// anything (an identifier, free text); it cannot be a target.
	Skip        []string
	SkipColumns []int

	// Categorical names input columns read as categories (with Header);
	// CategoricalColumns gives them by 0-based index. Their values, text
	// or not, are encoded as codes 0, 1, … in sorted order (see Encoding)
	// into CSVData.Codes, apart from the numeric X, for an nn.Embedding. A
	// missing category is refused, whatever Missing says.
	Categorical        []string
	CategoricalColumns []int
	// Encoding, if set, encodes the categorical columns it names (by name
	// with a header, by index without) as the file it came from was
	// encoded, so that a test set gets the training set's codes; a
	// category it does not know is then an error, or code len(Values) if
	// it has Unknown. Set it or Categorical, not both.
	Encoding *Encoding
	// UnknownCategory makes the Encoding that this file's reading returns
	// reserve a code for unknown categories (Encoding.Unknown).
	UnknownCategory bool
}

// Missing is a policy for missing values in a CSV file's input columns.
type Missing int

const (
	// MissingError refuses a missing value (the default).
	MissingError Missing = iota
	// MissingNaN reads it as NaN, for a model or a step of one's own to
	// deal with.
	MissingNaN
	// MissingConstant fills it with CSVConfig.FillValue (SimpleImputer's
	// strategy "constant").
	MissingConstant
	// MissingMean fills it with the mean of the column's values
	// (strategy "mean").
	MissingMean
	// MissingMedian fills it with the median of the column's values, the
	// mean of the middle two for an even count (strategy "median").
	MissingMedian
	// MissingMostFrequent fills it with the column's most frequent value,
	// the smallest of those tied (strategy "most_frequent").
	MissingMostFrequent
)

// String returns the policy's name.
func (m Missing) String() string {
	names := []string{"MissingError", "MissingNaN", "MissingConstant", "MissingMean", "MissingMedian", "MissingMostFrequent"}
	if m < 0 || int(m) >= len(names) {
		return "Missing(" + strconv.Itoa(int(m)) + ")"
	}
	return names[m]
}

// CSVData is what ReadCSV returns.
type CSVData struct {
	X *tensor.Tensor // inputs [N features]
	// Y holds the targets: [N] class indices when the target is a class
	// label, [N targets] otherwise.
	Y        *tensor.Tensor
	Features []string // input column names from the header; nil without one
	Targets  []string // target column names (numbers from "1" without a header)
	// ClassNames maps class indices to the labels found in the file, when
	// the target was text.
	ClassNames []string
	// Codes holds the categorical columns' codes, [N categorical columns],
	// an Int64 tensor made by CodeTensor (so that they stay exact and
	// train.Fit leaves them unconverted for a float32 model), nil without
	// categorical columns; Categorical
	// names them (numbers from "1" without a header) and Encoding is the
	// encoding to save beside the model and give the reading of a second
	// file.
	Codes       *tensor.Tensor
	Categorical []string
	Encoding    *Encoding
}

// MultiDataset returns the codes and the numeric inputs, in that order and
// named "codes" and "features", with the targets, as a MultiTensorDataset:
// for a model that embeds the codes (an nn.MultiInput). It panics with an
// *Error if the file had no categorical or no numeric column.
func (d *CSVData) MultiDataset() *MultiTensorDataset {
	if d.Codes == nil || d.X.Dim(1) == 0 {
		panicf("CSVData.MultiDataset", "want both categorical and numeric inputs; have codes %v and X %v", d.Codes != nil, d.X.Shape())
	}
	return NewMultiTensorDataset([]*tensor.Tensor{d.Codes, d.X}, d.Y).WithNames("codes", "features")
}

// Dataset returns the inputs and targets as a TensorDataset.
func (d *CSVData) Dataset() *TensorDataset { return NewTensorDataset(d.X, d.Y) }

// LoadCSV reads the CSV file at path (see ReadCSV).
func LoadCSV(path string, cfg CSVConfig) (*CSVData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCSV(f, path, cfg)
}

// ReadCSV reads numeric CSV data from r; name is used in errors. Every
// value of an input column must be a finite number (NaN and ±Inf only with
// AllowNonFinite). An empty file, rows of differing lengths, a value that
// is not a number, an empty field, or a target column that does not exist
// is a *ParseError naming the file, line and column (its number and its
// name in the header), quoting at most 40 characters of the offending text.
//
// Fields are parsed into float64 one at a time as they stream in, so that
// the peak memory is about the float64 result plus one field, whatever the
// shape: a file of one 100 MB line costs what its numbers cost. A header
// costs about its own size, whatever the number of names in it.
func ReadCSV(r io.Reader, name string, cfg CSVConfig) (*CSVData, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3) // the byte-order mark spreadsheets put before the first column's name
	}
	comma := cfg.Comma
	if comma == 0 {
		comma = ','
	}
	if comma == '"' || comma == '\r' || comma == '\n' || comma == utf8.RuneError {
		return nil, &ParseError{File: name, Err: fmt.Errorf("separator %q cannot separate CSV fields", comma)}
	}
	sc := newCSVScanner(br, comma)
	p := &csvParser{name: name, cfg: cfg, cats: map[int]*catColumn{}}
	if cfg.Encoding != nil && !cfg.Header {
		for k := range cfg.Encoding.Columns {
			ec := &cfg.Encoding.Columns[k]
			if ec.Column >= 0 && p.cats[ec.Column] == nil {
				p.cats[ec.Column] = &catColumn{enc: ec}
			}
		}
	}
	c, rowLine := 0, 0
	for {
		err := sc.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errBareQuote) || errors.Is(err, errQuote) {
				return nil, p.fail(sc.fieldLine, -1, "%v", err)
			}
			return nil, &ParseError{File: name, Err: err}
		}
		if c == 0 {
			rowLine = sc.fieldLine
		}
		if err := p.field(c, sc.field, sc.fieldLine); err != nil {
			return nil, err
		}
		c++
		if sc.last {
			if err := p.endRow(c, rowLine); err != nil {
				return nil, err
			}
			c = 0
		}
	}
	return p.finish()
}

// csvParser turns the fields of a CSV file into inputs and targets as they
// arrive.
type csvParser struct {
	name     string
	cfg      CSVConfig
	width    int       // fields per row; 0 until the first row has ended
	header   csvHeader // the header's names, with Header
	targets  []int
	isTarget []bool
	rows     int
	x, y     []float64
	// A target column is read as numbers until a row shows it is text
	// (class labels). labels holds a text target's values and textLine
	// the line of its first one.
	labels   []string
	textLine int
	// The first data row of a file without a header is held as numbers
	// until its end tells which column is the target; pending is its one
	// field that is not a number (only the target may be text).
	first   []float64
	pending *csvField
	// firstMissing holds the columns of the held first row whose values
	// were missing.
	firstMissing []int
	skip         []bool // by column, once the width is known
	// The categorical columns: isCat by column once the width is known,
	// catCols in file order, cats by column, and the codes of every row,
	// row-major.
	isCat   []bool
	catCols []int
	cats    map[int]*catColumn
	codes   []int
}

// earlyCategorical reports whether column c is categorical before the
// width is known (a file without a header): by index only.
func (p *csvParser) earlyCategorical(c int) bool {
	return slices.Contains(p.cfg.CategoricalColumns, c) || (p.cfg.Encoding != nil && p.cats[c] != nil)
}

type csvField struct {
	c, line int
	text    string
}

// column names column c for an error: its 1-based number and the
// header's name for it, if it has one.
func (p *csvParser) column(c int) string {
	if c < 0 {
		return ""
	}
	s := strconv.Itoa(c + 1)
	if name := p.header.at(c); name != "" {
		s += " (" + quote.Name(name) + ")"
	}
	return s
}

func (p *csvParser) fail(line, c int, format string, args ...any) error {
	return &ParseError{File: p.name, Line: line, Column: p.column(c), Err: fmt.Errorf(format, args...)}
}

// notNumber reports the text of column c on line, which is not a number,
// where want is expected: an empty field says it is empty.
func (p *csvParser) notNumber(line, c int, text []byte, want string) error {
	if len(bytes.TrimSpace(text)) == 0 {
		return p.fail(line, c, "empty field; want %s", want)
	}
	if p.isMissing(text) {
		return p.fail(line, c, "%s, a missing value; want %s", quote.Text(string(text)), want)
	}
	return p.fail(line, c, "%s is not %s", quote.Text(string(text)), want)
}

// field takes field c of the current row; text is valid only during the
// call.
func (p *csvParser) field(c int, text []byte, line int) error {
	switch {
	case p.cfg.Header && p.width == 0:
		p.header.add(text)
		return nil
	case p.width == 0:
		return p.firstField(c, text, line)
	case c >= p.width || p.skip[c]:
		return nil // the row's length is reported at its end
	case p.isCat[c]:
		return p.category(c, text, line)
	case !p.isTarget[c]:
		v, err := p.input(text, line, c)
		p.x = appendDoubling(p.x, v)
		return err
	case len(p.targets) == 1:
		return p.target(text, line)
	}
	v, err := p.input(text, line, c)
	p.y = appendDoubling(p.y, v)
	return err
}

// appendDoubling appends v, doubling the capacity when it is full: the
// results grow to millions of values, and doubling allocates half as much
// in all as append's gentler growth, which the garbage collector then
// carries.
func appendDoubling(s []float64, v float64) []float64 {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(cap(s), 1024))
	}
	return append(s, v)
}

// isMissing reports whether a field's text is a missing value.
func (p *csvParser) isMissing(text []byte) bool {
	t := bytes.TrimSpace(text)
	if len(t) == 0 {
		return true
	}
	for _, m := range p.cfg.MissingValues {
		if string(t) == m {
			return true
		}
	}
	return false
}

// input parses the value of an input column; a missing value is NaN when
// the policy allows it.
func (p *csvParser) input(text []byte, line, c int) (float64, error) {
	if p.cfg.Missing != MissingError && p.isMissing(text) {
		return math.NaN(), nil
	}
	v, ok, err := p.number(text, line, c)
	if err == nil && !ok {
		err = p.notNumber(line, c, text, "a number")
	}
	return v, err
}

// firstField takes a field of the first data row of a file without a
// header, before the row's end tells its width. Only a target may be text:
// with TargetColumns the targets are known; otherwise the target is the
// last column, so of two text fields the earlier one is an input.
func (p *csvParser) firstField(c int, text []byte, line int) error {
	if slices.Contains(p.cfg.SkipColumns, c) {
		p.first = appendDoubling(p.first, 0) // dropped by replayFirst
		return nil
	}
	if p.earlyCategorical(c) {
		p.first = appendDoubling(p.first, 0) // its code is in p.codes
		return p.category(c, text, line)
	}
	if p.cfg.Missing != MissingError && p.isMissing(text) {
		p.firstMissing = append(p.firstMissing, c)
		p.first = appendDoubling(p.first, math.NaN())
		return nil
	}
	v, ok, err := p.number(text, line, c)
	if err != nil {
		return err
	}
	if !ok {
		if t := p.cfg.TargetColumns; len(t) > 0 {
			if len(t) > 1 || !slices.Contains(t, c) {
				return p.notNumber(line, c, text, "a number")
			}
		} else if f := p.pending; f != nil {
			return p.notNumber(f.line, f.c, []byte(f.text), "a number")
		}
		p.pending = &csvField{c, line, string(text)}
	}
	p.first = appendDoubling(p.first, v)
	return nil
}

// endRow ends a row of n fields that started on line.
func (p *csvParser) endRow(n, line int) error {
	if p.width == 0 {
		p.width = n
		if err := p.resolveTargets(); err != nil {
			return err
		}
		if p.cfg.Header {
			return nil
		}
		return p.replayFirst(line)
	}
	if n != p.width {
		return p.fail(line, -1, "%d fields, want %d as in the first row", n, p.width)
	}
	p.rows++
	return nil
}

// resolveTargets finds the target columns once the width is known.
func (p *csvParser) resolveTargets() error {
	targets, err := targetColumns(&p.header, p.width, p.cfg)
	if err != nil {
		return &ParseError{File: p.name, Err: err}
	}
	if p.cfg.Classes && len(targets) != 1 {
		return p.fail(0, -1, "class labels need exactly one target column, have %d", len(targets))
	}
	p.targets = targets
	p.isTarget = make([]bool, p.width)
	for _, c := range targets {
		p.isTarget[c] = true
	}
	p.skip = make([]bool, p.width)
	skipped, err := skipColumns(&p.header, p.width, p.cfg)
	if err != nil {
		return &ParseError{File: p.name, Err: err}
	}
	for _, c := range skipped {
		if p.isTarget[c] {
			return p.fail(0, c, "is both skipped and a target")
		}
		p.skip[c] = true
	}
	cats, byColumn, err := categoricalColumns(&p.header, p.width, p.cfg)
	if err != nil {
		return &ParseError{File: p.name, Err: err}
	}
	p.isCat, p.catCols = make([]bool, p.width), cats
	for _, c := range cats {
		if p.isTarget[c] || p.skip[c] {
			return p.fail(0, c, "is categorical and also a target or skipped")
		}
		p.isCat[c] = true
		if ec := byColumn[c]; ec != nil && p.cats[c] == nil {
			p.cats[c] = &catColumn{enc: ec}
		}
	}
	if len(skipped)+len(targets) == p.width {
		return p.fail(0, -1, "every input column is skipped")
	}
	if p.cfg.Missing < MissingError || p.cfg.Missing > MissingMostFrequent {
		return p.fail(0, -1, "Missing %v is not a policy", p.cfg.Missing)
	}
	return nil
}

// skipColumns resolves the columns to skip to indices.
func skipColumns(header *csvHeader, width int, cfg CSVConfig) ([]int, error) {
	var idx []int
	if len(cfg.Skip) > 0 && !cfg.Header {
		return nil, errors.New("columns skipped by name need a header")
	}
	for _, name := range cfg.Skip {
		i := header.index(name)
		if i < 0 {
			return nil, fmt.Errorf("no column %s to skip; the columns are %s", quote.Text(name), header.list())
		}
		idx = append(idx, i)
	}
	for _, i := range cfg.SkipColumns {
		if i < 0 || i >= width {
			return nil, fmt.Errorf("skipped column %d outside the %d columns", i, width)
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return slices.Compact(idx), nil
}

// replayFirst sorts the held first row into inputs and targets, the
// inputs kept in place, so that a row of millions of fields is not copied.
func (p *csvParser) replayFirst(line int) error {
	if f := p.pending; f != nil && !p.isTarget[f.c] {
		return p.notNumber(f.line, f.c, []byte(f.text), "a number")
	}
	inputs := p.first[:0]
	for c, v := range p.first {
		switch {
		case p.skip[c] || p.isCat[c]:
		case slices.Contains(p.firstMissing, c) && p.isTarget[c]:
			return p.fail(line, c, "empty field; want a number")
		case !p.isTarget[c]:
			inputs = append(inputs, v)
		case p.pending != nil && p.pending.c == c:
			if err := p.target([]byte(p.pending.text), p.pending.line); err != nil {
				return err
			}
		case len(p.targets) == 1:
			if err := p.target(strconv.AppendFloat(nil, v, 'g', -1, 64), line); err != nil {
				return err
			}
		default:
			p.y = append(p.y, v)
		}
	}
	p.x, p.first, p.pending = inputs, nil, nil
	p.rows++
	return nil
}

// number parses a field as a number. A text that is not one is reported by
// ok false; NaN and ±Inf, unless allowed, by an error.
func (p *csvParser) number(field []byte, line, c int) (v float64, ok bool, err error) {
	v, perr := strconv.ParseFloat(string(bytes.TrimSpace(field)), 64)
	if perr != nil && !errors.Is(perr, strconv.ErrRange) {
		return 0, false, nil
	}
	if perr != nil || (!p.cfg.AllowNonFinite && (math.IsNaN(v) || math.IsInf(v, 0))) {
		return 0, false, p.fail(line, c, "%s is not a finite number (set AllowNonFinite to read NaN and ±Inf)", quote.Text(string(field)))
	}
	return v, true, nil
}

// target takes the value of the single target column of a row: a number,
// a class index, or a text label. An empty field is none of them.
func (p *csvParser) target(field []byte, line int) error {
	c := p.targets[0]
	v, isNumber, err := p.number(field, line, c)
	blank := len(bytes.TrimSpace(field)) == 0
	switch {
	case err != nil:
		return err
	case !blank && p.isMissing(field):
		return p.fail(line, c, "%s, a missing value: a target is never filled", quote.Text(string(field)))
	case blank && p.labels != nil:
		return p.fail(line, c, "empty field; want a class label, as on line %d", p.textLine)
	case blank && p.rows == 0:
		return p.fail(line, c, "empty field; want a number or a class label")
	case blank && p.cfg.Classes:
		return p.fail(line, c, "empty field; want a class index (a whole number ≥ 0)")
	case blank:
		return p.fail(line, c, "empty field; want a number")
	case p.labels != nil && isNumber: // text so far: the column is not text on every row
		return p.mixed(p.textLine)
	case p.labels != nil || (!isNumber && p.rows == 0):
		if p.labels == nil {
			p.textLine = line
		}
		p.labels = append(p.labels, string(bytes.TrimSpace(field)))
		return nil
	case !isNumber:
		return p.fail(line, c, "%s is not a number (a text target must be text on every row)", quote.Text(string(field)))
	case p.cfg.Classes && (v < 0 || v != math.Trunc(v)):
		return p.fail(line, c, "%s is not a class index (a whole number ≥ 0)", quote.Text(string(field)))
	}
	p.y = appendDoubling(p.y, v)
	return nil
}

// mixed reports a target column that starts as text labels and then holds
// a number.
func (p *csvParser) mixed(line int) error {
	c := p.targets[0]
	what := "is not a number (a text target must be text on every row)"
	if p.cfg.Classes {
		what = "is not a class index (a whole number ≥ 0)"
	}
	return p.fail(line, c, "%s %s", quote.Text(p.labels[0]), what)
}

// finish assembles the result.
func (p *csvParser) finish() (*CSVData, error) {
	if p.rows == 0 {
		return nil, p.fail(0, -1, "no data rows")
	}
	out := &CSVData{}
	names := p.header.names()
	for c := range p.width {
		var name string
		if p.cfg.Header {
			name = names[c]
		}
		switch {
		case p.isTarget[c]:
			if name == "" {
				name = strconv.Itoa(c + 1)
			}
			out.Targets = append(out.Targets, name)
		case p.skip[c]:
		case p.isCat[c]:
			out.Categorical = append(out.Categorical, p.categoryName(c))
		case p.cfg.Header:
			out.Features = append(out.Features, name)
		}
	}
	inputs := 0
	for c := range p.width {
		if !p.isTarget[c] && !p.skip[c] && !p.isCat[c] {
			inputs++
		}
	}
	if len(p.catCols) > 0 {
		out.Encoding = p.finishCategories(p.catCols)
		out.Codes = CodeTensor(p.codes, p.rows, len(p.catCols))
	}
	if err := p.impute(inputs); err != nil {
		return nil, err
	}
	out.X = tensor.New(p.x, p.rows, inputs)
	switch {
	case p.labels != nil:
		names := slices.Clone(p.labels)
		slices.Sort(names)
		names = slices.Compact(names)
		y := make([]float64, len(p.labels))
		for i, l := range p.labels {
			id, _ := slices.BinarySearch(names, l)
			y[i] = float64(id)
		}
		out.Y, out.ClassNames = tensor.New(y), names
	case p.cfg.Classes:
		out.Y = tensor.New(p.y)
	default:
		out.Y = tensor.New(p.y, p.rows, len(p.targets))
	}
	return out, nil
}

// targetColumns resolves the configured target columns to indices, given
// the header's names (none without a header) and the number of columns.
func targetColumns(header *csvHeader, width int, cfg CSVConfig) ([]int, error) {
	switch {
	case len(cfg.Targets) > 0 && len(cfg.TargetColumns) > 0:
		return nil, errors.New("set Targets or TargetColumns, not both")
	case len(cfg.Targets) > 0:
		if !cfg.Header {
			return nil, errors.New("target columns by name need a header")
		}
		var idx []int
		for _, t := range cfg.Targets {
			i := header.index(t)
			if i < 0 {
				return nil, fmt.Errorf("no column %s; the columns are %s", quote.Text(t), header.list())
			}
			if slices.Contains(idx, i) {
				return nil, fmt.Errorf("target column %s named twice", quote.Text(t))
			}
			idx = append(idx, i)
		}
		return idx, nil
	case len(cfg.TargetColumns) > 0:
		for j, i := range cfg.TargetColumns {
			if i < 0 || i >= width {
				return nil, fmt.Errorf("target column %d outside the %d columns", i, width)
			}
			if slices.Contains(cfg.TargetColumns[:j], i) {
				return nil, fmt.Errorf("target column %d given twice", i)
			}
		}
		return slices.Clone(cfg.TargetColumns), nil
	}
	if width < 2 {
		return nil, fmt.Errorf("%d column: want inputs and a target", width)
	}
	return []int{width - 1}, nil
}

// impute fills the missing values of every input column, by the policy,
// from the column's other values. A NaN read with AllowNonFinite counts as
// missing, as in SimpleImputer.
func (p *csvParser) impute(inputs int) error {
	if p.cfg.Missing == MissingError || p.cfg.Missing == MissingNaN {
		return nil
	}
	j := 0 // the column's place among the inputs
	var values []float64
	for c := range p.width {
		if p.isTarget[c] || p.skip[c] || p.isCat[c] {
			continue
		}
		values = values[:0]
		for r := range p.rows {
			if v := p.x[r*inputs+j]; !math.IsNaN(v) {
				values = append(values, v)
			}
		}
		if len(values) < p.rows { // a missing value (or a NaN read with AllowNonFinite)
			fill := p.cfg.FillValue
			if p.cfg.Missing != MissingConstant {
				if len(values) == 0 {
					return p.fail(0, c, "every value is missing: no %v to fill them with", p.cfg.Missing)
				}
				fill = fillValue(p.cfg.Missing, values)
			}
			for r := range p.rows {
				if math.IsNaN(p.x[r*inputs+j]) {
					p.x[r*inputs+j] = fill
				}
			}
		}
		j++
	}
	return nil
}

// fillValue returns the statistic of values that policy fills with;
// values is reordered.
func fillValue(policy Missing, values []float64) float64 {
	switch policy {
	case MissingMean:
		sum := 0.0
		for _, v := range values {
			sum += v
		}
		return sum / float64(len(values))
	case MissingMedian:
		slices.Sort(values)
		n := len(values)
		if n%2 == 1 {
			return values[n/2]
		}
		return (values[n/2-1] + values[n/2]) / 2
	}
	slices.Sort(values) // most frequent: the smallest of the longest runs
	best, bestRun := values[0], 0
	for i := 0; i < len(values); {
		k := i
		for k < len(values) && values[k] == values[i] {
			k++
		}
		if k-i > bestRun {
			best, bestRun = values[i], k-i
		}
		i = k
	}
	return best
}
