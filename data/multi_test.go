package data

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minidl/minidl/tensor"
)

// TestMultiLoader checks that a loader of several inputs yields, for each
// input, the batches a loader of that input alone yields with the same
// seed, with All and Reused, prefetched or not, and that the targets stay
// in step.
func TestMultiLoader(t *testing.T) {
	ds := rowsDataset(11)
	other := ds.X.MulScalar(-1)
	multi := NewMultiTensorDataset([]*tensor.Tensor{ds.X, other}, ds.Y).WithNames("x", "minus")
	for _, cfg := range []LoaderConfig{{BatchSize: 3}, {BatchSize: 4, Shuffle: true, DropLast: true}, {BatchSize: 4, Shuffle: true, Prefetch: true}} {
		for _, reuse := range []bool{false, true} {
			a, b := cfg, cfg
			if cfg.Shuffle {
				a.Rand, b.Rand = rng(9), rng(9)
			}
			want := batches(NewLoader(ds, a))
			l := NewMultiLoader(multi, b)
			seq := l.AllInputs()
			if reuse {
				seq = l.ReusedInputs()
			}
			var got [][]float64
			for xs, y := range seq {
				if len(xs) != 2 || !tensor.Equal(xs[1], xs[0].MulScalar(-1)) || !tensor.Equal(y, xs[0].MulScalar(10)) {
					t.Fatalf("%+v: inputs and targets out of step", cfg)
				}
				got = append(got, slices.Clone(xs[0].Data()))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%+v reuse %v: batches differ (-one input +two):\n%s", cfg, reuse, diff)
			}
			if l.NumInputs() != 2 || l.Examples() != 11 || !slices.Equal(l.InputNames(), []string{"x", "minus"}) || l.Dataset() != nil || l.MultiDataset() != multi {
				t.Errorf("the loader describes its data set wrongly")
			}
		}
	}
	one := NewLoader(ds, LoaderConfig{})
	if one.NumInputs() != 1 || one.InputNames() != nil || one.MultiDataset() != nil || one.Examples() != 11 {
		t.Error("a loader of a Dataset describes it wrongly")
	}
	sub := multi.Subset([]int{3, 1})
	if sub.Inputs[1].At(0, 0) != -ds.X.At(3, 0) || sub.Y.At(1, 0) != ds.Y.At(1, 0) || !slices.Equal(sub.Names, multi.Names) {
		t.Errorf("Subset: %v %v", sub.Inputs, sub.Y)
	}
}

// TestMultiRefused checks the panics of the multi-input pieces.
func TestMultiRefused(t *testing.T) {
	ds := rowsDataset(4)
	multi := NewMultiTensorDataset([]*tensor.Tensor{ds.X, ds.X}, ds.Y)
	for _, c := range []struct {
		want string
		kind error
		f    func()
	}{
		{"data: Loader.All: the data set has 2 inputs per example: iterate with AllInputs or ReusedInputs", tensor.ErrArgument, func() { NewMultiLoader(multi, LoaderConfig{}).All() }},
		{"data: NewMultiTensorDataset: input 1 [3 1] and targets [4 1]: want the same number of rows", tensor.ErrShape, func() {
			NewMultiTensorDataset([]*tensor.Tensor{ds.X, tensor.Ones(3, 1)}, ds.Y)
		}},
		{"data: NewMultiTensorDataset: no inputs: want at least one", tensor.ErrShape, func() { NewMultiTensorDataset(nil, ds.Y) }},
		{`data: MultiTensorDataset.WithNames: inputs 0 and 1 are both named "a"`, tensor.ErrArgument, func() { multi.WithNames("a", "a") }},
		{"data: MultiTensorDataset.WithNames: 1 names for 2 inputs", tensor.ErrArgument, func() { multi.WithNames("a") }},
		{"data: CodeTensor: code -1 at 1: want a whole number ≥ 0", tensor.ErrIndex, func() { CodeTensor([]int{0, -1}, 2) }},
		{"data: CodeTensor: 2 codes into shape [3]", tensor.ErrShape, func() { CodeTensor([]int{0, 1}, 3) }},
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				var de *Error
				if !errors.As(err, &de) || err.Error() != c.want || !errors.Is(err, c.kind) {
					t.Errorf("got %v, want %q", err, c.want)
				}
			}()
			c.f()
		}()
	}
	// Int64, exact beyond 2⁵³ where float64 skips whole numbers.
	if got := CodeTensor([]int{2, 0, 1<<53 + 1}, 3, 1); !slices.Equal(got.Int64s(), []int64{2, 0, 1<<53 + 1}) || !slices.Equal(got.Shape(), []int{3, 1}) {
		t.Errorf("CodeTensor: %v", got)
	}
}
