package tune

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreTimes compares trials without their clock times.
var ignoreTimes = cmpopts.IgnoreFields(FrozenTrial{}, "Start", "End")

// curveObjective reports a made-up learning curve: a trial's loss falls
// towards (lr − 0.01)² + width/1000 over 10 epochs.
func curveObjective(ctx context.Context, t *Trial) (float64, error) {
	lr := t.Float("lr", 1e-4, 1e-1, Log())
	width := t.Int("width", 16, 128, Step(16))
	act := t.Categorical("act", "relu", "tanh")
	final := (lr-0.01)*(lr-0.01)*1e4 + float64(width)/1000
	if act == "tanh" {
		final += 0.05
	}
	v := 0.0
	for epoch := range 10 {
		v = final + 1/float64(epoch+1)
		t.Report(epoch, v)
		if t.ShouldPrune() {
			return 0, ErrPruned
		}
	}
	return v, nil
}

func TestStudyRunsTrials(t *testing.T) {
	s, err := NewStudy(StudyConfig{Sampler: NewRandomSampler(), Budget: Budget{Trials: 6}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Optimize(context.Background(), curveObjective); err != nil {
		t.Fatal(err)
	}
	trials := s.Trials()
	if len(trials) != 6 {
		t.Fatalf("%d trials, want 6", len(trials))
	}
	for i, tr := range trials {
		if tr.Number != i || tr.State != Complete || len(tr.Reports) != 10 || len(tr.Params) != 3 {
			t.Errorf("trial %d: %+v", i, tr)
		}
		lr := tr.Params["lr"].(float64)
		w := tr.Params["width"].(int)
		if lr < 1e-4 || lr > 1e-1 || w < 16 || w > 128 || w%16 != 0 {
			t.Errorf("trial %d: params %v out of range", i, tr.Params)
		}
		if tr.Value != tr.Reports[9] {
			t.Errorf("trial %d: value %v, last report %v", i, tr.Value, tr.Reports[9])
		}
	}
	b, ok := s.Best()
	if !ok {
		t.Fatal("no best trial")
	}
	for _, tr := range trials {
		if tr.Value < b.Value {
			t.Errorf("best %v, but trial %d has %v", b.Value, tr.Number, tr.Value)
		}
	}
}

// pruneAfter prunes every trial but the first at the given step.
type pruneAfter int

func (p pruneAfter) Decide(v View, trial FrozenTrial) Decision {
	last, _ := trial.LastStep()
	if trial.Number > 0 && last >= int(p) {
		v.SetAttr(trial.Number, "pruned_at", float64(last))
		return Prune
	}
	return Continue
}

func TestStudyPrunes(t *testing.T) {
	s, err := NewStudy(StudyConfig{Pruner: pruneAfter(3), Budget: Budget{Trials: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Optimize(context.Background(), curveObjective); err != nil {
		t.Fatal(err)
	}
	trials := s.Trials()
	if trials[0].State != Complete {
		t.Errorf("trial 0 is %v, want complete", trials[0].State)
	}
	for _, tr := range trials[1:] {
		if tr.State != Pruned || len(tr.Reports) != 4 || tr.Attrs["pruned_at"] != 3 || tr.Value != tr.Reports[3] {
			t.Errorf("trial %d: %v with %d reports, attrs %v, value %v; want pruned after step 3", tr.Number, tr.State, len(tr.Reports), tr.Attrs, tr.Value)
		}
	}
}

// One trial at a time, the same seed gives the same study to the bit.
func TestStudyReproducible(t *testing.T) {
	run := func(seed uint64) []FrozenTrial {
		s, err := NewStudy(StudyConfig{Budget: Budget{Trials: 14}, Seed: seed, Pruner: pruneAfter(5)})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Optimize(context.Background(), curveObjective); err != nil {
			t.Fatal(err)
		}
		return s.Trials()
	}
	a, b := run(7), run(7)
	if d := cmp.Diff(a, b, ignoreTimes, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("same seed, different studies (-first +second):\n%s", d)
	}
	if d := cmp.Diff(a, run(8), ignoreTimes, cmpopts.EquateNaNs()); d == "" {
		t.Error("seeds 7 and 8 gave the same study")
	}
}

func TestObjectiveEnds(t *testing.T) {
	boom := errors.New("boom")
	s, err := NewStudy(StudyConfig{Budget: Budget{Trials: 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		switch t.Number() {
		case 0:
			return 0, boom
		case 1:
			return math.NaN(), nil
		}
		return 1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var states []TrialState
	for _, tr := range s.Trials() {
		states = append(states, tr.State)
	}
	if d := cmp.Diff([]TrialState{Failed, Failed, Complete}, states); d != "" {
		t.Error(d)
	}
}
