package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/minidl/minidl/tensor"
)

// SplitConfig says how many examples go to validation. Set exactly one of
// ValFraction and ValCount.
type SplitConfig struct {
	// ValFraction ∈ (0, 1) sends ⌈fraction·N⌉ examples to validation, as
	// scikit-learn's train_test_split counts them.
	ValFraction float64
	// ValCount sends this many examples to validation.
	ValCount int
	// Stratify, if set, holds class labels [N]; every class is then split
	// in the same proportion (as far as whole examples allow), so that
	// both sides see the classes in the frequencies of the whole.
	Stratify *tensor.Tensor
}

// SplitIndices draws a random split of the indices 0 … n−1 into training
// and validation, each returned in increasing order. The same rng state
// gives the same split. It panics if the configuration leaves either side
// empty or asks for more examples than there are.
func SplitIndices(rng *rand.Rand, n int, cfg SplitConfig) (train, val []int) {
	nval := cfg.ValCount
	switch {
	case cfg.ValFraction != 0 && cfg.ValCount != 0:
		panicf("SplitIndices", "set ValFraction or ValCount, not both")
	case cfg.ValFraction != 0:
		if !(cfg.ValFraction > 0 && cfg.ValFraction < 1) {
			panicf("SplitIndices", "ValFraction %v outside (0, 1)", cfg.ValFraction)
		}
		nval = int(math.Ceil(cfg.ValFraction * float64(n)))
	}
	if nval <= 0 || nval >= n {
		panicf("SplitIndices", "%d validation examples of %d leave a side empty", nval, n)
	}
	if cfg.Stratify == nil {
		perm := rng.Perm(n)
		val, train = perm[:nval], perm[nval:]
	} else {
		train, val = stratifiedSplit(rng, n, nval, cfg.Stratify)
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val
}

// stratifiedSplit sends to validation from each class its share of nval,
// rounded down, then hands the examples left over to the classes with the
// largest remainders (the largest-remainder method), ties to smaller class
// labels.
func stratifiedSplit(rng *rand.Rand, n, nval int, labels *tensor.Tensor) (train, val []int) {
	if labels.Size() != n {
		panicf("SplitIndices", "Stratify has %d labels for %d examples", labels.Size(), n)
	}
	byClass := map[float64][]int{}
	for i, c := range labels.Float64s() { // an Int64 label beyond ±2⁵³ panics rather than merging with a neighbour
		byClass[c] = append(byClass[c], i)
	}
	classes := make([]float64, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	take := make([]int, len(classes))
	rem := make([]float64, len(classes))
	given := 0
	for i, c := range classes {
		exact := float64(nval) * float64(len(byClass[c])) / float64(n)
		take[i] = int(exact)
		rem[i] = exact - float64(take[i])
		given += take[i]
	}
	order := make([]int, len(classes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for _, i := range order[:nval-given] {
		take[i]++
	}
	for i, c := range classes {
		idx := slices.Clone(byClass[c])
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		val = append(val, idx[:take[i]]...)
		train = append(train, idx[take[i]:]...)
	}
	return train, val
}

// Split divides d into training and validation sets with SplitIndices.
func Split(rng *rand.Rand, d *TensorDataset, cfg SplitConfig) (train, val *TensorDataset) {
	ti, vi := SplitIndices(rng, d.Len(), cfg)
	return d.Subset(ti), d.Subset(vi)
}

// Fold is one round of k-fold cross-validation: the indices to train on and
// those to validate on.
type Fold struct {
	Train, Val []int
}

// KFold splits 0 … n−1 into k folds of nearly equal size (the first n mod k
// one larger, as scikit-learn's KFold) and returns, for each fold, it as
// validation and the rest as training. With a non-nil rng the indices are
// shuffled first; with nil they are taken in order.
func KFold(rng *rand.Rand, n, k int) []Fold {
	if k < 2 || k > n {
		panicf("KFold", "%d folds of %d examples: want 2 ≤ k ≤ n", k, n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if rng != nil {
		rng.Shuffle(n, func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	}
	folds := make([]Fold, k)
	start := 0
	for f := range k {
		size := n / k
		if f < n%k {
			size++
		}
		val := slices.Clone(idx[start : start+size])
		train := append(slices.Clone(idx[:start]), idx[start+size:]...)
		slices.Sort(val)
		slices.Sort(train)
		folds[f] = Fold{Train: train, Val: val}
		start += size
	}
	return folds
}

// OneHot returns the [N classes] one-hot encoding of class labels [N]
// (Int64, or whole numbers in a float tensor).
func OneHot(labels *tensor.Tensor, classes int) *tensor.Tensor {
	if labels.Dims() != 1 {
		panicKind(tensor.ErrShape, "OneHot", "labels of shape %v: want [N]", labels.Shape())
	}
	out := tensor.Zeros(labels.Size(), classes)
	idx, err := classIndices("OneHot", labels, classes)
	if err != nil {
		panic(err)
	}
	for i, c := range idx {
		out.Data()[i*classes+c] = 1
	}
	return out
}
