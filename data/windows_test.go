package data

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestWindows: window i starts at step i·Stride and its target is the
// Horizon steps after it, checked against the series read directly, for
// series [T] and [T F], over a Loader's batches.
func TestWindows(t *testing.T) {
	const steps = 23
	for _, features := range []int{0, 3} {
		var series *tensor.Tensor
		if features == 0 {
			series = tensor.Zeros(steps)
		} else {
			series = tensor.Zeros(steps, features)
		}
		for i := range series.Data() {
			series.Data()[i] = float64(i*i%97) + 0.5
		}
		f := max(features, 1)
		for _, cfg := range []WindowsConfig{{Length: 5}, {Length: 4, Horizon: 3, Stride: 2}, {Length: 20, Horizon: 3}, {Length: 1, Stride: 7}} {
			ds, err := Windows(series, cfg)
			if err != nil {
				t.Fatal(err)
			}
			h, s := max(cfg.Horizon, 1), max(cfg.Stride, 1)
			// Keras's count: the starts 0, s, 2s, … whose window and horizon fit.
			want := 0
			for start := 0; start+cfg.Length+h <= steps; start += s {
				want++
			}
			if ds.Len() != want {
				t.Fatalf("%+v of %d steps: %d windows, want %d", cfg, steps, ds.Len(), want)
			}
			seen := 0
			for x, y := range NewLoader(ds, LoaderConfig{BatchSize: 3}).Reused() {
				wantX, wantY := []int{x.Dim(0), cfg.Length}, []int{x.Dim(0), h}
				if features > 0 {
					wantX, wantY = append(wantX, features), append(wantY, features)
				}
				if !slices.Equal(x.Shape(), wantX) || !slices.Equal(y.Shape(), wantY) {
					t.Fatalf("%+v: batch %v → %v, want %v → %v", cfg, x.Shape(), y.Shape(), wantX, wantY)
				}
				for k := range x.Dim(0) {
					start := (seen + k) * s
					for j := range cfg.Length * f {
						if got := x.Data()[k*cfg.Length*f+j]; got != series.Data()[start*f+j] {
							t.Fatalf("%+v: window %d, value %d = %v, want step %d's", cfg, seen+k, j, got, start+j/f)
						}
					}
					for j := range h * f {
						if got := y.Data()[k*h*f+j]; got != series.Data()[(start+cfg.Length)*f+j] {
							t.Fatalf("%+v: target of window %d, value %d = %v, want step %d's", cfg, seen+k, j, got, start+cfg.Length+j/f)
						}
					}
				}
				seen += x.Dim(0)
			}
			if seen != want {
				t.Fatalf("%+v: the loader gave %d windows, want %d", cfg, seen, want)
			}
		}
	}
}

func TestWindowsRefuses(t *testing.T) {
	series := tensor.Zeros(10)
	tests := []struct {
		series *tensor.Tensor
		cfg    WindowsConfig
		kind   error
		want   string
	}{
		{series, WindowsConfig{Length: 8, Horizon: 3}, tensor.ErrShape, "data: Windows: series of 10 steps is too short for one window of 8 steps and 3 of horizon: want at least 11 steps"},
		{series, WindowsConfig{}, tensor.ErrArgument, "Length 0, Horizon 1, Stride 1: want a positive Length"},
		{series, WindowsConfig{Length: 2, Stride: -1}, tensor.ErrArgument, "Stride -1"},
		{series, WindowsConfig{Length: 2, Horizon: -2}, tensor.ErrArgument, "Horizon -2"},
		{tensor.Zeros(4, 2, 2), WindowsConfig{Length: 2}, tensor.ErrShape, "series of shape [4 2 2]: want [steps] or [steps features]"},
	}
	for _, tt := range tests {
		_, err := Windows(tt.series, tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.kind) {
			t.Errorf("Windows(%v, %+v) = %v, want an error of kind %v containing %q", tt.series.Shape(), tt.cfg, err, tt.kind, tt.want)
		}
	}
	ds, err := Windows(tensor.Zeros(11), WindowsConfig{Length: 8, Horizon: 3})
	if err != nil || ds.Len() != 1 {
		t.Fatalf("a series of exactly Length + Horizon steps: %v windows, error %v; want 1", ds, err)
	}
	mustPanic(t, "WindowDataset: window 1 of 1", func() { ds.Batch([]int{1}) })
}
