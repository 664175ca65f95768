// Command stopstudy measures early-stopping rules on real learning curves.
//
// It trains a corpus of runs to a fixed epoch budget without stopping (7
// tasks, or 8 with MNIST: Iris, the UCI wine, breast cancer and digits sets,
// the diabetes regression, noisy moons and spirals, and 3,000 MNIST images;
// two architectures, SGD with momentum and Adam, and seeds), recording per
// epoch the training loss and the validation and test losses and errors;
// then it replays every rule of the study on every curve with
// callbacks.Replay and prints, per rule, the mean cost (epochs run /
// budget), the mean and median regret (test error at the restored epoch
// relative to the best test error anywhere on the curve), and more; see
// docs/stopping-study.md.
//
//	go run ./cmd/stopstudy                            # the study on the checked-in small corpus
//	go run ./cmd/stopstudy -generate corpus.jsonl.gz  # train the full corpus (20 seeds; -mnist fetches MNIST)
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
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
)

// checkedIn is the corpus that the study runs on by default.
//
//go:embed corpus/small.jsonl.gz
var checkedIn []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// selection reports whether a task is one of those the recommended rule is
// chosen on; it is then reported on the others.
func selection(task string) bool {
	return slices.Contains([]string{"iris", "wine", "digits", "moons"}, task)
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
	fmt.Fprintf(stderr, "replaying %d rules on %d curves\n", len(settings()), len(curves))
	report(stdout, curves)
	if *svg != "" {
		f, err := os.Create(*svg)
		if err == nil {
			err = errors.Join(writeChart(f, study(curves, nil), fmt.Sprintf("Early-stopping rules on %d curves", len(curves))), f.Close())
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

// report prints the study over every curve, per task, and the
// recommendation chosen on the selection tasks and checked on the others.
func report(w io.Writer, curves []callbacks.Curve) {
	var taskNames []string
	for _, c := range curves {
		if !slices.Contains(taskNames, c.Task) {
			taskNames = append(taskNames, c.Task)
		}
	}
	fmt.Fprintf(w, "# Early stopping on %d curves (%s)\n\n", len(curves), strings.Join(taskNames, ", "))
	all := study(curves, nil)
	writeTable(w, all, baseline(curves, nil))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Mean cost / mean regret per task")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| rule | %s |\n|---|%s\n", strings.Join(taskNames, " | "), strings.Repeat("---|", len(taskNames)))
	per := map[string][]summary{}
	for _, t := range taskNames {
		per[t] = study(curves, func(task string) bool { return task == t })
	}
	for i, s := range all {
		cells := make([]string, len(taskNames))
		for j, t := range taskNames {
			cells[j] = fmt.Sprintf("%.2f / %.3f", per[t][i].cost, per[t][i].regret)
		}
		fmt.Fprintf(w, "| %s | %s |\n", s.name, strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	var chosenOn []string
	for _, t := range taskNames {
		if selection(t) {
			chosenOn = append(chosenOn, t)
		}
	}
	chosenFrom := study(curves, selection)
	chosen := recommend(chosenFrom)
	held := study(curves, func(task string) bool { return !selection(task) })
	fmt.Fprintf(w, "## Recommendation\n\nThe Pareto front on %s, and how its rules did on the other tasks:\n\n", strings.Join(chosenOn, ", "))
	fmt.Fprintln(w, "| rule | cost, chosen on | regret, chosen on | cost, other tasks | regret, other tasks | Pareto there |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for i, s := range chosenFrom {
		if s.pareto {
			mark := ""
			if held[i].pareto {
				mark = "✓"
			}
			fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.3f | %s |\n", s.name, s.cost, s.regret, held[i].cost, held[i].regret, mark)
		}
	}
	fmt.Fprintf(w, "\nChosen on %s: %s.\n", strings.Join(chosenOn, ", "), chosen)
	for _, s := range held {
		if s.name == chosen {
			fmt.Fprintf(w, "On the other tasks: cost %.3f, mean regret %.3f, on the Pareto front: %v.\n", s.cost, s.regret, s.pareto)
			var beaten, all []string
			for _, f := range held {
				if f.family == "keras" {
					all = append(all, f.name)
					if s.cost <= f.cost && s.regret <= f.regret {
						beaten = append(beaten, f.name)
					}
				}
			}
			fmt.Fprintf(w, "It is at least as good on both cost and regret as %d of the %d fixed-patience settings there: %s.\n", len(beaten), len(all), strings.Join(beaten, "; "))
		}
	}
}

// recommend picks, from the Pareto front, the rule of lowest mean regret
// among those that spend at most half the budget (or the cheapest front
// rule, if none does).
func recommend(ss []summary) string {
	best := ""
	bestRegret := 0.0
	for _, s := range ss {
		if s.pareto && s.cost <= 0.5 && (best == "" || s.regret < bestRegret) {
			best, bestRegret = s.name, s.regret
		}
	}
	if best != "" {
		return best
	}
	for _, s := range ss {
		if s.pareto && (best == "" || s.cost < bestRegret) {
			best, bestRegret = s.name, s.cost
		}
	}
	return best
}
