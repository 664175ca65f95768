package tune

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/minidl/minidl/callbacks"
)

// ReplayMethod is one way of searching that CompareReplays replays: a
// pruner, the full search, or the top-k baseline.
type ReplayMethod struct {
	Name string
	// Pruner decides on every report (Replay); nil with TopK 0 is the full
	// search.
	Pruner Pruner
	// TopK, if positive, replays the baseline that keeps the TopK best
	// trials after one epoch (ReplayTopK) instead.
	TopK int
}

// ReplaySummary is what one method did over several searches, each
// replayed in several orders.
type ReplaySummary struct {
	Method string
	Runs   int // searches × orders replayed
	// Epochs is the epochs the method spent, FullEpochs those of the full
	// searches.
	Epochs, FullEpochs int
	// Lost counts the runs whose chosen trial is worse on the Final series
	// than the full search's; Empty those where no trial completed (left
	// out of the regrets).
	Lost, Empty int
	// MeanRegret, MedianRegret and MaxRegret summarize ReplayResult.Regret
	// over the runs, in the Final series' units.
	MeanRegret, MedianRegret, MaxRegret float64
}

// Saved returns the share of the full searches' epochs the method did not
// spend.
func (s ReplaySummary) Saved() float64 { return 1 - float64(s.Epochs)/float64(s.FullEpochs) }

// GroupByTask splits curves into searches, one per task, in the order the
// tasks first appear: the curves of a task are the trials of one search.
func GroupByTask(curves []callbacks.Curve) [][]callbacks.Curve {
	var tasks []string
	byTask := map[string][]callbacks.Curve{}
	for _, c := range curves {
		if _, ok := byTask[c.Task]; !ok {
			tasks = append(tasks, c.Task)
		}
		byTask[c.Task] = append(byTask[c.Task], c)
	}
	searches := make([][]callbacks.Curve, len(tasks))
	for i, t := range tasks {
		searches[i] = byTask[t]
	}
	return searches
}

// CompareReplays replays every method over every search in rounds orders
// (the curves' own order, then rounds − 1 shuffles from seed, the same for
// every method) with cfg (its Shuffle is ignored), and summarizes each
// method. It returns Replay's errors.
func CompareReplays(searches [][]callbacks.Curve, methods []ReplayMethod, cfg ReplayConfig, rounds int, seed uint64) ([]ReplaySummary, error) {
	rounds = max(rounds, 1)
	summaries := make([]ReplaySummary, len(methods))
	for m, method := range methods {
		s := &summaries[m]
		s.Method = method.Name
		var regrets []float64
		for i, curves := range searches {
			for round := range rounds {
				run := cfg
				run.Shuffle = nil
				if round > 0 {
					run.Shuffle = rand.New(rand.NewPCG(seed+uint64(i), uint64(round)))
				}
				var r ReplayResult
				var err error
				if method.TopK > 0 {
					r, err = ReplayTopK(curves, method.TopK, run)
				} else {
					r, err = Replay(curves, method.Pruner, run)
				}
				if err != nil {
					return nil, fmt.Errorf("%s, search %d: %w", method.Name, i, err)
				}
				s.Runs++
				s.Epochs += r.Epochs
				s.FullEpochs += r.FullEpochs
				if math.IsInf(r.Regret, 1) {
					s.Empty++
					continue
				}
				if r.Regret > 0 {
					s.Lost++
				}
				regrets = append(regrets, r.Regret)
			}
		}
		s.MeanRegret, s.MedianRegret, s.MaxRegret = summarize(regrets)
	}
	return summaries, nil
}

// summarize returns the mean, median and maximum of values (NaN if none).
func summarize(values []float64) (mean, median, maximum float64) {
	if len(values) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	slices.Sort(values)
	sum := 0.0
	for _, x := range values {
		sum += x
	}
	n := len(values)
	median = values[n/2]
	if n%2 == 0 {
		median = (values[n/2-1] + values[n/2]) / 2
	}
	return sum / float64(n), median, values[n-1]
}

// DefaultReplayMethods returns the methods docs/pruning.md compares: the
// full search; the baseline keeping the top 1 and the top 5 after one
// epoch; each pruner with Optuna's defaults; and the options that go
// further (pausing, the best so far, trials that ended counted), each on
// its own.
func DefaultReplayMethods() []ReplayMethod {
	return []ReplayMethod{
		{Name: "full search"},
		{Name: "top 1 after one epoch", TopK: 1},
		{Name: "top 5 after one epoch", TopK: 5},
		{Name: "median", Pruner: NewMedianPruner(PercentileConfig{})},
		{Name: "median, best so far", Pruner: NewMedianPruner(PercentileConfig{BestSoFar: true})},
		{Name: "median, ended trials counted", Pruner: NewMedianPruner(PercentileConfig{CountEnded: true})},
		{Name: "percentile 25", Pruner: NewPercentilePruner(25, PercentileConfig{})},
		{Name: "patient median (patience 5)", Pruner: NewPatientPruner(NewMedianPruner(PercentileConfig{}), PatientConfig{Patience: 5})},
		{Name: "successive halving", Pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{})},
		{Name: "successive halving, best so far", Pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{BestSoFar: true})},
		{Name: "successive halving, pausing", Pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{Pause: true})},
		{Name: "hyperband", Pruner: NewHyperbandPruner(HyperbandConfig{})},
		{Name: "hyperband, pausing", Pruner: NewHyperbandPruner(HyperbandConfig{Pause: true})},
		{Name: "wilcoxon", Pruner: NewWilcoxonPruner(WilcoxonConfig{})},
	}
}
