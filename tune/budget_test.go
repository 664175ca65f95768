package tune

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGridSampler(t *testing.T) {
	for _, par := range []int{1, 3} {
		g := NewGridSampler(map[string][]any{"lr": {0.1, 0.01}, "act": {"relu", "tanh", "gelu"}})
		s, err := NewStudy(StudyConfig{Sampler: g, Parallelism: par})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
			return t.Float("lr", 0.001, 1, Log()) * float64(len(t.Categorical("act", "relu", "tanh", "gelu"))), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, tr := range s.Trials() {
			seen[fmt.Sprint(tr.Params["lr"], " ", tr.Params["act"])]++
		}
		want := map[string]int{"0.1 relu": 1, "0.1 tanh": 1, "0.1 gelu": 1, "0.01 relu": 1, "0.01 tanh": 1, "0.01 gelu": 1}
		if d := cmp.Diff(want, seen); d != "" {
			t.Errorf("Parallelism %d: points tried (-want +got):\n%s", par, d)
		}
		s.Close()
	}
}

func TestGridValueOutsideItsDistribution(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Sampler: NewGridSampler(map[string][]any{"lr": {0.5}}), Budget: Budget{Trials: 1}})
	defer s.Close()
	err := s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		return t.Float("lr", 0.001, 0.1), nil
	})
	if err == nil || !strings.Contains(err.Error(), `the grid's value "0.5" of "lr" is not in float [0.001, 0.1]`) {
		t.Errorf("Optimize: %v; want the grid's value refused", err)
	}
}

// tenSteps reports ten steps, declaring the last.
func tenSteps(ctx context.Context, t *Trial) (float64, error) {
	t.SetMaxStep(9)
	x := t.Float("x", 0, 1)
	for step := range 10 {
		t.Report(step, x+float64(step))
		if t.ShouldPrune() {
			return 0, ErrPruned
		}
	}
	return x, nil
}

func TestEpochBudget(t *testing.T) {
	for _, c := range []struct {
		budget int
		states []TrialState
	}{
		{25, []TrialState{Complete, Complete, Pruned}}, // the third stopped after 5 of its steps
		{20, []TrialState{Complete, Complete}},         // the 20th report is the second's last step
	} {
		s, _ := NewStudy(StudyConfig{Budget: Budget{Epochs: c.budget}})
		if err := s.Optimize(context.Background(), tenSteps); err != nil {
			t.Fatal(err)
		}
		var states []TrialState
		reports := 0
		for _, tr := range s.Trials() {
			states = append(states, tr.State)
			reports += len(tr.Reports)
			if want := tr.State == Pruned; (tr.Attrs[budgetAttr] == 1) != want {
				t.Errorf("budget %d: trial %d is %v with attrs %v", c.budget, tr.Number, tr.State, tr.Attrs)
			}
		}
		if d := cmp.Diff(c.states, states); d != "" || reports != c.budget {
			t.Errorf("budget %d: %d reports, states (-want +got):\n%s", c.budget, reports, d)
		}
		s.Close()
	}
}

func TestTimeBudget(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Time: 150 * time.Millisecond}, Parallelism: 2})
	defer s.Close()
	start := time.Now()
	err := s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		for step := range 10 {
			time.Sleep(10 * time.Millisecond)
			t.Report(step, 1)
			if t.ShouldPrune() {
				return 0, ErrPruned
			}
		}
		return 1, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("a 150 ms budget took %v", took)
	}
	trials := s.Trials()
	stopped := 0
	for _, tr := range trials {
		if tr.State == Pruned && tr.Attrs[budgetAttr] == 1 {
			stopped++
		} else if tr.State != Complete {
			t.Errorf("trial %d is %v", tr.Number, tr.State)
		}
	}
	if stopped != 2 {
		t.Errorf("%d trials stopped by the budget, want the 2 running when it ran out", stopped)
	}
}

// A cancelled Optimize leaves its running trial to the next one, which
// takes it up with its number and parameters.
func TestCancelledTrialRunsAgain(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 2}})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var runs []string
	objective := func(ctx context.Context, t *Trial) (float64, error) {
		x := t.Float("x", 0, 1)
		runs = append(runs, fmt.Sprint(t.Number(), x))
		for step := range 4 {
			if t.Number() == 1 && step == 2 {
				cancel()
			}
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			t.Report(step, x)
		}
		return x, nil
	}
	if err := s.Optimize(ctx, objective); !errors.Is(err, context.Canceled) {
		t.Fatalf("Optimize: %v; want context.Canceled", err)
	}
	if tr := s.Trials(); len(tr) != 2 || tr[1].State != Running || len(tr[1].Reports) != 2 {
		t.Fatalf("after the cancel: %+v", tr)
	}
	if err := s.Optimize(context.Background(), objective); err != nil {
		t.Fatal(err)
	}
	trials := s.Trials()
	if len(trials) != 2 || trials[1].State != Complete || len(trials[1].Reports) != 4 {
		t.Errorf("after going on: %+v", trials)
	}
	if len(runs) != 3 || runs[1] != runs[2] {
		t.Errorf("runs %q: want trial 1 run again with its parameter", runs)
	}
}

func TestObjectivePanics(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 5}})
	defer s.Close()
	err := s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		if t.Number() == 1 {
			panic("out of cheese")
		}
		return 1, nil
	})
	if err == nil || !strings.Contains(err.Error(), "the objective of trial 1 panicked: out of cheese") {
		t.Fatalf("Optimize: %v", err)
	}
	trials := s.Trials()
	if len(trials) != 2 || trials[1].State != Failed {
		t.Errorf("trials %+v: want the study stopped at the failed trial 1", trials)
	}
}

func TestParallelism(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 12}, Parallelism: 4})
	defer s.Close()
	var mu sync.Mutex
	running, most := 0, 0
	err := s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return t.Float("x", 0, 1), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if most != 4 || len(s.Trials()) != 12 {
		t.Errorf("%d trials at most at a time, %d in all; want 4 and 12", most, len(s.Trials()))
	}
}

// Mistakes in the search space panic with an *Error that says what.
func TestSearchSpaceMistakes(t *testing.T) {
	cases := []struct {
		ask  func(t *Trial)
		want string
	}{
		{func(t *Trial) { t.Float("lr", 1, 0.1) }, "Trial.Float: parameter \"lr\": low 1 above high 0.1"},
		{func(t *Trial) { t.Float("lr", 0, 1, Log()) }, "a log scale needs a positive low bound, not 0"},
		{func(t *Trial) { t.Float("p", 0, 1, Step(0.3)) }, "high − low = 1 is not a whole number of steps of 0.3"},
		{func(t *Trial) { t.Int("w", 1, 10, Step(2), Log()) }, "step 2 and a log scale: choose one"},
		{func(t *Trial) { t.Categorical("act") }, "Trial.Categorical: parameter \"act\": no choices"},
		{func(t *Trial) { t.Categorical("act", "relu", "relu") }, "choice \"relu\" appears twice"},
		{func(t *Trial) { t.Float("x", 0, 1); t.Float("x", 0, 2) }, "parameter \"x\" asked as float [0, 2], before as float [0, 1]"},
		{func(t *Trial) { t.Report(-1, 0) }, "Trial.Report: step -1: want 0 or more"},
	}
	for _, c := range cases {
		s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 1}})
		var got any
		s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
			defer func() { got = recover() }()
			c.ask(t)
			return 0, nil
		})
		err, ok := got.(*Error)
		if !ok || !errors.Is(err, ErrArgument) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("panicked with %v; want an *Error saying %q", got, c.want)
		}
		s.Close()
	}
	// A parameter's kind stays the same across trials.
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 2}})
	defer s.Close()
	err := s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		if t.Number() == 0 {
			t.Int("w", 1, 4)
		} else {
			t.Float("w", 1, 4)
		}
		return 0, nil
	})
	if err == nil || !strings.Contains(err.Error(), `parameter "w": an int parameter before, now a float one`) {
		t.Errorf("Optimize: %v", err)
	}
}

// A step reported twice keeps its first value, as in Optuna (a trial taken
// up again from its checkpoint reports the steps after it again).
func TestReportTwice(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 1}})
	defer s.Close()
	s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		t.Report(0, 1)
		t.Report(0, 2)
		return 0, nil
	})
	if r := s.Trials()[0].Reports; len(r) != 1 || r[0] != 1 {
		t.Errorf("reports %v, want {0: 1}", r)
	}
}

// pauseAll pauses every trial but is no Promoter.
type pauseAll struct{}

func (pauseAll) Decide(View, FrozenTrial) Decision { return Pause }

// A Pause from a pruner that promotes nothing prunes: nobody would resume
// the trial. A pruned trial's run checkpoint is removed; a complete one's
// kept.
func TestPauseWithoutPromoterPrunes(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 2}, Pruner: pauseAll{}})
	defer s.Close()
	var ckpts []string
	s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		ckpt, err := t.Checkpoint()
		if err != nil {
			return 0, err
		}
		ckpts = append(ckpts, ckpt)
		if err := os.WriteFile(ckpt, []byte("weights"), 0o644); err != nil {
			return 0, err
		}
		if t.Number() == 1 {
			return 1, nil // reports nothing: complete
		}
		t.Report(0, 1)
		if t.ShouldPrune() {
			if t.Pausing() {
				return 0, errors.New("told to pause")
			}
			return 0, ErrPruned
		}
		return 0, nil
	})
	trials := s.Trials()
	if trials[0].State != Pruned || trials[1].State != Complete {
		t.Fatalf("states %v, %v; want pruned, complete", trials[0].State, trials[1].State)
	}
	if _, err := os.Stat(ckpts[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the pruned trial's checkpoint: %v; want it removed", err)
	}
	if _, err := os.Stat(ckpts[1]); err != nil {
		t.Errorf("the complete trial's checkpoint: %v; want it kept", err)
	}
}

// StudyConfig.MaxStep, when set, is the study's MaxStep whatever trials
// declare; a trial added Running is taken up by the next Optimize with its
// parameters.
func TestMaxStepAndAddedRunningTrial(t *testing.T) {
	s, _ := NewStudy(StudyConfig{MaxStep: 30, Budget: Budget{Trials: 1}})
	defer s.Close()
	if _, err := s.AddTrial(FrozenTrial{State: Running, Params: map[string]any{"x": 0.25},
		Distributions: map[string]Distribution{"x": {Kind: FloatParam, High: 1}}}); err != nil {
		t.Fatal(err)
	}
	var got float64
	err := s.Optimize(context.Background(), func(ctx context.Context, t *Trial) (float64, error) {
		t.SetMaxStep(9)
		got = t.Float("x", 0, 1)
		return got, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := s.MaxStep(); !ok || m != 30 {
		t.Errorf("MaxStep %d, %v; want 30", m, ok)
	}
	trials := s.Trials()
	if len(trials) != 1 || trials[0].State != Complete || got != 0.25 {
		t.Errorf("trials %+v, x %v; want the added trial run with x 0.25", trials, got)
	}
}
