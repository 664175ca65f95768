package tune_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/minidl/minidl/tune"
)

// curve is a made-up validation loss: trials whose rate is near 0.03
// learn best, and every trial improves with the epochs.
func curve(lr float64, epoch int) float64 {
	d := math.Log10(lr / 0.03)
	return 0.1 + d*d + 1/float64(epoch+1)
}

// Successive halving stops the trials whose rate is far from the best
// after a few epochs: the search finds the best trial the full search
// finds, for a fifth of its epochs.
func ExampleNewSuccessiveHalvingPruner() {
	search := func(pruner tune.Pruner) (best tune.FrozenTrial, epochs int) {
		study, err := tune.NewStudy(tune.StudyConfig{
			Sampler: tune.NewRandomSampler(),
			Pruner:  pruner,
			Seed:    1,
			Budget:  tune.Budget{Trials: 30},
		})
		if err != nil {
			panic(err)
		}
		defer study.Close()
		err = study.Optimize(context.Background(), func(ctx context.Context, t *tune.Trial) (float64, error) {
			lr := t.Float("lr", 1e-4, 1, tune.Log())
			for epoch := range 27 {
				epochs++
				t.Report(epoch, curve(lr, epoch))
				if t.ShouldPrune() {
					return 0, tune.ErrPruned
				}
			}
			return curve(lr, 26), nil
		})
		if err != nil {
			panic(err)
		}
		best, _ = study.Best()
		return best, epochs
	}
	for _, p := range []struct {
		name   string
		pruner tune.Pruner
	}{
		{"full search", nil},
		{"successive halving", tune.NewSuccessiveHalvingPruner(tune.SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 3})},
	} {
		best, epochs := search(p.pruner)
		fmt.Printf("%-18s %3d epochs, best trial %d: rate %.3f, loss %.3f\n", p.name, epochs, best.Number, best.Params["lr"], best.Value)
	}
	// Output:
	// full search        810 epochs, best trial 17: rate 0.024, loss 0.147
	// successive halving 155 epochs, best trial 17: rate 0.024, loss 0.147
}

// TestPausingStudy runs successive halving that pauses in a study: a
// paused trial's objective keeps its epoch (as a run checkpoint would),
// and when the pruner promotes it the study runs the objective again,
// which goes on from there. Every trial reports each epoch once, some
// trials are paused and later completed, and the epochs run are those
// reported.
func TestPausingStudy(t *testing.T) {
	const epochs = 9
	pruner := tune.NewSuccessiveHalvingPruner(tune.SuccessiveHalvingConfig{MinResource: 1, ReductionFactor: 3, Pause: true})
	study, err := tune.NewStudy(tune.StudyConfig{Sampler: tune.NewRandomSampler(), Pruner: pruner, Seed: 3,
		Budget: tune.Budget{Trials: 20}, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer study.Close()
	var mu sync.Mutex
	next := map[int]int{}     // the epoch each trial resumes at: its checkpoint
	starts := map[int]int{}   // how many times each trial's objective ran
	reported := map[int]int{} // reports by trial
	err = study.Optimize(context.Background(), func(ctx context.Context, tr *tune.Trial) (float64, error) {
		lr := tr.Float("lr", 1e-4, 1, tune.Log())
		mu.Lock()
		from := next[tr.Number()]
		starts[tr.Number()]++
		mu.Unlock()
		for epoch := from; epoch < epochs; epoch++ {
			tr.Report(epoch, curve(lr, epoch))
			mu.Lock()
			reported[tr.Number()]++
			next[tr.Number()] = epoch + 1
			mu.Unlock()
			if tr.ShouldPrune() {
				return 0, tune.ErrPruned
			}
		}
		return curve(lr, epochs-1), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resumed, resumedCompleted := 0, 0
	for _, tr := range study.Trials() {
		if got := len(tr.Reports); got != reported[tr.Number] {
			t.Errorf("trial %d: %d reports recorded, %d made", tr.Number, got, reported[tr.Number])
		}
		switch {
		case tr.State == tune.Complete && len(tr.Reports) == epochs:
		case tr.State == tune.Paused && len(tr.Reports) < epochs:
		default:
			t.Errorf("trial %d ended %v after %d reports; want complete after %d, or paused", tr.Number, tr.State, len(tr.Reports), epochs)
		}
		if starts[tr.Number] > 1 {
			resumed++
			if tr.State == tune.Complete {
				resumedCompleted++
			}
		}
	}
	if resumed == 0 || resumedCompleted == 0 {
		t.Errorf("%d paused trials were resumed, %d of them completed; want some of each", resumed, resumedCompleted)
	}
}
