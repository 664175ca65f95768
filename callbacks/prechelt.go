package callbacks

import (
	"fmt"
	"math"
)

// Prechelt's criteria, from "Early Stopping — But When?" (Lutz Prechelt,
// 1998). Each reads the monitored validation error E_va and, for PQ, the
// training error E_tr, in strips of k epochs; E_opt is the lowest E_va so
// far. They are computed from the values alone, so they need no state of
// their own.

// generalizationLoss is GL_α: stop when GL(t) = 100·(E_va(t)/E_opt(t) − 1)
// exceeds α.
type generalizationLoss float64

func (alpha generalizationLoss) Check(p *Progress) (StopReason, string) {
	if gl := generalizationLossOf(p); gl > float64(alpha) {
		return StopGL, fmt.Sprintf("generalization loss GL = %.4g%% exceeds %g", gl, float64(alpha))
	}
	return NotStopped, ""
}

func generalizationLossOf(p *Progress) float64 { return 100 * (p.Value()/p.Lowest - 1) }

// progressQuotient is PQ_α: at the end of each strip, stop when GL(t)/P_k(t)
// exceeds α, where the training progress
// P_k(t) = 1000·(Σ strip E_tr / (k · min strip E_tr) − 1).
type progressQuotient struct {
	alpha float64
	k     int
}

func (r progressQuotient) Check(p *Progress) (StopReason, string) {
	n, ok := stripEnd(p, r.k)
	if !ok {
		return NotStopped, ""
	}
	sum, low := 0.0, math.Inf(1)
	for _, v := range p.Train[n-r.k : n] {
		sum += v
		low = min(low, v)
	}
	progress := 1000 * (sum/(float64(r.k)*low) - 1)
	gl := 100 * (p.Values[n-1]/p.Lowest - 1)
	if q := gl / progress; q > r.alpha {
		return StopPQ, fmt.Sprintf("GL/P%d = %.4g/%.4g = %.4g exceeds %g", r.k, gl, progress, q, r.alpha)
	}
	return NotStopped, ""
}

// upStrips is UP_s: at the end of a strip, stop when the validation error
// has risen, strip end to strip end, in s successive strips.
type upStrips struct {
	s, k int
}

func (r upStrips) Check(p *Progress) (StopReason, string) {
	n, ok := stripEnd(p, r.k)
	if !ok || n <= r.s*r.k {
		return NotStopped, ""
	}
	for i := range r.s {
		end := n - 1 - i*r.k
		if !(p.Values[end] > p.Values[end-r.k]) {
			return NotStopped, ""
		}
	}
	return StopUP, fmt.Sprintf("%s rose in %d successive strips of %d epochs", p.Monitor, r.s, r.k)
}

// stripEnd returns the number of monitored epochs up to the end of the
// strip a strip rule reads now, and whether it reads one: at the end of
// every strip of k, and, in the epoch MinEpochs is reached, the last whole
// strip so far.
func stripEnd(p *Progress, k int) (int, bool) {
	n := len(p.Values)
	switch {
	case n%k == 0:
		return n, true
	case p.MinEpochsReached && n >= k:
		return n - n%k, true
	}
	return 0, false
}
