package tune

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/callbacks"
)

// replayCurvesForTest returns eight curves of four epochs, val_loss and
// test_loss (val_loss + 0.05, except the late bloomer's, val_loss − 0.1):
// curve 3 is the best of the first five, curve 5 starts badly and ends the
// best, curves 6 and 7 are bad throughout.
func replayCurvesForTest() []callbacks.Curve {
	vals := [][]float64{
		{1.0, 0.8, 0.6, 0.5},
		{1.0, 0.7, 0.5, 0.4},
		{1.2, 1.1, 1.0, 0.9},
		{0.9, 0.6, 0.4, 0.3},
		{1.5, 1.4, 1.3, 1.2},
		{1.6, 1.0, 0.3, 0.2},
		{2.0, 2.0, 2.0, 2.0},
		{2.0, 2.0, 2.0, 2.0},
	}
	curves := make([]callbacks.Curve, len(vals))
	for i, v := range vals {
		shift := 0.05
		if i == 5 {
			shift = -0.1
		}
		test := make([]float64, len(v))
		for e, x := range v {
			test[e] = x + shift
		}
		curves[i] = callbacks.Curve{Task: "test", Series: map[string][]float64{"val_loss": v, "test_loss": test}}
	}
	return curves
}

func TestReplay(t *testing.T) {
	curves := replayCurvesForTest()
	median := func(startup int) Pruner { return NewMedianPruner(PercentileConfig{StartupTrials: new(startup)}) }
	halving := func(pause bool) Pruner {
		return NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2, Pause: pause})
	}
	regret := 0.3 + 0.05 - (0.2 - 0.1) // curve 3's test loss against curve 5's
	tests := []struct {
		name   string
		pruner Pruner
		cfg    ReplayConfig
		want   ReplayResult
	}{{
		name:   "full search",
		pruner: nil,
		want: ReplayResult{Epochs: 32, Completed: 8, Ran: []int{4, 4, 4, 4, 4, 4, 4, 4},
			Best: 5, BestValue: 0.2, BestFinal: 0.1, Regret: 0},
	}, {
		// Sequentially, with two startup trials, every later curve but curve
		// 3 is pruned at its first epoch, the late bloomer among them.
		name:   "median",
		pruner: median(2),
		want: ReplayResult{Epochs: 17, Completed: 3, Pruned: 5, Ran: []int{4, 4, 1, 4, 1, 1, 1, 1},
			Best: 3, BestValue: 0.3, BestFinal: 0.35, Regret: regret},
	}, {
		// On three workers the first three curves run together: curve 2 is
		// pruned at its last epoch, when curves 0 and 1 have just completed.
		name:   "median, three workers",
		pruner: median(1),
		cfg:    ReplayConfig{Parallelism: 3},
		want: ReplayResult{Epochs: 20, Completed: 3, Pruned: 5, Ran: []int{4, 4, 4, 4, 1, 1, 1, 1},
			Best: 3, BestValue: 0.3, BestFinal: 0.35, Regret: regret},
	}, {
		// Rungs at epochs 1 and 2 (steps from 0): curves 2, 4, 5, 6 and 7 are
		// pruned at the first.
		name:   "successive halving",
		pruner: halving(false),
		want: ReplayResult{Epochs: 22, Completed: 3, Pruned: 5, Ran: []int{4, 4, 2, 4, 2, 2, 2, 2},
			Best: 3, BestValue: 0.3, BestFinal: 0.35, Regret: regret},
	}, {
		// Paused instead, the late bloomer (1.0 at the first rung) becomes one
		// of the best four of eight when curve 7 arrives, is promoted,
		// resumed, and chosen: no regret, for two more epochs.
		name:   "successive halving, pausing",
		pruner: halving(true),
		want: ReplayResult{Epochs: 24, Completed: 4, Paused: 4, Ran: []int{4, 4, 2, 4, 2, 4, 2, 2},
			Best: 5, BestValue: 0.2, BestFinal: 0.1, Regret: 0},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Replay(curves, tt.pruner, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Trials, tt.want.FullEpochs, tt.want.FullBest, tt.want.FullFinal = 8, 32, 5, 0.1
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("Replay (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReplayTopK(t *testing.T) {
	curves := replayCurvesForTest()
	// After one epoch curve 3 (0.9) leads, then curves 0 and 1 (1.0, in
	// file order).
	for _, tt := range []struct {
		k    int
		want ReplayResult
	}{
		{1, ReplayResult{Epochs: 8 + 3, Completed: 1, Pruned: 7, Ran: []int{1, 1, 1, 4, 1, 1, 1, 1},
			Best: 3, BestValue: 0.3, BestFinal: 0.35, Regret: 0.25}},
		{2, ReplayResult{Epochs: 8 + 6, Completed: 2, Pruned: 6, Ran: []int{4, 1, 1, 4, 1, 1, 1, 1},
			Best: 3, BestValue: 0.3, BestFinal: 0.35, Regret: 0.25}},
		{8, ReplayResult{Epochs: 32, Completed: 8, Ran: []int{4, 4, 4, 4, 4, 4, 4, 4},
			Best: 5, BestValue: 0.2, BestFinal: 0.1}},
	} {
		got, err := ReplayTopK(curves, tt.k, ReplayConfig{})
		if err != nil {
			t.Fatal(err)
		}
		tt.want.Trials, tt.want.FullEpochs, tt.want.FullBest, tt.want.FullFinal = 8, 32, 5, 0.1
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("top %d (-want +got):\n%s", tt.k, diff)
		}
	}
}

// TestReplayShuffle checks that a shuffled replay is the replay of the
// shuffled curves.
func TestReplayShuffle(t *testing.T) {
	curves := replayCurvesForTest()
	p := NewMedianPruner(PercentileConfig{StartupTrials: new(2)})
	got, err := Replay(curves, p, ReplayConfig{Shuffle: rand.New(rand.NewPCG(3, 4))})
	if err != nil {
		t.Fatal(err)
	}
	perm := order(len(curves), rand.New(rand.NewPCG(3, 4)))
	shuffled := make([]callbacks.Curve, len(curves))
	for i, c := range perm {
		shuffled[i] = curves[c]
	}
	want, err := Replay(shuffled, p, ReplayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range perm {
		if got.Ran[c] != want.Ran[i] {
			t.Errorf("curve %d ran %d epochs shuffled, %d replayed in the shuffled order", c, got.Ran[c], want.Ran[i])
		}
	}
	if got.Epochs != want.Epochs || perm[want.Best] != got.Best {
		t.Errorf("shuffled: %d epochs, best %d; in the shuffled order: %d epochs, best %d", got.Epochs, got.Best, want.Epochs, perm[want.Best])
	}
	if slicesEqual(perm, order(len(curves), nil)) {
		t.Errorf("the seed did not shuffle: %v", perm)
	}
}

func slicesEqual(a, b []int) bool { return cmp.Equal(a, b) }

// TestReplayStopping lets trials stop themselves by patience 1: the
// curves that fall at every epoch run to their ends, the flat ones stop at
// epoch 1, in the search and in the full search alike.
func TestReplayStopping(t *testing.T) {
	curves := replayCurvesForTest()
	got, err := Replay(curves, nil, ReplayConfig{Stopping: &callbacks.EarlyStoppingConfig{Patience: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{4, 4, 4, 4, 4, 4, 2, 2}, got.Ran); diff != "" {
		t.Errorf("epochs run (-want +got):\n%s", diff)
	}
	if got.FullEpochs != 28 || got.Epochs != 28 {
		t.Errorf("epochs %d of %d, want 28 of 28", got.Epochs, got.FullEpochs)
	}
}

func TestReplayErrors(t *testing.T) {
	curves := replayCurvesForTest()
	noTest := []callbacks.Curve{{Task: "t", Series: map[string][]float64{"val_loss": {1}}}}
	empty := []callbacks.Curve{{Task: "t", Series: map[string][]float64{"val_loss": {}}}}
	for _, tt := range []struct {
		name string
		run  func() error
	}{
		{"no curves", func() error { _, err := Replay(nil, nil, ReplayConfig{}); return err }},
		{"no monitor", func() error { _, err := Replay(curves, nil, ReplayConfig{Monitor: "val_error"}); return err }},
		{"no final", func() error { _, err := Replay(curves, nil, ReplayConfig{Final: "test_error"}); return err }},
		{"no epochs", func() error { _, err := Replay(empty, nil, ReplayConfig{}); return err }},
		{"top 0", func() error { _, err := ReplayTopK(curves, 0, ReplayConfig{}); return err }},
	} {
		if err := tt.run(); !errors.Is(err, ErrReplay) {
			t.Errorf("%s: %v, want an ErrReplay", tt.name, err)
		}
	}
	// Without test_loss, the regret is measured on val_loss.
	r, err := Replay(noTest, nil, ReplayConfig{})
	if err != nil || r.BestFinal != 1 {
		t.Errorf("a curve without test_loss: %+v, %v", r, err)
	}
	// A trial that stops itself stops where its run diverged (null in a
	// curve file), with the best value before it.
	diverged := []callbacks.Curve{{Series: map[string][]float64{"val_loss": {3, 2, 2.5, math.NaN(), math.NaN(), 1}}}}
	r, err = Replay(diverged, nil, ReplayConfig{Stopping: &callbacks.EarlyStoppingConfig{Patience: 10}})
	if err != nil || r.Epochs != 4 || r.BestFinal != 2 {
		t.Errorf("a curve that diverged, with early stopping: %+v, %v; want 4 epochs and the best value 2", r, err)
	}
	// Every value NaN: the trial fails, and nothing is chosen.
	nan := []callbacks.Curve{{Series: map[string][]float64{"val_loss": {math.NaN(), math.NaN()}}}}
	r, err = Replay(nan, nil, ReplayConfig{})
	if err != nil || r.Failed != 1 || r.Best != -1 || !math.IsInf(r.Regret, 1) {
		t.Errorf("an all-NaN curve: %+v, %v", r, err)
	}
}

func TestGroupByTask(t *testing.T) {
	curves := []callbacks.Curve{{Task: "a", Seed: 0}, {Task: "b", Seed: 1}, {Task: "a", Seed: 2}}
	var got [][]uint64
	for _, search := range GroupByTask(curves) {
		var seeds []uint64
		for _, c := range search {
			seeds = append(seeds, c.Seed)
		}
		got = append(got, seeds)
	}
	if diff := cmp.Diff([][]uint64{{0, 2}, {1}}, got); diff != "" {
		t.Errorf("GroupByTask (-want +got):\n%s", diff)
	}
}

func TestCompareReplays(t *testing.T) {
	first := replayCurvesForTest()
	second := replayCurvesForTest()[:4] // the best is curve 3, which nothing prunes
	methods := []ReplayMethod{
		{Name: "full"},
		{Name: "top 1", TopK: 1},
		{Name: "median", Pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(2)})},
	}
	got, err := CompareReplays([][]callbacks.Curve{first, second}, methods, ReplayConfig{}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReplaySummary{
		{Method: "full", Runs: 2, Epochs: 48, FullEpochs: 48},
		{Method: "top 1", Runs: 2, Epochs: 11 + 7, FullEpochs: 48, Lost: 1, MeanRegret: 0.125, MedianRegret: 0.125, MaxRegret: 0.25},
		{Method: "median", Runs: 2, Epochs: 17 + 13, FullEpochs: 48, Lost: 1, MeanRegret: 0.125, MedianRegret: 0.125, MaxRegret: 0.25},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("CompareReplays (-want +got):\n%s", diff)
	}
	// In three orders, the full search is the same each time, and the
	// median pruner's epochs change with the order.
	got, err = CompareReplays([][]callbacks.Curve{first}, methods, ReplayConfig{}, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Runs != 3 || got[0].Epochs != 96 || got[0].MaxRegret != 0 {
		t.Errorf("the full search in three orders: %+v", got[0])
	}
	if got[2].Epochs == 3*17 {
		t.Errorf("the median pruner spent %d epochs in three orders, as three times the file order's", got[2].Epochs)
	}
	if _, err := CompareReplays([][]callbacks.Curve{first}, []ReplayMethod{{Name: "x", TopK: 1}}, ReplayConfig{Monitor: "nope"}, 1, 0); !errors.Is(err, ErrReplay) {
		t.Errorf("a missing monitor: %v, want an ErrReplay", err)
	}
}

// TestReplayPausedAtTheEnd: a trial paused at its curve's last epoch has
// nothing left to run; promoted, it completes at once.
func TestReplayPausedAtTheEnd(t *testing.T) {
	var curves []callbacks.Curve
	for _, v := range []float64{1, 2, 3, 4} {
		curves = append(curves, callbacks.Curve{Series: map[string][]float64{"val_loss": {v, v}}})
	}
	// Rung 0 at step 1, the last: trials 1 and 2 pause there; when trial 3
	// arrives, trial 1 (2) is among the best two of four and completes.
	sh := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2, Pause: true})
	got, err := Replay(curves, sh, ReplayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Completed != 2 || got.Paused != 2 || got.Epochs != 8 || got.Best != 0 {
		t.Errorf("got %+v; want 2 completed (trials 0 and 1), 2 paused, 8 epochs, best 0", got)
	}
}

// TestReplayHalvingOnWorkers: trials on workers of equal speed reach each
// rung in the order they started, so successive halving decides the same
// on any number of them (docs/pruning.md), and the median pruner does not.
func TestReplayHalvingOnWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var curves []callbacks.Curve
	for range 30 {
		floor, rate := rng.Float64(), 0.05+0.3*rng.Float64()
		v := make([]float64, 40)
		for e := range v {
			v[e] = floor + math.Exp(-rate*float64(e)) + 0.05*rng.NormFloat64()
		}
		curves = append(curves, callbacks.Curve{Series: map[string][]float64{"val_loss": v}})
	}
	sh := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 3})
	median := NewMedianPruner(PercentileConfig{})
	one, _ := Replay(curves, sh, ReplayConfig{})
	oneMedian, _ := Replay(curves, median, ReplayConfig{})
	for _, workers := range []int{2, 5, 8} {
		got, _ := Replay(curves, sh, ReplayConfig{Parallelism: workers})
		if diff := cmp.Diff(one.Ran, got.Ran); diff != "" {
			t.Errorf("successive halving on %d workers (-one +many):\n%s", workers, diff)
		}
	}
	if got, _ := Replay(curves, median, ReplayConfig{Parallelism: 8}); cmp.Equal(oneMedian.Ran, got.Ran) {
		t.Errorf("the median pruner decided the same on 8 workers as on one")
	}
}

// pauser pauses every trial but is no Promoter.
type pauser struct{}

func (pauser) Decide(View, FrozenTrial) Decision { return Pause }

// TestReplayPauseWithoutPromoter: a pruner that pauses but cannot promote
// prunes, as in a study.
func TestReplayPauseWithoutPromoter(t *testing.T) {
	r, err := Replay(replayCurvesForTest(), pauser{}, ReplayConfig{})
	if err != nil || r.Pruned != 8 || r.Paused != 0 || r.Epochs != 8 {
		t.Errorf("got %+v, %v; want 8 trials pruned at their first epoch", r, err)
	}
}
