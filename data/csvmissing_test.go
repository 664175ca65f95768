package data

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestReadCSVMissing checks each fill policy against scikit-learn's
// SimpleImputer on the same file (testdata/sklearn_impute.py), with
// missing values written as empty fields, "NA" and "?", and an identifier
// column skipped by name.
func TestReadCSVMissing(t *testing.T) {
	b, err := os.ReadFile("testdata/sklearn_impute.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]float64
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for policy, name := range map[Missing]string{MissingMean: "mean", MissingMedian: "median", MissingMostFrequent: "most_frequent", MissingConstant: "constant"} {
		d, err := LoadCSV("testdata/impute.csv", CSVConfig{Header: true, Targets: []string{"y"}, Skip: []string{"id"},
			Missing: policy, FillValue: -1, MissingValues: []string{"NA", "?"}})
		if err != nil {
			t.Fatalf("%v: %v", policy, err)
		}
		if diff := cmp.Diff(want[name], d.X.Data(), cmpopts.EquateApprox(1e-15, 0)); diff != "" || !cmp.Equal(d.Features, []string{"a", "b", "c"}) {
			t.Errorf("%v: X differs from SimpleImputer's (-sklearn +ours):\n%s features %v", policy, diff, d.Features)
		}
	}
	d, err := LoadCSV("testdata/impute.csv", CSVConfig{Header: true, SkipColumns: []int{0}, Missing: MissingNaN, MissingValues: []string{"NA", "?"}})
	if err != nil {
		t.Fatal(err)
	}
	nan := 0
	for _, v := range d.X.Data() {
		if math.IsNaN(v) {
			nan++
		}
	}
	if nan != 5 || d.X.Dim(1) != 3 {
		t.Errorf("MissingNaN: %d NaN in X %v, want 5 of [6 3]", nan, d.X.Shape())
	}
	// A NaN read with AllowNonFinite counts as missing, as in SimpleImputer.
	d, err = ReadCSV(strings.NewReader("a,y\n1,0\nNaN,1\n3,0\n"), "nan.csv", CSVConfig{Header: true, AllowNonFinite: true, Missing: MissingMean})
	if err != nil || !cmp.Equal(d.X.Data(), []float64{1, 2, 3}) {
		t.Errorf("a NaN text with MissingMean: %v, %v", d, err)
	}
	// Without a header: the first row's missing value, a skipped text column.
	d, err = ReadCSV(strings.NewReader("x,,1,0\ny,4,3,1\n"), "n.csv", CSVConfig{SkipColumns: []int{0}, Missing: MissingMean})
	if err != nil || !cmp.Equal(d.X.Data(), []float64{4, 1, 4, 3}) || !cmp.Equal(d.Y.Data(), []float64{0, 1}) {
		t.Errorf("no header: %v, %v", d, err)
	}
}

// TestReadCSVMissingErrors checks that the refusals name the line and the
// column.
func TestReadCSVMissingErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		cfg  CSVConfig
		want string
	}{
		{"a,b,y\n1,2,0\n3,,1\n", CSVConfig{Header: true}, "m.csv:3: column 2 (b): empty field; want a number"},
		{"a,b,y\n1,NA,0\n", CSVConfig{Header: true, MissingValues: []string{"NA"}}, `m.csv:2: column 2 (b): "NA", a missing value; want a number`},
		{"a,b,y\n1,2,NA\n", CSVConfig{Header: true, Missing: MissingMean, MissingValues: []string{"NA"}}, `m.csv:2: column 3 (y): "NA", a missing value: a target is never filled`},
		{"a,b,y\n1,2,\n", CSVConfig{Header: true, Missing: MissingMean}, "m.csv:2: column 3 (y): empty field; want a number or a class label"},
		{"1,,0\n", CSVConfig{Missing: MissingNaN}, ""},
		{",2\n", CSVConfig{Missing: MissingNaN, TargetColumns: []int{0}}, "m.csv:1: column 1: empty field; want a number"},
		{"a,b,y\n1,,0\n2,,1\n", CSVConfig{Header: true, Missing: MissingMedian}, "m.csv: column 2 (b): every value is missing: no MissingMedian to fill them with"},
		{"a,b,y\n1,2,0\n", CSVConfig{Header: true, Skip: []string{"y"}}, "m.csv: column 3 (y): is both skipped and a target"},
		{"a,b,y\n1,2,0\n", CSVConfig{Header: true, Skip: []string{"z"}}, `m.csv: no column "z" to skip; the columns are a, b, y`},
		{"1,2,0\n", CSVConfig{Skip: []string{"a"}}, "m.csv: columns skipped by name need a header"},
		{"1,2,0\n", CSVConfig{SkipColumns: []int{3}}, "m.csv: skipped column 3 outside the 3 columns"},
		{"1,2,0\n", CSVConfig{SkipColumns: []int{0, 1}}, "m.csv: every input column is skipped"},
		{"1,2,0\n", CSVConfig{Missing: 9}, "m.csv: Missing Missing(9) is not a policy"},
	} {
		_, err := ReadCSV(strings.NewReader(c.in), "m.csv", c.cfg)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%q %+v:\n got %q\nwant %q", c.in, c.cfg, got, c.want)
		}
	}
}

// FuzzReadCSVMissing varies the missing-value policy and the skipped
// columns: the reader never panics, fails only with a short *ParseError,
// and a fill policy leaves no NaN.
func FuzzReadCSVMissing(f *testing.F) {
	f.Add("a,b,y\n1,,0\nNA,2,1\n", true, uint8(3), "NA", -1, 2.5)
	f.Add("x,,1,0\ny,4,3,1\n", false, uint8(4), "?", 0, 0.0)
	f.Add(",\n,\n", false, uint8(1), "", 5, 0.0)
	f.Fuzz(func(t *testing.T, in string, header bool, policy uint8, missing string, skip int, fill float64) {
		cfg := CSVConfig{Header: header, Missing: Missing(policy % 6), MissingValues: []string{missing}, FillValue: fill}
		if skip >= 0 {
			cfg.SkipColumns = []int{skip}
		}
		d, err := ReadCSV(strings.NewReader(in), "fuzz.csv", cfg)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(err.Error()) > maxCSVError {
				t.Fatalf("error %v: want a short *ParseError", err)
			}
			return
		}
		if d.X.Dim(0) != d.Y.Dim(0) || d.X.Dim(0) == 0 {
			t.Fatalf("X %v and Y %v", d.X.Shape(), d.Y.Shape())
		}
		for _, v := range d.X.Data() {
			if math.IsNaN(v) && cfg.Missing != MissingNaN && !(cfg.Missing == MissingConstant && math.IsNaN(fill)) {
				t.Fatalf("a NaN left by %v", cfg.Missing)
			}
		}
	})
}
