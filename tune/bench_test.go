package tune

import (
	"context"
	"math"
	"slices"
	"testing"
)

// medianOfOthers prunes a trial whose value is worse than the median of
// the other trials' values at its step: it reads every trial, as
// Optuna's MedianPruner does, so the benchmarks count a snapshot of the
// study.
type medianOfOthers struct{}

func (medianOfOthers) Decide(v View, t FrozenTrial) Decision {
	step, _ := t.LastStep()
	var others []float64
	for _, o := range v.Trials() {
		if x, ok := o.Reports[step]; ok && o.Number != t.Number && o.State == Complete {
			others = append(others, x)
		}
	}
	if len(others) == 0 {
		return Continue
	}
	slices.Sort(others)
	if t.Reports[step] > others[len(others)/2] {
		return Prune
	}
	return Continue
}

// reportBenchStudy returns a study of 100 complete trials of 50 reports each,
// and a trial running in it.
func reportBenchStudy(b *testing.B, dir string, p Pruner) (*Study, *Trial) {
	s, err := NewStudy(StudyConfig{Dir: dir, Pruner: p})
	if err != nil {
		b.Fatal(err)
	}
	for n := range 100 {
		reports := map[int]float64{}
		for step := range 50 {
			reports[step] = 1 + float64(n)/100 + 1/float64(step+1)
		}
		if _, err := s.AddTrial(FrozenTrial{State: Complete, Value: reports[49], Reports: reports,
			Params: map[string]any{"x": 0.5}, Distributions: map[string]Distribution{"x": {Kind: FloatParam, High: 1}}}); err != nil {
			b.Fatal(err)
		}
	}
	t, err := s.next()
	if err != nil || t == nil {
		b.Fatal(t, err)
	}
	return s, t
}

// BenchmarkReport is what a trial pays per epoch: Report and ShouldPrune,
// in a study of 100 trials of 50 steps, in memory without a pruner (the
// study's own cost), with a median pruner's decision (which reads every
// trial), and with the journal besides (one event appended and synced per
// report). Every 50 reports the trial completes and another starts, as in
// a search of 50-epoch trials.
func BenchmarkReport(b *testing.B) {
	for _, c := range []struct {
		name    string
		pruner  Pruner
		journal bool
	}{{"memory", nil, false}, {"memory+median", medianOfOthers{}, false}, {"journal+median", medianOfOthers{}, true}} {
		b.Run(c.name, func(b *testing.B) {
			dir := ""
			if c.journal {
				dir = b.TempDir()
			}
			s, t := reportBenchStudy(b, dir, c.pruner)
			defer s.Close()
			b.ResetTimer()
			for i := range b.N {
				step := i % 50
				t.Report(step, 0.5+1/float64(step+1)) // better than the median: it goes on
				if t.ShouldPrune() {
					b.Fatal("pruned")
				}
				if step == 49 {
					b.StopTimer()
					s.finish(t, 1)
					t, _ = s.next()
					b.StartTimer()
				}
			}
		})
	}
}

// finish ends t complete with value v, as run does when its objective
// returns.
func (s *Study) finish(t *Trial, v float64) {
	s.update(func(tx *tx) {
		t.done = true
		delete(s.active, t.number)
		tx.add(&event{Op: opComplete, Trial: t.number, Value: num(v)})
	})
}

// BenchmarkJournal measures the journal's throughput: events appended and
// synced, one at a time, in events/s.
func BenchmarkJournal(b *testing.B) {
	s, err := NewStudy(StudyConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t, _ := s.next()
	b.ResetTimer()
	for i := range b.N {
		t.Report(i, math.Sqrt(float64(i)))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	_ = context.Background
}
