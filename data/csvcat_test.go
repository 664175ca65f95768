package data

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minidl/minidl/tensor"
)

// TestReadCSVCategories checks the codes of a training file and of a test
// file read with its saved encoding against scikit-learn's OrdinalEncoder
// (testdata/sklearn_ordinal.py), and the unknown category's error.
func TestReadCSVCategories(t *testing.T) {
	b, err := os.ReadFile("testdata/sklearn_ordinal.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Categories  [][]string
		Train, Test []float64
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	cfg := CSVConfig{Header: true, Targets: []string{"price"}, Categorical: []string{"size", "colour"}, UnknownCategory: true}
	d, err := LoadCSV("testdata/pets_train.csv", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Train, d.Codes.To(tensor.Float64).Data()); diff != "" || !cmp.Equal(d.Codes.Shape(), []int{5, 2}) || d.Codes.DType() != tensor.Int64 {
		t.Errorf("training codes %v (-sklearn +ours):\n%s", d.Codes.Shape(), diff)
	}
	if !cmp.Equal(d.X.Data(), []float64{1.5, 2, 0.5, 3, 1}) || !cmp.Equal(d.Features, []string{"weight"}) || !cmp.Equal(d.Categorical, []string{"colour", "size"}) {
		t.Errorf("X %v features %v categorical %v", d.X.Data(), d.Features, d.Categorical)
	}
	if got := [][]string{d.Encoding.Columns[0].Values, d.Encoding.Columns[1].Values}; !cmp.Equal(got, want.Categories) || !cmp.Equal(d.Encoding.Sizes(), []int{5, 5}) {
		t.Errorf("categories %v sizes %v, sklearn's %v", got, d.Encoding.Sizes(), want.Categories)
	}
	path := filepath.Join(t.TempDir(), "encoding.json")
	if err := d.Encoding.Save(path); err != nil {
		t.Fatal(err)
	}
	enc, err := LoadEncoding(path)
	if err != nil || !cmp.Equal(enc, d.Encoding) {
		t.Fatalf("the saved encoding reads back as %+v, %v", enc, err)
	}
	test, err := LoadCSV("testdata/pets_test.csv", CSVConfig{Header: true, Targets: []string{"price"}, Encoding: enc})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Test, test.Codes.To(tensor.Float64).Data()); diff != "" {
		t.Errorf("test codes (-sklearn +ours):\n%s", diff)
	}
	if ds := test.MultiDataset(); ds.NumInputs() != 2 || ds.Inputs[1] != test.X {
		t.Error("MultiDataset")
	}
	enc.Unknown = false
	_, err = LoadCSV("testdata/pets_test.csv", CSVConfig{Header: true, Targets: []string{"price"}, Encoding: enc})
	if want := `testdata/pets_test.csv:3: column 1 (colour): category "violet" is not in the encoding (4 categories; an Encoding with Unknown gives it a code)`; err == nil || err.Error() != want {
		t.Errorf("unknown category: %v\nwant %s", err, want)
	}
	// Rows in another order give the same codes: the order is sorted.
	d2, err := ReadCSV(strings.NewReader("colour,weight,size,price\nBlue,1,XL,8\nred,3,M,11\nGrün,0.5,L,9\nblue,2,S,12\nred,1.5,M,10\n"), "r.csv", cfg)
	if err != nil || !cmp.Equal(d2.Encoding, d.Encoding) {
		t.Errorf("reordered rows: %+v, %v", d2.Encoding, err)
	}
	// Without a header, by index, and a missing category.
	d, err = ReadCSV(strings.NewReader("b,1,0\na,2,1\n"), "n.csv", CSVConfig{CategoricalColumns: []int{0}})
	if err != nil || !cmp.Equal(d.Codes.Int64s(), []int64{1, 0}) || !cmp.Equal(d.Categorical, []string{"1"}) {
		t.Errorf("no header: %+v, %v", d, err)
	}
	_, err = ReadCSV(strings.NewReader("b,1,0\n,2,1\n"), "n.csv", CSVConfig{CategoricalColumns: []int{0}, Missing: MissingMostFrequent})
	if want := "n.csv:2: column 1: empty or missing; want a category (missing categories are never filled)"; err == nil || err.Error() != want {
		t.Errorf("missing category: %v", err)
	}
}

// TestReadEncodingHostile checks that an encoding file that is not one is
// a short *ParseError.
func TestReadEncodingHostile(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"columns":[]}`, "e.json: no columns"},
		{`{"columns":[{"name":"a","column":0,"values":["b","a"]}]}`, `e.json: column 1 (a): categories "b" and "a" are not sorted and distinct`},
		{`{"columns":[{"name":"a","column":-1,"values":["a"]}]}`, "e.json: column 0: index -1 is negative"},
		{`{"columns":[{"name":"a","column":0,"values":["a"]},{"name":"a","column":1,"values":["a"]}]}`, "e.json: column 2 (a) repeats an earlier one"},
		{`{"columns":[{"name":"a","column":0,"values":[]}]}`, "e.json: column 1 (a): 0 categories; want 1 to 65536"},
		{`{"columns":[{"name":"a","column":0,"values":["a"]}],"extra":1}`, `e.json: not an encoding: "json: unknown field \"extra\""`},
		{`{"columns":[{"name":"a","column":0,"values":["a"]}]} {}`, "e.json: data after the encoding"},
		{"\x00", `e.json: not an encoding: "invalid character '\\x00' looking for beg"…`},
	} {
		_, err := ReadEncoding(strings.NewReader(c.in), "e.json")
		if err == nil || err.Error() != c.want || !errors.Is(err, ErrFormat) {
			t.Errorf("%q: %v\nwant %s", c.in, err, c.want)
		}
	}
	// The limit, 64 MiB, checked at 1 KiB: a test that held 64 MiB would
	// raise the peak memory TestHostileMemory's children inherit.
	_, err := readEncoding(strings.NewReader(strings.Repeat(" ", 1025)), "big.json", 1024)
	if err == nil || err.Error() != "big.json: more than 1024 bytes: not an encoding" {
		t.Errorf("a file too large: %v", err)
	}
}

// FuzzReadEncoding: an encoding file read back never panics, fails only
// with a short *ParseError, and what it reads saves and reads again the
// same.
func FuzzReadEncoding(f *testing.F) {
	f.Add(`{"columns":[{"name":"a","column":0,"values":["x","y"]}],"unknown":true}`)
	f.Add(`{"columns":[{"name":"","column":3,"values":["1"]},{"name":"b","column":1,"values":["p","q","r"]}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		e, err := ReadEncoding(strings.NewReader(in), "fuzz.json")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || len(err.Error()) > maxCSVError {
				t.Fatalf("error %v: want a short *ParseError", err)
			}
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ReadEncoding(strings.NewReader(string(b)), "again.json")
		if err != nil || !cmp.Equal(e, e2) {
			t.Fatalf("read again: %+v, %v", e2, err)
		}
	})
}
