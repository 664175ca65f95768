package tune

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sequential runs trials one after another through p, each reporting its
// values at steps 0, 1, … and completing with its last value unless
// stopped, and returns each trial's decisions.
func sequential(p Pruner, dir Direction, trials ...[]float64) (*replayStudy, [][]Decision) {
	s := newReplayStudy("test", dir)
	var decisions [][]Decision
	for _, values := range trials {
		n := s.ask()
		var ds []Decision
		for step, x := range values {
			d := p.Decide(s, s.report(n, step, x))
			ds = append(ds, d)
			if d != Continue {
				break
			}
		}
		decisions = append(decisions, ds)
		switch last := ds[len(ds)-1]; last {
		case Continue:
			s.tell(n, Complete, values[len(values)-1])
		case Prune:
			s.tell(n, Pruned, math.NaN())
		case Pause:
			s.tell(n, Paused, math.NaN())
		}
	}
	return s, decisions
}

const (
	c = Continue
	x = Prune
	p = Pause
)

func TestPrunerOptions(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		pruner Pruner
		dir    Direction
		trials [][]float64
		want   [][]Decision
	}{{
		// optuna#2441: the third trial is compared at step 3 with the second
		// alone (2.1 > 2) and pruned, although the first, which stopped at
		// step 2, is also worse than it; counted with its best (3), the
		// median is 2.5 and the trial goes on.
		name:   "median, as Optuna",
		pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(2)}),
		trials: [][]float64{{5, 4, 3}, {5, 4, 3, 2}, {5, 4, 3, 2.1, 1}},
		want:   [][]Decision{{c, c, c}, {c, c, c, c}, {c, c, c, x}},
	}, {
		name:   "median, CountEnded",
		pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(2), CountEnded: true}),
		trials: [][]float64{{5, 4, 3}, {5, 4, 3, 2}, {5, 4, 3, 2.1, 1}},
		want:   [][]Decision{{c, c, c}, {c, c, c, c}, {c, c, c, c, c}},
	}, {
		// A completed trial's spike at step 2 (9) lets a trial whose best is
		// 2 pass; read by its best so far (1), it sets the bar at 1.
		name:   "median, as Optuna, reads the others' values at the step",
		pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(1)}),
		trials: [][]float64{{3, 1, 9}, {3, 2, 4}},
		want:   [][]Decision{{c, c, c}, {c, x}},
	}, {
		name:   "median, BestSoFar",
		pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(1), BestSoFar: true}),
		trials: [][]float64{{3, 1, 9}, {3, 2.5, 0.5}, {3, 1.5, 1.2}},
		want:   [][]Decision{{c, c, c}, {c, x}, {c, x}},
	}, {
		// EMA 0.5 of {3, 1, 9}: 3, 2, 5.5; of {2, 1.5, 1}: 2, 1.75, 1.375,
		// never above the first's (plain: 1.5 > 1 at step 1, pruned); of
		// {2.2, 2.5, 4}: 2.2, 2.35, its best 2.2 above the median 1.875 of
		// 2 and 1.75 at step 1.
		name:   "median, SmoothEMA",
		pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(1), SmoothEMA: 0.5}),
		trials: [][]float64{{3, 1, 9}, {2, 1.5, 1}, {2.2, 2.5, 4}},
		want:   [][]Decision{{c, c, c}, {c, c, c}, {c, x}},
	}, {
		name:   "median, plain, on the same trials",
		pruner: NewMedianPruner(PercentileConfig{StartupTrials: new(1)}),
		trials: [][]float64{{3, 1, 9}, {2, 1.5, 1}},
		want:   [][]Decision{{c, c, c}, {c, x}},
	}, {
		name:   "threshold, as Optuna, prunes one bad epoch",
		pruner: NewThresholdPruner(ThresholdConfig{Upper: new(1.0)}),
		trials: [][]float64{{0.5, 1.4, 0.3}},
		want:   [][]Decision{{c, x}},
	}, {
		name:   "threshold, SmoothEMA",
		pruner: NewThresholdPruner(ThresholdConfig{Upper: new(1.0), SmoothEMA: 0.5}),
		trials: [][]float64{{0.5, 1.4, 0.3}, {0.5, 1.4, 1.8}, {0.5, nan}},
		want:   [][]Decision{{c, c, c}, {c, c, x}, {c, x}},
	}, {
		name:   "threshold, BestSoFar",
		pruner: NewThresholdPruner(ThresholdConfig{Upper: new(1.0), BestSoFar: true}),
		trials: [][]float64{{0.5, 1.4, 3}, {1.2}},
		want:   [][]Decision{{c, c, c}, {x}},
	}, {
		// Rungs at steps 1, 2, 4 (r 1, η 2). A trial that completed at step 0
		// with 0.1 does not compete in Optuna…
		name:   "successive halving, as Optuna",
		pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2}),
		trials: [][]float64{{0.1}, {1, 1, 1}},
		want:   [][]Decision{{c}, {c, c, c}},
	}, {
		// …and with CountEnded it does, with its best.
		name:   "successive halving, CountEnded",
		pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2, CountEnded: true}),
		trials: [][]float64{{0.1}, {1, 1, 1}, {0.05, 0.05, 0.05}},
		want:   [][]Decision{{c}, {c, x}, {c, c, c}},
	}, {
		// At rung 0 (step 1) the second trial's value is 2 (pruned against
		// 1.5); its best so far is 0.5 (it goes on).
		name:   "successive halving, BestSoFar",
		pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2, BestSoFar: true}),
		trials: [][]float64{{1.5, 1.5, 1.5}, {0.5, 2, 0.6}, {2, 2}},
		want:   [][]Decision{{c, c, c}, {c, c, c}, {c, x}},
	}, {
		name:   "successive halving, pausing, still prunes a NaN",
		pruner: NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2, Pause: true}),
		trials: [][]float64{{1, 1}, {2, 2}, {1, nan}},
		want:   [][]Decision{{c, c}, {c, p}, {c, x}},
	}, {
		name:   "hyperband, CountEnded",
		pruner: NewHyperbandPruner(HyperbandConfig{MaxResource: 2, ReductionFactor: 2, CountEnded: true}),
		trials: [][]float64{{0.1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}},
		want:   hyperbandCountEnded(),
	}, {
		name:   "patient without a wrapped pruner is early stopping",
		pruner: NewPatientPruner(nil, PatientConfig{Patience: 2}),
		dir:    Maximize,
		trials: [][]float64{{1, 2, 1.5, 1.9, 1}},
		want:   [][]Decision{{c, c, c, c, x}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := sequential(tt.pruner, tt.dir, tt.trials...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}

// hyperbandCountEnded returns what Hyperband with r 1, R 2, η 2 and
// CountEnded decides on a trial that completes at step 0 with 0.1 and five
// that report 1 twice: there are two brackets, of 2 and 2 trials in 4
// (budgets ⌈2·2/2⌉ and ⌈2·1/1⌉); in bracket 0 (rungs at steps 1, 2) a
// trial meets the first trial at step 1 if it shares its bracket; in
// bracket 1 (first rung at step 2) no trial reaches a rung.
func hyperbandCountEnded() [][]Decision {
	b := newBrackets(1, 2, 2)
	first := b.of("test", 0)
	want := [][]Decision{{c}}
	for n := 1; n <= 5; n++ {
		if b.of("test", n) == 0 && first == 0 {
			want = append(want, []Decision{c, x})
		} else {
			want = append(want, []Decision{c, c})
		}
	}
	return want
}

func TestReadingEMASkipsNaN(t *testing.T) {
	tr := FrozenTrial{Reports: map[int]float64{0: 1, 1: math.NaN(), 2: 3, 3: 0}}
	r := reading{ema: 0.5}
	var got []float64
	for step := range 4 {
		got = append(got, r.at(&tr, step, Minimize))
	}
	want := []float64{1, math.NaN(), 2, 1}
	if diff := cmp.Diff(want, got, cmpEquateNaN); diff != "" {
		t.Errorf("EMA 0.5 of 1, NaN, 3, 0 (-want +got):\n%s", diff)
	}
	if got := (reading{ema: 0.5, bestSoFar: true}).at(&tr, 3, Maximize); got != 2 {
		t.Errorf("the best of the EMA when maximizing: %v, want 2", got)
	}
}

var cmpEquateNaN = cmp.Comparer(func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) })

// TestSuccessiveHalvingPauses follows a pausing successive halving (r 1,
// η 2: rungs at steps 1 and 2) over trials reporting a constant value.
func TestSuccessiveHalvingPauses(t *testing.T) {
	sh := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 2, Pause: true})
	var pr Promoter = sh
	s := newReplayStudy("pause", Minimize)
	run := func(value float64, steps ...int) Decision {
		n := s.ask()
		return resume(s, sh, n, value, steps...)
	}
	// Trial 0 is alone at rungs 0 and 1 and completes.
	if d := run(1, 0, 1, 2, 3); d != Continue {
		t.Fatalf("trial 0: %v, want it to run to the end", d)
	}
	s.tell(0, Complete, 1)
	// Trials 1 (2) and 2 (3) are not the best of rung 0: paused at step 1.
	for _, v := range []float64{2, 3} {
		if d := run(v, 0, 1); d != Pause {
			t.Fatalf("trial with %v: %v at rung 0, want Pause", v, d)
		}
		s.tell(len(s.trials)-1, Paused, math.NaN())
	}
	if got := pr.Promote(s); len(got) != 0 {
		t.Fatalf("Promote with 3 trials at rung 0: %v, want none", got)
	}
	// Trial 3 (0.5) is the best; trials 4 and 5 (4) are paused. With six
	// values at rung 0, the best ⌊6/2⌋ = 3 are 0.5, 1 and 2: trial 1 may go on.
	if d := run(0.5, 0, 1, 2, 3); d != Continue {
		t.Fatalf("trial 3: %v, want it to run to the end", d)
	}
	s.tell(3, Complete, 0.5)
	for range 2 {
		if d := run(4, 0, 1); d != Pause {
			t.Fatalf("trial with 4: %v, want Pause", d)
		}
		s.tell(len(s.trials)-1, Paused, math.NaN())
	}
	if diff := cmp.Diff([]int{1}, pr.Promote(s)); diff != "" {
		t.Fatalf("Promote (-want +got):\n%s", diff)
	}
	// Resumed, trial 1 reaches rung 1 (step 2) with 2 against 1 and 0.5:
	// paused again, and not promotable while rung 1 has those three.
	s.tell(1, Running, 0)
	if d := resume(s, sh, 1, 2, 2); d != Pause {
		t.Fatalf("trial 1 at rung 1: %v, want Pause", d)
	}
	s.tell(1, Paused, math.NaN())
	// Two more at rung 0 (eight values; the best four are 0.5, 1, 2, 3):
	// trial 2 is promotable from rung 0, and as trial 1's rung-1 competition
	// has not grown, it is not.
	for range 2 {
		run(5, 0, 1)
		s.tell(len(s.trials)-1, Paused, math.NaN())
	}
	if diff := cmp.Diff([]int{2}, pr.Promote(s)); diff != "" {
		t.Fatalf("Promote (-want +got):\n%s", diff)
	}
	// Five more trials reach rung 1: 0.1 (the best there), then 6, 7, 8
	// and 9, each paused at rung 0 and resumed by hand to rung 1, then
	// stopped. Rung 1 holds eight values, the best four 0.1, 0.5, 1 and 2:
	// trial 1 is promotable, and comes first, from the higher rung. Rung 0
	// holds thirteen, the best six up to 4: trials 2 (3), 4 and 5 (4) follow.
	for _, v := range []float64{0.1, 6, 7, 8, 9} {
		n := s.ask()
		resume(s, sh, n, v, 0, 1)
		s.tell(n, Running, 0)
		resume(s, sh, n, v, 2)
		s.tell(n, Pruned, math.NaN())
	}
	if diff := cmp.Diff([]int{1, 2, 4, 5}, pr.Promote(s)); diff != "" {
		t.Fatalf("Promote with rung 1 grown (-want +got):\n%s", diff)
	}
	// A patient pruner around it promotes through it.
	if diff := cmp.Diff([]int{1, 2, 4, 5}, NewPatientPruner(sh, PatientConfig{}).Promote(s)); diff != "" {
		t.Errorf("PatientPruner.Promote (-want +got):\n%s", diff)
	}
	if got := NewPatientPruner(nil, PatientConfig{}).Promote(s); got != nil {
		t.Errorf("PatientPruner.Promote with nothing wrapped: %v", got)
	}
}

// resume reports value at each of steps for trial n and returns the last
// decision, stopping at the first that is not Continue.
func resume(s *replayStudy, p Pruner, n int, value float64, steps ...int) Decision {
	d := Continue
	for _, step := range steps {
		if d = p.Decide(s, s.report(n, step, value)); d != Continue {
			break
		}
	}
	return d
}

func TestPromotionOrder(t *testing.T) {
	found := []promotion{{number: 4, rung: 0, value: 1}, {number: 2, rung: 1, value: 3}, {number: 7, rung: 0, value: 0.5},
		{number: 1, rung: 0, value: 0.5}, {number: 3, rung: 1, value: 2}}
	if diff := cmp.Diff([]int{3, 2, 1, 7, 4}, promotionOrder(Minimize, found)); diff != "" {
		t.Errorf("minimizing (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 3, 4, 1, 7}, promotionOrder(Maximize, found)); diff != "" {
		t.Errorf("maximizing (-want +got):\n%s", diff)
	}
}

func TestHyperbandPausesAndPromotes(t *testing.T) {
	hb := NewHyperbandPruner(HyperbandConfig{MaxResource: 4, ReductionFactor: 2, Pause: true})
	s := newReplayStudy("hb", Maximize)
	b := newBrackets(1, 4, 2)
	// Trials of bracket 0 (rungs at 1, 2) reporting 1, 2, 3, …: each new one
	// is the best, so none pauses; one reporting 0 pauses at rung 0 and is
	// promoted once enough worse trials reach it.
	var bracket0 []int
	for n := 0; len(bracket0) < 6; n++ {
		s.ask()
		if b.of("hb", n) == 0 {
			bracket0 = append(bracket0, n)
		} else {
			s.tell(n, Failed, math.NaN())
		}
	}
	low := bracket0[0]
	if d := resume(s, hb, low, 0, 0, 1, 2, 3); d != Continue {
		t.Fatalf("the first trial of bracket 0: %v, want it alone at each rung", d)
	}
	s.tell(low, Complete, 0)
	second := bracket0[1]
	if d := resume(s, hb, second, -1, 0, 1); d != Pause {
		t.Fatalf("a worse trial at rung 0: %v, want Pause", d)
	}
	s.tell(second, Paused, math.NaN())
	if got := hb.Promote(s); len(got) != 0 {
		t.Fatalf("Promote: %v, want none", got)
	}
	for _, n := range bracket0[2:4] {
		resume(s, hb, n, -2, 0, 1)
		s.tell(n, Paused, math.NaN())
	}
	if diff := cmp.Diff([]int{second}, hb.Promote(s)); diff != "" {
		t.Fatalf("Promote with four at rung 0 (-want +got):\n%s", diff)
	}
}

func TestPrunerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		make func()
	}{
		{"percentile above 100", func() { NewPercentilePruner(101, PercentileConfig{}) }},
		{"negative percentile", func() { NewPercentilePruner(-1, PercentileConfig{}) }},
		{"negative startup", func() { NewMedianPruner(PercentileConfig{StartupTrials: new(-1)}) }},
		{"negative warmup", func() { NewMedianPruner(PercentileConfig{WarmupSteps: -1}) }},
		{"negative interval", func() { NewMedianPruner(PercentileConfig{IntervalSteps: -1}) }},
		{"negative min trials", func() { NewMedianPruner(PercentileConfig{MinTrials: -1}) }},
		{"EMA above 1", func() { NewMedianPruner(PercentileConfig{SmoothEMA: 1.5}) }},
		{"threshold without bounds", func() { NewThresholdPruner(ThresholdConfig{}) }},
		{"threshold lower above upper", func() { NewThresholdPruner(ThresholdConfig{Lower: new(2.0), Upper: new(1.0)}) }},
		{"threshold NaN bound", func() { NewThresholdPruner(ThresholdConfig{Lower: new(math.NaN())}) }},
		{"threshold negative warmup", func() { NewThresholdPruner(ThresholdConfig{Upper: new(1.0), WarmupSteps: -1}) }},
		{"patient negative patience", func() { NewPatientPruner(nil, PatientConfig{Patience: -1}) }},
		{"patient negative delta", func() { NewPatientPruner(nil, PatientConfig{MinDelta: -1}) }},
		{"halving factor 1", func() { NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{ReductionFactor: 1}) }},
		{"halving negative resource", func() { NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: -1}) }},
		{"halving negative rate", func() { NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinEarlyStoppingRate: -1}) }},
		{"halving bootstrap with auto", func() { NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{BootstrapCount: 1}) }},
		{"hyperband factor 1", func() { NewHyperbandPruner(HyperbandConfig{ReductionFactor: 1}) }},
		{"hyperband max below min", func() { NewHyperbandPruner(HyperbandConfig{MinResource: 4, MaxResource: 2}) }},
		{"hyperband max too large", func() { NewHyperbandPruner(HyperbandConfig{MaxResource: math.MaxInt}) }},
		{"hyperband bootstrap with auto", func() { NewHyperbandPruner(HyperbandConfig{BootstrapCount: 1}) }},
		{"hyperband EMA", func() { NewHyperbandPruner(HyperbandConfig{SmoothEMA: -0.1}) }},
		{"wilcoxon threshold above 1", func() { NewWilcoxonPruner(WilcoxonConfig{PThreshold: new(1.5)}) }},
		{"wilcoxon negative startup", func() { NewWilcoxonPruner(WilcoxonConfig{StartupSteps: -1}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				err, _ := recover().(error)
				var te *Error
				if !errors.Is(err, ErrArgument) || !errors.As(err, &te) || te.Op == "" {
					t.Errorf("panicked with %v; want a *tune.Error", err)
				}
			}()
			tt.make()
		})
	}
}

// TestPrunerDefaults checks that the zero configurations are Optuna's
// defaults, by behaviour: the median pruner waits for 5 completed trials,
// successive halving's reduction factor is 4, Hyperband's 3, Wilcoxon's
// threshold 0.1.
func TestPrunerDefaults(t *testing.T) {
	// Four completed trials of 1, then one of 2: not pruned; after a fifth
	// completed trial, pruned.
	ones := [][]float64{{1}, {1}, {1}, {1}}
	_, got := sequential(NewMedianPruner(PercentileConfig{}), Minimize, append(ones, []float64{2})...)
	if got[4][0] != Continue {
		t.Errorf("median with 4 completed trials pruned")
	}
	_, got = sequential(NewMedianPruner(PercentileConfig{}), Minimize, append(ones, []float64{1}, []float64{2})...)
	if got[5][0] != Prune {
		t.Errorf("median with 5 completed trials did not prune")
	}
	// Successive halving, r 1: the sixth trial to reach rung 0 (step 1),
	// with 1.5 after 1, 2, 3, 4 and 5, goes on if it is among the best
	// ⌊6/η⌋: the best two with η 3, the best one with η 4.
	sh := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1})
	_, got = sequential(sh, Minimize, []float64{1, 1}, []float64{2, 2}, []float64{3, 3}, []float64{4, 4}, []float64{5, 5}, []float64{1.5, 1.5})
	if diff := cmp.Diff([][]Decision{{c, c}, {c, x}, {c, x}, {c, x}, {c, x}, {c, x}}, got); diff != "" {
		t.Errorf("successive halving's default η (-want +got):\n%s", diff)
	}
	sh3 := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 3})
	_, got = sequential(sh3, Minimize, []float64{1, 1}, []float64{2, 2}, []float64{3, 3}, []float64{4, 4}, []float64{5, 5}, []float64{1.5, 1.5})
	if got[5][1] != Continue {
		t.Errorf("successive halving with η 3 pruned the second best of six")
	}
	// Hyperband with R 9, r 1: η 3 gives ⌊log₃ 9⌋ + 1 = 3 brackets.
	hb := NewHyperbandPruner(HyperbandConfig{MaxResource: 9})
	if b := newBrackets(hb.cfg.MinResource, hb.cfg.MaxResource, hb.cfg.ReductionFactor); b.n != 3 || b.total != 9+5+3 {
		t.Errorf("Hyperband's default brackets: %+v, want 3 with budgets 9, 5, 3", b)
	}
	if w := NewWilcoxonPruner(WilcoxonConfig{}); w.threshold != 0.1 || w.startup != 0 {
		t.Errorf("Wilcoxon's defaults: threshold %v, startup %d", w.threshold, w.startup)
	}
}

func TestSignedRankP(t *testing.T) {
	tests := []struct {
		d       []float64
		greater bool
		want    float64
	}{
		{[]float64{1, 2, 3}, true, 1.0 / 8},
		{[]float64{1, 2, 3}, false, 1},
		{[]float64{1, 2, 3, 4, 5}, true, 1.0 / 32},
		{[]float64{-1, 2, 3, 4, 5}, true, 2.0 / 32},
		{[]float64{0}, true, 1},
		// Ties: ranks 1.5, 1.5, 3; R+ = 4.5; of the 8 sign patterns, those
		// with R+ ≥ 4.5 are {1.5, 3}×2 and all three: 3 of 8.
		{[]float64{1, -1, 2}, true, 3.0 / 8},
		// A zero: ranks 1 (zero), 2, 3; R+ = 0.5 + 2 + 3; flips of the
		// others: {5.5, 3.5, 2.5, 0.5}: P(≥ 5.5) = 1/4.
		{[]float64{0, 2, 3}, true, 1.0 / 4},
		{[]float64{}, true, math.NaN()},
	}
	for _, tt := range tests {
		if got := signedRankP(tt.d, tt.greater); !(got == tt.want || math.Abs(got-tt.want) < 1e-15 || (math.IsNaN(got) && math.IsNaN(tt.want))) {
			t.Errorf("signedRankP(%v, greater %v) = %v, want %v", tt.d, tt.greater, got, tt.want)
		}
	}
}

// TestAutomaticResources checks where the automatic resources come from:
// the last step trials declare, fixed the first time it is known, else the
// longest completed trial, as in Optuna.
func TestAutomaticResources(t *testing.T) {
	s := newReplayStudy("auto", Minimize)
	s.declare(299)
	sh := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{})
	n := s.ask()
	sh.Decide(s, s.report(n, 0, 1))
	if got := s.trials[n].Attrs[minResourceAttr]; got != 2 {
		t.Errorf("successive halving's min resource with 300 steps declared: %v, want 2", got)
	}
	s.declare(999)
	if got := autoMinResource(s, s.Trials(), n); got != 2 {
		t.Errorf("min resource after a trial declared 1,000 steps: %v, want it fixed at 2", got)
	}
	hb := NewHyperbandPruner(HyperbandConfig{})
	s = newReplayStudy("auto", Minimize)
	s.declare(8)
	n = s.ask()
	hb.Decide(s, s.report(n, 0, 1))
	if got := s.trials[n].Attrs[maxResourceAttr]; got != 9 {
		t.Errorf("Hyperband's max resource with 9 steps declared: %v, want 9", got)
	}
	// 300 epochs (docs/pruning.md): rungs at 2, 8, 32 and 128 with η 4, and
	// six brackets with η 3.
	var rungs []int
	for k, h := 0, (halving{factor: 4}); h.rungStep(2, k) < 300; k++ {
		rungs = append(rungs, h.rungStep(2, k))
	}
	if diff := cmp.Diff([]int{2, 8, 32, 128}, rungs); diff != "" {
		t.Errorf("rungs of 300 epochs (-want +got):\n%s", diff)
	}
	if b := newBrackets(1, 300, 3); b.n != 6 {
		t.Errorf("%d brackets for 300 epochs, want 6", b.n)
	}
	// Nothing declared: nothing is fixed until a trial completes, then its
	// last step counts.
	s = newReplayStudy("auto", Minimize)
	n = s.ask()
	for step := range 450 {
		sh.Decide(s, s.report(n, step, 1))
	}
	if _, ok := s.trials[n].Attrs[minResourceAttr]; ok {
		t.Errorf("min resource fixed before any trial completed or declared its length")
	}
	s.tell(n, Complete, 1)
	n = s.ask()
	sh.Decide(s, s.report(n, 0, 1))
	if got := s.trials[n].Attrs[minResourceAttr]; got != 4 {
		t.Errorf("min resource after a trial of 450 steps: %v, want 4", got)
	}
}

// TestBracketsExact checks that Hyperband's number of brackets is
// ⌊log_η(R/r)⌋ + 1 computed exactly: R 243, r 1, η 3 has 6 brackets
// (Optuna's floating-point logarithm, 4.999…, gives 5), and R 242 has 5.
func TestBracketsExact(t *testing.T) {
	for _, tt := range []struct{ min, max, factor, want int }{
		{1, 243, 3, 6}, {1, 242, 3, 5}, {1, 27, 3, 4}, {2, 486, 3, 6}, {1, 1, 3, 1}, {3, 1, 3, 0}, {1, 100, 4, 4},
	} {
		if got := newBrackets(tt.min, tt.max, tt.factor).n; got != tt.want {
			t.Errorf("r %d, R %d, η %d: %d brackets, want %d", tt.min, tt.max, tt.factor, got, tt.want)
		}
	}
}

// TestHalvingOddValues: a recorded resource that no pruner would record
// (a journal edited by hand) is passed over, and a step beyond every rung
// an int can count ends the climb.
func TestHalvingOddValues(t *testing.T) {
	trials := []FrozenTrial{
		{Attrs: map[string]float64{minResourceAttr: math.NaN()}},
		{Attrs: map[string]float64{minResourceAttr: -3}},
		{Attrs: map[string]float64{minResourceAttr: 2.5}},
		{Attrs: map[string]float64{minResourceAttr: 7}},
	}
	if got := recordedAttr(trials, minResourceAttr); got != 7 {
		t.Errorf("recordedAttr = %d, want 7 (the first sensible value)", got)
	}
	h := halving{factor: 4}
	if got := h.rungStep(1, 40); got != math.MaxInt {
		t.Errorf("rung 40 of η 4 at step %d, want MaxInt", got)
	}
	s := newReplayStudy("odd", Minimize)
	sh := NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: 1})
	n := s.ask()
	if d := sh.Decide(s, s.report(n, math.MaxInt-1, 1)); d != Continue {
		t.Errorf("a trial alone at every rung: %v", d)
	}
}
