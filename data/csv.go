package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

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
	Column string // the column's name or 1-based number, "" if not about one
	Err    error
}

// Error returns "file:line: column name: what is wrong".
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
}

// CSVData is what ReadCSV returns.
type CSVData struct {
	X *tensor.Tensor // inputs [N features]
	// Y holds the targets: [N] class indices when the target is a class
	// label, [N targets] otherwise.
	Y        *tensor.Tensor
	Features []string // input column names (numbers "1", "2", … without a header)
	Targets  []string // target column names
	// ClassNames maps class indices to the labels found in the file, when
	// the target was text.
	ClassNames []string
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
// value of an input column must be a number. An empty file, rows of
// differing lengths, a value that is not a number, or a target column that
// does not exist is a *ParseError naming the file, line and column.
func ReadCSV(r io.Reader, name string, cfg CSVConfig) (*CSVData, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3) // the byte-order mark spreadsheets put before the first column's name
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked below, with a better message
	cr.TrimLeadingSpace = true
	if cfg.Comma != 0 {
		cr.Comma = cfg.Comma
	}
	fail := func(line int, column string, format string, args ...any) error {
		return &ParseError{File: name, Line: line, Column: column, Err: fmt.Errorf(format, args...)}
	}
	var columns []string
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fail(pe.Line, "", "%v", pe.Err)
			}
			return nil, &ParseError{File: name, Err: err}
		}
		line, _ := cr.FieldPos(0)
		if columns == nil {
			if cfg.Header {
				columns = slices.Clone(rec)
				continue
			}
			columns = make([]string, len(rec))
			for i := range columns {
				columns[i] = strconv.Itoa(i + 1)
			}
		}
		if len(rec) != len(columns) {
			return nil, fail(line, "", "%d fields, want %d as in the first row", len(rec), len(columns))
		}
		rows = append(rows, rec)
		lines = append(lines, line)
	}
	if len(rows) == 0 {
		return nil, fail(0, "", "no data rows")
	}
	targets, err := targetColumns(columns, cfg)
	if err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	isTarget := make([]bool, len(columns))
	for _, c := range targets {
		isTarget[c] = true
	}
	out := &CSVData{}
	for c, col := range columns {
		if isTarget[c] {
			out.Targets = append(out.Targets, col)
		} else {
			out.Features = append(out.Features, col)
		}
	}
	n := len(rows)
	x := make([]float64, 0, n*len(out.Features))
	for i, rec := range rows {
		for c, field := range rec {
			if isTarget[c] {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
			if err != nil {
				return nil, fail(lines[i], columns[c], "%q is not a number", field)
			}
			x = append(x, v)
		}
	}
	out.X = tensor.New(x, n, len(out.Features))
	if cfg.Classes || (len(targets) == 1 && allText(rows, targets[0])) {
		if len(targets) != 1 {
			return nil, fail(0, "", "class labels need exactly one target column, have %d", len(targets))
		}
		out.Y, out.ClassNames, err = classColumn(rows, lines, targets[0], columns[targets[0]], fail)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	y := make([]float64, 0, n*len(targets))
	for i, rec := range rows {
		for _, c := range targets {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[c]), 64)
			if err != nil {
				return nil, fail(lines[i], columns[c], "%q is not a number (a text target must be text on every row)", rec[c])
			}
			y = append(y, v)
		}
	}
	out.Y = tensor.New(y, n, len(targets))
	return out, nil
}

// targetColumns resolves the configured target columns to indices.
func targetColumns(columns []string, cfg CSVConfig) ([]int, error) {
	switch {
	case len(cfg.Targets) > 0 && len(cfg.TargetColumns) > 0:
		return nil, errors.New("set Targets or TargetColumns, not both")
	case len(cfg.Targets) > 0:
		if !cfg.Header {
			return nil, errors.New("target columns by name need a header")
		}
		var idx []int
		for _, t := range cfg.Targets {
			i := slices.Index(columns, t)
			if i < 0 {
				return nil, fmt.Errorf("no column %q; the columns are %s", t, strings.Join(columns, ", "))
			}
			idx = append(idx, i)
		}
		return idx, nil
	case len(cfg.TargetColumns) > 0:
		for _, i := range cfg.TargetColumns {
			if i < 0 || i >= len(columns) {
				return nil, fmt.Errorf("target column %d outside the %d columns", i, len(columns))
			}
		}
		return slices.Clone(cfg.TargetColumns), nil
	}
	if len(columns) < 2 {
		return nil, fmt.Errorf("%d column: want inputs and a target", len(columns))
	}
	return []int{len(columns) - 1}, nil
}

// allText reports whether no value of column c parses as a number.
func allText(rows [][]string, c int) bool {
	for _, rec := range rows {
		if _, err := strconv.ParseFloat(strings.TrimSpace(rec[c]), 64); err == nil {
			return false
		}
	}
	return true
}

// classColumn reads column c as class labels: whole numbers from 0 as
// they are, or text labels numbered in sorted order.
func classColumn(rows [][]string, lines []int, c int, col string, fail func(int, string, string, ...any) error) (*tensor.Tensor, []string, error) {
	y := tensor.Zeros(len(rows))
	if !allText(rows, c) {
		for i, rec := range rows {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[c]), 64)
			if err != nil || v < 0 || v != float64(int64(v)) {
				return nil, nil, fail(lines[i], col, "%q is not a class index (a whole number ≥ 0)", rec[c])
			}
			y.Data()[i] = v
		}
		return y, nil, nil
	}
	var names []string
	for _, rec := range rows {
		names = append(names, strings.TrimSpace(rec[c]))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	for i, rec := range rows {
		id, _ := slices.BinarySearch(names, strings.TrimSpace(rec[c]))
		y.Data()[i] = float64(id)
	}
	return y, names, nil
}
