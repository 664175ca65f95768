package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
)

// writeIDX writes an unsigned-byte IDX file.
func writeIDX(t *testing.T, path string, dims []uint32, payload []byte) {
	t.Helper()
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(payload)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyMNIST writes n images per set whose label is readable from the
// pixels: image i is bright in row (i mod 10).
func tinyMNIST(t *testing.T, n int) string {
	dir := t.TempDir()
	for _, prefix := range []string{"train", "t10k"} {
		pix, labels := make([]byte, n*784), make([]byte, n)
		for i := range n {
			d := i % 10
			labels[i] = byte(d)
			for c := range 28 {
				pix[i*784+d*28+c] = 255
			}
		}
		writeIDX(t, filepath.Join(dir, prefix+"-images-idx3-ubyte"), []uint32{uint32(n), 28, 28}, pix)
		writeIDX(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"), []uint32{uint32(n)}, labels)
	}
	return dir
}

func TestMNISTJSON(t *testing.T) {
	dir := tinyMNIST(t, 200)
	var out, errOut bytes.Buffer
	save := filepath.Join(t.TempDir(), "m.safetensors")
	plot := filepath.Join(t.TempDir(), "m.svg")
	code := run(context.Background(), []string{"-data", dir, "-train-size", "150", "-epochs", "30", "-hidden", "16", "-json", "-save", save, "-plot", plot}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"epoch", "loss", "val_loss", "val_accuracy", "seconds", "heap_mb"} {
		if _, ok := first[k]; !ok {
			t.Errorf("epoch line lacks %q: %s", k, lines[0])
		}
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"summary", "epochs_run", "stopped_epoch", "best_val_loss", "test_accuracy", "seconds_per_epoch", "train_samples_per_second"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary lacks %q: %v", k, s)
		}
	}
	if acc := s["test_accuracy"].(float64); acc < 0.9 {
		t.Errorf("test accuracy %v on a trivial set", acc)
	}
	if err := nn.Load(save, nn.NewSequential(nn.NewLinear(rng(), 784, 16), nn.ReLU(), nn.NewLinear(rng(), 16, 10))); err != nil {
		t.Errorf("saved model: %v", err)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Error(err)
	}
}

func TestMNISTErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-epochs", "0"}, &out, &errOut); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	if code := run(context.Background(), []string{"-data", t.TempDir()}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no such file") {
		t.Errorf("empty folder: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"-data", tinyMNIST(t, 20)}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "leaves none to validate") {
		t.Errorf("too few images: exit %d, %q", code, errOut.String())
	}
	out.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run(ctx, []string{"-data", tinyMNIST(t, 30), "-train-size", "20"}, &out, &errOut)
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("interrupt: %q", out.String())
	}
}

func rng() *rand.Rand { return rand.New(rand.NewPCG(1, 1)) }

// TestMNISTCNN trains the CNN briefly and reads its checkpoint back: the
// batch norms' running statistics are in it under PyTorch's names.
func TestMNISTCNN(t *testing.T) {
	var out, errOut bytes.Buffer
	save := filepath.Join(t.TempDir(), "cnn.safetensors")
	code := run(context.Background(), []string{"-data", tinyMNIST(t, 120), "-train-size", "100", "-epochs", "2", "-model", "cnn", "-save", save}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "training a CNN") || !strings.Contains(out.String(), "test accuracy") {
		t.Errorf("output:\n%s", out.String())
	}
	s, _, err := nn.LoadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	names := s.Names()
	for _, want := range []string{"1.weight", "2.running_mean", "2.running_var", "2.num_batches_tracked", "6.running_var", "11.weight"} {
		if !slices.Contains(names, want) {
			t.Errorf("checkpoint lacks %q: %v", want, names)
		}
	}
	if v, _ := s.Get("2.num_batches_tracked"); v.Item() != 4 { // 2 epochs of 2 batches of 64
		t.Errorf("num_batches_tracked = %v; want 4", v.Item())
	}
}
