package tune_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/train"
	"github.com/minidl/minidl/tune"
)

// A search of two parameters of a function, with the TPE sampler
// (the default): the same seed gives the same study.
func ExampleStudy_Optimize() {
	s, err := tune.NewStudy(tune.StudyConfig{Seed: 1, Budget: tune.Budget{Trials: 60}})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	err = s.Optimize(context.Background(), func(ctx context.Context, t *tune.Trial) (float64, error) {
		x := t.Float("x", -10, 10)
		kind := t.Categorical("kind", "square", "abs")
		if kind == "abs" {
			return math.Abs(x-2) + 1, nil
		}
		return (x - 2) * (x - 2), nil
	})
	if err != nil {
		panic(err)
	}
	best, _ := s.Best()
	fmt.Printf("best of %d trials: x = %.1f, %s, value %.3f\n", len(s.Trials()), best.Params["x"], best.Params["kind"], best.Value)
	// Output:
	// best of 60 trials: x = 2.0, square, value 0.000
}

// Training runs as trials: the PruningCallback reports the validation loss
// at every epoch and stops a run the pruner prunes.
func ExampleNewPruningCallback() {
	x, y := data.NoisySine(rand.New(rand.NewPCG(7, 8)), 96, 0.3)
	trainSet, valSet := data.NewTensorDataset(x.Rows(0, 64), y.Rows(0, 64)), data.NewTensorDataset(x.Rows(64, 96), y.Rows(64, 96))
	objective := func(ctx context.Context, t *tune.Trial) (float64, error) {
		lr := t.Float("lr", 1e-3, 1e-1, tune.Log())
		width := t.Int("width", 4, 32, tune.Step(4))
		rng := rand.New(rand.NewPCG(1, uint64(t.Number())))
		model := nn.NewSequential(nn.NewLinear(rng, 1, width), nn.Tanh(), nn.NewLinear(rng, width, 1))
		hist, err := train.Fit(ctx, model, train.Config{
			Loss: nn.MSE, Optimizer: optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: lr}), Epochs: 20,
			Train:     data.NewLoader(trainSet, data.LoaderConfig{BatchSize: 16, Shuffle: true, Rand: rng}),
			Val:       data.NewLoader(valSet, data.LoaderConfig{BatchSize: 32}),
			Callbacks: []callbacks.Callback{tune.NewPruningCallback(t, "val_loss")},
		})
		if err != nil {
			return 0, err // tune.ErrPruned when pruned
		}
		return hist.Epochs[len(hist.Epochs)-1]["val_loss"], nil
	}
	s, err := tune.NewStudy(tune.StudyConfig{Seed: 3, Budget: tune.Budget{Trials: 8}, Pruner: worseThanBest{}})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if err := s.Optimize(context.Background(), objective); err != nil {
		panic(err)
	}
	for _, t := range s.Trials() {
		fmt.Printf("trial %d: %-8s after %2d epochs, val_loss %.4f\n", t.Number, t.State, len(t.Reports), t.Value)
	}
	// Output:
	// trial 0: complete after 20 epochs, val_loss 0.1229
	// trial 1: complete after 20 epochs, val_loss 0.1076
	// trial 2: pruned   after  6 epochs, val_loss 0.1547
	// trial 3: pruned   after  6 epochs, val_loss 0.1967
	// trial 4: pruned   after  6 epochs, val_loss 0.1731
	// trial 5: pruned   after  6 epochs, val_loss 0.1743
	// trial 6: pruned   after  6 epochs, val_loss 0.1494
	// trial 7: pruned   after  6 epochs, val_loss 0.1586
}

// worseThanBest prunes, at epoch 5, a trial that an earlier trial beat
// there: a pruner of one's own is a Decide method.
type worseThanBest struct{}

func (worseThanBest) Decide(v tune.View, t tune.FrozenTrial) tune.Decision {
	const step = 5
	now, ok := t.Reports[step]
	if !ok || len(t.Reports) != step+1 {
		return tune.Continue
	}
	for _, other := range v.Trials()[:t.Number] {
		if then, ok := other.Reports[step]; ok && then <= now {
			return tune.Prune
		}
	}
	return tune.Continue
}

// A study kept in a folder is resumed by opening it again: its trials are
// rebuilt from the journal and the search goes on to the budget, counting
// none twice.
func ExampleStudyConfig_Dir() {
	dir, _ := os.MkdirTemp("", "study")
	defer os.RemoveAll(dir)
	objective := func(ctx context.Context, t *tune.Trial) (float64, error) {
		return t.Float("x", 0, 1), nil
	}
	for _, trials := range []int{3, 5} {
		s, err := tune.NewStudy(tune.StudyConfig{Dir: dir, Budget: tune.Budget{Trials: trials}})
		if err != nil {
			panic(err)
		}
		if err := s.Optimize(context.Background(), objective); err != nil {
			panic(err)
		}
		fmt.Println(len(s.Trials()), "trials")
		s.Close()
	}
	// Output:
	// 3 trials
	// 5 trials
}

func ExampleGridSampler() {
	s, _ := tune.NewStudy(tune.StudyConfig{Sampler: tune.NewGridSampler(map[string][]any{
		"width": {16, 32},
		"act":   {"relu", "tanh"},
	})})
	defer s.Close()
	s.Optimize(context.Background(), func(ctx context.Context, t *tune.Trial) (float64, error) {
		return float64(t.Int("width", 8, 64)), nil
	})
	fmt.Println(len(s.Trials()), "trials: every point once")
	// Output:
	// 4 trials: every point once
}
