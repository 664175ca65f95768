package tune

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// parzen is TPE's Parzen estimator of one parameter (Optuna 3.1's
// univariate _ParzenEstimator): a mixture of one component per
// observation and, with the prior, one more spanning the whole range; for
// numbers each component is a normal truncated to the range, centred on
// its observation, as wide as the larger gap to its neighbours; for a
// categorical parameter, a distribution over the choices with most of its
// mass on the observed one. Numbers live in the estimator's space: log of
// the value on a log scale.
type parzen struct {
	d       Distribution
	weights []float64 // of the components, summing to 1
	// numbers: the range (widened by half a step on a grid of q) and the
	// components' means and deviations
	low, high, q float64
	mus, sigmas  []float64
	// categorical: each component's probabilities of the choices
	probs [][]float64
}

// parzenParams are the TPE settings an estimator uses.
type parzenParams struct {
	prior             bool
	priorWeight       float64
	magicClip         bool
	considerEndpoints bool
	weights           func(n int) []float64
}

// newParzen fits the estimator of d to the internal values obs, in the
// order the trials ran.
func newParzen(obs []float64, d Distribution, p parzenParams) *parzen {
	n := len(obs)
	prior := p.prior || n == 0
	e := &parzen{d: d}
	w := p.weights(n)
	check("TPESampler", len(w) >= n, "Weights(%d) returned %d weights", n, len(w))
	w = w[:n]
	for _, x := range w {
		check("TPESampler", x >= 0 && !math.IsInf(x, 0), "Weights(%d) returned %v: want finite weights of 0 or more", n, w)
	}
	if n > 0 {
		check("TPESampler", sum(w) > 0, "Weights(%d) returned only zeros", n)
	}
	e.weights = slices.Clone(w)
	if prior {
		e.weights = append(e.weights, p.priorWeight)
	}
	total := sum(e.weights)
	for i := range e.weights {
		e.weights[i] /= total
	}

	if d.Kind == CategoricalParam {
		k := len(d.Choices)
		rows, value := n, p.priorWeight/float64(n)
		if prior {
			rows, value = n+1, p.priorWeight/float64(n+1)
		}
		e.probs = make([][]float64, rows)
		for i := range e.probs {
			row := make([]float64, k)
			for j := range row {
				row[j] = value
			}
			if i < n {
				row[int(obs[i])]++
			}
			s := sum(row)
			for j := range row {
				row[j] /= s
			}
			e.probs[i] = row
		}
		return e
	}

	e.low, e.high, e.q = parzenBounds(d)
	mus := make([]float64, n, n+1)
	for i, x := range obs {
		mus[i] = e.toSpace(x)
	}
	if prior {
		mus = append(mus, 0.5*(e.low+e.high))
	}
	// Each component is as wide as the larger gap to its neighbours (the
	// range's ends count as neighbours), the first's and last's only the
	// inner gap unless considerEndpoints.
	order := make([]int, len(mus))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return mus[order[i]] < mus[order[j]] })
	ends := make([]float64, 0, len(mus)+2)
	ends = append(ends, e.low)
	for _, i := range order {
		ends = append(ends, mus[i])
	}
	ends = append(ends, e.high)
	sorted := make([]float64, len(mus))
	for i := range sorted {
		sorted[i] = math.Max(ends[i+1]-ends[i], ends[i+2]-ends[i+1])
	}
	if !p.considerEndpoints && len(ends) >= 4 {
		sorted[0] = ends[2] - ends[1]
		sorted[len(sorted)-1] = ends[len(ends)-2] - ends[len(ends)-3]
	}
	sigmas := make([]float64, len(mus))
	for j, i := range order {
		sigmas[i] = sorted[j]
	}
	maxSigma := e.high - e.low
	minSigma := 1e-12
	if p.magicClip {
		minSigma = (e.high - e.low) / math.Min(100, 1+float64(len(mus)))
	}
	for i, s := range sigmas {
		sigmas[i] = math.Min(math.Max(s, minSigma), maxSigma)
	}
	if prior {
		sigmas[n] = e.high - e.low
	}
	e.mus, e.sigmas = mus, sigmas
	return e
}

// parzenBounds returns the range of d in the estimator's space and the
// grid step, 0 for none: a grid's range is widened by half a step at each
// end, an int's on a log scale by a half at each end before the log.
func parzenBounds(d Distribution) (low, high, q float64) {
	switch {
	case d.Kind == FloatParam && d.Log:
		return math.Log(d.Low), math.Log(d.High), 0
	case d.Kind == FloatParam && d.Step > 0:
		return d.Low - 0.5*d.Step, d.High + 0.5*d.Step, d.Step
	case d.Kind == FloatParam:
		return d.Low, d.High, 0
	case d.Log:
		return math.Log(d.Low - 0.5), math.Log(d.High + 0.5), 0
	}
	return d.Low - 0.5*d.Step, d.High + 0.5*d.Step, d.Step
}

// toSpace maps an internal value to the estimator's space.
func (e *parzen) toSpace(x float64) float64 {
	if e.d.Log {
		return math.Log(x)
	}
	return x
}

// sample draws size internal values: each picks a component by its weight
// with one uniform draw of u, then a value from it with another, all the
// components first (as Optuna draws them).
func (e *parzen) sample(u func() float64, size int) []float64 {
	cdf := make([]float64, len(e.weights))
	acc := 0.0
	for i, w := range e.weights {
		acc += w
		cdf[i] = acc
	}
	for i := range cdf {
		cdf[i] /= acc
	}
	active := make([]int, size)
	for i := range active {
		r := u()
		active[i] = sort.Search(len(cdf), func(j int) bool { return cdf[j] > r }) // searchsorted, side right
		active[i] = min(active[i], len(cdf)-1)
	}
	out := make([]float64, size)
	if e.d.Kind == CategoricalParam {
		for i, c := range active {
			r, acc, k := u(), 0.0, 0
			for _, p := range e.probs[c] {
				acc += p
				if acc < r {
					k++
				}
			}
			out[i] = float64(min(k, len(e.d.Choices)-1))
		}
		return out
	}
	for i, c := range active {
		mu, sigma := e.mus[c], e.sigmas[c]
		out[i] = truncPPF(u(), (e.low-mu)/sigma, (e.high-mu)/sigma)*sigma + mu
	}
	d := e.d
	for i, s := range out {
		switch {
		case d.Log && d.Kind == FloatParam:
			out[i] = math.Exp(s)
		case d.Log:
			out[i] = math.Min(math.Max(math.RoundToEven(math.Exp(s)), d.Low), d.High)
		case e.q > 0:
			out[i] = onGrid(d, s)
		}
	}
	return out
}

// logPDF returns the estimator's log density (or log mass, on a grid or
// among choices) at each internal value of xs.
func (e *parzen) logPDF(xs []float64) []float64 {
	out := make([]float64, len(xs))
	terms := make([]float64, len(e.weights))
	for i, x := range xs {
		for c, w := range e.weights {
			terms[c] = math.Log(w) + e.componentLog(c, x)
		}
		out[i] = logSumExp(terms)
	}
	return out
}

// componentLog is component c's log density (or mass) at internal value x.
func (e *parzen) componentLog(c int, x float64) float64 {
	if e.d.Kind == CategoricalParam {
		return math.Log(e.probs[c][int(x)])
	}
	mu, sigma := e.mus[c], e.sigmas[c]
	x = e.toSpace(x)
	if e.q == 0 {
		return truncLogPDF(x, e.low, e.high, mu, sigma)
	}
	upper, lower := math.Min(x+e.q/2, e.high), math.Max(x-e.q/2, e.low)
	return logGaussMass((lower-mu)/sigma, (upper-mu)/sigma) - logGaussMass((e.low-mu)/sigma, (e.high-mu)/sigma)
}

// logSumExp is log Σ exp(t), shifted by the largest term.
func logSumExp(t []float64) float64 {
	m := math.Inf(-1)
	for _, x := range t {
		m = math.Max(m, x)
	}
	s := 0.0
	for _, x := range t {
		s += math.Exp(x - m)
	}
	return math.Log(s) + m
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// String describes the estimator, for test failures.
func (e *parzen) String() string {
	return fmt.Sprintf("parzen{weights %v mus %v sigmas %v probs %v}", e.weights, e.mus, e.sigmas, e.probs)
}
