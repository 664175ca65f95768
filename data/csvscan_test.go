package data

import (
	"bufio"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"
)

// scanAll reads every record with csvScanner.
func scanAll(in string, comma rune) ([][]string, error) {
	sc := newCSVScanner(bufio.NewReader(strings.NewReader(in)), comma)
	var recs [][]string
	var rec []string
	for {
		err := sc.Next()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		rec = append(rec, sc.text())
		if sc.last {
			recs, rec = append(recs, rec), nil
		}
	}
}

// stdlibAll reads every record with encoding/csv, configured as ReadCSV
// used to configure it.
func stdlibAll(in string, comma rune) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(in))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comma = comma
	return r.ReadAll()
}

func TestCSVScanner(t *testing.T) {
	for _, in := range []string{
		"a,b\n1,2\n", "1,2", "1,2\r\n3,4\r\n", "\n\n1,2\n\n", "  1,  2\n", `"a,b",c` + "\n", `"say ""hi""",x` + "\n",
		"\"two\nlines\",x\n", "1,,3\n", "1,2,\n", ",\n", `"",""` + "\n", "a;b\n",
	} {
		want, werr := stdlibAll(in, ',')
		got, err := scanAll(in, ',')
		if (err == nil) != (werr == nil) || !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%q: scanner %q, %v; encoding/csv %q, %v", in, got, err, want, werr)
		}
	}
	for _, in := range []string{`a"b,c`, `"abc`, `"a"b,c`} {
		if _, err := scanAll(in, ','); err == nil {
			t.Errorf("%q: no quoting error", in)
		}
	}
	if got, _ := scanAll("1;2\n", ';'); !slices.EqualFunc(got, [][]string{{"1", "2"}}, slices.Equal) {
		t.Errorf("semicolons: %q", got)
	}
}

// FuzzCSVScanner checks the scanner against encoding/csv: wherever the
// standard reader accepts the input, the scanner reads the same records.
func FuzzCSVScanner(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\"\"y\",2\r\n", " 1, \"2\"\n\n3,4", "\"a\nb\",c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if strings.ContainsRune(in, '\r') {
			return // encoding/csv turns \r\n inside quoted fields into \n; ReadCSV's numbers do not care
		}
		want, werr := stdlibAll(in, ',')
		if werr != nil {
			return
		}
		got, err := scanAll(in, ',')
		if err != nil || !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("%q: scanner %q, %v; encoding/csv %q", in, got, err, want)
		}
	})
}
