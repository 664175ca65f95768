package tune

import (
	"math"
	"math/rand/v2"
)

// Sampler proposes parameter values (Optuna's BaseSampler, independent
// sampling). Sample returns the internal value (see Distribution) of
// parameter name for trial, drawn from d with rng, a source seeded for
// this trial and parameter. A sampler keeps no state of its own: what it
// learns it reads from v's trials, so that a resumed study samples as the
// uninterrupted one would have.
type Sampler interface {
	Sample(v View, trial FrozenTrial, name string, d Distribution, rng *rand.Rand) float64
}

// Finite is a Sampler that runs out of proposals, as a grid does: the
// study starts no trial once Exhausted reports true.
type Finite interface {
	Sampler
	Exhausted(v View) bool
}

// RandomSampler draws every parameter uniformly (on a log scale if asked),
// as Optuna's RandomSampler.
type RandomSampler struct{}

// NewRandomSampler returns a RandomSampler.
func NewRandomSampler() *RandomSampler { return &RandomSampler{} }

// Sample draws from d uniformly.
func (*RandomSampler) Sample(_ View, _ FrozenTrial, _ string, d Distribution, rng *rand.Rand) float64 {
	return uniform(d, rng)
}

// uniform draws an internal value of d uniformly, as Optuna's
// RandomSampler: a float in [low, high) (in log space for Log), a stepped
// float or an int from [low − step/2, high + step/2] rounded to the grid,
// a choice with equal chances.
func uniform(d Distribution, rng *rand.Rand) float64 {
	between := func(a, b float64) float64 { return a + (b-a)*rng.Float64() }
	switch d.Kind {
	case CategoricalParam:
		return float64(rng.IntN(len(d.Choices)))
	case IntParam:
		if d.Log {
			x := math.RoundToEven(math.Exp(between(math.Log(d.Low-0.5), math.Log(d.High+0.5))))
			return math.Min(math.Max(x, d.Low), d.High)
		}
		return onGrid(d, between(d.Low-0.5*d.Step, d.High+0.5*d.Step))
	}
	switch {
	case d.Log:
		return math.Min(math.Exp(between(math.Log(d.Low), math.Log(d.High))), math.Nextafter(d.High, math.Inf(-1)))
	case d.Step > 0:
		return onGrid(d, between(d.Low-0.5*d.Step, d.High+0.5*d.Step))
	}
	return math.Min(between(d.Low, d.High), math.Nextafter(d.High, math.Inf(-1)))
}

// onGrid rounds x to the nearest of d's steps inside its bounds.
func onGrid(d Distribution, x float64) float64 {
	x = math.RoundToEven((x-d.Low)/d.Step)*d.Step + d.Low
	return math.Min(math.Max(x, d.Low), d.High)
}
