package callbacks

import (
	"math"
	"strings"
	"testing"
)

// TestTrendAndNoise: y = 3 − 0.5·x + r at x = 0…4, with residuals r = 1,
// −2, 0, 2, −1 orthogonal to 1 and x, so that the least-squares line is
// 3 − 0.5·x itself: level 1 at x = 4, residuals' median 0, MAD 1, scale
// 1.4826.
func TestTrendAndNoise(t *testing.T) {
	r := []float64{1, -2, 0, 2, -1}
	var y []float64
	for x := range 5 {
		y = append(y, 3-0.5*float64(x)+r[x])
	}
	level, scale := trendAndNoise(y, 20)
	if math.Abs(level-1) > 1e-12 || math.Abs(scale-1.4826) > 1e-12 {
		t.Errorf("level %v scale %v, want 1 and 1.4826", level, scale)
	}
	// A window of 5 reads the last 5 values only; NaN is skipped.
	long := append([]float64{100, math.NaN()}, y...)
	if l, s := trendAndNoise(long, 5); math.Abs(l-1) > 1e-12 || math.Abs(s-1.4826) > 1e-12 {
		t.Errorf("windowed: level %v scale %v", l, s)
	}
	if l, _ := trendAndNoise(append(y, math.NaN()), 20); !math.IsNaN(l) {
		t.Errorf("a NaN last value: level %v, want NaN", l)
	}
	if l, s := trendAndNoise([]float64{1, 2, 3, 4}, 20); l != 4 || s != 0 {
		t.Errorf("four values: level %v scale %v, want the value and 0", l, s)
	}
}

// TestNoiseAwarePatience: on a noisy plateau whose lucky low values set a
// record every other epoch, plain patience 3 never stops; noise-aware
// patience (3 epochs, 1 σ, a window of 6) does. Worked out by hand: epochs
// 0-3 have fewer than 5 values, so the levels are the values and the scale
// 0, and 1, 0.9 and 0.89 are significant improvements; from epoch 4 the
// window's line gives levels 0.9560, 0.9157, 0.9629, none below the
// reference 0.89 less a scale of 0.006-0.076: the third epoch without one,
// epoch 6, stops.
func TestNoiseAwarePatience(t *testing.T) {
	vals := []float64{1.0, 0.9, 1.0, 0.89, 1.0, 0.88, 1.0, 0.87, 1.0, 0.86, 1.0, 0.85, 1.0, 0.84}
	plain := NewEarlyStopping(EarlyStoppingConfig{Patience: 3})
	simulate(t, vals, nil, plain)
	if plain.StoppedEpoch() != -1 {
		t.Fatalf("plain patience stopped at %d", plain.StoppedEpoch())
	}
	cfg := EarlyStoppingConfig{NoiseAware: &NoiseAwareConfig{Patience: 3, Sigmas: 1, Window: 6}, RestoreBestWeights: true}
	es := NewEarlyStopping(cfg)
	r, m := simulate(t, vals, nil, es)
	if got := (outcome{r.StoppedEpoch(), es.StopReason(), m.epoch(), es.BestEpoch()}); got != (outcome{6, StopNoise, 5, 5}) {
		t.Errorf("noise-aware: %+v (%s)", got, es.Message())
	}
	if !strings.Contains(es.Message(), "val_loss did not improve by more than 1σ of its noise (σ = 0.0762) for 3 epochs") {
		t.Errorf("message %q", es.Message())
	}
	// Max mirrors Min.
	neg := make([]float64, len(vals))
	for i, v := range vals {
		neg[i] = -v
	}
	mx := NewEarlyStopping(EarlyStoppingConfig{Mode: Max, NoiseAware: cfg.NoiseAware})
	for e, v := range neg {
		if mx.Observe(e, v) {
			break
		}
	}
	if mx.StoppedEpoch() != 6 {
		t.Errorf("maximized: stopped at %d", mx.StoppedEpoch())
	}
	// The defaults: patience 10, 1 σ, a window of 20.
	if got := (NoiseAwareConfig{}).withDefaults(); got != (NoiseAwareConfig{Patience: 10, Sigmas: 1, Window: 20}) {
		t.Errorf("defaults %+v", got)
	}
	for _, bad := range []NoiseAwareConfig{{Patience: -1}, {Sigmas: -1}, {Window: 4}} {
		func() {
			defer func() {
				if _, ok := recover().(*ConfigError); !ok {
					t.Errorf("%+v did not panic with a *ConfigError", bad)
				}
			}()
			NewEarlyStopping(EarlyStoppingConfig{NoiseAware: &bad})
		}()
	}
}

// TestNoiseAwareResumes: what the rule keeps is rebuilt from the saved
// values, so a run saved and resumed stops where the straight run does,
// and MinEpochs holding the rule back changes nothing it has read.
func TestNoiseAwareResumes(t *testing.T) {
	vals := []float64{1.0, 0.9, 1.0, 0.89, 1.0, 0.88, 1.0, 0.87, 1.0, 0.86, 1.0, 0.85, 1.0, 0.84}
	cfg := EarlyStoppingConfig{NoiseAware: &NoiseAwareConfig{Patience: 3, Window: 6}}
	resumedStop(t, cfg, vals, 5, 6)
	held := NewEarlyStopping(EarlyStoppingConfig{NoiseAware: cfg.NoiseAware, MinEpochs: 5})
	simulate(t, vals, nil, held)
	if held.StoppedEpoch() != 6 {
		t.Errorf("held back by MinEpochs 5: stopped at %d, want 6", held.StoppedEpoch())
	}
}

// resumedStop observes vals[:cut] with a callback of cfg, saves its state,
// loads it into a fresh one that observes the rest, and checks that it
// stops at want, as the straight run does.
func resumedStop(t *testing.T, cfg EarlyStoppingConfig, vals []float64, cut, want int) {
	t.Helper()
	straight := NewEarlyStopping(cfg)
	for e, v := range vals {
		if straight.Observe(e, v) {
			break
		}
	}
	first := NewEarlyStopping(cfg)
	for e, v := range vals[:cut] {
		first.Observe(e, v)
	}
	s, meta := first.State()
	second := NewEarlyStopping(cfg)
	if err := second.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	stopped := -1
	for e := cut; e < len(vals); e++ {
		if second.Observe(e, vals[e]) {
			stopped = e
			break
		}
	}
	if stopped != want || straight.StoppedEpoch() != want || second.Message() != straight.Message() {
		t.Errorf("straight stopped at %d (%s), resumed at %d (%s), want %d",
			straight.StoppedEpoch(), straight.Message(), stopped, second.Message(), want)
	}
}
