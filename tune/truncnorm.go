package tune

import "math"

// The truncated normal distribution in log space, as Optuna 3.1's TPE
// computes it (optuna/samplers/_tpe/_truncnorm.py, itself after SciPy):
// a and b are the standardized bounds, (bound − μ)/σ.

// ndtr is the standard normal's distribution function, with erfc in the
// tails where 1 − … would lose every digit.
func ndtr(a float64) float64 {
	x := a / math.Sqrt2
	switch {
	case x < -1/math.Sqrt2:
		return 0.5 * math.Erfc(-x)
	case x < 1/math.Sqrt2:
		return 0.5 + 0.5*math.Erf(x)
	}
	return 1 - 0.5*math.Erfc(x)
}

// logNdtr is log ndtr(a), by the asymptotic series far in the left tail.
func logNdtr(a float64) float64 {
	if a > 6 {
		return -ndtr(-a) // log(1 − x) ≈ −x
	}
	if a > -20 {
		return math.Log(ndtr(a))
	}
	logLHS := -0.5*a*a - math.Log(-a) - 0.5*math.Log(2*math.Pi)
	last, rhs := 0.0, 1.0
	numerator, denomFactor, denomCons := 1.0, 1.0, 1/(a*a)
	sign := 1.0
	for i := 1; math.Abs(last-rhs) > 0x1p-52; i++ {
		last = rhs
		sign = -sign
		denomFactor *= denomCons
		numerator *= float64(2*i - 1)
		rhs += sign * numerator * denomFactor
	}
	return logLHS + math.Log(rhs)
}

// logDiff is log(exp(p) − exp(q)) for p ≥ q.
func logDiff(p, q float64) float64 { return p + math.Log1p(-math.Exp(q-p)) }

// logAddExp is log(exp(x) + exp(y)), as NumPy's logaddexp.
func logAddExp(x, y float64) float64 {
	if x == y {
		return x + math.Ln2
	}
	d := x - y
	switch {
	case d > 0:
		return x + math.Log1p(math.Exp(-d))
	case d <= 0:
		return y + math.Log1p(math.Exp(d))
	}
	return d // NaN
}

// logGaussMass is the log of the standard normal's mass in [a, b],
// computed in the left tail, where it is accurate.
func logGaussMass(a, b float64) float64 {
	switch {
	case b <= 0:
		return logDiff(logNdtr(b), logNdtr(a))
	case a > 0:
		return logDiff(logNdtr(-a), logNdtr(-b))
	}
	// The central case: 1 − both tails, without cancellation as the
	// mass nears 1.
	return math.Log1p(-(0.5 + 0.5*math.Erf(a/math.Sqrt2)) - (0.5 + 0.5*math.Erf(-b/math.Sqrt2)))
}

// ndtriExp returns x with logNdtr(x) = y, by 100 bisections of [−100,
// 100] as Optuna's.
func ndtriExp(y float64) float64 {
	a, b := -100.0, 100.0
	if logNdtr(a) > y {
		a, b = b, a
	}
	m := 0.0
	for range 100 {
		m = (a + b) / 2
		if logNdtr(m) < y {
			a = m
		} else {
			b = m
		}
	}
	return m
}

// truncPPF is the quantile q of the standard normal truncated to [a, b].
func truncPPF(q, a, b float64) float64 {
	var x float64
	if a < 0 {
		x = ndtriExp(logAddExp(logNdtr(a), math.Log(q)+logGaussMass(a, b)))
	} else {
		x = -ndtriExp(logAddExp(logNdtr(-b), math.Log1p(-q)+logGaussMass(a, b)))
	}
	switch {
	case a == b:
		return math.NaN()
	case q == 0:
		return a
	case q == 1:
		return b
	}
	return x
}

// truncLogPDF is the log density at x of the normal of mean mu and
// deviation sigma truncated to [low, high]. Optuna 3.1 leaves out the
// −log σ term (optuna#5109, fixed in Optuna 3.5); it is kept here, so that
// each component of a Parzen estimator is a density.
func truncLogPDF(x, low, high, mu, sigma float64) float64 {
	a, b := (low-mu)/sigma, (high-mu)/sigma
	z := (x - mu) / sigma
	if a == b {
		return math.NaN()
	}
	if z < a || z > b {
		return math.Inf(-1)
	}
	return -z*z/2 - 0.5*math.Log(2*math.Pi) - logGaussMass(a, b) - math.Log(sigma)
}
