package callbacks

import (
	"fmt"
	"math"
	"slices"
)

// NoiseAwareConfig configures noise-aware patience
// (EarlyStoppingConfig.NoiseAware): patience that counts only the
// improvements the monitor's own noise cannot explain.
//
// At each value v_i the rule fits a straight line by least squares to the
// last Window values (those that are not NaN) and reads two things off it:
// the local trend's level L_i, the line's value at i, and the noise scale
// σ_i = 1.4826 · MAD of the residuals around the line (the median absolute
// deviation from their median; 1.4826·MAD is the standard deviation of
// normal noise, and one wild value cannot move it). An improvement is
// significant when the level falls more than Sigmas noise scales below the
// level of the last significant improvement,
//
//	L_i < L_ref − Sigmas · σ_i   (for a minimized monitor; mirrored for Max),
//
// and L_ref becomes L_i; training stops when Patience values in a row bring
// no significant improvement. A slowly falling curve whose noise hides the
// fall from plain patience keeps restarting the count as its trend passes
// each noise scale; a noisy plateau, whose lucky low values restart plain
// patience, does not. With fewer than 5 values in the window the level is
// the value and the scale 0, so the first epochs count as plain patience.
type NoiseAwareConfig struct {
	// Patience is the count of values without a significant improvement
	// after which training stops; 0 means 10.
	Patience int
	// Sigmas is how many noise scales an improvement must beat; 0 means 1.
	Sigmas float64
	// Window is the count of recent values the trend and the noise scale
	// are read from; 0 means 20, and it must be at least 5.
	Window int
}

// withDefaults returns the configuration with its zero fields set.
func (c NoiseAwareConfig) withDefaults() NoiseAwareConfig {
	if c.Patience == 0 {
		c.Patience = 10
	}
	if c.Sigmas == 0 {
		c.Sigmas = 1
	}
	if c.Window == 0 {
		c.Window = 20
	}
	return c
}

// noiseMinWindow is the fewest values a trend and a noise scale are read
// from.
const noiseMinWindow = 5

// noiseAware is the rule of NoiseAwareConfig. What it keeps is computed
// from the values alone, in order; it is rebuilt from them whenever the
// values are not those it has seen plus one (a resumed run, MinEpochs
// holding it back), so a saved run needs nothing of it.
type noiseAware struct {
	cfg NoiseAwareConfig

	seen  int     // values read
	ref   float64 // L_ref; NaN before any level
	wait  int     // values since the last significant improvement
	scale float64 // σ at the last value
}

func newNoiseAware(c NoiseAwareConfig) *noiseAware {
	r := &noiseAware{cfg: c.withDefaults()}
	r.reset()
	return r
}

func (r *noiseAware) reset() { r.seen, r.ref, r.wait, r.scale = 0, math.NaN(), 0, 0 }

func (r *noiseAware) Check(p *Progress) (StopReason, string) {
	if len(p.Values) != r.seen+1 {
		r.reset()
	}
	for r.seen < len(p.Values) {
		r.read(p.Values[:r.seen+1], p.Mode)
		r.seen++
	}
	if r.wait < r.cfg.Patience {
		return NotStopped, ""
	}
	return StopNoise, fmt.Sprintf("%s did not improve by more than %gσ of its noise (σ = %.3g) for %d epochs",
		p.Monitor, r.cfg.Sigmas, r.scale, r.wait)
}

// read takes the last of values.
func (r *noiseAware) read(values []float64, mode Mode) {
	level, scale := trendAndNoise(values, r.cfg.Window)
	if math.IsNaN(level) {
		r.wait++
		return
	}
	r.scale = scale
	gain := r.ref - level
	if mode == Max {
		gain = -gain
	}
	if math.IsNaN(r.ref) || gain > r.cfg.Sigmas*scale {
		r.ref, r.wait = level, 0
		return
	}
	r.wait++
}

// trendAndNoise fits a line by least squares to the last window values
// that are not NaN and returns its value at the last of them and the
// noise scale 1.4826·MAD of the residuals; with fewer than noiseMinWindow
// such values, the last value and 0; NaN if the last value is NaN.
func trendAndNoise(values []float64, window int) (level, scale float64) {
	last := values[len(values)-1]
	if math.IsNaN(last) {
		return math.NaN(), 0
	}
	var xs, ys []float64
	for i := len(values) - 1; i >= 0 && len(xs) < window; i-- {
		if !math.IsNaN(values[i]) {
			xs, ys = append(xs, float64(i)), append(ys, values[i])
		}
	}
	if len(xs) < noiseMinWindow {
		return last, 0
	}
	a, b := fitLine(xs, ys)
	res := make([]float64, len(xs))
	for i := range xs {
		res[i] = ys[i] - (a + b*xs[i])
	}
	return a + b*xs[0], 1.4826 * mad(res)
}

// fitLine returns the intercept and slope of the least-squares line
// through (xs, ys).
func fitLine(xs, ys []float64) (a, b float64) {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx > 0 {
		b = sxy / sxx
	}
	return my - b*mx, b
}

// mad returns the median absolute deviation from the median of v, which it
// reorders.
func mad(v []float64) float64 {
	m := medianOf(v)
	for i := range v {
		v[i] = math.Abs(v[i] - m)
	}
	return medianOf(v)
}

// medianOf returns the median of v, which it sorts.
func medianOf(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
