package tune

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/train"
)

// sineRun is a small regression whose run checkpoint keeps its shuffling
// source, so that a paused and resumed run ends as an uninterrupted one.
func sineRun(lr float64, width, epochs int, ckpt string, extra ...callbacks.Callback) (*nn.Sequential, train.Config) {
	src := rand.NewPCG(1, 2)
	rng := rand.New(src)
	x, y := data.NoisySine(rand.New(rand.NewPCG(7, 8)), 96, 0.3)
	trainSet, valSet := data.NewTensorDataset(x.Rows(0, 64), y.Rows(0, 64)), data.NewTensorDataset(x.Rows(64, 96), y.Rows(64, 96))
	model := nn.NewSequential(nn.NewLinear(rng, 1, width), nn.Tanh(), nn.NewLinear(rng, width, 1))
	cfg := train.Config{
		Loss: nn.MSE, Optimizer: optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: lr}), Epochs: epochs,
		Train:     data.NewLoader(trainSet, data.LoaderConfig{BatchSize: 8, Shuffle: true, Rand: rng}),
		Val:       data.NewLoader(valSet, data.LoaderConfig{BatchSize: 32}),
		Callbacks: extra, RandomSources: []train.RandomSource{src},
	}
	if ckpt != "" {
		cfg.Checkpoint, cfg.Resume = ckpt, true
	}
	return model, cfg
}

func weights(m nn.Module) [][]float64 {
	var w [][]float64
	for _, p := range m.Parameters() {
		w = append(w, slices.Clone(p.Var.Value.Data()))
	}
	return w
}

// prunedOdd prunes the odd trials at step 2.
type prunedOdd struct{}

func (prunedOdd) Decide(v View, t FrozenTrial) Decision {
	if last, _ := t.LastStep(); t.Number%2 == 1 && last == 2 {
		return Prune
	}
	return Continue
}

func TestPruningCallback(t *testing.T) {
	s, err := NewStudy(StudyConfig{Pruner: prunedOdd{}, Budget: Budget{Trials: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fitErrs []error
	err = s.Optimize(context.Background(), func(ctx context.Context, tr *Trial) (float64, error) {
		model, cfg := sineRun(tr.Float("lr", 1e-3, 1e-1, Log()), tr.Int("width", 4, 16), 6, "", NewPruningCallback(tr, "val_loss"))
		hist, err := train.Fit(ctx, model, cfg)
		fitErrs = append(fitErrs, err)
		if err != nil {
			return 0, err
		}
		return hist.Epochs[len(hist.Epochs)-1]["val_loss"], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	trials := s.Trials()
	if trials[0].State != Complete || len(trials[0].Reports) != 6 || trials[0].Value != trials[0].Reports[5] {
		t.Errorf("trial 0: %v with reports %v and value %v; want complete after 6 epochs", trials[0].State, trials[0].Reports, trials[0].Value)
	}
	if trials[1].State != Pruned || len(trials[1].Reports) != 3 {
		t.Errorf("trial 1: %v with reports %v; want pruned after epoch 2", trials[1].State, trials[1].Reports)
	}
	if fitErrs[0] != nil || !errors.Is(fitErrs[1], ErrPruned) {
		t.Errorf("Fit returned %v; want nil, then ErrPruned", fitErrs)
	}
	if m, ok := s.MaxStep(); !ok || m != 5 {
		t.Errorf("MaxStep %d, %v; want 5 declared by the callback", m, ok)
	}
}

// pauseFirst pauses trial 0 at step 2 and promotes it once trial 1 has
// completed.
type pauseFirst struct{}

func (pauseFirst) Decide(v View, t FrozenTrial) Decision {
	if last, _ := t.LastStep(); t.Number == 0 && last == 2 && t.Attrs["promoted"] == 0 {
		return Pause
	}
	return Continue
}

func (pauseFirst) Promote(v View) []int {
	trials := v.Trials()
	if len(trials) == 2 && trials[0].State == Paused && trials[1].State == Complete {
		v.SetAttr(0, "promoted", 1)
		return []int{0}
	}
	return nil
}

// A paused trial keeps its run checkpoint, and a promoted one resumes from
// it: it trains each epoch once and ends as an uninterrupted run, to the
// bit.
func TestPauseAndPromote(t *testing.T) {
	s, err := NewStudy(StudyConfig{Pruner: pauseFirst{}, Budget: Budget{Trials: 2}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var (
		mu     sync.Mutex
		epochs = map[int]int{} // epochs trained by trial
		final  = map[int][][]float64{}
		runs   []int // trial numbers, in the order their objective ran
	)
	err = s.Optimize(context.Background(), func(ctx context.Context, tr *Trial) (float64, error) {
		ckpt, err := tr.Checkpoint()
		if err != nil {
			return 0, err
		}
		count := &callbacks.Lambda{EpochEnd: func(*callbacks.Run, int, callbacks.Logs) error {
			mu.Lock()
			epochs[tr.Number()]++
			mu.Unlock()
			return nil
		}}
		model, cfg := sineRun(tr.Float("lr", 1e-3, 1e-1, Log()), 8, 7, ckpt, count, NewPruningCallback(tr, "val_loss"))
		mu.Lock()
		runs = append(runs, tr.Number())
		mu.Unlock()
		hist, err := train.Fit(ctx, model, cfg)
		if err != nil {
			return 0, err
		}
		mu.Lock()
		final[tr.Number()] = weights(model)
		mu.Unlock()
		return hist.Epochs[len(hist.Epochs)-1]["val_loss"], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int{0, 1, 0}, runs); d != "" {
		t.Errorf("objective runs (-want +got):\n%s", d)
	}
	trials := s.Trials()
	if trials[0].State != Complete || len(trials[0].Reports) != 7 {
		t.Fatalf("trial 0: %v with reports %v; want complete after 7 epochs", trials[0].State, trials[0].Reports)
	}
	if epochs[0] != 7 {
		t.Errorf("trial 0 trained %d epochs in all; want 7, none twice", epochs[0])
	}
	model, cfg := sineRun(trials[0].Params["lr"].(float64), 8, 7, "")
	if _, err := train.Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(weights(model), final[0]); d != "" {
		t.Errorf("paused and resumed weights differ from an uninterrupted run's (-uninterrupted +resumed):\n%s", d)
	}
}

// A monitor that no log will carry is an error before the first epoch.
func TestPruningCallbackUnknownMonitor(t *testing.T) {
	s, _ := NewStudy(StudyConfig{Budget: Budget{Trials: 1}})
	defer s.Close()
	var fitErr error
	epochs := 0
	s.Optimize(context.Background(), func(ctx context.Context, tr *Trial) (float64, error) {
		count := &callbacks.Lambda{EpochEnd: func(*callbacks.Run, int, callbacks.Logs) error { epochs++; return nil }}
		model, cfg := sineRun(0.01, 4, 3, "", count, NewPruningCallback(tr, "val_accuracy"))
		_, fitErr = train.Fit(ctx, model, cfg)
		return 0, fitErr
	})
	if fitErr == nil || !strings.Contains(fitErr.Error(), `monitor "val_accuracy" is not among the epoch logs`) || epochs != 0 {
		t.Errorf("Fit: %v after %d epochs; want the monitor refused before training", fitErr, epochs)
	}
	if st := s.Trials()[0].State; st != Failed {
		t.Errorf("the trial is %v, want failed", st)
	}
}
