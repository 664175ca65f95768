package tune

import (
	"math"
	"slices"
)

// WilcoxonConfig configures WilcoxonPruner. The zero value is Optuna's
// defaults: p-value threshold 0.1, no startup steps.
type WilcoxonConfig struct {
	// PThreshold: a trial is pruned when the one-sided p-value that it is
	// no worse than the best trial falls below it; nil means 0.1. Larger
	// prunes more.
	PThreshold *float64
	// StartupSteps: a trial is not pruned before it shares this many steps
	// with the best trial.
	StartupSteps int
}

// WilcoxonPruner compares a trial with the best completed trial, step by
// step, by the Wilcoxon signed-rank test, and prunes it once the test says,
// at the threshold, that it is worse (Optuna 3.6's WilcoxonPruner, with the
// 3.6.1 fix comparing averages). It is meant for objectives that are an
// average over many independent evaluations (folds, problem instances,
// inputs), each reported as one step, not for learning curves: there,
// steps are not paired samples.
//
// A trial or best trial with a NaN or infinite report is never pruned;
// nor is a trial whose average is better than the best trial's average
// over its steps, whatever the test says. The p-value is computed as SciPy
// 1.13 and later compute scipy.stats.wilcoxon(d, alternative,
// zero_method="zsplit"): from the exact distribution for at most 50
// differences without ties or zeros, an exact permutation test for at
// most 13 with them, and the normal approximation with the tie correction
// otherwise.
type WilcoxonPruner struct {
	threshold float64
	startup   int
}

// NewWilcoxonPruner returns a WilcoxonPruner. It panics with an
// *Error on a PThreshold outside [0, 1] or negative StartupSteps.
func NewWilcoxonPruner(cfg WilcoxonConfig) *WilcoxonPruner {
	const op = "NewWilcoxonPruner"
	threshold := 0.1
	if cfg.PThreshold != nil {
		threshold = *cfg.PThreshold
	}
	check(op, threshold >= 0 && threshold <= 1, "PThreshold %v outside [0, 1]", threshold)
	check(op, cfg.StartupSteps >= 0, "StartupSteps %d is negative", cfg.StartupSteps)
	return &WilcoxonPruner{threshold: threshold, startup: cfg.StartupSteps}
}

// Decide tests the trial's reports against the best trial's at the steps
// both reported.
func (p *WilcoxonPruner) Decide(v View, t FrozenTrial) Decision {
	if len(t.Reports) == 0 || !allFinite(t.Reports) {
		return Continue
	}
	d := v.Direction()
	trials := v.Trials()
	var best *FrozenTrial
	for i := range trials {
		u := &trials[i]
		if u.State == Complete && !math.IsNaN(u.Value) && (best == nil || d.Better(u.Value, best.Value)) {
			best = u
		}
	}
	if best == nil || len(best.Reports) == 0 || !allFinite(best.Reports) {
		return Continue
	}
	var diffs []float64
	for _, s := range steps(&t) {
		if b, ok := best.Reports[s]; ok {
			diffs = append(diffs, t.Reports[s]-b)
		}
	}
	if len(diffs) < p.startup {
		return Continue
	}
	trialMean, bestMean := meanReport(&t), meanReport(best)
	averageIsBest := bestMean >= trialMean
	if d == Maximize {
		averageIsBest = bestMean <= trialMean
	}
	// The alternative: the trial's values are greater than the best's when
	// minimizing, less when maximizing.
	pValue := signedRankP(diffs, d == Minimize)
	if pValue < p.threshold && !averageIsBest {
		return Prune
	}
	return Continue
}

func allFinite(reports map[int]float64) bool {
	for _, x := range reports {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// meanReport returns the mean of t's reports, summed in step order.
func meanReport(t *FrozenTrial) float64 {
	sum := 0.0
	for _, s := range steps(t) {
		sum += t.Reports[s]
	}
	return sum / float64(len(t.Reports))
}

// signedRankP returns the one-sided p-value of the Wilcoxon signed-rank
// test of the differences d: that they lean positive if greater, negative
// otherwise, zeros split between the signs; NaN for no differences.
func signedRankP(d []float64, greater bool) float64 {
	n := len(d)
	if n == 0 {
		return math.NaN()
	}
	ranks, tieGroups := absRanks(d)
	rPlus, zeros := 0.0, 0
	for i, x := range d {
		switch {
		case x > 0:
			rPlus += ranks[i]
		case x == 0:
			rPlus += ranks[i] / 2
			zeros++
		}
	}
	switch {
	case n <= 50 && zeros == 0 && len(tieGroups) == 0:
		return exactSignedRankP(n, int(rPlus), greater)
	case n <= 13:
		return permutationSignedRankP(d, ranks, rPlus, greater)
	}
	mean := float64(n) * (float64(n) + 1) * 0.25
	variance := float64(n) * (float64(n) + 1) * (2*float64(n) + 1)
	for _, t := range tieGroups {
		variance -= 0.5 * float64(t*(t*t-1))
	}
	z := (rPlus - mean) / math.Sqrt(variance/24)
	if greater {
		return normalCDF(-z)
	}
	return normalCDF(z)
}

// absRanks returns the average ranks (1-based) of |d| and the sizes of the
// groups of tied values.
func absRanks(d []float64) ([]float64, []int) {
	order := make([]int, len(d))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := math.Abs(d[a]), math.Abs(d[b])
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	ranks := make([]float64, len(d))
	var groups []int
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && math.Abs(d[order[j]]) == math.Abs(d[order[i]]) {
			j++
		}
		avg := float64(i+1+j) / 2 // the mean of ranks i+1 … j
		for _, k := range order[i:j] {
			ranks[k] = avg
		}
		if j-i > 1 {
			groups = append(groups, j-i)
		}
		i = j
	}
	return ranks, groups
}

// exactSignedRankP returns P(R+ ≥ rPlus) if greater, else P(R+ ≤ rPlus),
// under the null distribution of the signed-rank statistic of n
// differences without ties, built as SciPy builds it (halving the counts
// at each rank).
func exactSignedRankP(n, rPlus int, greater bool) float64 {
	pmf := []float64{1}
	for k := 1; k <= n; k++ {
		next := make([]float64, k*(k+1)/2+1)
		for i, c := range pmf {
			next[i] += c * 0.5
			next[i+k] += c * 0.5
		}
		pmf = next
	}
	p := 0.0
	if greater {
		for _, c := range pmf[rPlus:] {
			p += c
		}
	} else {
		for _, c := range pmf[:rPlus+1] {
			p += c
		}
	}
	return min(p, 1)
}

// permutationSignedRankP returns the p-value of the exact permutation test
// that flips the signs of the differences, every one of the 2^n ways, with
// the signed-rank statistic (SciPy's permutation_test as wilcoxon calls
// it): the share of sign patterns whose statistic is at least (greater)
// or at most rPlus. Ranks are multiples of one half and a zero counts half
// its rank, so the statistics are counted exactly in quarters.
func permutationSignedRankP(d, ranks []float64, rPlus float64, greater bool) float64 {
	fixed, total := 0, 0   // zeros' quarters, which no sign changes; the others' sum
	counts := []float64{1} // counts[q]: sign patterns whose other part is q quarters
	for i, x := range d {
		q := int(math.Round(4 * ranks[i]))
		if x == 0 {
			fixed += q / 2
			continue
		}
		next := make([]float64, total+q+1)
		for s, c := range counts {
			next[s] += c
			next[s+q] += c
		}
		counts, total = next, total+q
	}
	observed := int(math.Round(4*rPlus)) - fixed
	hits, all := 0.0, 0.0
	for s, c := range counts {
		all += c
		if (greater && s >= observed) || (!greater && s <= observed) {
			hits += c
		}
	}
	return hits / all
}

// normalCDF returns Φ(x), computed as SciPy's ndtr.
func normalCDF(x float64) float64 {
	y := x * math.Sqrt2 / 2
	z := math.Abs(y)
	if z < math.Sqrt2/2 {
		return 0.5 + 0.5*math.Erf(y)
	}
	p := 0.5 * math.Erfc(z)
	if y > 0 {
		p = 1 - p
	}
	return p
}
