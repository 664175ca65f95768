package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/callbacks"
)

// TestCorpusTheStudyCannotUse: a file that ReadCurves accepts but whose
// curves lack what the study reads is refused with a message naming the
// curve and what it lacks, not a panic (issue 20, item 20).
func TestCorpusTheStudyCannotUse(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{`{"format":"minidl-curve/1","id":"a/1","task":"a","series":{"val_loss":[1,0.5]}}`,
			`curve 1 (run "a/1"): no test_error series`},
		{`{"format":"minidl-curve/1","task":"a","series":{"val_loss":[1],"test_error":[0.5]}}` + "\n" +
			`{"format":"minidl-curve/1","task":"b","model":"m","seed":3,"series":{"val_loss":[1,0.5],"test_error":[null,null]}}`,
			`curve 2 (task "b", model "m", optimizer "", seed 3): no finite value of test_error`},
		{`{"format":"minidl-curve/1","task":"a","series":{"test_error":[0.5]}}`, `curve 1 (task "a", model "", optimizer "", seed 0): no val_loss series`},
		{`{"format":"minidl-curve/1","task":"a","series":{"val_loss":[],"test_error":[]}}`, `series "test_error" has no values`},
		{"\n\n", "holds no curves"},
		{`{"format":"minidl-curve/1","task":"a","series":{"val_loss":[null],"test_error":[null]}}`, "every run diverged at its first value"},
	} {
		path := filepath.Join(t.TempDir(), "c.jsonl")
		if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"-corpus", path}, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%.50s…: exit %d, %q; want exit 1 and %q", tt.file, code, errOut.String(), tt.want)
		}
	}
}

// TestDivergedAtStartLeftOut: a run that diverged before its first value
// (too high a rate; the generator records such runs) is left out of the
// study, which says so, rather than refusing the corpus or putting NaN in
// its means.
func TestDivergedAtStartLeftOut(t *testing.T) {
	var file strings.Builder
	for _, task := range []string{"a", "b"} {
		for seed := range 3 {
			file.WriteString(`{"format":"minidl-curve/1","task":"` + task + `","seed":` + string(rune('0'+seed)) +
				`,"series":{"val_loss":[1,0.8,0.7,0.75,0.9],"test_error":[0.5,0.4,0.3,0.35,0.4]}}` + "\n")
		}
	}
	file.WriteString(`{"format":"minidl-curve/1","task":"b","seed":9,"series":{"val_loss":[null,null,null,null,null],"test_error":[null,null,null,null,null]}}` + "\n")
	path := filepath.Join(t.TempDir(), "c.jsonl")
	if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-corpus", path}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "1 of the 7 runs diverged before their first value") || !strings.Contains(out.String(), "# Early stopping on 6 curves") {
		t.Errorf("the study does not say it left the diverged run out:\n%.400s", out.String())
	}
	if strings.Contains(out.String(), "NaN") {
		t.Errorf("NaN in the study:\n%s", out.String())
	}
}

// TestCorpusInflationBound: a gzip file that inflates past the bound is
// refused, having inflated no more than the bound (issue 20, item 15).
func TestCorpusInflationBound(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	line := `{"format":"minidl-curve/1","task":"a","series":{"val_loss":[1],"test_error":[0.5]}}` + "\n"
	block := []byte(strings.Repeat(line, 1000))
	for range 400 { // 8.5 MB of curves, of a few kB
		zw.Write(block)
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "bomb.jsonl.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := readCorpusFile(path)
	if err == nil || !strings.Contains(err.Error(), "inflates to more than 64 times its") {
		t.Fatalf("a %d-byte file of 8.5 MB: %v", buf.Len(), err)
	}
	// A corpus that inflates less is read whole.
	buf.Reset()
	zw = gzip.NewWriter(&buf)
	zw.Write(block[:len(line)*3])
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if curves, err := readCorpusFile(path); err != nil || len(curves) != 3 {
		t.Errorf("a small gzip corpus: %d curves, %v", len(curves), err)
	}
}

// TestSubset keeps the first curves of each task, in order.
func TestSubset(t *testing.T) {
	var curves []callbacks.Curve
	for _, id := range []string{"a/0", "a/1", "a/2", "b/0", "c/0", "c/1", "c/2"} {
		task, _, _ := strings.Cut(id, "/")
		curves = append(curves, callbacks.Curve{ID: id, Task: task})
	}
	var got []string
	for _, c := range subset(curves, 2) {
		got = append(got, c.ID)
	}
	if want := "a/0 a/1 b/0 c/0 c/1"; strings.Join(got, " ") != want {
		t.Errorf("subset %v, want %s", got, want)
	}
}
