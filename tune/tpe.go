package tune

import "math/rand/v2"

// TPEConfig configures the TPE sampler (stub; the estimator follows).
type TPEConfig struct{}

// TPESampler is a placeholder while the estimator is written.
type TPESampler struct{ cfg TPEConfig }

// NewTPESampler returns a TPE sampler.
func NewTPESampler(cfg TPEConfig) *TPESampler { return &TPESampler{cfg: cfg} }

// Sample draws at random for now.
func (s *TPESampler) Sample(v View, trial FrozenTrial, name string, d Distribution, rng *rand.Rand) float64 {
	return uniform(d, rng)
}
