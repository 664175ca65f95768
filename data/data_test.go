package data

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/tensor"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

func rowsDataset(n int) *TensorDataset {
	x := tensor.Arange(0, float64(n), 1).Reshape(n, 1)
	return NewTensorDataset(x, x.MulScalar(10))
}

// firstColumn collects the example ids of each batch.
func batches(l *Loader) [][]float64 {
	var out [][]float64
	for x, y := range l.All() {
		if !tensor.Equal(y, x.MulScalar(10)) {
			panic("inputs and targets out of step")
		}
		out = append(out, slices.Clone(x.Data()))
	}
	return out
}

func TestLoader(t *testing.T) {
	ds := rowsDataset(5)
	tests := []struct {
		name string
		cfg  LoaderConfig
		want [][]float64
		len  int
	}{
		{"default", LoaderConfig{}, [][]float64{{0}, {1}, {2}, {3}, {4}}, 5},
		{"batch2", LoaderConfig{BatchSize: 2}, [][]float64{{0, 1}, {2, 3}, {4}}, 3},
		{"droplast", LoaderConfig{BatchSize: 2, DropLast: true}, [][]float64{{0, 1}, {2, 3}}, 2},
		{"big", LoaderConfig{BatchSize: 10}, [][]float64{{0, 1, 2, 3, 4}}, 1},
		{"bigdrop", LoaderConfig{BatchSize: 10, DropLast: true}, nil, 0},
	}
	for _, tt := range tests {
		l := NewLoader(ds, tt.cfg)
		if diff := cmp.Diff(tt.want, batches(l)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if l.Len() != tt.len {
			t.Errorf("%s: Len %d, want %d", tt.name, l.Len(), tt.len)
		}
	}
	l := NewLoader(ds, LoaderConfig{BatchSize: 3})
	if l.BatchSize() != 3 || l.Dataset() != ds {
		t.Error("accessors")
	}
	for x := range l.All() { // stopping early must work
		if x.Dim(0) != 3 {
			t.Error("first batch size")
		}
		break
	}
}

func TestLoaderShuffle(t *testing.T) {
	ds := rowsDataset(50)
	a := NewLoader(ds, LoaderConfig{BatchSize: 7, Shuffle: true, Rand: rng(1)})
	b := NewLoader(ds, LoaderConfig{BatchSize: 7, Shuffle: true, Rand: rng(1)})
	e1, e2 := batches(a), batches(a)
	if diff := cmp.Diff(e1, batches(b)); diff != "" {
		t.Errorf("same seed, different order:\n%s", diff)
	}
	if cmp.Equal(e1, e2) {
		t.Error("two epochs in the same order")
	}
	var seen []float64
	for _, batch := range e1 {
		seen = append(seen, batch...)
	}
	slices.Sort(seen)
	if !cmp.Equal(seen, tensor.Arange(0, 50, 1).Data()) {
		t.Errorf("an epoch does not visit every example once: %v", seen)
	}
	mustPanic(t, "NewLoader: Shuffle needs a Rand", func() { NewLoader(ds, LoaderConfig{Shuffle: true}) })
	mustPanic(t, "NewLoader: batch size -1 is negative", func() { NewLoader(ds, LoaderConfig{BatchSize: -1}) })
	mustPanic(t, "NewTensorDataset: inputs [2 1] and targets [3]", func() { NewTensorDataset(tensor.Zeros(2, 1), tensor.Zeros(3)) })
}

// TestLoaderBatchAllocations checks that a batch costs a fixed number of
// allocations, whatever its size: no allocation per example.
func TestLoaderBatchAllocations(t *testing.T) {
	var counts []float64
	for _, bs := range []int{4, 64} {
		ds := NewTensorDataset(tensor.Zeros(256, 10), tensor.Zeros(256))
		idx := make([]int, bs)
		counts = append(counts, testing.AllocsPerRun(50, func() { ds.Batch(idx) }))
	}
	if counts[0] != counts[1] || counts[0] > 8 {
		t.Errorf("allocations for batches of 4 and 64: %v, want the same small number", counts)
	}
}

func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		e, ok := recover().(*Error)
		if !ok || !strings.Contains(e.Error(), want) {
			t.Errorf("panic %v, want a *data.Error containing %q", e, want)
		}
	}()
	f()
}

func TestSplit(t *testing.T) {
	train, val := SplitIndices(rng(1), 10, SplitConfig{ValFraction: 0.25})
	if len(val) != 3 || len(train) != 7 { // ⌈2.5⌉
		t.Errorf("sizes %d/%d, want 7/3", len(train), len(val))
	}
	all := append(slices.Clone(train), val...)
	slices.Sort(all)
	if !cmp.Equal(all, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || !slices.IsSorted(train) || !slices.IsSorted(val) {
		t.Errorf("not a partition in order: %v %v", train, val)
	}
	t2, v2 := SplitIndices(rng(1), 10, SplitConfig{ValFraction: 0.25})
	if !cmp.Equal(train, t2) || !cmp.Equal(val, v2) {
		t.Error("same seed, different split")
	}
	if _, v := SplitIndices(rng(1), 10, SplitConfig{ValCount: 4}); len(v) != 4 {
		t.Errorf("ValCount: %d", len(v))
	}
	ds := rowsDataset(10)
	tr, va := Split(rng(2), ds, SplitConfig{ValCount: 2})
	if tr.Len() != 8 || va.Len() != 2 {
		t.Errorf("Split sizes %d %d", tr.Len(), va.Len())
	}
	mustPanic(t, "set ValFraction or ValCount, not both", func() { SplitIndices(rng(1), 10, SplitConfig{ValFraction: 0.1, ValCount: 1}) })
	mustPanic(t, "ValFraction 1.5 outside (0, 1)", func() { SplitIndices(rng(1), 10, SplitConfig{ValFraction: 1.5}) })
	mustPanic(t, "0 validation examples of 10", func() { SplitIndices(rng(1), 10, SplitConfig{}) })
	mustPanic(t, "10 validation examples of 10", func() { SplitIndices(rng(1), 10, SplitConfig{ValCount: 10}) })
	mustPanic(t, "Stratify has 3 labels for 10", func() {
		SplitIndices(rng(1), 10, SplitConfig{ValCount: 2, Stratify: tensor.Zeros(3)})
	})
}

func TestStratifiedSplit(t *testing.T) {
	// 60 of class 0, 30 of class 1, 10 of class 2.
	labels := tensor.Zeros(100)
	for i := 60; i < 100; i++ {
		labels.Data()[i] = 1
		if i >= 90 {
			labels.Data()[i] = 2
		}
	}
	count := func(idx []int) [3]int {
		var c [3]int
		for _, i := range idx {
			c[int(labels.Data()[i])]++
		}
		return c
	}
	train, val := SplitIndices(rng(3), 100, SplitConfig{ValFraction: 0.2, Stratify: labels})
	if got := count(val); got != [3]int{12, 6, 2} {
		t.Errorf("validation classes %v, want [12 6 2]", got)
	}
	if got := count(train); got != [3]int{48, 24, 8} {
		t.Errorf("training classes %v", got)
	}
	// 7 of 100: shares 4.2, 2.1, 0.7 → 4, 2, 0 plus one for the largest remainder (class 2).
	_, val = SplitIndices(rng(3), 100, SplitConfig{ValCount: 7, Stratify: labels})
	if got := count(val); got != [3]int{4, 2, 1} {
		t.Errorf("largest remainder: %v, want [4 2 1]", got)
	}
}

func TestKFold(t *testing.T) {
	folds := KFold(nil, 7, 3)
	want := []Fold{
		{Train: []int{3, 4, 5, 6}, Val: []int{0, 1, 2}},
		{Train: []int{0, 1, 2, 5, 6}, Val: []int{3, 4}},
		{Train: []int{0, 1, 2, 3, 4}, Val: []int{5, 6}},
	}
	if diff := cmp.Diff(want, folds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	seen := map[int]int{}
	for _, f := range KFold(rng(1), 10, 4) {
		if len(f.Train)+len(f.Val) != 10 {
			t.Error("fold does not cover the data")
		}
		for _, i := range f.Val {
			seen[i]++
		}
	}
	if len(seen) != 10 {
		t.Errorf("validation folds cover %d examples", len(seen))
	}
	mustPanic(t, "KFold: 1 folds of 5", func() { KFold(nil, 5, 1) })
}

func TestScalers(t *testing.T) {
	x := tensor.New([]float64{1, 10, 5, 2, 20, 5, 3, 30, 5}, 3, 3)
	s := FitStandard(x)
	approx := cmpopts.EquateApprox(1e-12, 1e-12)
	if diff := cmp.Diff([]float64{2, 20, 5}, s.Mean.Data(), approx); diff != "" {
		t.Errorf("mean (-want +got):\n%s", diff)
	}
	sd := math.Sqrt(2.0 / 3)
	if diff := cmp.Diff([]float64{sd, 10 * sd, 1}, s.Std.Data(), approx); diff != "" {
		t.Errorf("std (-want +got):\n%s", diff)
	}
	z := s.Transform(x)
	if diff := cmp.Diff([]float64{0, 0, 0}, z.Mean(0).Data(), approx); diff != "" {
		t.Errorf("standardized mean (-want +got):\n%s", diff)
	}
	if !tensor.AllClose(s.InverseTransform(z), x, 1e-12, 1e-12) {
		t.Error("StandardScaler round trip")
	}
	// Statistics come from the training data only.
	other := tensor.New([]float64{2, 20, 5}, 1, 3)
	if diff := cmp.Diff([]float64{0, 0, 0}, s.Transform(other).Data(), approx); diff != "" {
		t.Errorf("transform of new data (-want +got):\n%s", diff)
	}
	m := FitMinMax(x, -1, 1)
	if diff := cmp.Diff([]float64{-1, -1, -1, 0, 0, -1, 1, 1, -1}, m.Transform(x).Data(), approx); diff != "" {
		t.Errorf("min-max (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{3}, m.Transform(tensor.New([]float64{5, 50, 5}, 1, 3)).Data()[:1], approx); diff != "" {
		t.Errorf("values outside the range must not be clipped (-want +got):\n%s", diff)
	}
	if !tensor.AllClose(m.InverseTransform(m.Transform(x)), x, 1e-12, 1e-12) {
		t.Error("MinMaxScaler round trip")
	}
	mustPanic(t, "FitMinMax: range [1, 1] is empty", func() { FitMinMax(x, 1, 1) })
	mustPanic(t, "FitStandard: inputs of shape [3]", func() { FitStandard(tensor.Zeros(3)) })
	mustPanic(t, "StandardScaler.Transform: inputs of shape [2 2] for a scaler fitted on 3 features", func() { s.Transform(tensor.Zeros(2, 2)) })
}

func TestOneHot(t *testing.T) {
	got := OneHot(tensor.New([]float64{2, 0}), 3)
	if diff := cmp.Diff([]float64{0, 0, 1, 1, 0, 0}, got.Data()); diff != "" || !cmp.Equal(got.Shape(), []int{2, 3}) {
		t.Errorf("(-want +got):\n%s", diff)
	}
	mustPanic(t, "OneHot: label 3 at position 0", func() { OneHot(tensor.New([]float64{3}), 3) })
	mustPanic(t, "OneHot: labels of shape [1 1]", func() { OneHot(tensor.Zeros(1, 1), 3) })
}

func TestReadCSV(t *testing.T) {
	in := "a,b,label\n1,2,cat\n3, 4,dog\n5,6,cat\n"
	d, err := ReadCSV(strings.NewReader(in), "pets.csv", CSVConfig{Header: true, Targets: []string{"label"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{1, 2, 3, 4, 5, 6}, d.X.Data()); diff != "" {
		t.Errorf("X (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{0, 1, 0}, d.Y.Data()); diff != "" || d.Y.Dims() != 1 {
		t.Errorf("Y %v (-want +got):\n%s", d.Y.Shape(), diff)
	}
	if !cmp.Equal(d.ClassNames, []string{"cat", "dog"}) || !cmp.Equal(d.Features, []string{"a", "b"}) || !cmp.Equal(d.Targets, []string{"label"}) {
		t.Errorf("names %v %v %v", d.ClassNames, d.Features, d.Targets)
	}
	if d.Dataset().Len() != 3 {
		t.Error("Dataset")
	}
	// No header, numeric regression target by index, another separator.
	d, err = ReadCSV(strings.NewReader("1;2;3\n4;5;6\n"), "r.csv", CSVConfig{TargetColumns: []int{0}, Comma: ';'})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(d.Y.Shape(), []int{2, 1}) || !cmp.Equal(d.Y.Data(), []float64{1, 4}) || d.Features != nil || !cmp.Equal(d.Targets, []string{"1"}) {
		t.Errorf("Y %v %v features %v", d.Y.Shape(), d.Y.Data(), d.Features)
	}
	// A byte-order mark and Windows line ends, as spreadsheets write them.
	d, err = ReadCSV(strings.NewReader("\uFEFFx,y\r\n1,2\r\n"), "excel.csv", CSVConfig{Header: true, Targets: []string{"y"}})
	if err != nil || !cmp.Equal(d.Features, []string{"x"}) || d.Y.At(0, 0) != 2 {
		t.Errorf("BOM and CRLF: %v %v", d, err)
	}
	// Two targets by name (kept in the file's order of columns); names quoted
	// or empty (an unnamed target is named by its number).
	d, err = ReadCSV(strings.NewReader("a,\"b,\"\"c\"\"\",,d\n1,2,3,4\n"), "t.csv", CSVConfig{Header: true, Targets: []string{"d", "a"}})
	if err != nil || !cmp.Equal(d.Features, []string{`b,"c"`, ""}) || !cmp.Equal(d.Targets, []string{"a", "d"}) || !cmp.Equal(d.Y.Data(), []float64{1, 4}) {
		t.Errorf("targets by name: %v, %v", d, err)
	}
	// Numeric class labels.
	d, err = ReadCSV(strings.NewReader("1,0\n2,2\n"), "c.csv", CSVConfig{Classes: true})
	if err != nil || !cmp.Equal(d.Y.Shape(), []int{2}) || d.ClassNames != nil {
		t.Errorf("numeric classes: %v %v", d, err)
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		in   string
		cfg  CSVConfig
		want string
	}{
		{"", CSVConfig{}, "f.csv: no data rows"},
		{"a,b\n", CSVConfig{Header: true}, "f.csv: no data rows"},
		{"1,2\n3\n", CSVConfig{}, "f.csv:2: 1 fields, want 2 as in the first row"},
		{"x,y\n1,2\nz,3\n", CSVConfig{Header: true}, `f.csv:3: column 1 (x): "z" is not a number`},
		// An empty field says so, and what the column wants.
		{"1,2\n1,\n", CSVConfig{}, `f.csv:2: column 2: empty field; want a number`},
		{"x,y\n1,2\n1, \n", CSVConfig{Header: true}, `f.csv:3: column 2 (y): empty field; want a number`},
		{"x,y\n,2\n", CSVConfig{Header: true}, `f.csv:2: column 1 (x): empty field; want a number`},
		{"1,2\n,2\n", CSVConfig{}, `f.csv:2: column 1: empty field; want a number`},
		{",2\n", CSVConfig{}, `f.csv:1: column 1: empty field; want a number`},
		{"1,\n", CSVConfig{}, `f.csv:1: column 2: empty field; want a number or a class label`},
		{"1,2,\n", CSVConfig{TargetColumns: []int{1, 2}}, `f.csv:1: column 3: empty field; want a number`},
		{"1,a\n2,\n", CSVConfig{}, `f.csv:2: column 2: empty field; want a class label, as on line 1`},
		{"1,1\n2,\n", CSVConfig{Classes: true}, `f.csv:2: column 2: empty field; want a class index (a whole number ≥ 0)`},
		{"x,y\n1,2\n", CSVConfig{Header: true, Targets: []string{"q"}}, `no column "q"; the columns are x, y`},
		{"1,2\n", CSVConfig{Targets: []string{"q"}}, "need a header"},
		{"c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12\n" + strings.Repeat("1,", 11) + "1\n", CSVConfig{Header: true, Targets: []string{"c13"}}, `no column "c13"; the columns are c1, c2, c3, c4, c5, c6, c7, c8, c9, c10 and 2 more`},
		{"1,2\n", CSVConfig{TargetColumns: []int{5}}, "target column 5 outside the 2 columns"},
		{"1,2\n", CSVConfig{Targets: []string{"a"}, TargetColumns: []int{0}}, "not both"},
		{"1\n", CSVConfig{}, "1 column: want inputs and a target"},
		{"1,2,3\n", CSVConfig{TargetColumns: []int{1, 2}, Classes: true}, "exactly one target column"},
		{"1,a\n2,3\n", CSVConfig{}, `f.csv:1: column 2: "a" is not a number (a text target`},
		{"1,a\n2,3\n", CSVConfig{Classes: true}, `f.csv:1: column 2: "a" is not a class index`},
		{"1,-1\n", CSVConfig{Classes: true}, `"-1" is not a class index`},
		{"1,\"2\n", CSVConfig{}, "f.csv:1: extraneous or missing"},
		// NaN and infinities are refused unless allowed, naming line and column.
		{"x,y\n1,2\nNaN,3\n", CSVConfig{Header: true}, `f.csv:3: column 1 (x): "NaN" is not a finite number (set AllowNonFinite`},
		{"1,2\n-Inf,3\n", CSVConfig{}, `f.csv:2: column 1: "-Inf" is not a finite number`},
		{"1,inf\n", CSVConfig{}, `f.csv:1: column 2: "inf" is not a finite number`},
		{"1,2,3\n4,5,+Inf\n", CSVConfig{TargetColumns: []int{1, 2}}, `f.csv:2: column 3: "+Inf" is not a finite number`},
		{"1e999,2\n", CSVConfig{}, `"1e999" is not a finite number`},
		{"1,2\n", CSVConfig{TargetColumns: []int{1, 1}}, "target column 1 given twice"},
		// A user's text is quoted short.
		{"1," + strings.Repeat("7x", 1000) + "\n2,3\n", CSVConfig{}, `"` + strings.Repeat("7x", 20) + `"…`},
	}
	for _, tt := range tests {
		_, err := ReadCSV(strings.NewReader(tt.in), "f.csv", tt.cfg)
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadCSV(%q): %v, want a *ParseError containing %q", tt.in, err, tt.want)
		}
	}
	for _, tt := range tests {
		_, err := ReadCSV(strings.NewReader(tt.in), "f.csv", tt.cfg)
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("ReadCSV(%.30q…): an error of %d bytes", tt.in, len(err.Error()))
		}
	}
	// AllowNonFinite reads them.
	d, err := ReadCSV(strings.NewReader("NaN,Inf\n-Inf,1\n"), "f.csv", CSVConfig{AllowNonFinite: true})
	if err != nil || !math.IsNaN(d.X.At(0, 0)) || !math.IsInf(d.Y.At(0, 0), 1) || !math.IsInf(d.X.At(1, 0), -1) {
		t.Errorf("AllowNonFinite: %v, %v", d, err)
	}
	if _, err := LoadCSV(filepath.Join(t.TempDir(), "none.csv"), CSVConfig{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// maxCSVError bounds a CSV error's length: a column's name is shown at
// most 120 characters long (480 bytes of UTF-8), or escaped at most 40
// (402 bytes), and a field's text escaped at most 40 (402 bytes); the
// file's name, the line and the words take the rest.
const maxCSVError = 1024

// TestReadCSVErrorsWorstCase builds the longest errors the quoting allows:
// a header name of 4-byte characters, or of characters that must be
// escaped, and a value of characters that must be escaped.
func TestReadCSVErrorsWorstCase(t *testing.T) {
	bad := strings.Repeat("\U000E0001", 50) // does not print: escaped as \U000e0001, 10 bytes
	for _, name := range []string{strings.Repeat("𝔸", 200), strings.Repeat("\U000E0001", 200), strings.Repeat("\xff", 200)} {
		in := `"` + name + `",y` + "\n" + bad + ",2\n"
		_, err := ReadCSV(strings.NewReader(in), "fuzz.csv", CSVConfig{Header: true})
		if err == nil || len(err.Error()) > maxCSVError || strings.Count(err.Error(), "…") != 2 {
			t.Errorf("a name of 200 %.4q and a value of 50 %.4q: an error of %d bytes, want at most %d, both cut: %v", name, bad, len(fmt.Sprint(err)), maxCSVError, err)
		}
		// A target that is not there, among 20 such names.
		header := strings.Repeat(`"`+name+`",`, 20) + "y\n1" + strings.Repeat(",1", 20) + "\n"
		_, err = ReadCSV(strings.NewReader(header), "fuzz.csv", CSVConfig{Header: true, Targets: []string{bad}})
		if err == nil || len(err.Error()) > maxCSVError || !strings.Contains(err.Error(), "more") {
			t.Errorf("no target %.4q among 20 names of 200 %.4q: an error of %d bytes, want at most %d: %v", bad, name, len(fmt.Sprint(err)), maxCSVError, err)
		}
	}
}

// idxFile builds an IDX file by hand from the format's description.
func idxFile(typ byte, dims []uint32, payload []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(payload)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestReadIDX(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want *tensor.Tensor
	}{
		{"ubyte", idxFile(0x08, []uint32{2, 3}, []byte{0, 1, 2, 253, 254, 255}), tensor.New([]float64{0, 1, 2, 253, 254, 255}, 2, 3)},
		{"sbyte", idxFile(0x09, []uint32{2}, []byte{0xff, 5}), tensor.New([]float64{-1, 5})},
		{"int16", idxFile(0x0B, []uint32{2}, be([]int16{-300, 7})), tensor.New([]float64{-300, 7})},
		{"int32", idxFile(0x0C, []uint32{1}, be([]int32{-70000})), tensor.New([]float64{-70000})},
		{"float32", idxFile(0x0D, []uint32{1}, be([]float32{0.5})), tensor.New([]float64{0.5})},
		{"float64", idxFile(0x0E, []uint32{1, 1}, be([]float64{-2.25})), tensor.New([]float64{-2.25}, 1, 1)},
		{"gzip", gz(idxFile(0x08, []uint32{3}, []byte{7, 8, 9})), tensor.New([]float64{7, 8, 9})},
		{"empty", idxFile(0x08, []uint32{0, 5}, nil), tensor.Zeros(0, 5)},
	}
	for _, tt := range tests {
		got, err := ReadIDX(bytes.NewReader(tt.file), tt.name)
		if err != nil || !tensor.Equal(got, tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	corrupt := gz(idxFile(0x08, []uint32{2}, []byte{1, 2}))
	corrupt[len(corrupt)-5] ^= 0xff // the CRC
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "ends inside the 4-byte magic number"},
		{"magic", []byte{1, 0, 8, 1}, "magic number 01000801"},
		{"type", []byte{0, 0, 0x42, 1}, "unknown type code 0x42"},
		{"nodims", []byte{0, 0, 8, 0}, "no dimensions"},
		{"dims cut", []byte{0, 0, 8, 2, 0, 0, 0, 1}, "ends inside the dimensions (1 of 2 read)"},
		{"absurd", idxFile(0x08, []uint32{1 << 31, 1 << 31}, nil), "hold more than 1073741824 values"},
		{"truncated", idxFile(0x08, []uint32{4}, []byte{1, 2}), "file ends inside the values: dimensions [4] need 4, 2 were read"},
		{"truncated big", idxFile(0x0E, []uint32{1 << 29}, make([]byte, 80)), "need 536870912, 10 were read"},
		{"truncated gzip", gz(idxFile(0x08, []uint32{1000}, make([]byte, 10)))[:30], "file ends inside"},
		{"trailing", idxFile(0x08, []uint32{1}, []byte{1, 2}), "data continues after the 1 values"},
		{"bad gzip", []byte{0x1f, 0x8b, 0, 0}, "bad gzip header"},
		{"gzip crc", corrupt, "checksum"},
	}
	for _, tt := range tests {
		_, err := ReadIDX(bytes.NewReader(tt.file), "f.idx")
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "f.idx: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a *ParseError containing %q", tt.name, err, tt.want)
		}
	}
	// A corrupt gzip stream is reported as such, with where it happened,
	// and the stream's error is kept for errors.Is and errors.As.
	if _, err := ReadIDX(bytes.NewReader(corrupt), "f.idx"); !errors.Is(err, gzip.ErrChecksum) {
		t.Errorf("CRC: %v does not wrap gzip.ErrChecksum", err)
	}
	body := gz(idxFile(0x08, []uint32{3, 1000}, randomBytes(3000)))
	for _, at := range []int{len(body) / 2, 3 * len(body) / 4} {
		bad := bytes.Clone(body)
		for i := at; i < at+8; i++ {
			bad[i] ^= 0x55
		}
		_, err := ReadIDX(bytes.NewReader(bad), "f.idx")
		var flateErr flate.CorruptInputError
		if !errors.As(err, &flateErr) && !errors.Is(err, gzip.ErrChecksum) {
			t.Errorf("deflate data damaged at %d: %v, want the stream's own error", at, err)
		}
		if err != nil && !strings.Contains(err.Error(), "reading the ") {
			t.Errorf("deflate data damaged at %d: %v does not say where", at, err)
		}
	}
	failing := io.MultiReader(bytes.NewReader(idxFile(0x08, []uint32{100}, make([]byte, 10))), iotest.ErrReader(errors.New("disk gone")))
	if _, err := ReadIDX(failing, "f.idx"); err == nil || !strings.Contains(err.Error(), "reading the values") || !strings.Contains(err.Error(), "disk gone") {
		t.Errorf("a failing reader: %v", err)
	}
}

// TestReadIDXErrorsAreShort checks that a header of many dimensions (the
// format allows 255) makes an error of a line: the shape is shown cut short
// wherever an error names it.
func TestReadIDXErrorsAreShort(t *testing.T) {
	ones := func(n int, last ...uint32) []uint32 {
		d := make([]uint32, n)
		for i := range d {
			d[i] = 1
		}
		return append(d, last...)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"too many values", idxFile(0x08, ones(250, 1<<31, 1<<31), nil), "dimensions [1 1 1 1 1 1 1 1 …and 243 more] hold more than"},
		{"truncated", idxFile(0x08, ones(254, 3), []byte{1}), "dimensions [1 1 1 1 1 1 1 1 …and 247 more] need 3, 1 were read"},
		{"trailing", idxFile(0x08, ones(255), []byte{1, 2}), "data continues after the 1 values of dimensions [1 1 1 1 1 1 1 1 …and 247 more]"},
		{"huge dimensions", idxFile(0x08, append([]uint32{0}, ones(254, 4294967295)[1:]...), []byte{1}), "data continues after the 0 values"},
	}
	for _, tt := range tests {
		_, err := ReadIDX(bytes.NewReader(tt.file), "f.idx")
		if err == nil || !strings.Contains(err.Error(), tt.want) || len(err.Error()) > 200 {
			t.Errorf("%s: %d bytes: %.300v; want at most 200 containing %q", tt.name, len(fmt.Sprint(err)), err, tt.want)
		}
	}
	// MNIST names the shape of a file it cannot use, cut short too.
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 1, false, []byte{1})
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), idxFile(0x08, ones(200, 2), []byte{1, 2}), 0o644)
	if _, _, err := MNIST(dir); err == nil || !strings.Contains(err.Error(), "images of shape [1 1 1 1 1 1 1 1 …and 193 more]: want [N 28 28]") || len(err.Error()) > 200 {
		t.Errorf("a 201-dimension image file: %.300v", err)
	}
	writeMNIST(t, dir, "train", 1, false, []byte{1})
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), idxFile(0x08, ones(200), []byte{1}), 0o644)
	if _, _, err := MNIST(dir); err == nil || !strings.Contains(err.Error(), "labels of shape [1 1 1 1 1 1 1 1 …and 192 more] for 1 images") || len(err.Error()) > 200 {
		t.Errorf("a 200-dimension label file: %.300v", err)
	}
}

// be encodes v big-endian.
func be(v any) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, v)
	return b.Bytes()
}

// randomBytes returns n bytes that do not compress.
func randomBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// writeMNIST writes a small MNIST-shaped data set (n images) into dir.
func writeMNIST(t *testing.T, dir, prefix string, n int, gzipped bool, labels []byte) {
	t.Helper()
	pix := make([]byte, n*28*28)
	for i := range pix {
		pix[i] = byte(i % 256)
	}
	img, lab := idxFile(0x08, []uint32{uint32(n), 28, 28}, pix), idxFile(0x08, []uint32{uint32(len(labels))}, labels)
	ext := ""
	if gzipped {
		img, lab, ext = gz(img), gz(lab), ".gz"
	}
	os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"+ext), img, 0o644)
	os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"+ext), lab, 0o644)
}

// TestMNISTIn checks float32 images against MNIST's float64 ones converted
// with To, bit for bit, and the refusal of a dtype images cannot have.
func TestMNISTIn(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 3, true, []byte{5, 0, 9})
	writeMNIST(t, dir, "t10k", 2, false, []byte{1, 2})
	train64, test64, err := MNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	train32, test32, err := MNISTIn(dir, tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ f64, f32 *TensorDataset }{{train64, train32}, {test64, test32}} {
		if p.f32.X.DType() != tensor.Float32 || !cmp.Equal(p.f32.X.Shape(), p.f64.X.Shape()) {
			t.Fatalf("float32 images: %v %v, want float32 %v", p.f32.X.DType(), p.f32.X.Shape(), p.f64.X.Shape())
		}
		if !cmp.Equal(p.f32.X.Float32s(), p.f64.X.To(tensor.Float32).Float32s()) || !cmp.Equal(p.f32.Y.Data(), p.f64.Y.Data()) {
			t.Error("float32 images or labels differ from float64 MNIST's converted")
		}
	}
	if _, _, err := MNISTIn(dir, tensor.Int64); err == nil || !strings.Contains(err.Error(), "MNIST images in int64: want float64 or float32") {
		t.Errorf("int64 images: %v", err)
	}
}

func TestMNIST(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 3, true, []byte{5, 0, 9})
	writeMNIST(t, dir, "t10k", 2, false, []byte{1, 2})
	train, test, err := MNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(train.X.Shape(), []int{3, 784}) || !cmp.Equal(test.Y.Data(), []float64{1, 2}) {
		t.Errorf("shapes %v %v", train.X.Shape(), test.Y.Data())
	}
	if mx := train.X.Max().Item(); mx != 1 || train.X.Min().Item() != 0 || train.X.At(0, 1) != 1.0/255 {
		t.Errorf("pixels not scaled to [0, 1]: max %v", mx)
	}
	bad := t.TempDir()
	writeMNIST(t, bad, "train", 3, true, []byte{5, 0})
	if _, _, err := MNIST(bad); err == nil || !strings.Contains(err.Error(), "labels of shape [2] for 3 images") {
		t.Errorf("count mismatch: %v", err)
	}
	writeMNIST(t, bad, "train", 1, false, []byte{12})
	os.Remove(filepath.Join(bad, "train-images-idx3-ubyte.gz"))
	os.Remove(filepath.Join(bad, "train-labels-idx1-ubyte.gz"))
	if _, _, err := MNIST(bad); err == nil || !strings.Contains(err.Error(), "label 12 at position 0 is not a digit") {
		t.Errorf("bad label: %v", err)
	}
	os.WriteFile(filepath.Join(bad, "train-images-idx3-ubyte"), idxFile(0x08, []uint32{1, 4}, []byte{1, 2, 3, 4}), 0o644)
	if _, _, err := MNIST(bad); err == nil || !strings.Contains(err.Error(), "want [N 28 28]") {
		t.Errorf("bad image shape: %v", err)
	}
	if _, _, err := MNIST(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty folder: %v", err)
	}
	writeMNIST(t, dir, "t10k", 1, false, []byte{1, 2})
	if _, _, err := MNIST(dir); err == nil {
		t.Error("bad test set accepted")
	}
}

func TestBuiltins(t *testing.T) {
	x, y := XOR()
	if !cmp.Equal(x.Data(), []float64{0, 0, 0, 1, 1, 0, 1, 1}) || !cmp.Equal(y.Data(), []float64{0, 1, 1, 0}) || !cmp.Equal(y.Shape(), []int{4, 1}) {
		t.Error("XOR")
	}
	type gen func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor)
	gens := map[string]struct {
		f      gen
		xshape []int
		yshape []int
	}{
		"NoisyXOR":    {func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor) { return NoisyXOR(r, 40, 0.1) }, []int{40, 2}, []int{40, 1}},
		"Moons":       {func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor) { return Moons(r, 41, 0.1) }, []int{41, 2}, []int{41}},
		"Circles":     {func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor) { return Circles(r, 40, 0.05, 0.5) }, []int{40, 2}, []int{40}},
		"Spirals":     {func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor) { return Spirals(r, 20, 3, 0.2) }, []int{60, 2}, []int{60}},
		"NoisyLinear": {func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor) { return NoisyLinear(r, 30, 0.1) }, []int{30, 1}, []int{30, 1}},
		"NoisySine":   {func(r *rand.Rand) (*tensor.Tensor, *tensor.Tensor) { return NoisySine(r, 30, 0.1) }, []int{30, 1}, []int{30, 1}},
	}
	for name, g := range gens {
		x1, y1 := g.f(rng(7))
		x2, y2 := g.f(rng(7))
		if !tensor.Equal(x1, x2) || !tensor.Equal(y1, y2) {
			t.Errorf("%s: same seed, different data", name)
		}
		if !cmp.Equal(x1.Shape(), g.xshape) || !cmp.Equal(y1.Shape(), g.yshape) {
			t.Errorf("%s: shapes %v %v", name, x1.Shape(), y1.Shape())
		}
	}
	// Noise-free sets lie where they should.
	x, y = Circles(rng(1), 10, 0, 0.3)
	for i := range 10 {
		r := math.Hypot(x.At(i, 0), x.At(i, 1))
		want := 1.0
		if y.At(i) == 1 {
			want = 0.3
		}
		if math.Abs(r-want) > 1e-12 {
			t.Errorf("circle point %d at radius %v, class %v", i, r, y.At(i))
		}
	}
	x, y = NoisyLinear(rng(1), 5, 0)
	if !tensor.AllClose(y, x.MulScalar(2).AddScalar(-1), 1e-12, 1e-12) {
		t.Error("NoisyLinear without noise is off the line")
	}
	x, y = NoisyXOR(rng(1), 8, 0)
	for i := range 8 {
		if float64(int(x.At(i, 0))^int(x.At(i, 1))) != y.At(i, 0) {
			t.Error("NoisyXOR label")
		}
	}
	mustPanic(t, "Moons: 0 points", func() { Moons(rng(1), 0, 0) })
	mustPanic(t, "Circles: factor 1 outside", func() { Circles(rng(1), 4, 0, 1) })
	mustPanic(t, "Spirals: 1 classes", func() { Spirals(rng(1), 4, 1, 0) })
}

func TestIris(t *testing.T) {
	x, y := Iris()
	if !cmp.Equal(x.Shape(), []int{150, 4}) || !cmp.Equal(y.Shape(), []int{150}) {
		t.Fatalf("shapes %v %v", x.Shape(), y.Shape())
	}
	var counts [3]int
	for _, c := range y.Data() {
		counts[int(c)]++
	}
	if counts != [3]int{50, 50, 50} {
		t.Errorf("class counts %v", counts)
	}
	// Fisher's first flower and the well-known column means.
	if !cmp.Equal(x.Slice(0, 0, 1).Data(), []float64{5.1, 3.5, 1.4, 0.2}) {
		t.Errorf("first row %v", x.Slice(0, 0, 1).Data())
	}
	means := x.Mean(0).Data()
	for i, want := range []float64{5.8433, 3.0573, 3.758, 1.1993} {
		if math.Abs(means[i]-want) > 1e-4 {
			t.Errorf("mean of column %d = %v, want %v", i, means[i], want)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("a,b,label\n1,2,cat\n3,4,dog\n", true)
	f.Add("1,2\n3,4\n", false)
	f.Add("\"1\",2\n", false)
	f.Fuzz(func(t *testing.T, in string, header bool) {
		d, err := ReadCSV(strings.NewReader(in), "fuzz.csv", CSVConfig{Header: header})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if len(err.Error()) > maxCSVError {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		if d.X.Dim(0) != d.Y.Dim(0) || d.X.Dim(0) == 0 {
			t.Fatalf("X %v and Y %v", d.X.Shape(), d.Y.Shape())
		}
	})
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxFile(0x08, []uint32{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idxFile(0x0B, []uint32{3}, []byte{1, 2}))
	// The gzip branch, with real streams: every type, a truncated one, one
	// announcing more than it holds, one of incompressible bytes.
	f.Add(gz(idxFile(0x0E, []uint32{1}, make([]byte, 8))))
	f.Add(gz(idxFile(0x0D, []uint32{2, 2}, be([]float32{1, -2, 3.5, 0}))))
	f.Add(gz(idxFile(0x0C, []uint32{2}, be([]int32{-70000, 5}))))
	f.Add(gz(idxFile(0x09, []uint32{3}, []byte{0xff, 1, 2})))
	f.Add(gz(idxFile(0x08, []uint32{2, 28, 28}, randomBytes(2*28*28))))
	f.Add(gz(idxFile(0x08, []uint32{1 << 20}, make([]byte, 100))))
	f.Add(gz(idxFile(0x08, []uint32{50}, randomBytes(50)))[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b), "fuzz.idx")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		gzipped := len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b
		if !gzipped && x.Size() > len(b) {
			t.Fatalf("%d values from %d bytes", x.Size(), len(b))
		}
	})
}

func TestRange(t *testing.T) {
	ds := rowsDataset(5)
	r := ds.Range(1, 3)
	if r.Len() != 2 || r.X.At(0, 0) != 1 || r.Y.At(1, 0) != 20 {
		t.Errorf("Range: %v %v", r.X, r.Y)
	}
	r.X.Set(100, 0, 0)
	if ds.X.At(1, 0) != 100 {
		t.Error("Range copies")
	}
}

func TestLoaderReused(t *testing.T) {
	ds := rowsDataset(5)
	l := NewLoader(ds, LoaderConfig{BatchSize: 2, Shuffle: true, Rand: rng(3)})
	l2 := NewLoader(ds, LoaderConfig{BatchSize: 2, Shuffle: true, Rand: rng(3)})
	var fresh, reused [][]float64
	var first *tensor.Tensor
	n := 0
	for x, y := range l.Reused() {
		if !tensor.Equal(y, x.MulScalar(10)) {
			t.Fatal("inputs and targets out of step")
		}
		reused = append(reused, slices.Clone(x.Data()))
		if n == 0 {
			first = x
		} else if n == 1 && x != first {
			t.Error("a full batch did not reuse the first batch's tensor")
		}
		n++
	}
	fresh = batches(l2)
	if diff := cmp.Diff(fresh, reused); diff != "" {
		t.Errorf("Reused and All differ (-All +Reused):\n%s", diff)
	}
	// A data set that cannot fill batches gets fresh ones.
	plain := NewLoader(struct{ Dataset }{ds}, LoaderConfig{BatchSize: 2})
	var seen []*tensor.Tensor
	for x := range plain.Reused() {
		seen = append(seen, x)
	}
	if len(seen) != 3 || seen[0] == seen[1] {
		t.Error("a plain Dataset shares batch tensors")
	}
}

// TestLoaderPrefetch checks that prefetching yields the same batches in the
// same order, with All and Reused, shuffled or not, with or without the last
// short batch; that reused batches stay intact while the next one is
// gathered; that stopping early returns; and that a data set's panic reaches
// the caller.
func TestLoaderPrefetch(t *testing.T) {
	ds := rowsDataset(11)
	for _, cfg := range []LoaderConfig{
		{BatchSize: 3},
		{BatchSize: 3, DropLast: true},
		{BatchSize: 4, Shuffle: true},
		{BatchSize: 20},
	} {
		plain, pre := cfg, cfg
		if cfg.Shuffle {
			plain.Rand, pre.Rand = rng(7), rng(7)
		}
		pre.Prefetch = true
		want := batches(NewLoader(ds, plain))
		if got := batches(NewLoader(ds, pre)); !cmp.Equal(want, got) {
			t.Errorf("%+v: All with Prefetch gives %v, want %v", cfg, got, want)
		}
		if cfg.Shuffle {
			plain.Rand, pre.Rand = rng(7), rng(7)
		}
		var got [][]float64
		for x, y := range NewLoader(ds, pre).Reused() {
			before := slices.Clone(x.Data())
			time.Sleep(time.Millisecond) // the next batch is being gathered meanwhile
			if !cmp.Equal(before, x.Data()) || !tensor.Equal(y, x.MulScalar(10)) {
				t.Fatalf("%+v: a reused batch changed while the caller held it", cfg)
			}
			got = append(got, before)
		}
		if !cmp.Equal(want, got) {
			t.Errorf("%+v: Reused with Prefetch gives %v, want %v", cfg, got, want)
		}
	}
	n := 0
	for range NewLoader(ds, LoaderConfig{BatchSize: 2, Prefetch: true}).Reused() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break after one batch ran %d", n)
	}
	if got := batches(NewLoader(rowsDataset(0), LoaderConfig{Prefetch: true})); len(got) != 0 {
		t.Errorf("an empty data set yields %v", got)
	}
	bad := NewLoader(panicky{ds}, LoaderConfig{BatchSize: 2, Prefetch: true})
	mustPanic(t, "bad example", func() {
		for range bad.All() {
		}
	})
}

// panicky is a data set whose batches panic.
type panicky struct{ *TensorDataset }

func (panicky) Batch([]int) (x, y *tensor.Tensor) {
	panic(&Error{Op: "Batch", Detail: "bad example"})
}

// TestErrorKinds checks that data's errors match their kinds.
func TestErrorKinds(t *testing.T) {
	_, err := ReadCSV(strings.NewReader("a,b\n1,x\n"), "bad.csv", CSVConfig{})
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrFormat) {
		t.Errorf("a bad number: %v", err)
	}
	defer func() {
		err, _ := recover().(error)
		var de *Error
		if !errors.As(err, &de) || !errors.Is(err, tensor.ErrShape) {
			t.Errorf("mismatched rows: %v", err)
		}
	}()
	NewTensorDataset(tensor.Ones(2, 1), tensor.Ones(3, 1))
}

// FuzzReadCSVOptions varies every option of the CSV reader: it never
// panics, fails only with a *ParseError, and what it reads has as many
// targets as rows.
func FuzzReadCSVOptions(f *testing.F) {
	f.Add("a,b,label\n1,2,cat\n3,4,dog\n", true, false, uint8(1), "label", 0, ',')
	f.Add("1;2;3\n4;5;6\n", false, false, uint8(2), "", 0, ';')
	f.Add("x\ty\n1\t0\n2\t2\n", true, true, uint8(0), "", 1, '\t')
	f.Add("1,NaN\n2,3\n", false, false, uint8(0), "", 0, ',')
	f.Fuzz(func(t *testing.T, in string, header, classes bool, targets uint8, name string, col int, comma rune) {
		cfg := CSVConfig{Header: header, Classes: classes, Comma: comma}
		switch targets % 4 {
		case 1:
			cfg.Targets = []string{name}
		case 2:
			cfg.TargetColumns = []int{col}
		case 3:
			cfg.TargetColumns = []int{col, col + 1}
		}
		d, err := ReadCSV(strings.NewReader(in), "fuzz.csv", cfg)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if len(err.Error()) > maxCSVError {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		if d.X.Dim(0) != d.Y.Dim(0) || d.X.Dim(0) == 0 {
			t.Fatalf("X %v and Y %v", d.X.Shape(), d.Y.Shape())
		}
		for _, v := range append(d.X.Data(), d.Y.Data()...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("a non-finite value %v was read without AllowNonFinite", v)
			}
		}
	})
}
