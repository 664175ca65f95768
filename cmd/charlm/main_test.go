package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
)

// fakeGOROOT writes a GOROOT whose src holds every package of packages,
// each with two small source files and a test file that must not be read.
func fakeGOROOT(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for i, pkg := range packages {
		dir := filepath.Join(root, "src", filepath.FromSlash(pkg))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := strings.Repeat("func f(x int) int {\n\treturn x + 1\n}\n", 20+i)
		for name, text := range map[string]string{"a.go": body, "b.go": "// é\n" + body, "a_test.go": "TEST FILE"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestReadCorpus(t *testing.T) {
	root := fakeGOROOT(t)
	a, err := readCorpus(root, packages, 20000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readCorpus(root, packages, 20000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for s := range a.Splits {
		if digest(a.Splits[s]) != digest(b.Splits[s]) {
			t.Errorf("split %s differs between two reads", splitNames[s])
		}
		total += len(a.Splits[s])
	}
	if total > 20000 {
		t.Errorf("read %d characters over a budget of 20000", total)
	}
	for _, f := range a.Files {
		if strings.HasSuffix(f.Path, "_test.go") {
			t.Errorf("read a test file %s", f.Path)
		}
	}
	for _, s := range a.Splits {
		for _, sym := range s {
			if sym < 0 || sym >= vocabSize {
				t.Fatalf("symbol %d outside the vocabulary", sym)
			}
		}
	}
	if _, err := readCorpus(t.TempDir(), packages, 20000); !errors.Is(err, errNoSources) || !strings.Contains(err.Error(), "bufio") {
		t.Errorf("GOROOT without sources: %v", err)
	}
}

func TestCharLMTiny(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-goroot", fakeGOROOT(t), "-chars", "6000", "-seq", "16", "-batch", "8",
		"-embed", "8", "-hidden", "16", "-epochs", "4", "-lr", "0.01", "-sample", "40", "-json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 4 epoch lines and a summary, got:\n%s", out.String())
	}
	var first, last map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[3]), &last)
	if !(last["loss"].(float64) < first["loss"].(float64)) {
		t.Errorf("loss did not fall: %v then %v", first["loss"], last["loss"])
	}
	var s summary
	if err := json.Unmarshal([]byte(lines[4]), &s); err != nil {
		t.Fatal(err)
	}
	if !s.Summary || s.TestBPC <= 0 || s.TestAccuracy <= 0 || len([]rune(s.Sample)) != len("func ")+40 {
		t.Errorf("summary %+v", s)
	}
}

// TestCharLMFloat32: -dtype float32 trains the model in float32, its loss
// falling, says so in the summary, samples, and saves F32 weights that
// load back.
func TestCharLMFloat32(t *testing.T) {
	var out, errOut bytes.Buffer
	save := filepath.Join(t.TempDir(), "charlm.safetensors")
	code := run(context.Background(), []string{"-goroot", fakeGOROOT(t), "-chars", "6000", "-seq", "16", "-batch", "8",
		"-embed", "8", "-hidden", "16", "-layers", "2", "-dropout", "0.1", "-epochs", "4", "-lr", "0.01", "-sample", "40", "-json",
		"-dtype", "float32", "-save", save}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("want 4 epoch lines and a summary, got:\n%s", out.String())
	}
	var first, last map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[3]), &last)
	if !(last["loss"].(float64) < first["loss"].(float64)) {
		t.Errorf("loss did not fall: %v then %v", first["loss"], last["loss"])
	}
	var s summary
	if err := json.Unmarshal([]byte(lines[4]), &s); err != nil {
		t.Fatal(err)
	}
	if s.DType != "float32" || s.TestBPC <= 0 || len([]rune(s.Sample)) != len("func ")+40 {
		t.Errorf("summary %+v", s)
	}
	b, err := os.ReadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	if header := string(b[:min(len(b), 4096)]); !strings.Contains(header, `"F32"`) || strings.Contains(header, `"F64"`) {
		t.Errorf("saved weights are not all F32: %.200s", header)
	}
	m := newCharLM(rand.New(rand.NewPCG(1, 2)), 8, 16, 2, 0.1)
	if err := nn.Load(save, m); err != nil {
		t.Errorf("loading the saved weights: %v", err)
	}
}

func TestCharLMBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-seq", "0"}, &out, &errOut); code != 2 {
		t.Errorf("-seq 0: exit %d", code)
	}
	if code := run(context.Background(), []string{"-dtype", "float16"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `-dtype "float16": want float64 or float32`) {
		t.Errorf("-dtype float16: exit %d, %q", code, errOut.String())
	}
	if code := run(context.Background(), []string{"-goroot", t.TempDir()}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no Go sources") {
		t.Errorf("empty GOROOT: exit %d, %q", code, errOut.String())
	}
}
