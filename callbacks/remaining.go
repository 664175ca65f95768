package callbacks

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RemainingConfig configures the remaining-budget rule
// (EarlyStoppingConfig.Remaining): stop when the rest of the budget is
// unlikely to improve on the best value by more than a margin.
//
// The rule fits learning curves to the recent half of the values seen so
// far (a curve's early fall says little about its end), x = (i+1)/T for
// epoch i of a budget of T, after Domhan, Springenberg and Hutter (2015):
// four saturating families that fall towards an asymptote c — pow3
// c + a·x^(−α), exp3 c + a·e^(−b·x), log-power c + a/(1 + (x/e^b)^d) and
// Janoschek c + (b − c)·e^(−κ·x^δ) — each by least squares
// (Levenberg–Marquardt), on at most 32 points (longer curves averaged in
// consecutive groups), weighted by Akaike weights w_k ∝ exp(−AIC_k/2),
// AIC_k = m·ln(SSE_k/m) + 2·p_k. The uncertainty of each fit is a residual
// bootstrap: Bootstrap refits to the fitted values plus residuals drawn
// with replacement. As every family falls monotonically, a fitted curve's
// lowest value over the rest of the budget is its value at the end, f(1),
// and the rule estimates
//
//	P = Σ_k w_k · #{bootstrap refits b of family k with f_kb(1) < best − Margin·|best|} / Bootstrap
//
// (mirrored for a maximized monitor) and stops when P < Probability. The
// forecast is of the fitted trend, not of single noisy values: a lucky
// value is not an improvement worth waiting for. A curve that has turned
// up (overfitting) is fitted by a flattening curve that stays above its
// best, and stops; one still falling steadily towards the budget goes on.
//
// The curves are refitted after MinValues values and then each time the
// count of values grows by an eighth (at 10, 11, …, 16, 18, 20, 22, 24,
// 27, …), so a replay of 500 epochs fits about 40 times; between fits the
// last forecast is compared with the best value of the moment. Each fit
// draws from a generator seeded with Seed and the count of values fitted,
// so the rule depends on the values alone: a replay or a resumed run
// decides exactly as the live run did, and nothing of it is saved.
type RemainingConfig struct {
	// Margin is the relative improvement worth the rest of the budget; 0
	// means 0.01 (one percent of the best value).
	Margin float64
	// Probability is the threshold below which the rule stops; 0 means
	// 0.05, Domhan's.
	Probability float64
	// Bootstrap is the number of bootstrap refits per family; 0 means 16.
	Bootstrap int
	// MinValues is the fewest values the curves are fitted to; 0 means
	// 10, and it must be at least 5.
	MinValues int
	// Seed seeds the bootstrap.
	Seed uint64
}

func (c RemainingConfig) withDefaults() RemainingConfig {
	if c.Margin == 0 {
		c.Margin = 0.01
	}
	if c.Probability == 0 {
		c.Probability = 0.05
	}
	if c.Bootstrap == 0 {
		c.Bootstrap = 16
	}
	if c.MinValues == 0 {
		c.MinValues = 10
	}
	return c
}

// remaining is the rule of RemainingConfig; the forecast it keeps is a
// cache, a function of the values and the seed.
type remaining struct {
	cfg RemainingConfig

	fitted   int // the count of values the forecast was fitted to; 0: none
	forecast curveForecast
	ok       bool // whether the forecast could be made
}

func newRemaining(c RemainingConfig) *remaining { return &remaining{cfg: c.withDefaults()} }

func (r *remaining) reset() { r.fitted, r.forecast, r.ok = 0, curveForecast{}, false }

// fitPoint returns the count of values the forecast at n values is
// fitted to: the largest point of MinValues, then each point plus an
// eighth of it (at least one), not above n; 0 below MinValues.
func (r *remaining) fitPoint(n int) int {
	if n < r.cfg.MinValues {
		return 0
	}
	at := r.cfg.MinValues
	for {
		next := at + max(1, at/8)
		if next > n {
			return at
		}
		at = next
	}
}

func (r *remaining) Check(p *Progress) (StopReason, string) {
	n := len(p.Values)
	left := p.Budget - p.Epoch - 1
	at := r.fitPoint(n)
	if at == 0 || left <= 0 || p.BestEpoch < 0 {
		return NotStopped, ""
	}
	if at != r.fitted {
		first := at / 2 // the recent half: a curve's early fall says little of its end
		values := p.Values[first:at]
		if p.Mode == Max {
			values = negated(values)
		}
		rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(at)))
		first += p.Epoch + 1 - n // the epoch of the first value
		r.forecast, r.ok = forecastCurve(values, first, p.Budget, r.cfg.Bootstrap, rng)
		r.fitted = at
	}
	best := p.Best
	if p.Mode == Max {
		best = -best
	}
	target := best - r.cfg.Margin*math.Abs(best)
	prob := 0.0
	if r.ok {
		prob = r.forecast.probBelow(target)
	}
	if prob >= r.cfg.Probability {
		return NotStopped, ""
	}
	return StopRemaining, fmt.Sprintf("the fitted learning curves give %s a probability of %.3g < %g to improve on %.6g by more than %g%% in the %d epochs left",
		p.Monitor, prob, r.cfg.Probability, p.Best, 100*r.cfg.Margin, left)
}

func negated(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}
