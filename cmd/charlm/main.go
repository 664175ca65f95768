// Command charlm trains a character-level language model on the Go
// distribution's own source code, which every machine with Go has, and
// writes some Go of its own at the end:
//
//	go run ./cmd/charlm
//
// The text is the non-test .go files of a fixed list of small standard
// packages (bufio, bytes, fmt, sort, strconv, strings, …) under the GOROOT
// that `go env GOROOT` prints, read in a fixed order up to a budget of
// characters (-chars), each file given whole to the training, validation
// or test text so that about 80/10/10% of the characters fall in each: the
// test score is on files the model never saw. The same Go version reads
// the same text everywhere; another version reads its own sources, so
// the figures move a little. The program prints the version and a SHA-256
// of each split, which tell whether two runs read the same text.
//
// Characters are one of 98 symbols (tab, newline, printable ASCII, and one
// for any other character). The model is an embedding, an LSTM (batch
// first) and a linear head, trained on windows of -seq characters to
// predict each next one: cross-entropy, Adam, the gradient clipped to norm
// -clip, batches of -batch shuffled windows, under early stopping on
// val_loss with callbacks.Recommended() (patience 20, best weights
// restored). At the end it prints the test cross-entropy in bits per
// character and the next-character accuracy, and -sample characters the
// model writes after -prompt, drawn with its own seeded random source.
//
// -dtype float32 trains the model in float32 (nn.To; Fit converts each
// batch); float64, the default, keeps the figures of earlier runs.
//
// With -json it prints one JSON object per epoch and a summary, the
// fields of its PyTorch twin, bench/torch/charlm.py, which reads the same
// text and trains the same model, so that the two compare line by line.
//
// Ctrl-C ends training after the current batch; the test and the sample
// still run, on the best weights so far.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
	"github.com/minidl/minidl/train"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	goroot      string
	chars       int
	seq         int
	batch       int
	embed       int
	hidden      int
	layers      int
	dropout     float64
	lr          float64
	clip        float64
	epochs      int
	patience    int
	seed        uint64
	prompt      string
	sample      int
	temperature float64
	json        bool
	save        string
	dtype       tensor.DType
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("charlm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.goroot, "goroot", "", "the Go distribution to read the sources of (default: what `go env GOROOT` prints)")
	fs.IntVar(&o.chars, "chars", 200_000, "characters of source to read, for training, validation and test together")
	fs.IntVar(&o.seq, "seq", 64, "characters per training window (the steps the LSTM is unrolled)")
	fs.IntVar(&o.batch, "batch", 32, "windows per batch")
	fs.IntVar(&o.embed, "embed", 32, "embedding width")
	fs.IntVar(&o.hidden, "hidden", 128, "LSTM hidden units")
	fs.IntVar(&o.layers, "layers", 1, "stacked LSTM layers")
	fs.Float64Var(&o.dropout, "dropout", 0, "dropout between LSTM layers")
	fs.Float64Var(&o.lr, "lr", 0.002, "Adam's learning rate")
	fs.Float64Var(&o.clip, "clip", 5, "clip the gradient to this global L2 norm (0: off)")
	fs.IntVar(&o.epochs, "epochs", 40, "most epochs to train")
	fs.IntVar(&o.patience, "patience", 20, "epochs without improvement of val_loss before stopping (callbacks.Recommended's 20)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.StringVar(&o.prompt, "prompt", "func ", "text the sample starts from")
	fs.IntVar(&o.sample, "sample", 400, "characters to sample at the end (0: none)")
	fs.Float64Var(&o.temperature, "temperature", 0.8, "sampling temperature (0: always the most likely character)")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per epoch and a summary, the fields of bench/torch/charlm.py")
	fs.StringVar(&o.save, "save", "", "save the trained weights to this safetensors file (PyTorch's names)")
	dtype := fs.String("dtype", "float64", `the dtype the model computes in: "float64" or "float32"`)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: charlm [flags]\n\nTrains a character-level LSTM language model on the Go distribution's source code.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var bad []string
	if fs.NArg() > 0 {
		bad = append(bad, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	for _, f := range []struct {
		name  string
		value int
	}{{"chars", o.chars}, {"seq", o.seq}, {"batch", o.batch}, {"embed", o.embed}, {"hidden", o.hidden}, {"layers", o.layers}, {"epochs", o.epochs}} {
		if f.value < 1 {
			bad = append(bad, fmt.Sprintf("-%s %d: want at least 1", f.name, f.value))
		}
	}
	if !(o.dropout >= 0 && o.dropout < 1) {
		bad = append(bad, fmt.Sprintf("-dropout %v: want a probability in [0, 1)", o.dropout))
	}
	if !(o.lr > 0) || math.IsInf(o.lr, 1) {
		bad = append(bad, fmt.Sprintf("-lr %v: want a positive rate", o.lr))
	}
	if !(o.clip >= 0) {
		bad = append(bad, fmt.Sprintf("-clip %v: want a norm ≥ 0", o.clip))
	}
	if o.patience < 0 || o.sample < 0 {
		bad = append(bad, fmt.Sprintf("-patience %d and -sample %d: want them ≥ 0", o.patience, o.sample))
	}
	if !(o.temperature >= 0) || math.IsInf(o.temperature, 1) {
		bad = append(bad, fmt.Sprintf("-temperature %v: want a finite number ≥ 0", o.temperature))
	}
	switch *dtype {
	case "float64":
		o.dtype = tensor.Float64
	case "float32":
		o.dtype = tensor.Float32
	default:
		bad = append(bad, fmt.Sprintf("-dtype %q: want float64 or float32", *dtype))
	}
	if len(bad) > 0 {
		fmt.Fprintln(stderr, "charlm: "+strings.Join(bad, "; "))
		fs.Usage()
		return o, errors.New("bad flags")
	}
	return o, nil
}

// goroot returns the GOROOT the go command reports.
func goroot() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("running `go env GOROOT` to find the Go sources: %v (pass -goroot)", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// summary is the final JSON object of -json.
type summary struct {
	Summary       bool                 `json:"summary"`
	Framework     string               `json:"framework"`
	DType         string               `json:"dtype"`
	EpochsRun     int                  `json:"epochs_run"`
	StoppedEpoch  *int                 `json:"stopped_epoch"`
	StopReason    callbacks.StopReason `json:"stop_reason"`
	BestEpoch     int                  `json:"best_epoch"`
	BestValLoss   float64              `json:"best_val_loss"`
	TestLoss      float64              `json:"test_loss"`
	TestBPC       float64              `json:"test_bpc"`
	TestAccuracy  float64              `json:"test_accuracy"`
	SecondsEpoch  float64              `json:"seconds_per_epoch"`
	CharsPerSec   float64              `json:"train_chars_per_second"`
	SecondsTotal  float64              `json:"seconds_total"`
	Sample        string               `json:"sample"`
	TrainDigest   string               `json:"train_sha256"`
	Parameters    int                  `json:"parameters"`
	Interrupted   bool                 `json:"interrupted"`
	TrainChars    int                  `json:"train_chars"`
	ValChars      int                  `json:"val_chars"`
	TestChars     int                  `json:"test_chars"`
	GoVersion     string               `json:"go_version"`
	GOMAXPROCS    int                  `json:"gomaxprocs"`
	SampleSeconds float64              `json:"sample_seconds"`
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logf := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(stdout, format, args...)
		}
	}
	if o.goroot == "" {
		if o.goroot, err = goroot(); err != nil {
			fmt.Fprintln(stderr, "charlm:", err)
			return 1
		}
	}
	text, err := readCorpus(o.goroot, packages, o.chars)
	if err != nil {
		fmt.Fprintln(stderr, "charlm:", err)
		return 1
	}
	var sets [3]*data.TensorDataset
	for s := range sets {
		if sets[s], err = windows(text.Splits[s], o.seq); err != nil {
			fmt.Fprintf(stderr, "charlm: the %s text: %v (lower -seq or raise -chars)\n", splitNames[s], err)
			return 1
		}
	}
	logf("%s sources in %s/src: %d files of %d packages, %d characters\n", runtime.Version(), o.goroot, len(text.Files), len(packages), len(text.Splits[0])+len(text.Splits[1])+len(text.Splits[2]))
	for s, syms := range text.Splits {
		logf("  %-5s %7d characters, %5d windows of %d, sha256 %.16s\n", splitNames[s], len(syms), sets[s].Len(), o.seq, digest(syms))
	}

	src := rand.NewPCG(o.seed, 0x5eed)
	rng := rand.New(src)
	model := newCharLM(rng, o.embed, o.hidden, o.layers, o.dropout)
	nn.To(model, o.dtype) // the same initial weights, rounded, in either dtype
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: o.lr})
	cfg := callbacks.Recommended()
	cfg.Patience = o.patience
	stop := callbacks.NewEarlyStopping(cfg)
	cbs := []callbacks.Callback{stop}
	if o.json {
		cbs = append(cbs, jsonLines(stdout))
	} else {
		cbs = append(cbs, callbacks.NewProgressBar(stdout))
	}
	params := 0
	for _, p := range model.Parameters() {
		params += p.Var.Value.Size()
	}
	logf("%v\n%d parameters in %v; Adam lr %g, batches of %d, gradient norm clipped to %g\n", model, params, o.dtype, o.lr, o.batch, o.clip)
	eval := func(ds *data.TensorDataset) *data.Loader {
		return data.NewLoader(ds, data.LoaderConfig{BatchSize: 4 * o.batch})
	}
	hist, err := train.Fit(ctx, model, train.Config{
		Loss: sequenceLoss, Optimizer: opt, Epochs: o.epochs, ClipNorm: o.clip,
		Train:   data.NewLoader(sets[trainSplit], data.LoaderConfig{BatchSize: o.batch, Shuffle: true, Rand: rng}),
		Val:     eval(sets[valSplit]),
		Metrics: map[string]nn.Metric{"accuracy": &charAccuracy{}},
		// The loader's shuffling is the run's only other random choice
		// (dropout draws from the source given at construction, rng).
		Callbacks: cbs, RandomSources: []train.RandomSource{src},
	})
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		fmt.Fprintln(stderr, "charlm:", err)
		return 1
	}
	test := train.Evaluate(model, eval(sets[testSplit]), sequenceLoss, map[string]nn.Metric{"accuracy": &charAccuracy{}})
	seconds := 0.0
	for _, e := range hist.Epochs {
		seconds += e["epoch_seconds"]
	}
	sampleStart := time.Now()
	text0 := model.sample(rand.New(rand.NewPCG(o.seed, 0x5a3b1e)), o.prompt, o.sample, o.temperature)
	s := summary{
		Summary: true, Framework: "minidl", DType: o.dtype.String(), EpochsRun: len(hist.Epochs), StopReason: hist.StopReason,
		BestEpoch: stop.BestEpoch(), BestValLoss: stop.Best(),
		TestLoss: test["loss"], TestBPC: test["loss"] / math.Ln2, TestAccuracy: test["accuracy"],
		Sample: o.prompt + text0, TrainDigest: digest(text.Splits[trainSplit]), Parameters: params,
		Interrupted: interrupted, TrainChars: len(text.Splits[0]), ValChars: len(text.Splits[1]), TestChars: len(text.Splits[2]),
		GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), SampleSeconds: time.Since(sampleStart).Seconds(),
	}
	if hist.StoppedEpoch >= 0 {
		s.StoppedEpoch = &hist.StoppedEpoch
	}
	if len(hist.Epochs) > 0 {
		s.SecondsEpoch = seconds / float64(len(hist.Epochs))
		s.CharsPerSec = float64(sets[trainSplit].Len()*o.seq*len(hist.Epochs)) / seconds
	}
	s.SecondsTotal = time.Since(start).Seconds()
	if o.json {
		json.NewEncoder(stdout).Encode(s)
	} else {
		if interrupted {
			fmt.Fprintln(stdout, "interrupted: training stopped after the current batch")
		}
		fmt.Fprintln(stdout, stop.Message())
		fmt.Fprintf(stdout, "test: %.4f bits per character (cross-entropy %.4f nats), next-character accuracy %.4f\n", s.TestBPC, s.TestLoss, s.TestAccuracy)
		if len(hist.Epochs) > 0 {
			fmt.Fprintf(stdout, "%.1f s per epoch, %.0f training characters/s, %.0f s in all\n", s.SecondsEpoch, s.CharsPerSec, s.SecondsTotal)
		}
		if o.sample > 0 {
			fmt.Fprintf(stdout, "sample (temperature %g, seed %d):\n%s%s\n", o.temperature, o.seed, o.prompt, text0)
		}
	}
	if o.save != "" {
		if err := nn.Save(o.save, model, map[string]string{"model": model.String()}); err != nil {
			fmt.Fprintln(stderr, "charlm:", err)
			return 1
		}
	}
	return 0
}

// jsonLines prints each epoch's losses, accuracy and time as JSON.
func jsonLines(w io.Writer) callbacks.Callback {
	return &callbacks.Lambda{EpochEnd: func(_ *callbacks.Run, epoch int, logs callbacks.Logs) error {
		return json.NewEncoder(w).Encode(map[string]any{
			"epoch": epoch, "loss": logs["loss"], "val_loss": logs["val_loss"],
			"accuracy": logs["accuracy"], "val_accuracy": logs["val_accuracy"], "seconds": logs["epoch_seconds"],
		})
	}}
}
