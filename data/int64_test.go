package data

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestLoadersCarryInt64 checks that every way of batching (a fresh batch,
// a reused buffer, prefetching, one input or several) gives Int64 codes and
// targets as Int64 tensors holding the rows asked for, exact beyond 2⁵³.
func TestLoadersCarryInt64(t *testing.T) {
	const big = 1<<53 + 1 // a value float64 would round
	codes := CodeTensor([]int{0, big, 2, 3, 4}, 5, 1)
	x := tensor.New([]float64{0.5, 1, 1.5, 2, 2.5}, 5, 1)
	y := tensor.NewInt64([]int64{1, 0, big, 0, 1})
	wantCodes := [][]int64{{0, big}, {2, 3}, {4}}
	wantY := [][]int64{{1, 0}, {big, 0}, {1}}
	for _, cfg := range []LoaderConfig{{BatchSize: 2}, {BatchSize: 2, Prefetch: true}} {
		multi := NewMultiLoader(NewMultiTensorDataset([]*tensor.Tensor{codes, x}, y), cfg)
		for _, seq := range []func(func([]*tensor.Tensor, *tensor.Tensor) bool){multi.AllInputs(), multi.ReusedInputs()} {
			k := 0
			for xs, yb := range seq {
				if !slices.Equal(xs[0].Int64s(), wantCodes[k]) || !slices.Equal(yb.Int64s(), wantY[k]) || xs[1].DType() != tensor.Float64 {
					t.Errorf("prefetch %v batch %d: codes %v targets %v", cfg.Prefetch, k, xs[0], yb)
				}
				k++
			}
		}
		single := NewLoader(NewTensorDataset(codes, y), cfg)
		for _, seq := range []func(func(*tensor.Tensor, *tensor.Tensor) bool){single.All(), single.Reused()} {
			k := 0
			for xb, yb := range seq {
				if !slices.Equal(xb.Int64s(), wantCodes[k]) || !slices.Equal(yb.Int64s(), wantY[k]) {
					t.Errorf("one input, prefetch %v batch %d: %v %v", cfg.Prefetch, k, xb, yb)
				}
				k++
			}
		}
	}
}

// TestLabelsInt64 checks that ClassWeights, NewBalancedSampler, OneHot and
// a stratified split read Int64 labels as they read the same labels in
// float64, and that an Int64 label out of range is an error naming it.
func TestLabelsInt64(t *testing.T) {
	ints := []int64{0, 2, 2, 1, 0, 2, 2, 1, 2, 2}
	floats := make([]float64, len(ints))
	for i, v := range ints {
		floats[i] = float64(v)
	}
	yi, yf := tensor.NewInt64(ints), tensor.New(floats)
	wi, err1 := ClassWeights(yi, 3)
	wf, err2 := ClassWeights(yf, 3)
	if err1 != nil || err2 != nil || !tensor.Equal(wi, wf) {
		t.Errorf("ClassWeights: %v (%v) for int64 labels, %v (%v) for float64", wi, err1, wf, err2)
	}
	si, _ := NewBalancedSampler(yi, 3, 0, rand.New(rand.NewPCG(1, 2)))
	sf, _ := NewBalancedSampler(yf, 3, 0, rand.New(rand.NewPCG(1, 2)))
	if a, b := si.Indices(), sf.Indices(); !slices.Equal(a, b) {
		t.Errorf("NewBalancedSampler draws %v for int64 labels, %v for float64", a, b)
	}
	if a, b := OneHot(yi, 3), OneHot(yf, 3); !tensor.Equal(a, b) {
		t.Errorf("OneHot: %v for int64 labels, %v for float64", a, b)
	}
	ti, vi := SplitIndices(rand.New(rand.NewPCG(3, 4)), 10, SplitConfig{ValCount: 4, Stratify: yi})
	tf, vf := SplitIndices(rand.New(rand.NewPCG(3, 4)), 10, SplitConfig{ValCount: 4, Stratify: yf})
	if !slices.Equal(ti, tf) || !slices.Equal(vi, vf) {
		t.Errorf("stratified split %v/%v for int64 labels, %v/%v for float64", ti, vi, tf, vf)
	}
	_, err := ClassWeights(tensor.NewInt64([]int64{0, 1 << 60}), 2)
	if !errors.Is(err, tensor.ErrIndex) || !strings.Contains(err.Error(), "label 1152921504606846976 at position 1 is not a class index in [0, 2)") {
		t.Errorf("ClassWeights of a huge label: %v", err)
	}
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, tensor.ErrIndex) || !strings.Contains(err.Error(), "OneHot: label -1 at position 0") {
			t.Errorf("OneHot of -1: panic %v", err)
		}
	}()
	OneHot(tensor.NewInt64([]int64{-1}), 2)
}

// TestWindowsInt64 checks that the windows of an Int64 series of token
// indices are Int64 inputs and targets holding the right steps, and that a
// scaler refuses Int64 inputs with an ErrDType rather than converting its
// statistics to int64.
func TestWindowsInt64(t *testing.T) {
	tokens := tensor.NewInt64([]int64{5, 1, 1<<53 + 1, 4, 2, 0})
	ds, err := Windows(tokens, WindowsConfig{Length: 3, Stride: 2})
	if err != nil {
		t.Fatal(err)
	}
	x, y := ds.Batch([]int{1, 0})
	if !slices.Equal(x.Int64s(), []int64{1<<53 + 1, 4, 2, 5, 1, 1<<53 + 1}) || !slices.Equal(y.Int64s(), []int64{0, 4}) {
		t.Errorf("windows %v, targets %v", x, y)
	}
	s := FitStandard(tensor.New([]float64{1, 2, 3, 5}, 2, 2))
	for name, f := range map[string]func(){
		"StandardScaler": func() { s.Transform(tensor.NewInt64([]int64{1, 2}, 1, 2)) },
		"MinMaxScaler": func() {
			FitMinMax(tensor.New([]float64{1, 2, 3, 5}, 2, 2), 0, 1).InverseTransform(tensor.NewInt64([]int64{1, 2}, 1, 2))
		},
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, tensor.ErrDType) || !strings.Contains(err.Error(), "int64 inputs of shape [1 2]") {
					t.Errorf("%s of int64 inputs: panic %v, want an ErrDType naming them", name, err)
				}
			}()
			f()
		}()
	}
}
