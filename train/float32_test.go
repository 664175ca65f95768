package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// TestFitFloat32: a model converted with nn.To after its optimizer was made
// trains in float32 on float64 data (Fit converts the batches), keeps its
// weights and the optimizer's state in float32, comes close to the same run
// in float64, and resumes from its run checkpoint to the same bits.
func TestFitFloat32(t *testing.T) {
	dir := t.TempDir()
	model64, cfg64, stop64 := resumeRun(filepath.Join(dir, "f64.safetensors"))
	hist64, err := Fit(context.Background(), model64, cfg64)
	if err != nil {
		t.Fatal(err)
	}
	want64 := outcomeOf(model64, hist64, stop64)

	straightPath := filepath.Join(dir, "straight.safetensors")
	model, cfg, stop := resumeRun(straightPath)
	nn.To(model, tensor.Float32)
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := outcomeOf(model, hist, stop)
	for _, p := range model.Parameters() {
		if p.Var.Value.DType() != tensor.Float32 {
			t.Fatalf("%s became %v", p.Name, p.Var.Value.DType())
		}
	}
	state := cfg.Optimizer.State()
	for _, name := range state.Names() {
		if s, _ := state.Get(name); s.Size() > 1 && s.DType() != tensor.Float32 {
			t.Errorf("optimizer state %s is %v, want float32", name, s.DType())
		}
	}
	best := func(o outcome) float64 {
		v := math.Inf(1)
		for _, logs := range o.History {
			v = min(v, logs["val_loss"])
		}
		return v
	}
	if v32, v64 := best(want), best(want64); math.Abs(v32/v64-1) > 0.05 {
		t.Errorf("best val_loss in float32 %.6g, in float64 %.6g: more than 5%% apart", v32, v64)
	}

	// Interrupted after epoch 4 and resumed from the float32 checkpoint:
	// the straight run's outcome, to the bit.
	path := filepath.Join(dir, "run.safetensors")
	model, cfg, _ = resumeRun(path)
	nn.To(model, tensor.Float32)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{EpochBegin: func(_ *callbacks.Run, e int) error {
		if e == 5 {
			cancel()
		}
		return nil
	}})
	if _, err := Fit(ctx, model, cfg); err == nil {
		t.Fatal("the interrupted run did not stop")
	}
	model, cfg, stop = resumeRun(path)
	nn.To(model, tensor.Float32)
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{})
	hist, err = Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomeOf(model, hist, stop); !got.equal(want) {
		t.Errorf("resumed float32 run: stopped %d (%v), %d epochs; straight: %d (%v), %d",
			got.Stopped, got.Reason, len(got.History), want.Stopped, want.Reason, len(want.History))
	}
}
