package callbacks

import (
	"math"
	"strings"
	"testing"
)

// TestStopFeatures works the features out by hand on a short run: values
// 1, 0.8, 0.9 (too few for a trend: the level is the value, the noise
// 0), training errors 0.9, 0.7, 0.6, best 0.8 at epoch 1, epoch 2 of 10.
func TestStopFeatures(t *testing.T) {
	p := &Progress{Epoch: 2, Values: []float64{1, 0.8, 0.9}, Train: []float64{0.9, 0.7, 0.6}, Best: 0.8, BestEpoch: 1, Budget: 10}
	want := []float64{
		0.3,     // 3/10 of the budget used
		1.0 / 3, // one epoch since the best, of three
		0.1,     // one of ten
		0,       // no slope
		0,       // no noise
		10,      // (0.9 − 0.8)/0.0008 = 125, clipped
		math.Log(3) / math.Log(11),
		(0.9 - 0.6) / 0.9, // the gap
		(0.9 - 0.8) / 0.8, // above the best
	}
	got := StopFeatures(p)
	if len(got) != len(want) || len(got) != len(stopFeatureNames) {
		t.Fatalf("%d features, want %d", len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("%s: %v, want %v", stopFeatureNames[i], got[i], want[i])
		}
	}
	// Maximized, mirrored: the same features.
	q := &Progress{Epoch: 2, Mode: Max, Values: []float64{-1, -0.8, -0.9}, Train: []float64{-0.9, -0.7, -0.6}, Best: -0.8, BestEpoch: 1, Budget: 10}
	for i, g := range StopFeatures(q) {
		if math.Abs(g-want[i]) > 1e-12 {
			t.Errorf("maximized %s: %v, want %v", stopFeatureNames[i], g, want[i])
		}
	}
	// Without training errors the gap is 0.
	p.Train = nil
	if g := StopFeatures(p)[7]; g != 0 {
		t.Errorf("gap without training errors: %v", g)
	}
}

// TestLearnedRule runs a model worked out by hand: one hidden unit reading
// the budget used, a = 4·(t+1)/T − 2, P = σ(−3·tanh(a) + 1). Below 0.3
// means tanh(a) > 0.6158, a > 0.7181, (t+1)/T > 0.6795: with a budget of
// 20, at epoch 13 (P = σ(−3·tanh(0.8) + 1) = 0.2705; at epoch 12,
// σ(−3·tanh(0.6) + 1) = 0.3519).
func TestLearnedRule(t *testing.T) {
	m := &StopModel{
		Mean: make([]float64, 9), Scale: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
		Hidden: [][]float64{{4, 0, 0, 0, 0, 0, 0, 0, 0, -2}}, Out: []float64{-3, 1}, Threshold: 0.3,
	}
	f := make([]float64, 9)
	f[0] = 0.7
	if got, want := m.Predict(f), 1/(1+math.Exp(3*math.Tanh(0.8)-1)); math.Abs(got-want) > 1e-15 || math.Abs(got-0.2705) > 1e-4 {
		t.Errorf("Predict = %v, want %v", got, want)
	}
	vals := make([]float64, 20)
	for i := range vals {
		vals[i] = 1 / float64(i+1)
	}
	cfg := EarlyStoppingConfig{Learned: &LearnedConfig{Model: m}}
	r := Replay(cfg, Curve{Series: map[string][]float64{"val_loss": vals, "loss": vals}})
	if r.StopEpoch != 13 || r.Reason != StopLearned {
		t.Errorf("replayed: %+v", r)
	}
	live := NewEarlyStopping(EarlyStoppingConfig{Learned: cfg.Learned, Budget: 20})
	stopped := -1
	for e, v := range vals {
		if live.ObserveWithTraining(e, v, v) {
			stopped = e
			break
		}
	}
	if stopped != 13 || !strings.Contains(live.Message(), "the learned rule gives continuing a probability of 0.27 < 0.3 to pay") {
		t.Errorf("live: stopped at %d: %s", stopped, live.Message())
	}
	// The threshold of the configuration overrides the model's.
	low := EarlyStoppingConfig{Learned: &LearnedConfig{Model: m, Threshold: 0.27}}
	if r := Replay(low, Curve{Series: map[string][]float64{"val_loss": vals, "loss": vals}}); r.StopEpoch != 14 {
		t.Errorf("threshold 0.27: %+v", r)
	}
	// The rule reads the training error: Observe alone is an error.
	alone := NewEarlyStopping(EarlyStoppingConfig{Learned: cfg.Learned, Budget: 20})
	if !alone.Observe(0, 1) || !strings.Contains(alone.Err().Error(), `"loss" is not in the logs`) {
		t.Errorf("without the training error: %v", alone.Err())
	}
	for _, bad := range []*StopModel{
		{Mean: make([]float64, 8), Scale: make([]float64, 9), Hidden: m.Hidden, Out: m.Out},
		{Mean: m.Mean, Scale: m.Scale, Hidden: [][]float64{{1, 2}}, Out: m.Out},
		{Mean: m.Mean, Scale: make([]float64, 9), Hidden: m.Hidden, Out: m.Out},
	} {
		func() {
			defer func() {
				if _, ok := recover().(*ConfigError); !ok {
					t.Errorf("a malformed model did not panic with a *ConfigError")
				}
			}()
			NewEarlyStopping(EarlyStoppingConfig{Learned: &LearnedConfig{Model: bad}})
		}()
	}
	// The shipped model is well formed.
	NewEarlyStopping(EarlyStoppingConfig{Learned: &LearnedConfig{}})
}

// TestReplayFeatures: the features a replay collects are those a live
// run's rules read, epoch by epoch, with the best epoch of each.
func TestReplayFeatures(t *testing.T) {
	vals := []float64{1, 0.8, 0.85, 0.7, 0.72, 0.75, 0.71, 0.74, 0.76, 0.8}
	train := []float64{1, 0.9, 0.8, 0.7, 0.65, 0.6, 0.58, 0.57, 0.56, 0.55}
	c := Curve{Series: map[string][]float64{"val_loss": vals, "loss": train}}
	samples := ReplayFeatures(EarlyStoppingConfig{SmoothEMA: 0.5}, c)
	var live []StopSample
	collect := RuleFunc(func(p *Progress) (StopReason, string) {
		live = append(live, StopSample{Epoch: p.Epoch, BestEpoch: p.BestEpoch, Features: StopFeatures(p)})
		return NotStopped, ""
	})
	never := &StopModel{Mean: make([]float64, 9), Scale: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
		Hidden: [][]float64{make([]float64, 10)}, Out: []float64{0, 10}, Threshold: 0.5}
	es := NewEarlyStopping(EarlyStoppingConfig{SmoothEMA: 0.5, Learned: &LearnedConfig{Model: never}, Rules: []Rule{collect}, Budget: len(vals)})
	for e := range vals {
		es.ObserveWithTraining(e, vals[e], train[e])
	}
	if len(samples) != len(vals) || len(live) != len(vals) {
		t.Fatalf("%d samples replayed, %d live", len(samples), len(live))
	}
	for i, s := range samples {
		l := live[i]
		if s.Epoch != l.Epoch || s.BestEpoch != l.BestEpoch {
			t.Errorf("sample %d: epoch %d best %d, live %d %d", i, s.Epoch, s.BestEpoch, l.Epoch, l.BestEpoch)
		}
		for k := range s.Features {
			if s.Features[k] != l.Features[k] {
				t.Errorf("epoch %d %s: %v, live %v", s.Epoch, stopFeatureNames[k], s.Features[k], l.Features[k])
			}
		}
	}
}

// TestLearnedResumes: the learned rule reads the values and training
// errors a saved state holds, so a run saved at epoch 8 and resumed stops
// where the straight run does (epoch 13, as in TestLearnedRule).
func TestLearnedResumes(t *testing.T) {
	m := &StopModel{
		Mean: make([]float64, 9), Scale: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1},
		Hidden: [][]float64{{4, 0, 0, 0, 0, 0, 0, 0, 0, -2}}, Out: []float64{-3, 1}, Threshold: 0.3,
	}
	cfg := EarlyStoppingConfig{Learned: &LearnedConfig{Model: m}, Budget: 20}
	first := NewEarlyStopping(cfg)
	for e := range 8 {
		first.ObserveWithTraining(e, 1/float64(e+1), 0.5/float64(e+1))
	}
	s, meta := first.State()
	if _, ok := s.Get("train"); !ok {
		t.Fatal("the saved state lacks the training errors")
	}
	second := NewEarlyStopping(cfg)
	if err := second.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	stopped := -1
	for e := 8; e < 20; e++ {
		if second.ObserveWithTraining(e, 1/float64(e+1), 0.5/float64(e+1)) {
			stopped = e
			break
		}
	}
	if stopped != 13 || second.StopReason() != StopLearned {
		t.Errorf("resumed: stopped at %d (%s)", stopped, second.Message())
	}
}
