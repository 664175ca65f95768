// Command xor trains a small neural network to compute XOR, the classic
// problem no single-layer network can solve, and stops training with
// the early stopping the project recommends (callbacks.Recommended(), read
// as it evolves, on val_loss with a margin of 1e-6, the best weights
// restored). It is the first program to run with minidl:
//
//	go run ./cmd/xor
//
// It trains a 2-8-1 network (tanh hidden layer, sigmoid output) with the
// mean squared error, MSE = (1/m) Σ (h(x) − y)², twice the textbook cost
// J(θ) = 1/(2m) Σ (h(x) − y)². It prints its progress, why and when
// training stopped, and a table of the four inputs with the predicted
// probability and class, and exits with status 0 only if all four are
// right. With -noise N it trains on N noisy points around the corners
// instead, holding a quarter of them out for validation, which gives early
// stopping real work to do. Run with -h for the flags.
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
	"os/signal"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/plot"
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
	hidden     int
	activation string
	optimizer  string
	lr         float64
	epochs     int
	stop       string
	patience   int
	minDelta   float64
	// given records the flags set on the command line, so that -patience
	// and -min-delta replace the recommended rule's settings only when
	// asked to.
	given     map[string]bool
	tolerance float64
	noise     int
	seed      uint64
	json      bool
	plot      string
	save      string
	resume    string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("xor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.hidden, "hidden", 8, "hidden units")
	fs.StringVar(&o.activation, "activation", "tanh", "hidden activation: tanh, relu, leaky_relu, sigmoid or gelu")
	fs.StringVar(&o.optimizer, "optimizer", "adam", "optimizer: adam or sgd")
	fs.Float64Var(&o.lr, "lr", 0.05, "learning rate")
	fs.IntVar(&o.epochs, "epochs", 5000, "most epochs to train")
	fs.StringVar(&o.stop, "stop", "recommended", `stopping rule on val_loss, best weights restored: "recommended" (callbacks.Recommended(), the rule of the stopping study) or "patience" (plain patience, -patience and -min-delta)`)
	fs.IntVar(&o.patience, "patience", 50, "epochs without improvement of val_loss before stopping (negative: off), with -stop patience; given with -stop recommended, it replaces that rule's patience")
	fs.Float64Var(&o.minDelta, "min-delta", 1e-6, "smallest change of val_loss that counts as an improvement (with -stop recommended too, unless that rule sets a margin of its own and this flag is not given)")
	fs.Float64Var(&o.tolerance, "tolerance", 0, "stop once val_loss is below this (0: off)")
	fs.IntVar(&o.noise, "noise", 0, "train on this many noisy points (a quarter held out for validation) instead of the four corners")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per epoch and a summary")
	fs.StringVar(&o.plot, "plot", "", "write an SVG chart of the losses to this file")
	fs.StringVar(&o.save, "save", "", "save the trained weights to this safetensors file")
	fs.StringVar(&o.resume, "resume", "", "keep a run checkpoint in this file after every epoch and, if it exists, continue the run saved there")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: xor [flags]\n\nTrains a 2-H-1 network on XOR with early stopping.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	var bad []string
	if o.stop != "recommended" && o.stop != "patience" {
		bad = append(bad, fmt.Sprintf("-stop %q: want recommended or patience", o.stop))
	}
	if fs.NArg() > 0 {
		bad = append(bad, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if o.hidden < 1 {
		bad = append(bad, fmt.Sprintf("-hidden %d: want at least 1", o.hidden))
	}
	if _, ok := activations[o.activation]; !ok {
		bad = append(bad, fmt.Sprintf("-activation %q: want tanh, relu, leaky_relu, sigmoid or gelu", o.activation))
	}
	if o.optimizer != "adam" && o.optimizer != "sgd" {
		bad = append(bad, fmt.Sprintf("-optimizer %q: want adam or sgd", o.optimizer))
	}
	if !(o.lr > 0) {
		bad = append(bad, fmt.Sprintf("-lr %v: want a positive rate", o.lr))
	}
	if o.epochs < 1 {
		bad = append(bad, fmt.Sprintf("-epochs %d: want at least 1", o.epochs))
	}
	if !(o.minDelta >= 0) || !(o.tolerance >= 0) {
		bad = append(bad, "-min-delta and -tolerance must not be negative")
	}
	if o.noise != 0 && o.noise < 8 {
		bad = append(bad, fmt.Sprintf("-noise %d: want at least 8 points", o.noise))
	}
	if len(bad) > 0 {
		fmt.Fprintln(stderr, "xor: "+strings.Join(bad, "; "))
		fs.Usage()
		return o, errors.New("bad flags")
	}
	return o, nil
}

var activations = map[string]func() nn.Module{
	"tanh":       func() nn.Module { return nn.Tanh() },
	"relu":       func() nn.Module { return nn.ReLU() },
	"leaky_relu": func() nn.Module { return nn.LeakyReLU(0.01) },
	"sigmoid":    func() nn.Module { return nn.Sigmoid() },
	"gelu":       func() nn.Module { return nn.GELU() },
}

// stopConfig is the early stopping on val_loss the options ask for: the
// recommended rule, read from callbacks.Recommended() so that the program
// follows the stopping study's choice as it changes (-patience, if given,
// replaces its patience; -min-delta sets the margin of an improvement
// unless the rule has its own and the flag is not given), or plain
// patience with
// -patience and -min-delta. The best weights are restored either way, and
// -tolerance adds a stopping threshold to either.
func stopConfig(o options) callbacks.EarlyStoppingConfig {
	cfg := callbacks.EarlyStoppingConfig{Patience: o.patience, MinDelta: o.minDelta}
	if o.stop == "recommended" {
		cfg = callbacks.Recommended()
		if o.given["patience"] {
			cfg.Patience = o.patience
		}
		// The margin of an improvement depends on the scale of the
		// quantity, which the program knows and a general rule does not:
		// -min-delta fills in a margin the rule leaves at zero.
		if o.given["min-delta"] || cfg.MinDelta == 0 {
			cfg.MinDelta = o.minDelta
		}
	}
	cfg.Monitor, cfg.RestoreBestWeights = "val_loss", true
	if o.tolerance > 0 {
		cfg.StoppingThreshold = new(o.tolerance)
	}
	return cfg
}

// stopDescription says in a few words which stopping rule the options ask for.
func stopDescription(o options) string {
	c := stopConfig(o)
	if o.stop == "patience" {
		return fmt.Sprintf("patience %d on val_loss, margin %g", c.Patience, c.MinDelta)
	}
	if o.given["patience"] {
		return fmt.Sprintf("callbacks.Recommended() with patience %d, margin %g", c.Patience, c.MinDelta)
	}
	return fmt.Sprintf("callbacks.Recommended(), margin %g", c.MinDelta)
}

// summary is the final JSON object of -json.
type summary struct {
	Summary      bool                 `json:"summary"`
	EpochsRun    int                  `json:"epochs_run"`
	StoppedEpoch *int                 `json:"stopped_epoch"`
	StopReason   callbacks.StopReason `json:"stop_reason"`
	BestEpoch    int                  `json:"best_epoch"`
	FinalLoss    float64              `json:"final_loss"`
	Accuracy     float64              `json:"accuracy"`
	Predictions  []float64            `json:"predictions"`
	Message      string               `json:"message"`
	Seed         uint64               `json:"seed"`
}

// run is the whole program; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	src := rand.NewPCG(o.seed, 0x9e3779b97f4a7c15)
	rng := rand.New(src)
	x, y := data.XOR()
	trainSet, valSet := data.NewTensorDataset(x, y), data.NewTensorDataset(x, y)
	if o.noise > 0 {
		nx, ny := data.NoisyXOR(rng, o.noise, 0.25)
		trainSet, valSet = data.Split(rng, data.NewTensorDataset(nx, ny), data.SplitConfig{ValFraction: 0.25, Stratify: ny.Reshape(-1)})
	}
	model := nn.NewSequential(
		nn.NewLinear(rng, 2, o.hidden), activations[o.activation](),
		nn.NewLinear(rng, o.hidden, 1), nn.Sigmoid(),
	)
	var opt optim.Optimizer = optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: o.lr})
	if o.optimizer == "sgd" {
		opt = optim.NewSGD(model.Parameters(), optim.SGDConfig{LR: o.lr})
	}
	stop := callbacks.NewEarlyStopping(stopConfig(o))
	batch := max(trainSet.Len(), 1)
	if o.noise > 0 {
		batch = 32
	}
	cfg := train.Config{
		Loss: nn.MSE, Optimizer: opt, Epochs: o.epochs,
		Train:      data.NewLoader(trainSet, data.LoaderConfig{BatchSize: batch, Shuffle: o.noise > 0, Rand: rng}),
		Val:        data.NewLoader(valSet, data.LoaderConfig{BatchSize: valSet.Len()}),
		Metrics:    map[string]nn.Metric{"accuracy": &nn.BinaryAccuracy{}},
		Callbacks:  []callbacks.Callback{stop, progress(o, stdout)},
		Checkpoint: o.resume, Resume: o.resume != "", RandomSources: []train.RandomSource{src},
	}
	if !o.json {
		fmt.Fprintf(stdout, "minidl XOR: 2-%d-1 network (%s, sigmoid output), %s lr %g, seed %d\n", o.hidden, o.activation, o.optimizer, o.lr, o.seed)
		fmt.Fprintf(stdout, "stopping: %s\n", stopDescription(o))
		fmt.Fprintf(stdout, "loss: MSE = (1/m) Σ (h(x) − y)², twice the textbook J(θ) = 1/(2m) Σ (h(x) − y)²\n")
	}
	hist, err := train.Fit(ctx, model, cfg)
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		fmt.Fprintln(stderr, "xor:", err)
		return 1
	}

	pred := train.Predict(model, x)
	final := nn.MSE(autograd.Const(pred), autograd.Const(y)).Item()
	correct := 0
	for i, p := range pred.Data() {
		if (p > 0.5) == (y.Data()[i] > 0.5) {
			correct++
		}
	}
	s := summary{Summary: true, EpochsRun: len(hist.Epochs), StopReason: hist.StopReason, BestEpoch: stop.BestEpoch(),
		FinalLoss: final, Accuracy: float64(correct) / 4, Predictions: roundAll(pred.Data()), Message: stop.Message(), Seed: o.seed}
	if hist.StoppedEpoch >= 0 {
		s.StoppedEpoch = new(hist.StoppedEpoch)
	}
	if o.json {
		json.NewEncoder(stdout).Encode(s)
	} else {
		if interrupted {
			fmt.Fprintln(stdout, "interrupted: training stopped after the current batch")
		}
		fmt.Fprintf(stdout, "stopped: %s after %d epochs\n%s\n", hist.StopReason, len(hist.Epochs), stop.Message())
		printTable(stdout, x, y, pred)
		fmt.Fprintf(stdout, "%d/4 correct, final loss %.6g\n", correct, final)
	}
	status := 0
	if correct != 4 {
		status = 1
	}
	if o.plot != "" {
		if err := writePlot(o.plot, hist, stop); err != nil {
			fmt.Fprintln(stderr, "xor:", err)
			status = 1
		}
	}
	if o.save != "" {
		meta := map[string]string{"model": fmt.Sprintf("Sequential(Linear(2,%d), %s, Linear(%d,1), Sigmoid)", o.hidden, o.activation, o.hidden)}
		if err := nn.Save(o.save, model, meta); err != nil {
			fmt.Fprintln(stderr, "xor:", err)
			status = 1
		}
	}
	return status
}

// progress prints a line every so often, or every epoch as JSON.
func progress(o options, w io.Writer) callbacks.Callback {
	every := max(o.epochs/10, 1)
	return &callbacks.Lambda{EpochEnd: func(r *callbacks.Run, epoch int, logs callbacks.Logs) error {
		if o.json {
			line := map[string]float64{"epoch": float64(epoch)}
			for k, v := range logs {
				if k != "epoch_seconds" {
					line[k] = v
				}
			}
			return json.NewEncoder(w).Encode(line)
		}
		if epoch%every == 0 {
			_, err := fmt.Fprintf(w, "epoch %5d  loss %.6f  val_loss %.6f  accuracy %.2f\n", epoch, logs["loss"], logs["val_loss"], logs["val_accuracy"])
			return err
		}
		return nil
	}}
}

func printTable(w io.Writer, x, y, pred *tensor.Tensor) {
	fmt.Fprintln(w, " x1  x2  target  p(1)    class")
	for i := range 4 {
		p := pred.At(i, 0)
		class := 0
		if p > 0.5 {
			class = 1
		}
		mark := "ok"
		if float64(class) != y.At(i, 0) {
			mark = "WRONG"
		}
		fmt.Fprintf(w, "  %g   %g  %6g  %.4f  %d  %s\n", x.At(i, 0), x.At(i, 1), y.At(i, 0), p, class, mark)
	}
}

func writePlot(path string, hist *callbacks.History, stop *callbacks.EarlyStopping) error {
	opts := plot.Options{Title: "XOR: loss per epoch", LogScale: true}
	if stop.BestEpoch() >= 0 {
		opts.BestEpoch = new(stop.BestEpoch())
	}
	return plot.Save(path, hist, opts)
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Round(x*1e6) / 1e6
	}
	return out
}
