// Command bench measures minidl beside its peers on this machine, in one
// sitting, interleaved (minidl, peer, minidl, peer, …), and prints the
// medians and their ratios:
//
//   - matmul: float64 square products, GFLOP/s — minidl's MatMul, gonum's
//     Dgemm (pure Go) and PyTorch (../shared/reference/torch_matmul.py);
//   - xor: the 2-8-1 XOR network, full-batch Adam, µs per epoch and the
//     whole process — minidl's cmd/xor against torch_xor.py;
//   - mnist: the 784-128-10 MLP, samples/s and peak RSS — cmd/mnist against
//     torch_mnist_mlp.py.
//
// It is its own module, so that gonum never enters minidl's go.mod. Run it
// from this folder:
//
//	go run . -rounds 3 -mnist-epochs 2
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
	mnistEpochs := flag.Int("mnist-epochs", 2, "epochs per MNIST run (0 skips MNIST)")
	ref := flag.String("ref", "../../shared/reference", "folder of the PyTorch reference scripts")
	python := flag.String("python", "/usr/bin/python3", "the Python that has PyTorch")
	flag.Parse()

	b := &bench{rounds: *rounds, ref: *ref, python: *python}
	b.torch = b.hasTorch()
	fmt.Printf("# minidl benchmarks, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine: %s, %d CPUs, GOMAXPROCS %d, %s\n", cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("OPENBLAS_CORETYPE=%q, rounds %d (medians)\n\n", os.Getenv("OPENBLAS_CORETYPE"), b.rounds)
	if !b.torch {
		fmt.Printf("PyTorch is not installed (%s cannot import torch): its columns are left out.\n"+
			"Install it with: apt-get install -y python3-torch python3-numpy\n\n", b.python)
	}
	b.matmul()
	b.xor()
	if *mnistEpochs > 0 {
		b.mnist(*mnistEpochs)
	}
}

type bench struct {
	rounds int
	ref    string
	python string
	torch  bool
}

func (b *bench) hasTorch() bool {
	return exec.Command(b.python, "-c", "import torch").Run() == nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// matmul compares GFLOP/s of square float64 products.
func (b *bench) matmul() {
	sizes := []int{64, 256, 512}
	ours, gon, torch := map[int][]float64{}, map[int][]float64{}, map[int][]float64{}
	for range b.rounds {
		for _, n := range sizes {
			ours[n] = append(ours[n], gflops(n, minidlMatMul(n)))
			gon[n] = append(gon[n], gflops(n, gonumMatMul(n)))
		}
		if b.torch {
			for _, line := range b.pythonJSON("torch_matmul.py", "--threads", strconv.Itoa(runtime.GOMAXPROCS(0)), "--sizes", "64,256,512") {
				n := int(line["n"].(float64))
				torch[n] = append(torch[n], line["gflops"].(float64))
			}
		}
	}
	fmt.Println("## float64 matmul, GFLOP/s")
	fmt.Println()
	fmt.Println("| n | minidl | gonum Dgemm | PyTorch | minidl / gonum | minidl / PyTorch |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range sizes {
		o, g, t := median(ours[n]), median(gon[n]), median(torch[n])
		fmt.Printf("| %d | %.1f | %.1f | %s | %s | %s |\n", n, o, g, orDash(t), ratio(o, g), ratio(o, t))
	}
	fmt.Println()
}

func orDash(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", v)
}

func gflops(n int, seconds float64) float64 { return 2 * float64(n*n*n) / seconds / 1e9 }

// timeBest returns the best time per call of f over a few runs of about
// 0.2 s each.
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
	best := 1e300
	for range 3 {
		t := time.Now()
		for range reps {
			f()
		}
		best = min(best, time.Since(t).Seconds()/float64(reps))
	}
	return best
}

func minidlMatMul(n int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := tensor.Normal(rng, 0, 1, n, n), tensor.Normal(rng, 0, 1, n, n)
	c := tensor.Zeros(n, n)
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

// xor compares the XOR loop of torch_xor.py: µs per epoch in process, and
// the whole process of each program.
func (b *bench) xor() {
	bin := buildCmd("xor")
	var ours, torch, oursProc, torchProc []float64
	for range b.rounds {
		ours = append(ours, minidlXOREpoch())
		t := time.Now()
		if err := exec.Command(bin).Run(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: cmd/xor:", err)
		}
		oursProc = append(oursProc, time.Since(t).Seconds())
		if b.torch {
			t := time.Now()
			lines := b.pythonJSON("torch_xor.py")
			torchProc = append(torchProc, time.Since(t).Seconds())
			if len(lines) > 0 {
				torch = append(torch, lines[len(lines)-1]["microseconds_per_epoch"].(float64))
			}
		}
	}
	o, t := median(ours), median(torch)
	op, tp := median(oursProc), median(torchProc)
	fmt.Println("## XOR (2-8-1, full batch, Adam)")
	fmt.Println()
	fmt.Println("| measure | minidl | PyTorch | minidl / PyTorch |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| µs per epoch (training loop) | %.1f | %s | %s |\n", o, orDash(t), ratio(o, t))
	fmt.Printf("| whole process, s (cmd/xor vs torch_xor.py) | %.3f | %s | %s |\n", op, orDashF(tp), ratio(op, tp))
	fmt.Println()
}

func orDashF(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", v)
}

// minidlXOREpoch runs torch_xor.py's loop — forward, MSE, backward, Adam
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

// mnist compares training throughput and peak memory on MNIST.
func (b *bench) mnist(epochs int) {
	dir, err := data.FetchMNIST(context.Background(), data.FetchConfig{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: MNIST:", err)
		return
	}
	bin := buildCmd("mnist")
	var ours, ours1, torch, oursRSS, torchRSS, oursAcc, torchAcc []float64
	for range b.rounds {
		lines, rss := runJSON(exec.Command(bin, "-data", dir, "-epochs", strconv.Itoa(epochs), "-json"))
		if s := summary(lines); s != nil {
			ours = append(ours, s["train_samples_per_second"].(float64))
			oursAcc = append(oursAcc, s["test_accuracy"].(float64))
			oursRSS = append(oursRSS, rss)
		}
		// The same run on one thread, like for like with the reference.
		one := exec.Command(bin, "-data", dir, "-epochs", strconv.Itoa(epochs), "-json")
		one.Env = append(os.Environ(), "GOMAXPROCS=1")
		if s := summary(linesOnly(runJSON(one))); s != nil {
			ours1 = append(ours1, s["train_samples_per_second"].(float64))
		}
		if b.torch {
			lines, rss := runJSON(exec.Command(b.python, filepath.Join(b.ref, "torch_mnist_mlp.py"), "--data", dir, "--epochs", strconv.Itoa(epochs)))
			if s := summary(lines); s != nil {
				torch = append(torch, s["train_samples_per_second"].(float64))
				torchAcc = append(torchAcc, s["test_accuracy"].(float64))
				torchRSS = append(torchRSS, rss)
			}
		}
	}
	o, t := median(ours), median(torch)
	fmt.Printf("## MNIST MLP (784-128-10, batch 64, SGD, %d epochs; PyTorch float32, one thread)\n\n", epochs)
	fmt.Println("| measure | minidl | PyTorch | minidl / PyTorch |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| training samples/s | %.0f | %s | %s |\n", o, orDash(t), ratio(o, t))
	fmt.Printf("| training samples/s, minidl on one thread | %.0f | %s | %s |\n", median(ours1), orDash(t), ratio(median(ours1), t))
	fmt.Printf("| peak RSS, MB | %.0f | %s | %s |\n", median(oursRSS), orDash(median(torchRSS)), ratio(median(oursRSS), median(torchRSS)))
	fmt.Printf("| test accuracy | %.4f | %s | |\n", median(oursAcc), orDashF(median(torchAcc)))
	fmt.Println()
}

// linesOnly drops runJSON's peak RSS.
func linesOnly(lines []map[string]any, _ float64) []map[string]any { return lines }

func summary(lines []map[string]any) map[string]any {
	for _, l := range lines {
		if l["summary"] == true {
			return l
		}
	}
	return nil
}

// runJSON runs cmd and returns its JSON lines and its peak RSS in MB.
func runJSON(cmd *exec.Cmd) ([]map[string]any, float64) {
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", strings.Join(cmd.Args, " "), err)
	}
	rss := 0.0
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = float64(ru.Maxrss) / 1024 // KB on Linux
		}
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			lines = append(lines, m)
		}
	}
	return lines, rss
}

func (b *bench) pythonJSON(script string, args ...string) []map[string]any {
	lines, _ := runJSON(exec.Command(b.python, append([]string{filepath.Join(b.ref, script)}, args...)...))
	return lines
}

// buildCmd builds one of minidl's commands and returns the binary's path.
func buildCmd(name string) string {
	out := filepath.Join(os.TempDir(), "minidl-bench-"+name)
	cmd := exec.Command("go", "build", "-o", out, "github.com/minidl/minidl/cmd/"+name)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: building cmd/"+name+":", err)
		os.Exit(1)
	}
	return out
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
