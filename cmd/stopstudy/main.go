// Command stopstudy measures early-stopping rules on real learning curves.
//
// It trains a corpus of runs, each to its whole epoch budget without
// stopping (1,530 runs of 12 tasks: MLPs on tabular sets and noisy
// regressions, CNNs on 8×8 digits and 14×14 MNIST, an embedding model on Go
// source tokens; SGD with and without momentum, Adam and AdamW at rates from
// too low to too high, schedules, weight decay, dropout, batches of 8 to 256,
// budgets of 100 to 500 epochs; a quarter recorded at every validation
// check), recording the training loss and the validation and test losses
// and errors; then it replays every rule of the study on every curve with
// callbacks.Replay and prints, per rule, the mean cost (epochs run /
// budget), the mean and median regret (test error at the restored epoch
// relative to the best test error anywhere on the curve), and more; see
// docs/stopping-study.md.
//
//	go run ./cmd/stopstudy                            # the study on the checked-in subset
//	go run ./cmd/stopstudy -generate corpus.jsonl.gz  # train the full corpus, resuming what the file holds
//	go run ./cmd/stopstudy -plan                      # what the full corpus holds, and its cost
//	go run ./cmd/stopstudy -corpus corpus.jsonl.gz -svg study.svg
package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
)

// checkedIn is the subset of the full corpus that the study runs on by
// default: the first 12 runs of every task.
//
//go:embed corpus/subset.jsonl.gz
var checkedIn []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stopstudy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	generateTo := fs.String("generate", "", "train the corpus into this file (.gz to compress), resuming what it holds, then study it")
	corpusFile := fs.String("corpus", "", "study the curves of this file (default: the checked-in corpus)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "runs trained at once, with -generate")
	mnist := fs.Bool("mnist", true, "with -generate, include the task of MNIST images (fetched once through the Go module proxy)")
	scale := fs.Float64("scale", 1, "with -generate, train this share of the planned runs of each task (at least one)")
	budgetCap := fs.Int("max-epochs", 0, "with -generate, cut every budget to this many epochs (0: the planned budgets)")
	showPlan := fs.Bool("plan", false, "print the plan's composition and estimated time, and stop")
	calibrateCosts := fs.Bool("calibrate", false, "measure what each task's models cost to train, for the plan, and stop")
	subsetTo := fs.String("subset", "", "write a representative subset of the corpus to this file (.gz to compress)")
	perTask := fs.Int("subset-runs", 12, "runs of each task in the subset, with -subset")
	svg := fs.String("svg", "", "write the cost-regret chart to this SVG file")
	only := fs.String("tasks", "", "study only these tasks (comma-separated)")
	learn := fs.String("learn", "", "retrain the learned rule's shipped model on the corpus and write its Go source to this file (callbacks/stopmodel.go), then study")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || (*generateTo != "" && *corpusFile != "") || !(*scale > 0) || *budgetCap < 0 || *perTask < 1 {
		fmt.Fprintln(stderr, "stopstudy: -generate and -corpus go alone, -scale and -subset-runs must be positive, -max-epochs not negative, and no arguments")
		return 2
	}
	var curves []callbacks.Curve
	var err error
	switch {
	case *generateTo != "" || *showPlan || *calibrateCosts:
		var ts []task
		if ts, err = loadTasks(ctx, *mnist, stderr); err != nil {
			break
		}
		if *calibrateCosts {
			calibrate(ts, stdout)
			return 0
		}
		runs := plan(ts, *scale, *budgetCap)
		if *showPlan {
			describePlan(stdout, ts, runs)
			return 0
		}
		g := generator{path: *generateTo, runs: runs, workers: *workers, progress: stderr, progressEvery: 5 * time.Second, publish: 10 * time.Minute}
		curves, err = g.run(ctx)
	case *corpusFile != "":
		curves, err = readCorpusFile(*corpusFile)
	default:
		curves, err = readCorpus(bytes.NewReader(checkedIn), int64(len(checkedIn)), "the checked-in corpus")
	}
	if err == nil && *subsetTo != "" {
		err = writeCorpusFile(*subsetTo, subset(curves, *perTask))
	}
	if err != nil {
		fmt.Fprintln(stderr, "stopstudy:", err)
		return 1
	}
	if *only != "" {
		names := strings.Split(*only, ",")
		curves = slices.DeleteFunc(curves, func(c callbacks.Curve) bool { return !slices.Contains(names, c.Task) })
		if len(curves) == 0 {
			fmt.Fprintf(stderr, "stopstudy: no curves of the tasks %s\n", *only)
			return 2
		}
	}
	total := len(curves)
	curves = slices.DeleteFunc(curves, divergedAtStart)
	if left := total - len(curves); left > 0 {
		fmt.Fprintf(stdout, "%d of the %d runs diverged before their first value (val_loss and test_error never finite): nothing to stop, left out.\n\n", left, total)
	}
	if *learn != "" {
		m := shippedStopModel(curves)
		src, err := stopModelSource(m, fmt.Sprintf("on %d curves of %s", len(curves), corpusName(*generateTo, *corpusFile)))
		if err == nil {
			err = os.WriteFile(*learn, src, 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "stopstudy:", err)
			return 1
		}
		fmt.Fprintf(stderr, "wrote the learned rule's model (threshold %g) to %s\n", m.Threshold, *learn)
	}
	rs := rules()
	fmt.Fprintf(stderr, "replaying %d rules on %d curves\n", len(rs), len(curves))
	s := studyCorpus(stdout, curves, rs)
	if *svg != "" && s != nil {
		f, err := os.Create(*svg)
		if err == nil {
			title := fmt.Sprintf("Early-stopping rules on %d curves, leave one task out", len(s.curves))
			err = errors.Join(writeChart(f, s.crossValidated(nil), title), f.Close())
		}
		if err != nil {
			fmt.Fprintln(stderr, "stopstudy:", err)
			return 1
		}
	}
	return 0
}

// loadTasks returns the corpus's tasks, fetching MNIST first if asked.
func loadTasks(ctx context.Context, mnist bool, stderr io.Writer) ([]task, error) {
	dir := ""
	if mnist {
		var err error
		if dir, err = data.FetchMNIST(ctx, data.FetchConfig{Progress: stderr}); err != nil {
			return nil, err
		}
	}
	return tasks(dir)
}

// corpusName names the corpus studied, for the provenance of a model.
func corpusName(generated, file string) string {
	switch {
	case generated != "":
		return filepath.Base(generated)
	case file != "":
		return filepath.Base(file)
	}
	return "the checked-in small corpus"
}
