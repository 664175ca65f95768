// Command bench measures minidl beside its peers on this machine, in one
// sitting, interleaved (minidl, peer, minidl, peer, …), and prints the
// medians and their ratios:
//
//   - matmul: float64 square products, GFLOP/s — minidl's MatMul, gonum's
//     Dgemm (pure Go) and PyTorch (torch/matmul.py);
//   - matmul32: float32 square products, GFLOP/s — minidl against PyTorch
//     float32 on as many threads and on one;
//   - xor: the 2-8-1 XOR network, full-batch Adam, µs per epoch and the
//     whole process — minidl's cmd/xor against torch/xor.py;
//   - lstm: a training step and a forward pass of a one-layer LSTM (32 to
//     128 features, 64 sequences of 50 steps), sequences/s — minidl's
//     nn.LSTM against torch/lstm.py in the same dtype, float64 and float32,
//     on as many threads and on one;
//   - attention: a transformer encoder layer's training step and
//     evaluation pass, sequences/s — minidl against torch/attention.py in
//     the same dtype, float64 and float32;
//   - mnist: the 784-128-10 MLP and the CNN of cmd/mnist -model cnn,
//     samples/s, peak RSS and test accuracy — cmd/mnist against
//     torch/mnist.py in float32 (one thread and all) and float64, both
//     networks in minidl float32 (-dtype float32) too.
//
// -only names the sections to run (default all).
//
// It is its own module, so that gonum never enters minidl's go.mod, and it
// carries its own PyTorch programs (torch/), so that a clone reproduces
// docs/benchmarks.md. Run it from this folder:
//
//	go run . -rounds 3 -mnist-epochs 2 -cnn-epochs 1
//
// A run that fails gives no number: its cell says "failed" and why, and a
// median over rounds of which some failed says how many.
//
// PyTorch comes from /usr/bin/python3 with Debian's python3-torch; if it is
// missing, bench says so and measures the rest. OpenBLAS detects the
// processor of these virtual machines as a generic one unless told
// otherwise: set OPENBLAS_CORETYPE (SkylakeX, Haswell, …) in bench's
// environment to measure PyTorch at its best; bench passes its environment
// on and prints what it was.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

func main() {
	rounds := flag.Int("rounds", 3, "interleaved rounds per measurement")
	mnistEpochs := flag.Int("mnist-epochs", 2, "epochs per MNIST MLP run (0 skips it)")
	cnnEpochs := flag.Int("cnn-epochs", 1, "epochs per MNIST CNN run (0 skips it; an epoch of minidl's takes about 2.5 minutes on 2 cores)")
	ref := flag.String("ref", "torch", "folder of the PyTorch reference programs")
	python := flag.String("python", "/usr/bin/python3", "the Python that has PyTorch")
	attention := flag.Bool("attention", true, "measure the attention block")
	only := flag.String("only", "", "measure only these sections, comma-separated: matmul, matmul32, xor, lstm, attention, mlp, cnn (default all)")
	flag.Parse()
	want := func(section string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), section) }

	tmp, err := os.MkdirTemp("", "minidl-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(tmp)
	b := &bench{rounds: *rounds, ref: *ref, python: *python, tmp: tmp}
	b.torch = b.hasTorch()
	fmt.Printf("# minidl benchmarks, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine: %s, %d CPUs, GOMAXPROCS %d, %s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("OPENBLAS_CORETYPE=%q, rounds %d (medians)\n\n", os.Getenv("OPENBLAS_CORETYPE"), b.rounds)
	if !b.torch {
		fmt.Printf("PyTorch is not installed (%s cannot import torch): its columns are left out.\n"+
			"Install it with: apt-get install -y python3-torch python3-numpy\n\n", b.python)
	}
	if want("matmul") {
		b.matmul()
	}
	if want("matmul32") {
		b.matmul32()
	}
	if want("xor") {
		b.xor()
	}
	if want("lstm") {
		b.lstm()
	}
	if *attention && want("attention") {
		b.attention()
	}
	if *mnistEpochs > 0 && want("mlp") {
		b.mnist("mlp", "MNIST MLP (784-128-10, batch 64, SGD)", *mnistEpochs, true)
	}
	if *cnnEpochs > 0 && want("cnn") {
		b.mnist("cnn", "MNIST CNN (conv 32, conv 64, batch norm, max pooling, dropout, batch 64, Adam)", *cnnEpochs, false)
	}
}

type bench struct {
	rounds int
	ref    string
	python string
	torch  bool
	tmp    string // this run's own folder for built binaries
}

// series is one measurement over the rounds: the values of the runs that
// worked and why the others failed.
type series struct {
	values []float64
	failed []string
}

func (s *series) add(v float64)   { s.values = append(s.values, v) }
func (s *series) fail(why string) { s.failed = append(s.failed, why) }
func (s *series) ok() bool        { return len(s.values) > 0 }
func (s *series) median() float64 { return median(s.values) }

// cell formats the median with format, or "failed: why" if no run worked;
// it notes how many rounds failed.
func (s *series) cell(format string) string {
	if !s.ok() {
		if len(s.failed) == 0 {
			return "—"
		}
		return "failed: " + s.failed[0]
	}
	out := fmt.Sprintf(format, s.median())
	if len(s.failed) > 0 {
		out += fmt.Sprintf(" (%d of %d runs failed: %s)", len(s.failed), len(s.failed)+len(s.values), s.failed[0])
	}
	return out
}

// ratio formats a.median()/b.median(), or "—" unless both have values.
func ratio(a, b *series) string {
	if !a.ok() || !b.ok() || b.median() == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", a.median()/b.median())
}

func (b *bench) hasTorch() bool {
	return exec.Command(b.python, "-c", "import torch").Run() == nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// matmul compares GFLOP/s of square float64 products.
func (b *bench) matmul() {
	sizes := []int{64, 256, 512}
	ours, gon, torch := map[int]*series{}, map[int]*series{}, map[int]*series{}
	for _, n := range sizes {
		ours[n], gon[n], torch[n] = &series{}, &series{}, &series{}
	}
	for range b.rounds {
		for _, n := range sizes {
			ours[n].add(gflops(n, minidlMatMul(n)))
			gon[n].add(gflops(n, gonumMatMul(n)))
		}
		if b.torch {
			lines, err := b.python3("matmul.py", "--threads", strconv.Itoa(runtime.GOMAXPROCS(0)), "--sizes", "64,256,512")
			for _, n := range sizes {
				if v, ok := lineWith(lines, "n", float64(n))["gflops"].(float64); ok && err == nil {
					torch[n].add(v)
				} else {
					torch[n].fail(reason(err, "no gflops for n = "+strconv.Itoa(n)))
				}
			}
		}
	}
	fmt.Println("## float64 matmul, GFLOP/s")
	fmt.Println()
	fmt.Println("| n | minidl | gonum Dgemm | PyTorch | minidl / gonum | minidl / PyTorch |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range sizes {
		fmt.Printf("| %d | %s | %s | %s | %s | %s |\n", n, ours[n].cell("%.1f"), gon[n].cell("%.1f"), torch[n].cell("%.1f"), ratio(ours[n], gon[n]), ratio(ours[n], torch[n]))
	}
	fmt.Println()
}

// matmul32 compares float32 square products with PyTorch's float32 ones,
// on GOMAXPROCS threads and on one, in GFLOP/s.
func (b *bench) matmul32() {
	sizes := []int{64, 256, 512}
	n := runtime.GOMAXPROCS(0)
	ours, torchAll, torchOne := map[int]*series{}, map[int]*series{}, map[int]*series{}
	for _, size := range sizes {
		ours[size], torchAll[size], torchOne[size] = &series{}, &series{}, &series{}
	}
	for range b.rounds {
		for _, size := range sizes {
			ours[size].add(gflops(size, minidlMatMulOf(tensor.Float32, size)))
		}
		if !b.torch {
			continue
		}
		for threads, into := range map[int]map[int]*series{n: torchAll, 1: torchOne} {
			lines, err := b.python3("matmul.py", "--threads", strconv.Itoa(threads), "--sizes", "64,256,512", "--dtype", "float32")
			for _, size := range sizes {
				if v, ok := lineWith(lines, "n", float64(size))["gflops"].(float64); ok && err == nil {
					into[size].add(v)
				} else {
					into[size].fail(reason(err, "no gflops for n = "+strconv.Itoa(size)))
				}
			}
		}
	}
	fmt.Println("## float32 matmul, GFLOP/s")
	fmt.Println()
	fmt.Printf("| n | minidl, %s | PyTorch, %s | PyTorch, 1 thread | minidl / PyTorch %s | minidl / PyTorch 1 thread |\n", threads(n), threads(n), threads(n))
	fmt.Println("|---|---|---|---|---|---|")
	for _, size := range sizes {
		fmt.Printf("| %d | %s | %s | %s | %s | %s |\n", size, ours[size].cell("%.1f"), torchAll[size].cell("%.1f"), torchOne[size].cell("%.1f"), ratio(ours[size], torchAll[size]), ratio(ours[size], torchOne[size]))
	}
	fmt.Println()
}

func gflops(n int, seconds float64) float64 { return 2 * float64(n*n*n) / seconds / 1e9 }

// timeBest returns the best time per call of f over three runs of at least
// 50 ms each.
func timeBest(f func()) float64 {
	f()
	reps := 1
	for {
		t := time.Now()
		for range reps {
			f()
		}
		if time.Since(t) > 50*time.Millisecond {
			break
		}
		reps *= 2
	}
	best := math.Inf(1)
	for range 3 {
		t := time.Now()
		for range reps {
			f()
		}
		best = min(best, time.Since(t).Seconds()/float64(reps))
	}
	return best
}

func minidlMatMul(n int) float64 { return minidlMatMulOf(tensor.Float64, n) }

// minidlMatMulOf times an n×n product of dtype, in seconds.
func minidlMatMulOf(dtype tensor.DType, n int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := tensor.Normal(rng, 0, 1, n, n).To(dtype), tensor.Normal(rng, 0, 1, n, n).To(dtype)
	c := tensor.ZerosOf(dtype, n, n)
	return timeBest(func() { c.SetMatMul(x, y, false, false) })
}

func gonumMatMul(n int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	mk := func() blas64.General {
		d := make([]float64, n*n)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		return blas64.General{Rows: n, Cols: n, Stride: n, Data: d}
	}
	x, y, c := mk(), mk(), blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	return timeBest(func() { blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, x, y, 0, c) })
}

// xor compares the XOR loop of torch/xor.py: µs per epoch in process, and
// the whole process of each program.
func (b *bench) xor() {
	bin, err := b.buildCmd("xor")
	var ours, torch, oursProc, torchProc series
	for range b.rounds {
		ours.add(minidlXOREpoch())
		if err != nil {
			oursProc.fail(err.Error())
		} else if secs, err := timeRun(exec.Command(bin)); err != nil {
			oursProc.fail(err.Error())
		} else {
			oursProc.add(secs)
		}
		if b.torch {
			t := time.Now()
			lines, err := b.python3("xor.py")
			secs := time.Since(t).Seconds()
			us, ok := last(lines)["microseconds_per_epoch"].(float64)
			if err != nil || !ok {
				torch.fail(reason(err, "no microseconds_per_epoch"))
				torchProc.fail(reason(err, "no result"))
				continue
			}
			torch.add(us)
			torchProc.add(secs)
		}
	}
	fmt.Println("## XOR (2-8-1, full batch, Adam)")
	fmt.Println()
	fmt.Println("| measure | minidl | PyTorch | minidl / PyTorch |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| µs per epoch (training loop) | %s | %s | %s |\n", ours.cell("%.1f"), torch.cell("%.1f"), ratio(&ours, &torch))
	fmt.Printf("| whole process, s (cmd/xor vs torch/xor.py) | %s | %s | %s |\n", oursProc.cell("%.3f"), torchProc.cell("%.3f"), ratio(&oursProc, &torchProc))
	fmt.Println()
}

// lstm compares torch/lstm.py's LSTM step and forward pass, minidl in
// float64 and in float32 against PyTorch in the same dtype on GOMAXPROCS
// threads and on one.
func (b *bench) lstm() {
	n := runtime.GOMAXPROCS(0)
	dtypes := []tensor.DType{tensor.Float64, tensor.Float32}
	// train[d] and forward[d] hold, for dtypes[d]: minidl, PyTorch on n
	// threads, PyTorch on 1.
	train, forward := make([][3]series, len(dtypes)), make([][3]series, len(dtypes))
	for range b.rounds {
		for d, dtype := range dtypes {
			tr, fw := minidlLSTM(dtype)
			train[d][0].add(tr)
			forward[d][0].add(fw)
			if !b.torch {
				continue
			}
			for i, threads := range []int{n, 1} {
				lines, err := b.python3("lstm.py", "--dtype", dtype.String(), "--threads", strconv.Itoa(threads))
				tr, ok1 := last(lines)["train_sequences_per_second"].(float64)
				fw, ok2 := last(lines)["forward_sequences_per_second"].(float64)
				if err != nil || !ok1 || !ok2 {
					train[d][i+1].fail(reason(err, "no sequences_per_second"))
					forward[d][i+1].fail(reason(err, "no sequences_per_second"))
					continue
				}
				train[d][i+1].add(tr)
				forward[d][i+1].add(fw)
			}
		}
	}
	fmt.Println("## LSTM (32→128, 64 sequences of 50 steps; minidl and PyTorch in the same dtype), sequences/s")
	fmt.Println()
	fmt.Printf("| measure | minidl, %s | PyTorch, %s | PyTorch, 1 thread | minidl / PyTorch %s | minidl / PyTorch 1 thread |\n", threads(n), threads(n), threads(n))
	fmt.Println("|---|---|---|---|---|---|")
	for d, dtype := range dtypes {
		for _, row := range []struct {
			name string
			s    *[3]series
		}{{"training step (forward, loss, backward)", &train[d]}, {"forward pass, no graph", &forward[d]}} {
			s := row.s
			fmt.Printf("| %s, %v | %s | %s | %s | %s | %s |\n", row.name, dtype, s[0].cell("%.0f"), s[1].cell("%.0f"), s[2].cell("%.0f"), ratio(&s[0], &s[1]), ratio(&s[0], &s[2]))
		}
	}
	fmt.Println()
}

// minidlLSTM measures torch/lstm.py's step and forward pass in minidl in
// dtype (nn's BenchmarkLSTMStep, BenchmarkLSTMStepFloat32 and
// BenchmarkLSTMForward): sequences/s of each.
func minidlLSTM(dtype tensor.DType) (train, forward float64) {
	const in, hidden, batch, steps = 32, 128, 64, 50
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.NewLSTM(rng, in, hidden, nn.RNNConfig{})
	nn.To(m, dtype)
	x := tensor.Normal(rng, 0, 1, steps, batch, in).To(dtype)
	train = batch / timeBest(func() {
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		m.Forward(autograd.Const(x)).Square().Mean().Backward()
	})
	forward = batch / timeBest(func() { m.Forward(autograd.NoGrad(x)) })
	return train, forward
}

// timeRun runs cmd and returns how long it took, or why it failed.
func timeRun(cmd *exec.Cmd) (float64, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %v %s", filepath.Base(cmd.Path), err, firstLine(stderr.String()))
	}
	return time.Since(t).Seconds(), nil
}

// minidlXOREpoch runs torch/xor.py's loop — forward, MSE, backward, Adam
// step, patience 50 on the training loss — and returns µs per epoch.
func minidlXOREpoch() float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := data.XOR()
	xv, yv := autograd.Const(x), autograd.Const(y)
	model := nn.NewSequential(nn.NewLinear(rng, 2, 8), nn.Tanh(), nn.NewLinear(rng, 8, 1), nn.Sigmoid())
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.05})
	best, wait, epochs := 0.0, 0, 0
	t := time.Now()
	for epoch := range 5000 {
		opt.ZeroGrad()
		loss := nn.MSE(model.Forward(xv), yv)
		loss.Backward()
		opt.Step()
		epochs++
		v := loss.Item()
		if epoch == 0 || v < best-1e-6 {
			best, wait = v, 0
		} else if wait++; wait >= 50 {
			break
		}
	}
	return time.Since(t).Seconds() * 1e6 / float64(epochs)
}

// mnistRun is one program of an MNIST table: what it is and how to start it.
type mnistRun struct {
	label string
	cmd   func() *exec.Cmd
}

// mnist compares training throughput, peak memory and test accuracy on
// MNIST: cmd/mnist -model model against torch/mnist.py --model model, the
// same network, data, batch size, optimizer and early stopping, in float32
// on one thread and on all, and in float64; minidl in float32 too.
func (b *bench) mnist(model, title string, epochs int, minidlOneThread bool) {
	unit := "epochs"
	if epochs == 1 {
		unit = "epoch"
	}
	fmt.Printf("## %s, %d %s\n\n", title, epochs, unit)
	dir, err := data.FetchMNIST(context.Background(), data.FetchConfig{Progress: os.Stderr})
	if err != nil {
		fmt.Printf("failed: %v\n\n", err)
		return
	}
	bin, err := b.buildCmd("mnist")
	if err != nil {
		fmt.Printf("failed: %v\n\n", err)
		return
	}
	n := runtime.GOMAXPROCS(0)
	// The reference script trains at a constant rate (0.1 SGD, 0.001 Adam)
	// under patience 3: cmd/mnist's own defaults (a one-cycle schedule for
	// the CNN, the recommended stopping rule) are set back to those.
	args := []string{"-data", dir, "-model", model, "-epochs", strconv.Itoa(epochs), "-json", "-dtype", "float64",
		"-schedule", "none", "-stop", "patience", "-patience", "3", "-lr", map[string]string{"mlp": "0.1", "cnn": "0.001"}[model]}
	runs := []mnistRun{{"minidl float64, " + threads(n), func() *exec.Cmd { return exec.Command(bin, args...) }}}
	// minidl also runs in float32 (-dtype float32), with a ratio column of
	// its own beside PyTorch float32's rows.
	float32Run := len(runs)
	args32 := append(slices.Clone(args), "-dtype", "float32") // the last -dtype counts
	runs = append(runs, mnistRun{"minidl float32, " + threads(n), func() *exec.Cmd { return exec.Command(bin, args32...) }})
	if minidlOneThread && n > 1 {
		runs = append(runs, mnistRun{"minidl float64, 1 thread", func() *exec.Cmd {
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
			return cmd
		}})
	}
	if b.torch {
		configs := []struct {
			dtype   string
			threads int
		}{{"float32", 1}, {"float32", n}, {"float64", n}}
		for i, c := range configs {
			if i == 1 && n == 1 {
				continue
			}
			ref := []string{filepath.Join(b.ref, "mnist.py"), "--data", dir, "--model", model, "--epochs", strconv.Itoa(epochs),
				"--threads", strconv.Itoa(c.threads), "--dtype", c.dtype}
			runs = append(runs, mnistRun{"PyTorch " + c.dtype + ", " + threads(c.threads), func() *exec.Cmd { return exec.Command(b.python, ref...) }})
		}
	}
	speed, rss, acc := make([]series, len(runs)), make([]series, len(runs)), make([]series, len(runs))
	for range b.rounds {
		for i, r := range runs {
			s, mb, err := summaryOf(r.cmd())
			if err != nil {
				speed[i].fail(err.Error())
				rss[i].fail(err.Error())
				acc[i].fail(err.Error())
				continue
			}
			speed[i].add(s["train_samples_per_second"].(float64))
			acc[i].add(s["test_accuracy"].(float64))
			rss[i].add(mb)
		}
	}
	fmt.Println("| run | training samples/s | peak RSS, MB | test accuracy | minidl's samples/s / this run's | minidl float32's / this run's |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, r := range runs {
		vs := ""
		if i > 0 {
			vs = ratio(&speed[0], &speed[i])
		}
		vs32 := ""
		if i != float32Run {
			vs32 = ratio(&speed[float32Run], &speed[i])
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", r.label, speed[i].cell("%.0f"), rss[i].cell("%.0f"), acc[i].cell("%.4f"), vs, vs32)
	}
	fmt.Println()
}

func threads(n int) string {
	if n == 1 {
		return "1 thread"
	}
	return strconv.Itoa(n) + " threads"
}

// summaryOf runs a program that prints JSON lines ending with a summary
// (cmd/mnist -json, torch/mnist.py) and returns the summary, with the
// fields bench reads checked, and the peak RSS in MB.
func summaryOf(cmd *exec.Cmd) (map[string]any, float64, error) {
	lines, rss, err := runJSON(cmd)
	if err != nil {
		return nil, 0, err
	}
	for _, l := range lines {
		if l["summary"] == true {
			for _, k := range []string{"train_samples_per_second", "test_accuracy"} {
				if _, ok := l[k].(float64); !ok {
					return nil, 0, fmt.Errorf("%s: the summary has no %s", filepath.Base(cmd.Args[0]), k)
				}
			}
			return l, rss, nil
		}
	}
	return nil, 0, fmt.Errorf("%s: no summary line", filepath.Base(cmd.Args[0]))
}

// runJSON runs cmd and returns its JSON lines and its peak RSS in MB, or
// why it failed.
func runJSON(cmd *exec.Cmd) ([]map[string]any, float64, error) {
	var out, stderr bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("%s: %v %s", strings.Join(cmd.Args[1:min(2, len(cmd.Args))], " "), err, firstLine(stderr.String()))
	}
	rss := 0.0
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // KB on Linux
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines, rss, nil
}

// python3 runs one of the reference programs and returns its JSON lines.
func (b *bench) python3(script string, args ...string) ([]map[string]any, error) {
	lines, _, err := runJSON(exec.Command(b.python, append([]string{filepath.Join(b.ref, script)}, args...)...))
	return lines, err
}

func lineWith(lines []map[string]any, key string, value float64) map[string]any {
	for _, l := range lines {
		if l[key] == value {
			return l
		}
	}
	return nil
}

func last(lines []map[string]any) map[string]any {
	if len(lines) == 0 {
		return nil
	}
	return lines[len(lines)-1]
}

// reason is err's message, or why if err is nil.
func reason(err error, why string) string {
	if err != nil {
		return err.Error()
	}
	return why
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// buildCmd builds one of minidl's commands into this run's folder and
// returns the binary's path.
func (b *bench) buildCmd(name string) (string, error) {
	out := filepath.Join(b.tmp, name)
	cmd := exec.Command("go", "build", "-o", out, "github.com/minidl/minidl/cmd/"+name)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building cmd/%s: %v %s", name, err, firstLine(string(msg)))
	}
	return out, nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
