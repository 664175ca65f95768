package tune

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// TPEConfig configures the TPE sampler; its zero value is Optuna 3.1's
// defaults. Optuna's names are in brackets.
type TPEConfig struct {
	// StartupTrials is how many Complete or Pruned trials the study needs
	// before TPE takes over from random sampling (n_startup_trials); nil
	// means 10.
	StartupTrials *int
	// EICandidates is how many candidates TPE draws from the good trials'
	// estimator to pick the one of highest expected improvement
	// (n_ei_candidates); 0 means 24.
	EICandidates int
	// PriorWeight is the weight of the prior, a component spanning the
	// whole range, in each estimator (prior_weight); 0 means 1.
	PriorWeight float64
	// NoPrior leaves the prior out when there are observations
	// (consider_prior=False).
	NoPrior bool
	// NoMagicClip lets components be as narrow as the gaps make them
	// (consider_magic_clip=False); by default a component is at least
	// range/min(100, 1 + components) wide.
	NoMagicClip bool
	// ConsiderEndpoints widens the outermost components to reach the range's
	// ends (consider_endpoints).
	ConsiderEndpoints bool
	// Gamma returns how many of n trials are the good ones (gamma); nil
	// means min(⌈0.1·n⌉, 25).
	Gamma func(n int) int
	// Weights returns the weights of n observations, the oldest first
	// (weights); nil means 1 each for fewer than 25, else a ramp from 1/n
	// to 1 for the oldest n − 25 and 1 for the latest 25.
	Weights func(n int) []float64
}

// TPESampler is the Tree-structured Parzen Estimator (Bergstra et al.
// 2011), as Optuna 3.1's independent TPESampler: for each parameter, once
// enough trials have ended, it splits the Complete and Pruned trials into
// the good ones (the best γ(n), a trial pruned later ranking above one
// pruned earlier, as Optuna ranks them) and the rest, fits a Parzen
// estimator l to the good ones' values and g to the others', draws
// candidates from l and returns the one with the largest l/g.
//
// It differs from Optuna 3.1 in two details: a component's density
// includes its 1/σ (Optuna 3.1 left it out, optuna#5109, fixed in 3.5);
// components at tied values get their widths in stable order (NumPy's
// argsort is not stable past 16 elements), which changes nothing unless
// the weights differ.
type TPESampler struct {
	startup, candidates int
	gamma               func(int) int
	params              parzenParams
}

// NewTPESampler returns a TPE sampler; invalid settings panic with an
// *Error.
func NewTPESampler(cfg TPEConfig) *TPESampler {
	s := &TPESampler{startup: 10, candidates: 24, gamma: defaultGamma,
		params: parzenParams{prior: !cfg.NoPrior, priorWeight: 1, magicClip: !cfg.NoMagicClip,
			considerEndpoints: cfg.ConsiderEndpoints, weights: defaultWeights}}
	if cfg.StartupTrials != nil {
		check("NewTPESampler", *cfg.StartupTrials >= 0, "StartupTrials %d: want 0 or more", *cfg.StartupTrials)
		s.startup = *cfg.StartupTrials
	}
	check("NewTPESampler", cfg.EICandidates >= 0, "EICandidates %d: want 0 (24) or more", cfg.EICandidates)
	if cfg.EICandidates > 0 {
		s.candidates = cfg.EICandidates
	}
	check("NewTPESampler", cfg.PriorWeight >= 0 && !math.IsInf(cfg.PriorWeight, 0), "PriorWeight %v: want a positive finite weight (0 means 1)", cfg.PriorWeight)
	if cfg.PriorWeight > 0 {
		s.params.priorWeight = cfg.PriorWeight
	}
	if cfg.Gamma != nil {
		s.gamma = cfg.Gamma
	}
	if cfg.Weights != nil {
		s.params.weights = cfg.Weights
	}
	return s
}

// defaultGamma is Optuna's default_gamma: min(⌈0.1·n⌉, 25).
func defaultGamma(n int) int { return min(int(math.Ceil(0.1*float64(n))), 25) }

// defaultWeights is Optuna's default_weights.
func defaultWeights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	if n < 25 {
		return w
	}
	// np.linspace(1/n, 1, n − 25), then 25 ones.
	m := n - 25
	for i := range m {
		if m == 1 {
			w[i] = 1 / float64(n)
			break
		}
		step := (1 - 1/float64(n)) / float64(m-1)
		w[i] = 1/float64(n) + float64(i)*step
		if i == m-1 {
			w[i] = 1
		}
	}
	return w
}

// observation is what TPE learns from one ended trial: its rank key
// (−∞ for a complete trial, −step for a pruned one) and score (the
// value, negated when maximizing), and its parameter's internal value.
type observation struct {
	step, score float64
	x           float64
	has         bool
}

// observations returns what the Complete and Pruned trials say about
// parameter name, in number order (Optuna's _get_observation_pairs).
func observations(trials []FrozenTrial, dir Direction, name string) []observation {
	sign := 1.0
	if dir == Maximize {
		sign = -1
	}
	var obs []observation
	for _, t := range trials {
		var o observation
		switch t.State {
		case Complete:
			o.step, o.score = math.Inf(-1), sign*t.Value
		case Pruned:
			if step, ok := t.LastStep(); ok {
				v := t.Reports[step]
				o.step, o.score = float64(-step), sign*v
				if math.IsNaN(v) {
					o.score = math.Inf(1)
				}
			} else {
				o.step, o.score = 1, 0
			}
		default:
			continue
		}
		if v, ok := t.Params[name]; ok {
			o.x, o.has = t.Distributions[name].Internal(v)
		}
		obs = append(obs, o)
	}
	return obs
}

// split returns the indices of the nBelow best observations and of the
// others, each in trial order (Optuna's _split_observation_pairs).
func split(obs []observation, nBelow int) (below, above []int) {
	order := make([]int, len(obs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := obs[order[i]], obs[order[j]]
		if a.step != b.step {
			return a.step < b.step
		}
		return a.score < b.score || !math.IsNaN(a.score) && math.IsNaN(b.score)
	})
	nBelow = min(max(nBelow, 0), len(obs))
	below, above = slices.Clone(order[:nBelow]), slices.Clone(order[nBelow:])
	slices.Sort(below)
	slices.Sort(above)
	return below, above
}

// Sample draws parameter name for trial: at random during the startup
// trials, then by TPE.
func (s *TPESampler) Sample(v View, trial FrozenTrial, name string, d Distribution, rng *rand.Rand) float64 {
	obs := observations(v.Trials(), v.Direction(), name)
	if len(obs) < s.startup {
		return uniform(d, rng)
	}
	below, above := split(obs, s.gamma(len(obs)))
	values := func(idx []int) []float64 {
		var xs []float64
		for _, i := range idx {
			if obs[i].has {
				xs = append(xs, obs[i].x)
			}
		}
		return xs
	}
	l := newParzen(values(below), d, s.params)
	g := newParzen(values(above), d, s.params)
	return pick(l, g, rng.Float64, s.candidates)
}

// pick draws n candidates from l, drawing uniforms from u, and returns the
// one that maximizes log l − log g (the first of equals, as NumPy's
// argmax).
func pick(l, g *parzen, u func() float64, n int) float64 {
	cand := l.sample(u, n)
	ll, lg := l.logPDF(cand), g.logPDF(cand)
	best := 0
	for i := range cand {
		si, sb := ll[i]-lg[i], ll[best]-lg[best]
		if math.IsNaN(sb) {
			break
		}
		if si > sb || math.IsNaN(si) {
			best = i
		}
	}
	return cand[best]
}
