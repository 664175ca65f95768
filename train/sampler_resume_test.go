package train

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// samplerRun is a run whose batches a class-balanced sampler draws from
// the source listed in RandomSources, checkpointed at path.
func samplerRun(t *testing.T, path string) (*nn.Sequential, Config, *callbacks.EarlyStopping) {
	src := rand.NewPCG(3, 4)
	rng := rand.New(src)
	x, y := data.Moons(rand.New(rand.NewPCG(5, 6)), 120, 0.2)
	for i := range 60 { // make class 1 rare: 90 of class 0, 30 of class 1
		if y.Data()[i] == 1 {
			y.Data()[i] = 0
		}
	}
	sampler, err := data.NewBalancedSampler(y, 2, 64, rng)
	if err != nil {
		t.Fatal(err)
	}
	model := nn.NewSequential(nn.NewLinear(rng, 2, 16), nn.Tanh(), nn.NewLinear(rng, 16, 1))
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.02})
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 1000})
	target := y.Reshape(120, 1)
	return model, Config{
		Loss: nn.BCEWithLogits, Optimizer: opt, Epochs: 12,
		Train:     data.NewLoader(data.NewTensorDataset(x, target), data.LoaderConfig{BatchSize: 16, Sampler: sampler}),
		Val:       data.NewLoader(data.NewTensorDataset(x, target), data.LoaderConfig{BatchSize: 60}),
		Callbacks: []callbacks.Callback{stop}, Checkpoint: path, Resume: true, RandomSources: []RandomSource{src},
	}, stop
}

// TestResumeWithSampler: a run interrupted after epoch k and resumed from
// its checkpoint ends bitwise as the uninterrupted run: the sampler's draws
// resume with the source the checkpoint saved.
func TestResumeWithSampler(t *testing.T) {
	dir := t.TempDir()
	model, cfg, stop := samplerRun(t, filepath.Join(dir, "straight.safetensors"))
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := outcomeOf(model, hist, stop)
	for _, k := range []int{2, 7} {
		path := filepath.Join(dir, fmt.Sprintf("cut-%d.safetensors", k))
		model, cfg, _ := samplerRun(t, path)
		ctx, cancel := context.WithCancel(context.Background())
		cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{EpochBegin: func(_ *callbacks.Run, e int) error {
			if e == k {
				cancel()
			}
			return nil
		}})
		if _, err := Fit(ctx, model, cfg); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupting at epoch %d: %v", k, err)
		}
		cancel()
		model, cfg, stop := samplerRun(t, path)
		cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{})
		hist, err := Fit(context.Background(), model, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomeOf(model, hist, stop); !got.equal(want) {
			t.Errorf("interrupted before epoch %d and resumed: history %v, straight %v", k, got.History, want.History)
		}
	}
}
