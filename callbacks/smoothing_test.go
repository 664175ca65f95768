package callbacks

import (
	"math"
	"testing"
)

// TestEMABiasCorrection follows the moving average through the start of
// issue 21's run, worked out by hand with α = 0.3: m ← 0.3·v + 0.7·m,
// w ← 0.3 + 0.7·w, smoothed m/w. The uncorrected EMA started at the first
// value read 1.024, 1.034, 1.118, 1.186, 1.159, 1.092 there.
func TestEMABiasCorrection(t *testing.T) {
	raw := []float64{1.024, 1.058, 1.315, 1.342, 1.097, 0.935}
	// m: 0.3072, 0.53244, 0.767208, 0.9396456, 0.98685192, 0.971296344
	// w: 0.3, 0.51, 0.657, 0.7599, 0.83193, 0.882351
	want := []float64{1.024, 0.53244 / 0.51, 0.767208 / 0.657, 0.9396456 / 0.7599, 0.98685192 / 0.83193, 0.971296344 / 0.882351}
	s := smoother{alpha: 0.3}
	for i, v := range raw {
		if got := s.next(v); math.Abs(got-want[i]) > 1e-12 {
			t.Errorf("epoch %d: smoothed %v, want %v", i, got, want[i])
		}
	}
	// NaN passes through and leaves the average as it was.
	if got := s.next(math.NaN()); !math.IsNaN(got) {
		t.Errorf("NaN smoothed to %v", got)
	}
	if got, want := s.next(1), (0.3+0.7*0.971296344)/(0.3+0.7*0.882351); math.Abs(got-want) > 1e-12 {
		t.Errorf("after a NaN: %v, want %v", got, want)
	}
	// The weight reaches 1 (to rounding): the correction runs its course.
	for range 200 {
		s.next(1)
	}
	if math.Abs(s.weight-1) > 1e-15 {
		t.Errorf("weight %v after 200 epochs", s.weight)
	}
}

// TestEMAOldStateLoads: a state saved before the correction holds the EMA
// alone ("smooth_ema", no weight). It loads, and the run goes on as the
// uncorrected EMA went on: s ← α·v + (1−α)·s.
func TestEMAOldStateLoads(t *testing.T) {
	cfg := EarlyStoppingConfig{Patience: 3, SmoothEMA: 0.5}
	es := NewEarlyStopping(cfg)
	for e, v := range []float64{1, 0.5, 0.6} {
		es.Observe(e, v)
	}
	s, meta := es.State()
	if meta["smooth_ema_weight"] != "0.875" {
		t.Errorf("saved weight %q, want 0.875", meta["smooth_ema_weight"])
	}
	// The uncorrected EMA of 1, 0.5, 0.6 is 0.675; the best smoothed
	// value was 0.75 at epoch 1.
	meta["smooth_ema"], meta["best"], meta["best_epoch"], meta["wait"] = "0.675", "0.75", "1", "1"
	delete(meta, "smooth_ema_weight")
	old := NewEarlyStopping(cfg)
	if err := old.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	// 0.5·0.8 + 0.5·0.675 = 0.7375 improves on 0.75.
	old.Observe(3, 0.8)
	if old.BestEpoch() != 3 || math.Abs(old.Best()-0.7375) > 1e-12 {
		t.Errorf("after the old state: best %v at %d, want 0.7375 at 3", old.Best(), old.BestEpoch())
	}
	for _, bad := range []string{"0", "1.5", "NaN", "x"} {
		meta["smooth_ema_weight"] = bad
		err := NewEarlyStopping(cfg).LoadState(s, meta)
		if se, ok := err.(*StateError); !ok || se.Field != "smooth_ema_weight" {
			t.Errorf("weight %q: %v", bad, err)
		}
	}
}
