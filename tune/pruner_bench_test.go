package tune

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchView is a study whose SetAttr records nothing, so that every
// iteration of a benchmark decides afresh at a rung instead of finding it
// completed.
type benchView struct{ *replayStudy }

func (benchView) SetAttr(int, string, float64) {}

// benchStudy returns a study of 1,000 completed trials of 100 steps each
// (noisy decaying curves), with the rungs rungs(n) returns recorded on
// trial n as successive halving records them, and a running trial that has
// reported steps 0 … last and passed the rungs before last.
func benchStudy(last int, rungs func(n int) []int) (benchView, FrozenTrial) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newReplayStudy("bench", Minimize)
	s.declare(99)
	curve := func() map[int]float64 {
		a, b, c := 0.5+rng.Float64(), 0.02+0.3*rng.Float64(), rng.Float64()
		reports := make(map[int]float64, 100)
		for step := range 100 {
			reports[step] = a*math.Exp(-b*float64(step)) + c + 0.05*rng.NormFloat64()
		}
		return reports
	}
	for n := range 1000 {
		s.ask()
		s.trials[n].Reports = curve()
		s.trials[n].Attrs = map[string]float64{}
		if rungs != nil {
			for k, step := range rungs(n) {
				s.trials[n].Attrs[rungAttr(k)] = s.trials[n].Reports[step]
			}
		}
		s.tell(n, Complete, s.trials[n].Reports[99])
	}
	n := s.ask()
	reports := curve()
	for step := range last + 1 {
		s.report(n, step, reports[step])
	}
	// The deciding trial has passed the rungs below its step, as in a
	// study, so that it decides one rung, not all at once.
	s.trials[n].Attrs = map[string]float64{}
	if rungs != nil {
		for k, step := range rungs(n) {
			if step < last {
				s.trials[n].Attrs[rungAttr(k)] = reports[step]
			}
		}
	}
	return benchView{s}, s.trials[n]
}

// BenchmarkDecide measures one decision of each pruner on a study of
// 1,000 completed trials of 100 steps, for a trial reporting at step 64
// (a rung of successive halving with r 1 and η 4, the automatic r for 100
// steps): the cost a report adds when the pruner is asked, the snapshot of
// the study (View.Trials) included.
func BenchmarkDecide(b *testing.B) {
	halvingRungs := func(h halving) func(int) []int {
		return func(int) []int {
			var steps []int
			for k := 0; h.rungStep(1, k) < 100; k++ {
				steps = append(steps, h.rungStep(1, k))
			}
			return steps
		}
	}
	hb := NewHyperbandPruner(HyperbandConfig{})
	bracketOf := newBrackets(1, 100, 3)
	hbRungs := func(n int) []int { return halvingRungs(hb.bracket(bracketOf.of("bench", n)))(n) }
	pruners := []struct {
		name   string
		pruner Pruner
		rungs  func(int) []int
	}{
		{"Median", NewMedianPruner(PercentileConfig{}), nil},
		{"Median/BestSoFar", NewMedianPruner(PercentileConfig{BestSoFar: true}), nil},
		{"Median/SmoothEMA", NewMedianPruner(PercentileConfig{SmoothEMA: 0.3}), nil},
		{"Percentile", NewPercentilePruner(25, PercentileConfig{}), nil},
		{"SuccessiveHalving", NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{}), halvingRungs(halving{factor: 4})},
		{"SuccessiveHalving/CountEnded", NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{CountEnded: true}), halvingRungs(halving{factor: 4})},
		{"Hyperband", hb, hbRungs},
		{"Threshold", NewThresholdPruner(ThresholdConfig{Upper: new(10.0)}), nil},
		{"Patient/Median", NewPatientPruner(NewMedianPruner(PercentileConfig{}), PatientConfig{Patience: 0}), nil},
		{"Wilcoxon", NewWilcoxonPruner(WilcoxonConfig{}), nil},
	}
	// What the snapshot alone costs, for comparison.
	b.Run("Trials", func(b *testing.B) {
		v, _ := benchStudy(64, nil)
		measure(b, func() { v.Trials() })
	})
	for _, p := range pruners {
		b.Run(p.name, func(b *testing.B) {
			v, trial := benchStudy(64, p.rungs)
			measure(b, func() { p.pruner.Decide(v, trial) })
		})
	}
}

// measure runs f b.N times and reports, beside the wall time, the
// processor time per call, garbage collection included: on a shared
// machine, wall time also counts the waits.
func measure(b *testing.B, f func()) {
	start, ok := cpuTime()
	for b.Loop() {
		f()
	}
	if end, _ := cpuTime(); ok {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
