package callbacks

import (
	"math"
	"math/rand/v2"
)

// Learning-curve models for the remaining-budget rule, after Domhan,
// Springenberg and Hutter, "Speeding up Automatic Hyperparameter
// Optimization of Deep Neural Networks by Extrapolation of Learning
// Curves" (IJCAI 2015): saturating families fitted by least squares
// (Levenberg–Marquardt), combined with Akaike weights, their uncertainty
// estimated by a residual bootstrap instead of Domhan's MCMC.
//
// A curve is fitted as falling: x ∈ (0, 1] is the fraction of the budget
// (epoch i is x = (i+1)/T), y the value scaled to [0, 1]. Every family
// falls monotonically in x for every parameter vector (the rates and
// exponents are fitted as logarithms), so a fitted curve's lowest value
// over the rest of the budget is its value at x = 1.

// curveFamily is a parametric learning curve f(x; θ).
type curveFamily struct {
	name string
	// eval returns f(x; θ) and writes ∂f/∂θ into grad.
	eval func(x float64, th, grad []float64) float64
	// start returns starting parameters for points xs, ys (ys in [0, 1],
	// falling on the whole).
	start func(xs, ys []float64) []float64
}

// curveFamilies are the fitted families, each falling towards an asymptote c.
var curveFamilies = []curveFamily{
	{ // pow3: c + a·x^(−α)
		name: "pow3",
		eval: func(x float64, th, g []float64) float64 {
			a, al := math.Exp(th[1]), math.Exp(th[2])
			p := math.Pow(x, -al)
			g[0], g[1], g[2] = 1, a*p, -a*p*math.Log(x)*al
			return th[0] + a*p
		},
		start: func(xs, ys []float64) []float64 {
			c := ys[len(ys)-1] - 0.05
			return []float64{c, math.Log(max(ys[0]-c, 1e-3) * math.Pow(xs[0], 0.5)), math.Log(0.5)}
		},
	},
	{ // exp3: c + a·e^(−b·x)
		name: "exp3",
		eval: func(x float64, th, g []float64) float64 {
			a, b := math.Exp(th[1]), math.Exp(th[2])
			e := math.Exp(-b * x)
			g[0], g[1], g[2] = 1, a*e, -a*e*x*b
			return th[0] + a*e
		},
		start: func(xs, ys []float64) []float64 {
			b := 3 / xs[len(xs)-1]
			c := ys[len(ys)-1]
			return []float64{c, math.Log(max(ys[0]-c, 1e-3) * math.Exp(b*xs[0])), math.Log(b)}
		},
	},
	{ // log-power: c + a / (1 + (x/e^b)^d)
		name: "log-power",
		eval: func(x float64, th, g []float64) float64 {
			a, d := math.Exp(th[1]), math.Exp(th[3])
			lr := math.Log(x) - th[2] // log(x / e^b)
			q := math.Exp(d * lr)
			den := 1 + q
			f := a / den
			g[0], g[1] = 1, f
			g[2] = a * q * d / (den * den)
			g[3] = -a * q * lr * d / (den * den)
			return th[0] + f
		},
		start: func(xs, ys []float64) []float64 {
			c := ys[len(ys)-1] - 0.05
			return []float64{c, math.Log(max(2*(ys[0]-c), 1e-3)), math.Log(xs[len(xs)-1] / 4), 0}
		},
	},
	{ // Janoschek: c + (b − c)·e^(−κ·x^δ), falling from b to c
		name: "janoschek",
		eval: func(x float64, th, g []float64) float64 {
			span, k, d := math.Exp(th[1]), math.Exp(th[2]), math.Exp(th[3])
			xd := math.Pow(x, d)
			e := math.Exp(-k * xd)
			g[0], g[1] = 1, span*e
			g[2] = -span * e * xd * k
			g[3] = -span * e * k * xd * math.Log(x) * d
			return th[0] + span*e
		},
		start: func(xs, ys []float64) []float64 {
			c := ys[len(ys)-1]
			return []float64{c, math.Log(max(ys[0]-c, 1e-3) + 0.1), math.Log(3 / xs[len(xs)-1]), 0}
		},
	},
}

// lmFit minimizes Σ (f(xᵢ; θ) − yᵢ)² over θ by Levenberg–Marquardt from
// th, in place, for at most iters iterations, and returns the sum of
// squares reached.
func lmFit(fam *curveFamily, xs, ys, th []float64, iters int) float64 {
	p := len(th)
	jtj := make([]float64, p*p)
	jtr := make([]float64, p)
	grad := make([]float64, p)
	trial := make([]float64, p)
	step := make([]float64, p)
	sse := func(t []float64) float64 {
		s := 0.0
		for i, x := range xs {
			r := fam.eval(x, t, grad) - ys[i]
			s += r * r
		}
		if math.IsNaN(s) {
			return math.Inf(1)
		}
		return s
	}
	cur := sse(th)
	lambda := 1e-3
	for range iters {
		clear(jtj)
		clear(jtr)
		for i, x := range xs {
			r := fam.eval(x, th, grad) - ys[i]
			for a := range p {
				jtr[a] += grad[a] * r
				for b := range p {
					jtj[a*p+b] += grad[a] * grad[b]
				}
			}
		}
		improved := false
		for range 8 {
			if !dampedStep(jtj, jtr, lambda, step) {
				lambda *= 10
				continue
			}
			for a := range p {
				trial[a] = th[a] - step[a]
			}
			if s := sse(trial); s < cur {
				done := cur-s <= 1e-12*cur
				copy(th, trial)
				cur, improved = s, true
				lambda = max(lambda/3, 1e-9)
				if done {
					return cur
				}
				break
			}
			lambda *= 4
		}
		if !improved {
			break
		}
	}
	return cur
}

// dampedStep solves (JᵀJ + λ·diag(JᵀJ) + λ·1e-9·I)·step = Jᵀr by
// Cholesky, reporting false if the system is not positive definite.
func dampedStep(jtj, jtr []float64, lambda float64, step []float64) bool {
	p := len(jtr)
	var m [4 * 4]float64 // the families have at most 4 parameters
	for a := range p {
		for b := range p {
			m[a*p+b] = jtj[a*p+b]
		}
		m[a*p+a] += lambda*jtj[a*p+a] + lambda*1e-9
	}
	// Cholesky m = L·Lᵀ in place (lower triangle).
	for j := range p {
		d := m[j*p+j]
		for k := range j {
			d -= m[j*p+k] * m[j*p+k]
		}
		if !(d > 0) {
			return false
		}
		d = math.Sqrt(d)
		m[j*p+j] = d
		for i := j + 1; i < p; i++ {
			s := m[i*p+j]
			for k := range j {
				s -= m[i*p+k] * m[j*p+k]
			}
			m[i*p+j] = s / d
		}
	}
	for i := range p { // L·z = Jᵀr
		s := jtr[i]
		for k := range i {
			s -= m[i*p+k] * step[k]
		}
		step[i] = s / m[i*p+i]
	}
	for i := p - 1; i >= 0; i-- { // Lᵀ·step = z
		s := step[i]
		for k := i + 1; k < p; k++ {
			s -= m[k*p+i] * step[k]
		}
		step[i] = s / m[i*p+i]
	}
	for _, s := range step[:p] {
		if !finite(s) {
			return false
		}
	}
	return true
}

// curveForecast is a fitted ensemble's forecast of a curve's value at the
// end of the budget: for each family its Akaike weight and the end values
// of its bootstrap refits, in the scaled units of the fit.
type curveForecast struct {
	lo, scale float64   // value = lo + scale·y
	weights   []float64 // per family, summing to 1
	ends      [][]float64
}

// probBelow returns the forecast probability that the curve's value at the
// end of the budget is below v (in the curve's units).
func (f *curveForecast) probBelow(v float64) float64 {
	y := (v - f.lo) / f.scale
	p := 0.0
	for k, ends := range f.ends {
		if f.weights[k] == 0 || len(ends) == 0 {
			continue
		}
		n := 0
		for _, e := range ends {
			if e < y {
				n++
			}
		}
		p += f.weights[k] * float64(n) / float64(len(ends))
	}
	return p
}

// maxFitPoints bounds the points a curve is fitted to: longer curves are
// averaged in consecutive groups.
const maxFitPoints = 32

// forecastCurve fits the families to a falling curve's values (NaN
// skipped) observed at epochs first, first+1, … of a budget of T epochs,
// and bootstraps each fit boot times with rng. ok is false if fewer than
// 5 values are finite or they do not vary.
func forecastCurve(values []float64, first, budget, boot int, rng *rand.Rand) (fc curveForecast, ok bool) {
	var xs, ys []float64
	for i, v := range values {
		if finite(v) {
			xs, ys = append(xs, float64(first+i+1)/float64(budget)), append(ys, v)
		}
	}
	if len(xs) < 5 {
		return fc, false
	}
	if len(xs) > maxFitPoints { // average consecutive groups, equal in size to one
		n := len(xs)
		gx, gy := make([]float64, maxFitPoints), make([]float64, maxFitPoints)
		for g := range maxFitPoints {
			a, b := g*n/maxFitPoints, (g+1)*n/maxFitPoints
			for i := a; i < b; i++ {
				gx[g] += xs[i]
				gy[g] += ys[i]
			}
			gx[g] /= float64(b - a)
			gy[g] /= float64(b - a)
		}
		xs, ys = gx, gy
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range ys {
		lo, hi = min(lo, y), max(hi, y)
	}
	if !(hi > lo) {
		return fc, false
	}
	fc.lo, fc.scale = lo, hi-lo
	for i := range ys {
		ys[i] = (ys[i] - lo) / fc.scale
	}
	m := float64(len(xs))
	aic := make([]float64, len(curveFamilies))
	fits := make([][]float64, len(curveFamilies))
	for k := range curveFamilies {
		fam := &curveFamilies[k]
		th := fam.start(xs, ys)
		sse := lmFit(fam, xs, ys, th, 50)
		fits[k] = th
		aic[k] = m*math.Log(max(sse/m, 1e-300)) + 2*float64(len(th))
		if !finite(aic[k]) {
			aic[k] = math.Inf(1)
		}
	}
	best := math.Inf(1)
	for _, a := range aic {
		best = min(best, a)
	}
	fc.weights = make([]float64, len(aic))
	total := 0.0
	for k, a := range aic {
		if finite(a) {
			fc.weights[k] = math.Exp(-(a - best) / 2)
			total += fc.weights[k]
		}
	}
	if !(total > 0) {
		return fc, false
	}
	fc.ends = make([][]float64, len(curveFamilies))
	for k := range curveFamilies {
		if fc.weights[k] /= total; fc.weights[k] < 1e-3 {
			fc.weights[k] = 0 // too unlikely to be worth its bootstrap
			continue
		}
		fc.ends[k] = bootstrapEnds(&curveFamilies[k], xs, ys, fits[k], boot, rng)
	}
	// Families dropped for their weight leave the others' weights summing
	// to less than 1: renormalize.
	total = 0
	for _, w := range fc.weights {
		total += w
	}
	for k := range fc.weights {
		fc.weights[k] /= total
	}
	return fc, true
}

// bootstrapEnds returns the values at x = 1 of boot bootstrap refits of a
// fit th of fam to (xs, ys): each to the fitted values plus residuals
// (centred) drawn with replacement, refitted by one Gauss–Newton step from
// th (the one-step bootstrap of Moulton and Zeger, 1991, which a full
// refit from so near a start would barely move), and evaluated on the
// curve itself.
func bootstrapEnds(fam *curveFamily, xs, ys, th []float64, boot int, rng *rand.Rand) []float64 {
	p, m := len(th), len(xs)
	jac := make([]float64, m*p)
	res := make([]float64, m)
	jtj := make([]float64, p*p)
	meanRes := 0.0
	for i, x := range xs {
		res[i] = ys[i] - fam.eval(x, th, jac[i*p:(i+1)*p])
		meanRes += res[i]
	}
	meanRes /= float64(m)
	for i := range m {
		res[i] -= meanRes
		for a := range p {
			for b := range p {
				jtj[a*p+b] += jac[i*p+a] * jac[i*p+b]
			}
		}
	}
	ends := make([]float64, 0, boot)
	jtr := make([]float64, p)
	step := make([]float64, p)
	moved := make([]float64, p)
	grad := make([]float64, p)
	for range boot {
		// The bootstrap values less the fitted ones are the drawn
		// residuals, so Jᵀ(y* − f) needs only them.
		clear(jtr)
		for i := range m {
			r := res[rng.IntN(m)]
			for a := range p {
				jtr[a] += jac[i*p+a] * r
			}
		}
		if !dampedStep(jtj, jtr, 1e-6, step) {
			continue
		}
		for a := range p {
			moved[a] = th[a] + step[a]
		}
		if e := fam.eval(1, moved, grad); finite(e) {
			ends = append(ends, e)
		}
	}
	return ends
}
