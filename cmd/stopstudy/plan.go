package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// runSpec is one run of the corpus: a task, a model, an optimizer and its
// settings, a budget, and whether it is recorded at every validation check.
// Everything is drawn from the run's own seed (drawRun), so a run is the
// same whatever else the corpus holds and in whatever order it is trained.
type runSpec struct {
	task   *task
	index  int    // the run's number within its task, from 0: also its seed
	family string // "mlp", "cnn" or "embed"
	arch   string // "small" or "wide"
	opt    string // "sgd", "momentum", "adam" or "adamw"
	lr     float64
	// nesterov applies to "momentum", whose factor is 0.9.
	nesterov    bool
	weightDecay float64
	dropout     float64
	batch       int
	budget      int    // epochs
	schedule    string // "constant", "step", "cosine" or "onecycle"
	// checks, if positive, asks for about that many validation checks an
	// epoch (train.Config.ValidateEvery = ⌈batches/checks⌉); 0 records the
	// epochs only.
	checks int
}

// id names the run within the corpus: the task and the run's number.
func (r runSpec) id() string { return fmt.Sprintf("%s/%04d", r.task.name, r.index) }

// seed is the run's seed, written with its curve.
func (r runSpec) seed() uint64 { return uint64(r.index) }

// Choices of drawRun.
var (
	optimizers = []string{"sgd", "momentum", "adam", "adamw"}
	batches    = []int{8, 16, 32, 64, 128, 256}
	budgets    = []int{100, 200, 300, 500}
	dropouts   = []float64{0.1, 0.2, 0.3, 0.5}
	// lrRanges are the exponents of the learning rates drawn for each
	// optimizer, log-uniformly: from a rate too low to get far in the
	// budget to one too high to settle.
	lrRanges = map[string][2]float64{"sgd": {-3, 0}, "momentum": {-3.5, -0.5}, "adam": {-4, -1}, "adamw": {-4, -1}}
)

// checkShare is the share of runs recorded at every validation check, and
// checksPerEpoch how many checks an epoch they ask for.
const (
	checkShare     = 0.25
	checksPerEpoch = 4
)

// drawRun draws run i of task t from its own random stream.
func drawRun(t *task, i int) runSpec {
	rng := rand.New(rand.NewPCG(stream(t.name), uint64(i)))
	r := runSpec{task: t, index: i}
	r.family = t.families[rng.IntN(len(t.families))]
	r.arch = []string{"small", "wide"}[rng.IntN(2)]
	r.opt = optimizers[rng.IntN(len(optimizers))]
	span := lrRanges[r.opt]
	r.lr = round3(math.Pow(10, span[0]+(span[1]-span[0])*rng.Float64()))
	r.nesterov = r.opt == "momentum" && rng.Float64() < 0.3
	switch {
	case r.opt == "adamw":
		r.weightDecay = round3(math.Pow(10, -3+2.3*rng.Float64())) // 0.001 to 0.2
	case rng.Float64() < 0.5:
		r.weightDecay = round3(math.Pow(10, -5+3*rng.Float64())) // 1e-5 to 1e-2
	}
	if rng.Float64() < 0.5 {
		r.dropout = dropouts[rng.IntN(len(dropouts))]
	}
	r.batch = batches[rng.IntN(len(batches))]
	r.budget = budgets[rng.IntN(len(budgets))]
	switch u := rng.Float64(); {
	case u < 0.4:
		r.schedule = "constant"
	case u < 0.6:
		r.schedule = "step"
	case u < 0.8:
		r.schedule = "cosine"
	default:
		r.schedule = "onecycle"
	}
	if rng.Float64() < checkShare {
		r.checks = checksPerEpoch
	}
	return r
}

// round3 keeps three significant digits, so that a setting reads as
// typed: 0.00316, not 0.0031622776601683794.
func round3(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return f
}

// plannedRuns is the number of runs of each task in the full plan, chosen
// so that the corpus trains in about two hours on two cores (see
// docs/stopping-study.md).
var plannedRuns = map[string]int{
	"iris": 150, "wine": 150, "breast_cancer": 150, "digits": 80, "diabetes": 150, "gotokens": 60,
	"moons": 150, "spirals": 150, "circles": 150, "sine": 150, "friedman": 150, "mnist14": 40,
}

// plan returns the runs of the tasks, task by task in order, run numbers
// from 0: the full corpus when every task has its planned number of runs.
// scale multiplies the numbers (for a smaller corpus), keeping at least
// one run a task; budgetCap, if positive, caps every budget (for tests).
func plan(ts []task, scale float64, budgetCap int) []runSpec {
	var runs []runSpec
	for i := range ts {
		n := max(int(math.Round(float64(ts[i].runs)*scale)), 1)
		for j := range n {
			r := drawRun(&ts[i], j)
			if budgetCap > 0 {
				r.budget = min(r.budget, budgetCap)
			}
			runs = append(runs, r)
		}
	}
	return runs
}

// describePlan prints the plan's composition, task by task, and its
// estimated training time.
func describePlan(w io.Writer, ts []task, runs []runSpec) {
	fmt.Fprintln(w, "| task | runs | families | optimizers sgd/momentum/adam/adamw | schedules constant/step/cosine/onecycle | by check | est. core-hours |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	total := 0.0
	for i := range ts {
		var n, checks int
		families := map[string]int{}
		opts, scheds := map[string]int{}, map[string]int{}
		hours := 0.0
		for _, r := range runs {
			if r.task != &ts[i] {
				continue
			}
			n++
			families[r.family]++
			opts[r.opt]++
			scheds[r.schedule]++
			if r.checks > 0 {
				checks++
			}
			hours += cost(r) / 3600
		}
		var fam []string
		for _, f := range slices.Compact(slices.Clone(ts[i].families)) {
			fam = append(fam, fmt.Sprintf("%s %d", f, families[f]))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d/%d/%d/%d | %d/%d/%d/%d | %d | %.2f |\n", ts[i].name, n, strings.Join(fam, ", "),
			opts["sgd"], opts["momentum"], opts["adam"], opts["adamw"],
			scheds["constant"], scheds["step"], scheds["cosine"], scheds["onecycle"], checks, hours)
		total += hours
	}
	fmt.Fprintf(w, "\n%d runs, about %.2f core-hours of training.\n", len(runs), total)
}
