package callbacks

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCurveFamilyGradients checks each family's gradient against central
// differences at random parameters and points.
func TestCurveFamilyGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, fam := range curveFamilies {
		p := len(fam.start([]float64{0.1, 0.2, 0.3}, []float64{1, 0.5, 0.3}))
		for range 20 {
			th := make([]float64, p)
			for i := range th {
				th[i] = rng.Float64()*2 - 1
			}
			x := 0.05 + 0.95*rng.Float64()
			grad, scratch := make([]float64, p), make([]float64, p)
			fam.eval(x, th, grad)
			for i := range th {
				const h = 1e-6
				up, down := append([]float64{}, th...), append([]float64{}, th...)
				up[i] += h
				down[i] -= h
				num := (fam.eval(x, up, scratch) - fam.eval(x, down, scratch)) / (2 * h)
				if math.Abs(num-grad[i]) > 1e-6*max(1, math.Abs(num)) {
					t.Errorf("%s: ∂f/∂θ%d at x %v, θ %v: %v, finite differences %v", fam.name, i, x, th, grad[i], num)
				}
			}
		}
	}
}

// TestLMFitRecovers fits each family to noiseless values of a member of
// it, from the family's starting point: the fit reaches the curve.
func TestLMFitRecovers(t *testing.T) {
	xs := make([]float64, 30)
	for i := range xs {
		xs[i] = float64(i+1) / 100
	}
	truths := map[string][]float64{
		"pow3":      {0.1, math.Log(0.05), math.Log(0.7)},
		"exp3":      {0.2, math.Log(0.9), math.Log(20)},
		"log-power": {0.1, math.Log(0.9), math.Log(0.08), math.Log(1.5)},
		"janoschek": {0.15, math.Log(0.85), math.Log(12), math.Log(0.9)},
	}
	for _, fam := range curveFamilies {
		truth := truths[fam.name]
		grad := make([]float64, len(truth))
		ys := make([]float64, len(xs))
		for i, x := range xs {
			ys[i] = fam.eval(x, truth, grad)
		}
		th := fam.start(xs, ys)
		if sse := lmFit(&fam, xs, ys, th, 200); sse > 1e-8 {
			t.Errorf("%s: residual sum of squares %v from %v (fitted %v)", fam.name, sse, truth, th)
		}
	}
}

// powerCurve is a validation loss falling as a power of the epoch, with
// noise, for epochs epochs, then rising by rise per epoch (overfitting)
// after turn (if positive).
func powerCurve(epochs, turn int, rise, noise float64) []float64 {
	rng := rand.New(rand.NewPCG(7, 8))
	v := make([]float64, epochs)
	for i := range v {
		x := float64(min(i, max(turn, 0)))
		if turn <= 0 {
			x = float64(i)
		}
		v[i] = 0.2 + 0.8/math.Sqrt(x+1) + noise*rng.NormFloat64()
		if turn > 0 && i > turn {
			v[i] += rise * float64(i-turn)
		}
	}
	return v
}

// TestRemainingBudget: a curve still falling towards the end of its
// budget goes on to near the end; the same curve turned upwards, or
// flattened, stops soon after it turns; replays agree with live runs and
// with themselves, and a resumed run decides as the straight one.
func TestRemainingBudget(t *testing.T) {
	cfg := EarlyStoppingConfig{Remaining: &RemainingConfig{Margin: 0.01, Probability: 0.05}}
	falling := Curve{Series: map[string][]float64{"val_loss": powerCurve(200, 0, 0, 0.002)}}
	// The power curve still falls by 0.8·(1/√150 − 1/√200) = 0.0087 from
	// epoch 150 to 200, about 1.7% of its value: more than the margin.
	if r := Replay(cfg, falling); r.StopEpoch >= 0 && r.StopEpoch < 120 {
		t.Errorf("a curve falling to the end of its budget stopped at %d (%s)", r.StopEpoch, r.Reason)
	}
	// With a budget of 2,000 epochs it has far to fall: it goes on.
	long := cfg
	long.Budget = 2000
	if r := Replay(long, falling); r.StopEpoch >= 0 {
		t.Errorf("with a long budget: stopped at %d", r.StopEpoch)
	}
	turned := Curve{Series: map[string][]float64{"val_loss": powerCurve(200, 40, 0.003, 0.002)}}
	r := Replay(cfg, turned)
	if r.Reason != StopRemaining || r.StopEpoch < 40 || r.StopEpoch > 70 {
		t.Errorf("a curve turning up at epoch 40: %+v", r)
	}
	flat := Curve{Series: map[string][]float64{"val_loss": powerCurve(200, 40, 0, 0.002)}}
	if r := Replay(cfg, flat); r.Reason != StopRemaining || r.StopEpoch > 80 {
		t.Errorf("a curve flat from epoch 40: %+v", r)
	}
	if again := Replay(cfg, turned); again != r {
		t.Errorf("replayed twice: %+v, then %+v", r, again)
	}
	live := NewEarlyStopping(cfg)
	simulate(t, turned.Series["val_loss"], nil, live)
	if live.StoppedEpoch() != r.StopEpoch || live.BestEpoch() != r.BestEpoch {
		t.Errorf("live: stopped %d best %d; replayed %+v", live.StoppedEpoch(), live.BestEpoch(), r)
	}
	if !strings.Contains(live.Message(), "the fitted learning curves give val_loss a probability of") {
		t.Errorf("message %q", live.Message())
	}
	hand := cfg
	hand.Budget = 200
	resumedStop(t, hand, turned.Series["val_loss"], r.StopEpoch-5, r.StopEpoch)
	// Maximized, mirrored.
	neg := make([]float64, 200)
	for i, v := range turned.Series["val_loss"] {
		neg[i] = -v
	}
	mx := cfg
	mx.Mode = Max
	if got := Replay(mx, Curve{Series: map[string][]float64{"val_loss": neg}}); got.StopEpoch != r.StopEpoch {
		t.Errorf("maximized: %+v, minimized %+v", got, r)
	}
	// In a loop of one's own, the budget must be given.
	es := NewEarlyStopping(cfg)
	if !es.Observe(0, 1) || !strings.Contains(es.Err().Error(), "set Budget in a loop of your own") {
		t.Errorf("no budget: %v", es.Err())
	}
	for _, bad := range []RemainingConfig{{Margin: -1}, {Probability: 2}, {MinValues: 4}, {Bootstrap: -1}} {
		func() {
			defer func() {
				if _, ok := recover().(*ConfigError); !ok {
					t.Errorf("%+v did not panic with a *ConfigError", bad)
				}
			}()
			NewEarlyStopping(EarlyStoppingConfig{Remaining: &bad})
		}()
	}
}

// TestRemainingFitPoints: the forecast is refitted at 10, then each time
// the count of values grows by an eighth.
func TestRemainingFitPoints(t *testing.T) {
	r := newRemaining(RemainingConfig{})
	var got []int
	for n := 1; n <= 40; n++ {
		if at := r.fitPoint(n); at == n {
			got = append(got, n)
		}
	}
	want := []int{10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 27, 30, 33, 37}
	if len(got) != len(want) {
		t.Fatalf("fit points %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fit points %v, want %v", got, want)
		}
	}
	if r.fitPoint(9) != 0 || r.fitPoint(26) != 24 {
		t.Errorf("fitPoint(9) = %d, fitPoint(26) = %d", r.fitPoint(9), r.fitPoint(26))
	}
}

// TestBudgetFromTheRun: under a training loop the budget is the run's
// epochs, or its checks with ValidateEvery; Budget overrides both.
func TestBudgetFromTheRun(t *testing.T) {
	for _, tt := range []struct {
		configured int
		run        Run
		want       int
	}{
		{0, Run{Epochs: 300}, 300},
		{0, Run{Epochs: 10, Steps: 25, ValidateEvery: 10}, 30},
		{0, Run{Epochs: 10, ValidateEvery: 10}, 0},
		{50, Run{Epochs: 300}, 50},
	} {
		es := NewEarlyStopping(EarlyStoppingConfig{Patience: 3, Budget: tt.configured})
		tt.run.Keys, tt.run.CheckKeys = []string{"val_loss"}, []string{"val_loss"}
		if err := es.OnTrainBegin(&tt.run); err != nil {
			t.Fatal(err)
		}
		if es.progress.Budget != tt.want {
			t.Errorf("%d, %+v: budget %d, want %d", tt.configured, tt.run, es.progress.Budget, tt.want)
		}
	}
}
