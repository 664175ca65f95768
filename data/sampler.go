package data

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/minidl/minidl/tensor"
)

// Sampler chooses the examples of each epoch of a Loader, as PyTorch's
// DataLoader(sampler=…): the Loader cuts Indices into batches in the order
// given, in place of 0…N−1 or its shuffle.
type Sampler interface {
	// Len returns the number of indices of one epoch.
	Len() int
	// Indices returns one epoch's indices into the data set, drawing from
	// the sampler's random source if it has one, so that each call may
	// differ.
	Indices() []int
}

// WeightedSampler draws NumSamples indices per epoch with replacement,
// index i with probability weights[i] / Σ weights, as PyTorch's
// WeightedRandomSampler(replacement=True). Its random state is its Rand's
// source: list that source in train.Config.RandomSources, as the Loader's
// shuffling source, and a resumed run draws the same epochs.
type WeightedSampler struct {
	cumulative []float64 // running sums of the weights
	numSamples int
	rng        *rand.Rand
}

// NewWeightedSampler returns a sampler of numSamples indices per epoch (0
// means len(weights)) drawn from rng. It panics if a weight is negative or
// not finite, if every weight is 0, or if rng is nil.
func NewWeightedSampler(weights []float64, numSamples int, rng *rand.Rand) *WeightedSampler {
	if rng == nil {
		panicf("NewWeightedSampler", "a nil Rand; want the source of the draws")
	}
	if numSamples == 0 {
		numSamples = len(weights)
	}
	if numSamples < 0 {
		panicf("NewWeightedSampler", "%d samples; want a positive number, or 0 for one per weight", numSamples)
	}
	cumulative, sum := make([]float64, len(weights)), 0.0
	for i, w := range weights {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			panicf("NewWeightedSampler", "weight %v at position %d; want a finite weight ≥ 0", w, i)
		}
		sum += w
		cumulative[i] = sum
	}
	if !(sum > 0) || math.IsInf(sum, 0) {
		panicf("NewWeightedSampler", "the %d weights sum to %v; want a positive finite sum", len(weights), sum)
	}
	return &WeightedSampler{cumulative: cumulative, numSamples: numSamples, rng: rng}
}

// NewBalancedSampler returns a WeightedSampler that draws every class of
// the labels y [N] equally often on average: example i weighs its class's
// ClassWeights weight, 1 / count of its class up to a constant. numSamples
// 0 means N. The errors are ClassWeights'.
func NewBalancedSampler(y *tensor.Tensor, classes, numSamples int, rng *rand.Rand) (*WeightedSampler, error) {
	w, err := ClassWeights(y, classes)
	if err != nil {
		return nil, err
	}
	labels, _ := classIndices("NewBalancedSampler", y, classes) // ClassWeights checked them
	weights := make([]float64, y.Size())
	for i, c := range labels {
		weights[i] = w.Data()[c]
	}
	return NewWeightedSampler(weights, numSamples, rng), nil
}

// Len returns the number of indices per epoch.
func (s *WeightedSampler) Len() int { return s.numSamples }

// Indices draws one epoch's indices: one Float64 from the Rand each.
func (s *WeightedSampler) Indices() []int {
	total := s.cumulative[len(s.cumulative)-1]
	out := make([]int, s.numSamples)
	for k := range out {
		u := s.rng.Float64() * total
		// The first running sum above u: a zero weight, whose sum equals
		// the one before, is never drawn.
		i, _ := slices.BinarySearchFunc(s.cumulative, u, func(c, u float64) int {
			if c <= u {
				return -1
			}
			return 1
		})
		for i == len(s.cumulative) || (i > 0 && s.cumulative[i] == s.cumulative[i-1]) {
			i-- // u rounded up to the total: the last positive weight
		}
		out[k] = i
	}
	return out
}

// samplerOrder returns s's indices for an epoch of a data set of n
// examples, checking each: a sampler made for another data set panics here
// rather than gathering the wrong rows.
func samplerOrder(s Sampler, n int) []int {
	order := s.Indices()
	for k, i := range order {
		if i < 0 || i >= n {
			panicKind(tensor.ErrIndex, "Loader", "the Sampler's index %d at position %d is outside the data set of %d examples", i, k, n)
		}
	}
	return order
}
