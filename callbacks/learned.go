package callbacks

import (
	"fmt"
	"math"
)

// LearnedConfig configures the learned rule (EarlyStoppingConfig.Learned):
// a small model, trained with minidl on thousands of recorded learning
// curves, that reads features of the run so far (StopFeatures) and gives
// the probability that continuing will pay; training stops when that
// probability falls below Threshold.
//
// "Continuing pays" is what the model was trained to predict: on a
// recorded curve, whether some later epoch would have been a better place
// to stop than this one, by 0.01 or more in the study's objective (relative
// test error of the restored epoch + a weight times the share of the
// budget spent; see docs/stopping-study.md). The rule reads the training
// error too (TrainingMonitor, "loss" by default): in a loop of your own,
// observe with ObserveWithTraining.
type LearnedConfig struct {
	// Model is the model; nil means the one that ships with minidl,
	// trained by `go run ./cmd/stopstudy -learn` on the study's corpus.
	Model *StopModel
	// Threshold is the probability below which the rule stops; 0 means
	// the model's own (StopModel.Threshold).
	Threshold float64
}

// StopModel is the learned rule's model: a network of one hidden layer of
// tanh units and a logistic output,
//
//	P(continuing pays) = σ(Out·[tanh(Hidden·z), 1]),  z = ([features, …] − Mean) / Scale,
//
// each row of Hidden holding one unit's weights over the features and its
// bias last, and Out the output's weights over the units and its bias
// last.
type StopModel struct {
	Mean, Scale []float64 // per feature
	Hidden      [][]float64
	Out         []float64
	// Threshold is the probability below which the rule stops, as tuned by
	// the study for this model.
	Threshold float64
}

// check panics with a *ConfigError if the model's shapes do not agree
// with each other and with StopFeatures.
func (m *StopModel) check(op string) {
	nf := len(stopFeatureNames)
	check(op, len(m.Mean) == nf && len(m.Scale) == nf && len(m.Hidden) > 0 && len(m.Out) == len(m.Hidden)+1,
		"StopModel: %d means, %d scales, %d hidden units and %d output weights, want %d features and one output weight a unit and a bias",
		len(m.Mean), len(m.Scale), len(m.Hidden), len(m.Out), nf)
	for i, row := range m.Hidden {
		check(op, len(row) == nf+1, "StopModel: hidden unit %d has %d weights, want %d and a bias", i, len(row), nf)
	}
	for i, s := range m.Scale {
		check(op, s > 0, "StopModel: feature %d's scale %v is not positive", i, s)
	}
}

// Predict returns the model's probability that continuing pays, for the
// features StopFeatures returns.
func (m *StopModel) Predict(features []float64) float64 {
	out := m.Out[len(m.Out)-1]
	for u, row := range m.Hidden {
		a := row[len(row)-1]
		for i, f := range features {
			a += row[i] * (f - m.Mean[i]) / m.Scale[i]
		}
		out += m.Out[u] * math.Tanh(a)
	}
	return 1 / (1 + math.Exp(-out))
}

// stopFeatureNames name the features of StopFeatures, in order.
var stopFeatureNames = []string{
	"budget used", "since best / run", "since best / budget", "trend slope", "noise",
	"level above best", "log epoch / log budget", "validation-training gap", "value above best",
}

// stopFeatureWindow is the window of the trend and the noise the features
// read.
const stopFeatureWindow = 20

// StopFeatures returns the features of a run so far that the learned rule
// reads, from the monitored values (as the rules see them, smoothed if
// smoothing is set), the training errors and the budget; each is clipped
// to [−10, 10]. With b the best value, t the epoch, T the budget, L and σ
// the level and noise scale of the last 20 values (as for
// NoiseAwareConfig), s the slope of their line and v, u the last
// validation and training values:
//
//	(t+1)/T, (t − best epoch)/(t+1), (t − best epoch)/T, s·T/|b|, σ/|b|,
//	(L − b)/max(σ, 0.001·|b|), ln(1+t)/ln(1+T), (v − u)/|v|, (v − b)/|b|
//
// for a minimized monitor (mirrored for a maximized one; the gap is 0
// without training errors). The study (cmd/stopstudy -learn) computes them
// through a replay, so a model is trained on exactly what the rule reads.
func StopFeatures(p *Progress) []float64 {
	n := len(p.Values)
	sign := 1.0
	if p.Mode == Max {
		sign = -1
	}
	t, T := float64(p.Epoch), float64(max(p.Budget, p.Epoch+1))
	best := sign * p.Best
	since := float64(p.Epoch - p.BestEpoch)
	if p.BestEpoch < 0 {
		since = t + 1
	}
	scale := math.Abs(best) + 1e-12
	values := p.Values[max(0, n-stopFeatureWindow):]
	v := sign * p.Values[n-1]
	var xs, ys []float64
	for i, x := range values {
		if !math.IsNaN(x) {
			xs, ys = append(xs, float64(i)), append(ys, sign*x)
		}
	}
	slope, level, noise := 0.0, v, 0.0
	if len(xs) >= noiseMinWindow {
		a, b := fitLine(xs, ys)
		res := make([]float64, len(xs))
		for i := range xs {
			res[i] = ys[i] - (a + b*xs[i])
		}
		slope, level, noise = b, a+b*xs[len(xs)-1], 1.4826*mad(res)
	}
	gap := 0.0
	if p.Train != nil && len(p.Train) == n && !math.IsNaN(p.Train[n-1]) {
		gap = (v - sign*p.Train[n-1]) / (math.Abs(v) + 1e-12)
	}
	f := []float64{
		(t + 1) / T, since / (t + 1), since / T, slope * T / scale, noise / scale,
		(level - best) / max(noise, 1e-3*scale), math.Log1p(t) / math.Log1p(T), gap, (v - best) / scale,
	}
	for i, x := range f {
		if math.IsNaN(x) {
			x = 0
		}
		f[i] = min(10, max(-10, x))
	}
	return f
}

// learned is the rule of LearnedConfig.
type learned struct {
	model     *StopModel
	threshold float64
}

func newLearned(op string, c LearnedConfig) learned {
	m := c.Model
	if m == nil {
		m = ShippedStopModel()
	}
	m.check(op)
	th := c.Threshold
	if th == 0 {
		th = m.Threshold
	}
	return learned{m, th}
}

func (r learned) Check(p *Progress) (StopReason, string) {
	if p.Epoch < 1 || p.BestEpoch < 0 || math.IsNaN(p.Value()) {
		return NotStopped, ""
	}
	if pr := r.model.Predict(StopFeatures(p)); pr < r.threshold {
		return StopLearned, fmt.Sprintf("the learned rule gives continuing a probability of %.3g < %g to pay", pr, r.threshold)
	}
	return NotStopped, ""
}
