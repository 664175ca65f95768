// Command tune runs a hyperparameter search with pruning on a built-in
// data set, so that it needs no network: a multilayer perceptron learns
// three interleaved spirals, and the search looks for its learning rate,
// width and dropout, each trial trained by train.Fit for up to -epochs
// epochs and stopped early by a pruner (asynchronous successive halving by
// default):
//
//	go run ./cmd/tune
//
// It draws a live progress line, then prints the best trials and how many
// epochs the search spent. With -baseline (the default) it then trains the
// same configurations again without pruning (the random sampler draws the
// same parameters whatever the results), and says what pruning saved and
// whether it kept the best trial. With -svg it draws every trial's
// validation loss per epoch, pruned trials marked where they stopped.
// With -dir the study is kept in a folder: running the command again
// resumes it, and several processes may share it. With -replay FILE it
// trains nothing and instead replays every pruner over recorded curves
// (docs/pruning.md). Run with -h for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/train"
	"github.com/minidl/minidl/tune"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	trials, epochs, parallel int
	points                   int
	pruner, sampler          string
	eta                      int
	pause                    bool
	seed                     uint64
	dir, svg                 string
	baseline                 bool
	top                      int
	replay, final            string // -replay: replay the pruners over recorded curves (replay.go)
	rounds, patience         int
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("tune", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.trials, "trials", 40, "trials in the study")
	fs.IntVar(&o.epochs, "epochs", 27, "most epochs of a trial")
	fs.IntVar(&o.parallel, "parallel", 2, "trials trained at a time")
	fs.IntVar(&o.points, "points", 300, "points of each spiral arm (three arms; a fifth are held out to validate)")
	fs.StringVar(&o.pruner, "pruner", "halving", "pruner: halving (asynchronous successive halving), hyperband, median or none")
	fs.IntVar(&o.eta, "eta", 3, "reduction factor η of halving and hyperband")
	fs.BoolVar(&o.pause, "pause", false, "halving pauses trials at a rung and promotes them later, resuming from their run checkpoints, instead of pruning")
	fs.StringVar(&o.sampler, "sampler", "random", "sampler: random (the same configurations with and without pruning) or tpe")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the data, the sampler and every trial's training")
	fs.StringVar(&o.dir, "dir", "", "keep the study in this folder, to resume it or share it with other processes")
	fs.StringVar(&o.svg, "svg", "tune.svg", "draw every trial's validation loss to this SVG file (\"\" for none)")
	fs.BoolVar(&o.baseline, "baseline", true, "also train every configuration to its end without pruning, to measure what pruning saved")
	fs.IntVar(&o.top, "top", 5, "rows of the table of best trials")
	fs.StringVar(&o.replay, "replay", "", "instead of searching, replay every pruner over the recorded curves of this file (minidl-curve/1, gzipped if .gz), each task a search")
	fs.StringVar(&o.final, "final", "", "with -replay, the series the regret is measured on (default: test_loss, or the monitor)")
	fs.IntVar(&o.rounds, "rounds", 5, "with -replay, the orders each search is replayed in: the file's, then shuffles from -seed")
	fs.IntVar(&o.patience, "patience", 0, "with -replay, each trial also stops itself after this many epochs without improvement (0: never)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var bad []string
	if o.trials < 1 || o.epochs < 1 || o.parallel < 1 || o.points < 5 || o.top < 1 || o.rounds < 1 || o.patience < 0 {
		bad = append(bad, "-trials, -epochs, -parallel, -top and -rounds must be positive, -patience not negative, -points at least 5")
	}
	if !slices.Contains([]string{"halving", "hyperband", "median", "none"}, o.pruner) {
		bad = append(bad, fmt.Sprintf("-pruner %q: want halving, hyperband, median or none", o.pruner))
	}
	if o.sampler != "random" && o.sampler != "tpe" {
		bad = append(bad, fmt.Sprintf("-sampler %q: want random or tpe", o.sampler))
	}
	if o.eta < 2 {
		bad = append(bad, fmt.Sprintf("-eta %d: want 2 or more", o.eta))
	}
	if o.pause && o.pruner != "halving" {
		bad = append(bad, "-pause works with -pruner halving")
	}
	if fs.NArg() > 0 {
		bad = append(bad, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if len(bad) > 0 {
		return o, errors.New(strings.Join(bad, "; "))
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tune:", err)
		return 2
	}
	if o.replay != "" {
		return replay(o, stdout, stderr)
	}
	sp := newSpirals(o.seed, o.points)
	fmt.Fprintf(stdout, "tune: %d trials of an MLP on spirals (%d points, 3 classes: %d to train, %d to validate), up to %d epochs each\n",
		o.trials, 3*o.points, sp.train.Len(), sp.val.Len(), o.epochs)
	fmt.Fprintf(stdout, "search: %s; %s sampler, seed %d; %s; %d at a time\n", searchSpace, o.sampler, o.seed, describePruner(o), o.parallel)

	cfg := tune.StudyConfig{Name: "spirals", Seed: o.seed, Parallelism: o.parallel, Dir: o.dir,
		Budget: tune.Budget{Trials: o.trials}, Pruner: newPruner(o), Sampler: newSampler(o.sampler)}
	start := time.Now()
	res, err := search(ctx, cfg, sp, o.epochs, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "tune:", err)
		return 1
	}
	trials := res.trials
	spent := epochs(trials)
	fmt.Fprintf(stdout, "done in %.1f s: %s; %d epochs of the %d a search without pruning spends (%.0f%%)\n",
		time.Since(start).Seconds(), counts(trials), spent, len(trials)*o.epochs, 100*float64(spent)/float64(len(trials)*o.epochs))
	fmt.Fprintln(stdout)
	table(stdout, trials, o.top)

	if o.svg != "" {
		if err := saveSVG(o.svg, res, o.epochs); err != nil {
			fmt.Fprintln(stderr, "tune:", err)
			return 1
		}
	}
	if o.baseline {
		fmt.Fprintln(stdout)
		base := cfg
		base.Pruner, base.Dir = nil, ""
		start := time.Now()
		full, err := search(ctx, base, sp, o.epochs, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "tune:", err)
			return 1
		}
		compare(stdout, res, full, time.Since(start), o.sampler)
	}
	if o.svg != "" {
		fmt.Fprintf(stdout, "curves: %s\n", o.svg)
	}
	return 0
}

const searchSpace = "lr log-uniform in [1e-4, 0.3], width 16…128 by 16, dropout 0…0.5 by 0.1"

// spirals is the data: three interleaved spiral arms, a fifth held out.
type spirals struct {
	train, val *data.TensorDataset
}

func newSpirals(seed uint64, points int) spirals {
	rng := rand.New(rand.NewPCG(seed, 0x5b1))
	x, y := data.Spirals(rng, points, 3, 0.25)
	all := data.NewTensorDataset(x, y)
	tr, val := data.Split(rng, all, data.SplitConfig{ValFraction: 0.2, Stratify: y})
	return spirals{tr, val}
}

// objective trains one configuration. Its randomness (initial weights,
// dropout, shuffling) comes from the seed and the trial's number, so a
// configuration trains alike in the search and in the baseline; its run
// checkpoint lets a paused trial, or one whose process died, resume.
func (sp spirals) objective(seed uint64, epochs int) tune.Objective {
	return func(ctx context.Context, t *tune.Trial) (float64, error) {
		lr := t.Float("lr", 1e-4, 0.3, tune.Log())
		width := t.Int("width", 16, 128, tune.Step(16))
		dropout := t.Float("dropout", 0, 0.5, tune.Step(0.1))
		ckpt, err := t.Checkpoint()
		if err != nil {
			return 0, err
		}
		src := rand.NewPCG(seed, uint64(t.Number()))
		rng := rand.New(src)
		model := nn.NewSequential(
			nn.NewLinear(rng, 2, width), nn.ReLU(), nn.NewDropout(rng, dropout),
			nn.NewLinear(rng, width, width), nn.ReLU(), nn.NewDropout(rng, dropout),
			nn.NewLinear(rng, width, 3),
		)
		hist, err := train.Fit(ctx, model, train.Config{
			Loss: nn.CrossEntropy, Optimizer: optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: lr}), Epochs: epochs,
			Train:      data.NewLoader(sp.train, data.LoaderConfig{BatchSize: 32, Shuffle: true, Rand: rng}),
			Val:        data.NewLoader(sp.val, data.LoaderConfig{BatchSize: 256}),
			Callbacks:  []callbacks.Callback{tune.NewPruningCallback(t, "val_loss")},
			Checkpoint: ckpt, Resume: true, RandomSources: []train.RandomSource{src},
		})
		if err != nil {
			return 0, err
		}
		return hist.Epochs[len(hist.Epochs)-1]["val_loss"], nil
	}
}

func newPruner(o options) tune.Pruner {
	switch o.pruner {
	case "halving":
		return tune.NewSuccessiveHalvingPruner(tune.SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: o.eta, Pause: o.pause})
	case "hyperband":
		return tune.NewHyperbandPruner(tune.HyperbandConfig{MinResource: 1, ReductionFactor: o.eta})
	case "median":
		return tune.NewMedianPruner(tune.PercentileConfig{})
	}
	return nil
}

func describePruner(o options) string {
	switch o.pruner {
	case "halving":
		s := fmt.Sprintf("successive halving (η %d, rungs at epochs %s)", o.eta, rungs(o.eta, o.epochs))
		if o.pause {
			s += ", pausing"
		}
		return s
	case "hyperband":
		return fmt.Sprintf("Hyperband (η %d, from 1 epoch)", o.eta)
	case "median":
		return "the median pruner"
	}
	return "no pruning"
}

// rungs lists the steps at which successive halving from 1 decides.
func rungs(eta, epochs int) string {
	var r []string
	for s := 1; s < epochs; s *= eta {
		r = append(r, fmt.Sprint(s))
	}
	return strings.Join(r, ", ")
}

func newSampler(name string) tune.Sampler {
	if name == "tpe" {
		return tune.NewTPESampler(tune.TPEConfig{})
	}
	return tune.NewRandomSampler()
}

// outcome is what a search ends with.
type outcome struct {
	trials []tune.FrozenTrial
	best   tune.FrozenTrial // the best complete trial, if found
	found  bool
}

// search runs a study and returns its outcome, showing its progress on w:
// a live line on a terminal, else a line each time a trial ends.
func search(ctx context.Context, cfg tune.StudyConfig, sp spirals, epochs int, w io.Writer) (outcome, error) {
	s, err := tune.NewStudy(cfg)
	if err != nil {
		return outcome{}, err
	}
	defer s.Close()
	live := isTerminal(w)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		shown := -1 // the trials ended when a line was last written
		show := func(final bool) {
			trials := s.Trials()
			b, found := s.Best()
			line := progress(trials, cfg.Budget.Trials, b, found)
			switch {
			case live && final:
				fmt.Fprintf(w, "\r%s\n", line)
			case live:
				fmt.Fprintf(w, "\r%s", line)
			case ended(trials) != shown:
				fmt.Fprintln(w, strings.TrimSpace(line))
				shown = ended(trials)
			}
		}
		for {
			select {
			case <-done:
				show(true)
				return
			case <-tick.C:
				show(false)
			}
		}
	})
	err = s.Optimize(ctx, sp.objective(cfg.Seed, epochs))
	close(done)
	wg.Wait()
	b, found := s.Best()
	return outcome{s.Trials(), b, found}, err
}

// isTerminal reports whether w is a terminal, where a line can be redrawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// ended counts the trials that have ended.
func ended(trials []tune.FrozenTrial) int {
	n := 0
	for _, t := range trials {
		if t.State != tune.Running && t.State != tune.Paused {
			n++
		}
	}
	return n
}

// progress is the progress line: trials by state, epochs spent, the best
// so far.
func progress(trials []tune.FrozenTrial, budget int, best tune.FrozenTrial, found bool) string {
	line := fmt.Sprintf("trial %d/%d · %s · %d epochs", len(trials), budget, counts(trials), epochs(trials))
	if found {
		line += fmt.Sprintf(" · best val_loss %.4f (trial %d)", best.Value, best.Number)
	}
	return line + "   "
}

// epochs counts the epochs trained: one report each.
func epochs(trials []tune.FrozenTrial) int {
	n := 0
	for _, t := range trials {
		n += len(t.Reports)
	}
	return n
}

// counts says how many trials are in each state.
func counts(trials []tune.FrozenTrial) string {
	n := map[tune.TrialState]int{}
	for _, t := range trials {
		n[t.State]++
	}
	var parts []string
	for _, s := range []tune.TrialState{tune.Running, tune.Paused, tune.Complete, tune.Pruned, tune.Failed} {
		if n[s] > 0 || s == tune.Complete || s == tune.Pruned {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// table prints the best complete trials, then the best pruned ones if
// there is room.
func table(w io.Writer, trials []tune.FrozenTrial, top int) {
	sorted := slices.Clone(trials)
	rank := func(t tune.FrozenTrial) int {
		switch t.State {
		case tune.Complete:
			return 0
		case tune.Pruned, tune.Paused:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(sorted, func(a, b tune.FrozenTrial) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		switch {
		case a.Value < b.Value:
			return -1
		case a.Value > b.Value:
			return 1
		}
		return 0
	})
	fmt.Fprintln(w, "best trials by validation loss:")
	fmt.Fprintf(w, "%5s  %-8s  %8s  %6s  %9s  %5s  %7s\n", "trial", "state", "val_loss", "epochs", "lr", "width", "dropout")
	for _, t := range sorted[:min(top, len(sorted))] {
		fmt.Fprintf(w, "%5d  %-8s  %8.4f  %6d  %9.3g  %5v  %7.1f\n", t.Number, t.State, t.Value, len(t.Reports),
			t.Params["lr"], t.Params["width"], t.Params["dropout"])
	}
}

// compare says what pruning saved against the search without it, and
// whether it kept the best trial.
func compare(w io.Writer, pruning, full outcome, took time.Duration, sampler string) {
	what := "the same configurations"
	if sampler != "random" {
		what = "configurations TPE drew for itself"
	}
	spent, all := epochs(pruning.trials), epochs(full.trials)
	fmt.Fprintf(w, "without pruning (%d trials, %s): %d epochs in %.1f s; pruning spent %.0f%% of them\n",
		len(full.trials), what, all, took.Seconds(), 100*float64(spent)/float64(max(all, 1)))
	pb, fb := pruning.best, full.best
	if !pruning.found || !full.found {
		fmt.Fprintln(w, "no complete trial to compare")
		return
	}
	fmt.Fprintf(w, "best val_loss without pruning %.4f (trial %d), with pruning %.4f (trial %d): ", fb.Value, fb.Number, pb.Value, pb.Number)
	switch {
	case sampler == "random" && fb.Number == pb.Number:
		fmt.Fprintln(w, "pruning kept the best trial")
	case pb.Value <= fb.Value:
		fmt.Fprintln(w, "no loss")
	case sampler == "random" && fb.Number < len(pruning.trials):
		t := pruning.trials[fb.Number]
		fmt.Fprintf(w, "%.1f%% worse; the best was %s after %d epochs\n", 100*(pb.Value-fb.Value)/fb.Value, t.State, len(t.Reports))
	default:
		fmt.Fprintf(w, "%.1f%% worse\n", 100*(pb.Value-fb.Value)/fb.Value)
	}
}
