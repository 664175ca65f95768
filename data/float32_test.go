package data

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// float32Inputs returns [n 3] inputs with values that float32 cannot hold
// exactly, in float64 and rounded to float32.
func float32Inputs(n int) (x64, x32 *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(5, 6))
	x64 = tensor.Zeros(n, 3)
	for i := range x64.Data() {
		x64.Data()[i] = 100*rng.NormFloat64() + float64(i%3)*1e3
	}
	return x64, x64.To(tensor.Float32)
}

// TestLoaderFloat32: a data set of float32 tensors gives float32 batches,
// the float64 data set's rows rounded, in the same order, whether batches
// are shuffled, prefetched or reused.
func TestLoaderFloat32(t *testing.T) {
	x64, x32 := float32Inputs(23)
	y := tensor.Zeros(23)
	for i := range y.Data() {
		y.Data()[i] = float64(i % 4)
	}
	for _, reuse := range []bool{false, true} {
		for _, prefetch := range []bool{false, true} {
			cfg := func() LoaderConfig {
				return LoaderConfig{BatchSize: 5, Shuffle: true, Rand: rand.New(rand.NewPCG(1, 2)), Prefetch: prefetch}
			}
			collect := func(ds Dataset) (xs []*tensor.Tensor, ys [][]float64) {
				l := NewLoader(ds, cfg())
				seq := l.All()
				if reuse {
					seq = l.Reused()
				}
				for x, y := range seq {
					xs, ys = append(xs, x.Clone()), append(ys, slices.Clone(y.Data()))
				}
				return xs, ys
			}
			got, gotY := collect(NewTensorDataset(x32, y.To(tensor.Float32).To(tensor.Float64)))
			want, wantY := collect(NewTensorDataset(x64, y))
			if len(got) != len(want) || len(got) != 5 {
				t.Fatalf("reuse %v, prefetch %v: %d batches, want %d and 5", reuse, prefetch, len(got), len(want))
			}
			for b := range got {
				if got[b].DType() != tensor.Float32 {
					t.Fatalf("reuse %v, prefetch %v: batch %d is %v, want float32", reuse, prefetch, b, got[b].DType())
				}
				if !slices.Equal(got[b].Float32s(), want[b].To(tensor.Float32).Float32s()) || !slices.Equal(gotY[b], wantY[b]) {
					t.Fatalf("reuse %v, prefetch %v: batch %d differs from the float64 data set's, rounded", reuse, prefetch, b)
				}
			}
		}
	}
}

// TestScalersFloat32: fitted on float32 inputs, a scaler holds the float64
// statistics of the same values, and transforms float32 inputs into float32
// outputs within float32's rounding of the float64 transform.
func TestScalersFloat32(t *testing.T) {
	_, x32 := float32Inputs(40)
	exact := x32.To(tensor.Float64) // the float32 values, held exactly
	std32, std64 := FitStandard(x32), FitStandard(exact)
	mm32, mm64 := FitMinMax(x32, -1, 1), FitMinMax(exact, -1, 1)
	for name, pair := range map[string][2]*tensor.Tensor{
		"mean": {std32.Mean, std64.Mean}, "std": {std32.Std, std64.Std},
		"min": {mm32.Min, mm64.Min}, "max": {mm32.Max, mm64.Max},
	} {
		if pair[0].DType() != tensor.Float64 || !slices.Equal(pair[0].Data(), pair[1].Data()) {
			t.Errorf("%s fitted on float32 inputs: %v %v, want the float64 fit's %v", name, pair[0].DType(), pair[0], pair[1])
		}
	}
	for name, c := range map[string]struct {
		transform func(*tensor.Tensor) *tensor.Tensor
	}{
		"StandardScaler.Transform":        {std32.Transform},
		"StandardScaler.InverseTransform": {std32.InverseTransform},
		"MinMaxScaler.Transform":          {mm32.Transform},
		"MinMaxScaler.InverseTransform":   {mm32.InverseTransform},
	} {
		got, want := c.transform(x32), c.transform(exact)
		if got.DType() != tensor.Float32 {
			t.Fatalf("%s of float32 inputs is %v", name, got.DType())
		}
		scale := 0.0
		for _, v := range want.Data() {
			scale = max(scale, math.Abs(v))
		}
		// Two or three float32 operations, each within half an ulp.
		tol := 4 * 0x1p-24 * scale
		for i, g := range got.Float32s() {
			if d := math.Abs(float64(g) - want.Data()[i]); d > tol {
				t.Fatalf("%s: element %d is %v, float64 gives %v (|Δ| %.3g > %.3g)", name, i, g, want.Data()[i], d, tol)
			}
		}
	}
}

// TestWindowsFloat32: the windows of a float32 series are float32, and the
// same values as those of the series in float64; a batch of another dtype
// is refused.
func TestWindowsFloat32(t *testing.T) {
	_, s32 := float32Inputs(20)
	ds32, err := Windows(s32, WindowsConfig{Length: 4, Horizon: 2, Stride: 3})
	if err != nil {
		t.Fatal(err)
	}
	ds64, err := Windows(s32.To(tensor.Float64), WindowsConfig{Length: 4, Horizon: 2, Stride: 3})
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{4, 0, 2}
	x32, y32 := ds32.Batch(idx)
	x64, y64 := ds64.Batch(idx)
	if x32.DType() != tensor.Float32 || y32.DType() != tensor.Float32 {
		t.Fatalf("windows of a float32 series are %v and %v", x32.DType(), y32.DType())
	}
	if !slices.Equal(x32.To(tensor.Float64).Data(), x64.Data()) || !slices.Equal(y32.To(tensor.Float64).Data(), y64.Data()) {
		t.Fatal("windows of the float32 series differ from those of the same values in float64")
	}
	defer func() {
		e, ok := recover().(*Error)
		if !ok || !errors.Is(e, tensor.ErrDType) {
			t.Fatalf("FillBatch with float64 buffers for a float32 series: panic %v, want a *data.Error of tensor.ErrDType", e)
		}
	}()
	ds32.FillBatch(x64, y64, idx)
}
