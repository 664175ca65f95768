package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestWeightedSamplerFrequencies: index i is drawn in proportion to its
// weight, a zero weight never, within 5 standard deviations over 40000
// draws.
func TestWeightedSamplerFrequencies(t *testing.T) {
	weights := []float64{1, 0, 3, 0.5, 0}
	const draws = 40000
	s := NewWeightedSampler(weights, draws, rand.New(rand.NewPCG(3, 4)))
	counts := make([]float64, len(weights))
	for _, i := range s.Indices() {
		counts[i]++
	}
	for i, w := range weights {
		p := w / 4.5
		if got := counts[i] / draws; math.Abs(got-p) > 5*math.Sqrt(p*(1-p)/draws) || (w == 0 && counts[i] > 0) {
			t.Errorf("index %d of weight %v drawn %v of the time, want %v", i, w, got, p)
		}
	}
}

// TestBalancedSampler: labels of 90, 9 and 1 examples are drawn a third
// each.
func TestBalancedSampler(t *testing.T) {
	y := make([]float64, 100)
	for i := range y {
		switch {
		case i >= 99:
			y[i] = 2
		case i >= 90:
			y[i] = 1
		}
	}
	const draws = 30000
	s, err := NewBalancedSampler(tensor.New(y), 3, draws, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, 3)
	for _, i := range s.Indices() {
		counts[int(y[i])]++
	}
	for c, n := range counts {
		if math.Abs(n/draws-1.0/3) > 5*math.Sqrt(2.0/9/draws) {
			t.Errorf("class %d drawn %v of the time, want a third (counts %v)", c, n/draws, counts)
		}
	}
	if _, err := NewBalancedSampler(tensor.New([]float64{0, 0}), 2, 0, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("a balanced sampler of labels without class 1: no error")
	}
	if s, _ := NewBalancedSampler(tensor.New(y), 3, 0, rand.New(rand.NewPCG(1, 1))); s.Len() != 100 {
		t.Errorf("NumSamples 0: Len %d, want the 100 labels", s.Len())
	}
}

// TestLoaderSamplerResumes: a Loader with a sampler gathers the rows the
// sampler draws, in its order, and an epoch drawn after restoring the
// source's saved state is the epoch drawn first, bit for bit, as a run
// checkpoint that saves the source (train.Config.RandomSources) restores
// it.
func TestLoaderSamplerResumes(t *testing.T) {
	x := tensor.Zeros(10, 1)
	for i := range 10 {
		x.Data()[i] = float64(i)
	}
	ds := NewTensorDataset(x, x.Reshape(10))
	src := rand.NewPCG(7, 8)
	sampler := NewWeightedSampler([]float64{1, 2, 3, 4, 5, 0, 1, 2, 3, 4}, 13, rand.New(src))
	loader := NewLoader(ds, LoaderConfig{BatchSize: 4, Sampler: sampler})
	if loader.Len() != 4 {
		t.Fatalf("Len %d with 13 samples in batches of 4, want 4", loader.Len())
	}
	epoch := func() []float64 {
		var rows []float64
		for xb := range loader.All() {
			rows = append(rows, xb.Data()...)
		}
		return rows
	}
	first := epoch()
	if len(first) != 13 || slices.Contains(first, 5) {
		t.Fatalf("epoch %v: want 13 rows, never row 5 (weight 0)", first)
	}
	state, err := src.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	second := epoch()
	if slices.Equal(first, second) {
		t.Fatalf("two epochs drew the same rows %v", first)
	}
	if err := src.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if resumed := epoch(); !slices.Equal(resumed, second) {
		t.Fatalf("the epoch after restoring the source drew %v, the original %v", resumed, second)
	}
	// The same seed, a fresh sampler: the same first epoch.
	again := NewLoader(ds, LoaderConfig{BatchSize: 4, Sampler: NewWeightedSampler([]float64{1, 2, 3, 4, 5, 0, 1, 2, 3, 4}, 13, rand.New(rand.NewPCG(7, 8)))})
	var rows []float64
	for xb := range again.All() {
		rows = append(rows, xb.Data()...)
	}
	if !slices.Equal(rows, first) {
		t.Fatalf("the same seed drew %v, then %v", first, rows)
	}
	dropLast := NewLoader(ds, LoaderConfig{BatchSize: 4, Sampler: sampler, DropLast: true})
	if dropLast.Len() != 3 {
		t.Errorf("DropLast Len %d, want 3", dropLast.Len())
	}
}

func TestSamplerMisuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := NewTensorDataset(tensor.Zeros(3, 1), tensor.Zeros(3))
	mustPanic(t, "NewLoader: Shuffle and a Sampler both set", func() {
		NewLoader(ds, LoaderConfig{Shuffle: true, Rand: rng, Sampler: NewWeightedSampler([]float64{1, 1, 1}, 0, rng)})
	})
	mustPanic(t, "Loader: the Sampler's index 3 at position 0 is outside the data set of 3 examples", func() {
		for range NewLoader(ds, LoaderConfig{Sampler: NewWeightedSampler([]float64{0, 0, 0, 1}, 2, rng)}).All() {
		}
	})
	mustPanic(t, "NewWeightedSampler: weight -1 at position 1", func() { NewWeightedSampler([]float64{1, -1}, 0, rng) })
	mustPanic(t, "NewWeightedSampler: weight NaN at position 0", func() { NewWeightedSampler([]float64{math.NaN()}, 0, rng) })
	mustPanic(t, "NewWeightedSampler: the 2 weights sum to 0", func() { NewWeightedSampler([]float64{0, 0}, 0, rng) })
	mustPanic(t, "NewWeightedSampler: the 0 weights sum to 0", func() { NewWeightedSampler(nil, 0, rng) })
	mustPanic(t, "NewWeightedSampler: -2 samples", func() { NewWeightedSampler([]float64{1}, -2, rng) })
	mustPanic(t, "NewWeightedSampler: a nil Rand", func() { NewWeightedSampler([]float64{1}, 0, nil) })
}
