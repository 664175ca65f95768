package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
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

// TestMNISTFloat32: -dtype float32 trains the MLP in float32, says so in
// its summary, and learns the trivial set as in float64.
func TestMNISTFloat32(t *testing.T) {
	dir := tinyMNIST(t, 200)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-data", dir, "-train-size", "150", "-epochs", "30", "-hidden", "16", "-json", "-dtype", "float32"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatal(err)
	}
	if s["dtype"] != "float32" || s["test_accuracy"].(float64) < 0.9 {
		t.Errorf("-dtype float32: dtype %v, test accuracy %v", s["dtype"], s["test_accuracy"])
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

// TestMNISTCNNFloat32: -model cnn -dtype float32 trains the CNN in
// float32, says so, and saves a checkpoint of F32 weights and running
// statistics with its batch count.
func TestMNISTCNNFloat32(t *testing.T) {
	var out, errOut bytes.Buffer
	save := filepath.Join(t.TempDir(), "cnn32.safetensors")
	code := run(context.Background(), []string{"-data", tinyMNIST(t, 120), "-train-size", "100", "-epochs", "2", "-model", "cnn", "-dtype", "float32", "-save", save, "-json"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var s map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatal(err)
	}
	if s["dtype"] != "float32" || s["model"] != "cnn" {
		t.Errorf("summary: dtype %v, model %v; want float32, cnn", s["dtype"], s["model"])
	}
	raw, err := os.ReadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	var header map[string]struct{ DType string }
	if err := json.Unmarshal(raw[8:8+binary.LittleEndian.Uint64(raw)], &header); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"1.weight", "2.running_mean", "2.running_var", "11.weight"} {
		if header[name].DType != "F32" {
			t.Errorf("checkpoint entry %q is %q; want F32", name, header[name].DType)
		}
	}
	st, _, err := nn.LoadFile(save)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Get("2.num_batches_tracked"); v.Item() != 4 { // 2 epochs of 2 batches of 64
		t.Errorf("num_batches_tracked = %v; want 4", v.Item())
	}
}

// The interrupt tests run this test binary again as the program: with
// childMode "main" it is cmd/mnist (no flags), with "signals" a program
// that takes its interrupts as cmd/mnist does and then ignores its
// context for a while, as a step that does not look at it would.
const childMode = "MINIDL_MNIST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childMode) {
	case "main":
		os.Args = os.Args[:1]
		main()
	case "signals":
		ctx, stop := interruptContext()
		defer stop()
		fmt.Println("ready")
		<-ctx.Done()
		fmt.Println("interrupted once")
		time.Sleep(20 * time.Second)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// child starts the test binary in mode with env added, its output in out.
func child(t *testing.T, mode string, out io.Writer, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, childMode+"="+mode)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd
}

// exited waits at most limit for cmd to end and returns its exit status.
func exited(t *testing.T, cmd *exec.Cmd, limit time.Duration) *os.ProcessState {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return cmd.ProcessState
	case <-time.After(limit):
		t.Fatalf("still running %v after the interrupt", limit)
		return nil
	}
}

// syncBuffer is a bytes.Buffer that a child writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInterruptFetch interrupts cmd/mnist while it downloads MNIST from a
// proxy that has sent part of the zip and then waits: it ends at once,
// says so, and leaves no partial file in the cache.
func TestInterruptFetch(t *testing.T) {
	started := make(chan struct{}, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "11607927")
		w.Write(make([]byte, 2<<20))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
	}))
	defer proxy.Close()
	cache := t.TempDir()
	var out syncBuffer
	cmd := child(t, "main", &out, "GOPROXY="+proxy.URL, "XDG_CACHE_HOME="+cache, "HOME="+cache)
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatalf("the download did not start: %s", out.String())
	}
	partial := func() []string {
		var found []string
		filepath.WalkDir(cache, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				found = append(found, path)
			}
			return nil
		})
		return found
	}
	for start := time.Now(); len(partial()) == 0 && time.Since(start) < 10*time.Second; {
		time.Sleep(10 * time.Millisecond)
	}
	if len(partial()) == 0 {
		t.Fatal("no partial file while downloading")
	}
	cmd.Process.Signal(os.Interrupt)
	state := exited(t, cmd, 5*time.Second)
	if state.ExitCode() != 1 || !strings.Contains(out.String(), "mnist: interrupted while fetching MNIST") {
		t.Errorf("exit %d, output %q", state.ExitCode(), out.String())
	}
	if left := partial(); len(left) > 0 {
		t.Errorf("the interrupted fetch left %v", left)
	}
}

// TestSecondInterruptEnds checks that after the first interrupt a second
// one ends the program at once, even in a step that ignores the context.
func TestSecondInterruptEnds(t *testing.T) {
	var out syncBuffer
	cmd := child(t, "signals", &out)
	waitFor := func(s string) {
		for start := time.Now(); !strings.Contains(out.String(), s); time.Sleep(5 * time.Millisecond) {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("no %q: %q", s, out.String())
			}
		}
	}
	waitFor("ready")
	cmd.Process.Signal(os.Interrupt)
	waitFor("interrupted once")
	cmd.Process.Signal(os.Interrupt)
	state := exited(t, cmd, 5*time.Second)
	if ws, ok := state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("after two interrupts: %v, want killed by the second", state)
	}
}

// TestDefaultsFollowRecommended keeps the default runs wired to what the
// project recommends: the stopping rule is callbacks.Recommended()'s, read
// as it evolves (best weights restored), for both models; the CNN trains
// under a one-cycle schedule over its whole budget, the MLP at a constant
// rate; -stop patience, -patience and -schedule change them.
func TestDefaultsFollowRecommended(t *testing.T) {
	parse := func(args ...string) options {
		t.Helper()
		o, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return o
	}
	want := callbacks.Recommended()
	want.RestoreBestWeights = true
	for _, model := range []string{"mlp", "cnn"} {
		o := parse("-model", model)
		if got := stopConfig(o); !reflect.DeepEqual(got, want) {
			t.Errorf("-model %s stops by\n %+v\nwant Recommended()\n %+v", model, got, want)
		}
	}
	// Both networks train in float32, which the bench measured faster at
	// the same accuracy, unless asked for float64.
	if o := parse(); o.dtype != tensor.Float32 {
		t.Errorf("the MLP's default dtype is %v, want float32", o.dtype)
	}
	if o := parse("-dtype", "float64"); o.dtype != tensor.Float64 {
		t.Errorf("-dtype float64 gives %v", o.dtype)
	}
	if o := parse("-model", "cnn"); o.dtype != tensor.Float32 {
		t.Errorf("the CNN's default dtype is %v, want float32", o.dtype)
	}
	if o := parse("-model", "cnn", "-dtype", "float64"); o.dtype != tensor.Float64 {
		t.Errorf("-model cnn -dtype float64 gives %v", o.dtype)
	}
	if o := parse("-model", "cnn"); o.schedule != "onecycle" || o.epochs != 8 || o.lr != 0.003 {
		t.Errorf("CNN defaults: schedule %q, %d epochs, lr %v; want onecycle, 8, 0.003", o.schedule, o.epochs, o.lr)
	}
	if o := parse(); o.model != "mlp" || o.schedule != "none" || o.epochs != 100 || o.lr != 0.1 {
		t.Errorf("MLP defaults: %+v", o)
	}
	patience := want
	patience.Patience = 5
	if got := stopConfig(parse("-patience", "5")); !reflect.DeepEqual(got, patience) {
		t.Errorf("-patience 5 on the recommended rule: %+v", got)
	}
	plain := callbacks.EarlyStoppingConfig{Patience: 3, RestoreBestWeights: true}
	if got := stopConfig(parse("-stop", "patience")); !reflect.DeepEqual(got, plain) {
		t.Errorf("-stop patience: %+v, want %+v", got, plain)
	}
	for args, msg := range map[string]string{
		"-stop never":     `-stop "never": want recommended or patience`,
		"-schedule cos":   `-schedule "cos": want onecycle, plateau or none`,
		"-model rnn":      `-model "rnn": want mlp or cnn`,
		"-dtype float16":  `-dtype "float16": want float64 or float32`,
		"-patience -1":    `-patience -1: want 0 or more`,
		"-lr -0.1":        `-lr -0.1: want a positive rate`,
		"-epochs -2 5":    `unexpected arguments ["5"]`,
		"-train-size -1":  `-train-size -1: want positive numbers`,
		"-schedule none2": `-schedule "none2"`,
	} {
		var errOut bytes.Buffer
		if code := run(context.Background(), strings.Fields(args), io.Discard, &errOut); code != 2 || !strings.Contains(errOut.String(), msg) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", args, code, errOut.String(), msg)
		}
	}
}

// epochLines runs the program with -json and returns its per-epoch lines
// and its summary.
func epochLines(t *testing.T, args ...string) ([]map[string]any, map[string]any) {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), append(args, "-json"), &out, &errOut); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// TestCNNSchedule checks that the schedules act on the rate the epochs
// train at: one-cycle by default, starting at the peak over PyTorch's
// div_factor 25 and rising, and none at a constant rate.
func TestCNNSchedule(t *testing.T) {
	dir := tinyMNIST(t, 120)
	epochs, s := epochLines(t, "-data", dir, "-train-size", "100", "-model", "cnn", "-epochs", "3")
	if s["schedule"] != "onecycle" || s["stop"] != "callbacks.Recommended()" {
		t.Errorf("summary %v", s)
	}
	// Two batches an epoch, six steps in all: PyTorch's rise ends at step
	// 0.3·6−1 = 0.8, then the rate anneals along a cosine from 0.003 to
	// 0.003/25/1e4 at step 5; epoch e starts at step 2e.
	lr := func(e int) float64 { return epochs[e]["lr"].(float64) }
	anneal := func(step float64) float64 {
		lo, f := 0.003/25/1e4, (step-0.8)/(5-0.8)
		return lo + (0.003-lo)/2*(1+math.Cos(math.Pi*f))
	}
	for e, want := range []float64{0.003 / 25, anneal(2), anneal(4)} {
		if math.Abs(lr(e)-want) > 1e-12 {
			t.Errorf("epoch %d trained at rate %v; want one-cycle's %v", e, lr(e), want)
		}
	}
	epochs, s = epochLines(t, "-data", dir, "-train-size", "100", "-model", "cnn", "-epochs", "2", "-schedule", "none", "-stop", "patience")
	if s["schedule"] != "none" || s["stop"] != "patience 3" || epochs[0]["lr"] != 0.003 || epochs[1]["lr"] != 0.003 {
		t.Errorf("-schedule none: %v, %v", epochs, s)
	}
	// A rate far too high for the MLP makes val_loss stall, and each epoch
	// that does not improve on the best by 1e-4 divides the next epoch's
	// rate by 5.
	epochs, s = epochLines(t, "-data", dir, "-train-size", "100", "-epochs", "8", "-schedule", "plateau", "-hidden", "4", "-lr", "5")
	if s["schedule"] != "plateau" || len(epochs) != 8 {
		t.Fatalf("-schedule plateau: %v", s)
	}
	best, reductions := math.Inf(1), 0
	for e := 1; e < len(epochs); e++ {
		val, want := epochs[e-1]["val_loss"].(float64), lr(e-1)
		if val < best-1e-4 {
			best = val
		} else {
			want *= plateauFactor
			reductions++
		}
		if math.Abs(lr(e)-want) > 1e-12*want {
			t.Errorf("epoch %d: rate %v after val_loss %v (best %v); want %v", e, lr(e), val, best, want)
		}
	}
	if reductions == 0 {
		t.Errorf("no reduction in %v", epochs)
	}
}

// TestRecommendedOutlastsCNNBudget guards what the docs say of the CNN's
// default run: the recommended rule's patience is longer than its budget,
// so the one-cycle schedule, not the rule, decides the run's length. If the
// rule changes so that it could stop the CNN early, the docs (cmd/mnist's
// comment, README.md, docs/benchmarks.md) and the measured figures need a
// new look.
func TestRecommendedOutlastsCNNBudget(t *testing.T) {
	if p := callbacks.Recommended().Patience; p >= 0 && p < defaultEpochs["cnn"] {
		t.Errorf("Recommended() has patience %d, within the CNN's %d-epoch budget: the docs say it cannot stop that run", p, defaultEpochs["cnn"])
	}
}
