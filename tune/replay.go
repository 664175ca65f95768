package tune

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/internal/quote"
)

// ReplayConfig configures Replay and ReplayTopK. The zero value replays
// the curves in file order, one trial at a time, reporting "val_loss" and
// minimizing it, with regret measured on "test_loss".
type ReplayConfig struct {
	// Monitor is the series each trial reports at every epoch; "" means
	// "val_loss".
	Monitor string
	// Direction says whether Monitor is minimized or maximized.
	Direction Direction
	// Final is the series the regret is measured on, read at the epoch the
	// trial chose; "" means Monitor with "val_" changed to "test_" if the
	// curves have that series, else Monitor itself.
	Final string
	// Shuffle, if not nil, shuffles the order the trials start in.
	Shuffle *rand.Rand
	// Parallelism is the number of trials running at once, each reporting
	// one epoch per tick in turn, as on that many workers; 0 means 1.
	Parallelism int
	// Name is the study's name (Hyperband assigns brackets by it); "" means
	// "replay".
	Name string
	// Stopping, if not nil, lets every trial stop itself by this early
	// stopping (replayed on its curve with callbacks.Replay, which panics on
	// a configuration that cannot work), as a trial training with
	// EarlyStopping would: trials then have different lengths. The full
	// search's trials stop the same way. A trial whose curve has no
	// Monitor value at an epoch (null in a curve file: the run diverged)
	// stops at that epoch.
	Stopping *callbacks.EarlyStoppingConfig
}

// ReplayResult is what a pruner did over a set of recorded curves, against
// the full search that runs every curve to its end.
type ReplayResult struct {
	Trials int // curves replayed
	// Epochs is the epochs the trials ran; FullEpochs what running every
	// curve to its end costs.
	Epochs, FullEpochs int
	// Completed, Pruned, Paused and Failed count the trials by how they
	// ended: a trial still paused when nothing was left to run counts as
	// Paused, one whose every value is NaN as Failed.
	Completed, Pruned, Paused, Failed int
	// Ran holds the epochs each curve ran, by its index in the input.
	Ran []int
	// Best is the index of the curve the search chose, the completed trial
	// of best value (its best Monitor value, as a run restoring its best
	// weights returns), −1 if none completed; BestValue is that value and
	// BestFinal its Final value at the same epoch.
	Best                 int
	BestValue, BestFinal float64
	// FullBest and FullFinal are the same for the full search.
	FullBest  int
	FullFinal float64
	// Regret is how much worse the chosen trial's Final value is than the
	// full search's: BestFinal − FullFinal when minimizing, the opposite when
	// maximizing (negative if pruning was lucky); +Inf if no trial
	// completed.
	Regret float64
}

// Saved returns the share of the full search's epochs the search did not
// spend.
func (r ReplayResult) Saved() float64 {
	return 1 - float64(r.Epochs)/float64(r.FullEpochs)
}

// ErrReplay is the kind of every error Replay and ReplayTopK return about
// their curves, for errors.Is.
var ErrReplay = errors.New("tune: curves cannot be replayed")

// replayCurves holds the series a replay reads from each curve.
type replayCurves struct {
	monitor, final [][]float64
	planned        []int // each curve's epochs before its early stopping, if any
	dir            Direction
}

// readCurves checks the curves and picks out their series.
func readCurves(curves []callbacks.Curve, cfg *ReplayConfig) (replayCurves, error) {
	if len(curves) == 0 {
		return replayCurves{}, fmt.Errorf("%w: no curves", ErrReplay)
	}
	if cfg.Monitor == "" {
		cfg.Monitor = "val_loss"
	}
	if cfg.Final == "" {
		cfg.Final = cfg.Monitor
		if test := "test_" + strings.TrimPrefix(cfg.Monitor, "val_"); strings.HasPrefix(cfg.Monitor, "val_") {
			if _, ok := curves[0].Series[test]; ok {
				cfg.Final = test
			}
		}
	}
	rc := replayCurves{dir: cfg.Direction}
	for i, c := range curves {
		m, ok := c.Series[cfg.Monitor]
		f, okFinal := c.Series[cfg.Final]
		if !ok || !okFinal {
			missing := cfg.Monitor
			if ok {
				missing = cfg.Final
			}
			return replayCurves{}, fmt.Errorf("%w: curve %d (%s %s %s) has no series %s", ErrReplay, i,
				quote.Text(c.Task), quote.Text(c.Model), quote.Text(c.Optimizer), quote.Text(missing))
		}
		if len(m) == 0 {
			return replayCurves{}, fmt.Errorf("%w: curve %d (%s %s %s) has no epochs", ErrReplay, i,
				quote.Text(c.Task), quote.Text(c.Model), quote.Text(c.Optimizer))
		}
		rc.planned = append(rc.planned, len(m))
		if cfg.Stopping != nil {
			stop := callbacks.Replay(*cfg.Stopping, c)
			// A curve holds null where its run diverged; the replayed
			// EarlyStopping ends there with an error about the missing
			// value, and the trial ends there too, as a live run under
			// TerminateOnNaN would.
			diverged := stop.StopEpoch >= 0 && math.IsNaN(m[stop.StopEpoch])
			if stop.Err != nil && !diverged {
				return replayCurves{}, fmt.Errorf("%w: curve %d (%s %s %s): early stopping: %w", ErrReplay, i,
					quote.Text(c.Task), quote.Text(c.Model), quote.Text(c.Optimizer), stop.Err)
			}
			if stop.StopEpoch >= 0 {
				m, f = m[:stop.StopEpoch+1], f[:stop.StopEpoch+1]
			}
		}
		rc.monitor, rc.final = append(rc.monitor, m), append(rc.final, f)
	}
	return rc, nil
}

// chosen returns the epoch a trial that ran the first epochs of curve i
// chooses, its best Monitor value (the first if several tie), −1 if every
// value is NaN.
func (rc *replayCurves) chosen(i, epochs int) int {
	best := -1
	for e, x := range rc.monitor[i][:epochs] {
		if !math.IsNaN(x) && (best < 0 || rc.dir.Better(x, rc.monitor[i][best])) {
			best = e
		}
	}
	return best
}

// pick sets r's choice among the curves that completed (ran[i] epochs) and
// returns the index, −1 if none.
func (rc *replayCurves) pick(completed []bool, ran []int) (int, float64, float64) {
	best, value, final := -1, math.NaN(), math.NaN()
	for i, ok := range completed {
		if !ok {
			continue
		}
		e := rc.chosen(i, ran[i])
		if e < 0 {
			continue
		}
		if x := rc.monitor[i][e]; best < 0 || rc.dir.Better(x, value) {
			best, value, final = i, x, rc.final[i][e]
		}
	}
	return best, value, final
}

// finish fills in r's choice and its regret against the full search.
func (rc *replayCurves) finish(r *ReplayResult, completed []bool) {
	full := make([]bool, len(rc.monitor))
	fullRan := make([]int, len(rc.monitor))
	for i := range full {
		full[i], fullRan[i] = true, len(rc.monitor[i])
		r.FullEpochs += fullRan[i]
	}
	r.FullBest, _, r.FullFinal = rc.pick(full, fullRan)
	r.Best, r.BestValue, r.BestFinal = rc.pick(completed, r.Ran)
	switch {
	case r.Best < 0:
		r.Regret = math.Inf(1)
	case rc.dir == Maximize:
		r.Regret = r.FullFinal - r.BestFinal
	default:
		r.Regret = r.BestFinal - r.FullFinal
	}
}

// order returns the order the curves start in.
func order(n int, shuffle *rand.Rand) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	if shuffle != nil {
		shuffle.Shuffle(n, func(i, j int) { o[i], o[j] = o[j], o[i] })
	}
	return o
}

// Replay runs a search over recorded curves, each curve a trial that
// reports cfg.Monitor at every epoch (step = epoch, from 0), asks p after
// every report, and stops when p prunes it or its curve ends; no model is
// trained and no sampler is involved. With cfg.Parallelism trials run at
// once; a Promoter's paused trials are resumed, when a worker is free,
// before new trials start. A nil p is the full search.
//
// It answers "what would this pruner have saved, and what would it have
// cost, on these runs?": the epochs spent against the full search's, and
// the regret of the trial it chose. The curves of one search should be
// runs of one task (callbacks.ReadCurves reads them); an error of kind
// ErrReplay says which curve lacks a series.
func Replay(curves []callbacks.Curve, p Pruner, cfg ReplayConfig) (ReplayResult, error) {
	rc, err := readCurves(curves, &cfg)
	if err != nil {
		return ReplayResult{}, err
	}
	if cfg.Name == "" {
		cfg.Name = "replay"
	}
	workers := max(cfg.Parallelism, 1)
	s := newReplayStudy(cfg.Name, cfg.Direction)
	promoter, _ := p.(Promoter)
	queue := order(len(curves), cfg.Shuffle)
	curveOf := make([]int, 0, len(curves)) // curveOf[trial number]
	r := ReplayResult{Trials: len(curves), Ran: make([]int, len(curves))}
	completed := make([]bool, len(curves))
	running := make([]int, workers) // trial number on each worker, −1 if idle
	for w := range running {
		running[w] = -1
	}
	// end completes trial n of curve c, which ran to the end of its curve:
	// its value is its best, as a run restoring its best weights returns.
	end := func(n, c int) {
		if e := rc.chosen(c, r.Ran[c]); e >= 0 {
			s.tell(n, Complete, rc.monitor[c][e])
			completed[c] = true
		} else {
			s.tell(n, Failed, math.NaN()) // every value NaN: the objective has none to return
		}
	}
	// next returns the trial a free worker runs: a paused trial promoted
	// (one paused at its curve's last epoch completes at once instead), else
	// a new one; −1 if none.
	next := func() int {
		for promoter != nil {
			promoted := promoter.Promote(s)
			if len(promoted) == 0 {
				break
			}
			n := promoted[0]
			if c := curveOf[n]; r.Ran[c] == len(rc.monitor[c]) {
				end(n, c)
				continue
			}
			s.tell(n, Running, 0)
			return n
		}
		if len(queue) == 0 {
			return -1
		}
		c := queue[0]
		curveOf, queue = append(curveOf, c), queue[1:]
		s.declare(rc.planned[c] - 1) // as the PruningCallback declares a run's last epoch
		return s.ask()
	}
	for {
		busy := false
		for w := range running {
			if running[w] < 0 {
				running[w] = next()
			}
			busy = busy || running[w] >= 0
		}
		if !busy {
			break
		}
		for w, n := range running {
			if n < 0 {
				continue
			}
			c := curveOf[n]
			epoch := r.Ran[c]
			r.Ran[c]++
			r.Epochs++
			trial := s.report(n, epoch, rc.monitor[c][epoch])
			decision := Continue
			if p != nil {
				decision = p.Decide(s, trial)
			}
			if decision == Pause && promoter == nil {
				decision = Prune // nobody would promote it, as in a study
			}
			switch {
			case decision == Prune:
				s.tell(n, Pruned, math.NaN())
			case decision == Pause:
				s.tell(n, Paused, math.NaN())
			case r.Ran[c] == len(rc.monitor[c]):
				end(n, c)
			default:
				continue
			}
			running[w] = -1
		}
	}
	for _, t := range s.trials {
		switch t.State {
		case Complete:
			r.Completed++
		case Paused:
			r.Paused++
		case Pruned:
			r.Pruned++
		case Failed:
			r.Failed++
		}
	}
	rc.finish(&r, completed)
	return r, nil
}

// ReplayTopK is the baseline of Egele et al. (2023): run every trial one
// epoch, then run to their ends only the k whose first epoch was best,
// ignoring the order and parallelism settings. The search chooses among
// those k as Replay does.
func ReplayTopK(curves []callbacks.Curve, k int, cfg ReplayConfig) (ReplayResult, error) {
	rc, err := readCurves(curves, &cfg)
	if err != nil {
		return ReplayResult{}, err
	}
	if k < 1 {
		return ReplayResult{}, fmt.Errorf("%w: keep the top %d: want at least 1", ErrReplay, k)
	}
	ranked := order(len(curves), nil)
	slices.SortStableFunc(ranked, func(a, b int) int {
		x, y := rc.monitor[a][0], rc.monitor[b][0]
		switch {
		case math.IsNaN(x) || math.IsNaN(y):
			return boolCompare(math.IsNaN(x), math.IsNaN(y)) // NaN last
		case cfg.Direction.Better(x, y):
			return -1
		case cfg.Direction.Better(y, x):
			return 1
		}
		return 0
	})
	r := ReplayResult{Trials: len(curves), Ran: make([]int, len(curves))}
	completed := make([]bool, len(curves))
	for rank, i := range ranked {
		r.Ran[i] = 1
		if rank < k {
			r.Ran[i], completed[i] = len(rc.monitor[i]), true
			r.Completed++
		} else {
			r.Pruned++
		}
		r.Epochs += r.Ran[i]
	}
	rc.finish(&r, completed)
	return r, nil
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
