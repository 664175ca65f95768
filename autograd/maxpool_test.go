package autograd

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestMaxPoolHalvingMatchesWindows: the 2×2, stride-2 path gives the
// general path's maxima and positions on planes of even and odd sizes full
// of ties and NaNs of either sign (the first maximum in row-major order, or the first
// NaN), in both dtypes.
func TestMaxPoolHalvingMatchesWindows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, hw := range [][2]int{{2, 2}, {6, 8}, {7, 5}, {9, 9}, {40, 40}} {
		x := tensor.Zeros(1, 1, hw[0], hw[1])
		for i := range x.Data() {
			switch rng.IntN(10) {
			case 0:
				x.Data()[i] = math.Copysign(math.NaN(), float64(2*rng.IntN(2)-1)) // either sign
			case 1:
				x.Data()[i] = math.Copysign(0, -1) // equal to +0: a tie
			case 2:
				x.Data()[i] = math.Inf(2*rng.IntN(2) - 1)
			case 3:
				x.Data()[i] = -rng.Float64()
			default:
				x.Data()[i] = float64(rng.IntN(3)) // many ties
			}
		}
		g := newPoolGeometry("MaxPool2d", 2, x, PoolOptions{Kernel: [2]int{2, 2}})
		if g.opt.Stride != [2]int{2, 2} {
			t.Fatalf("the stride defaults to %v, want the kernel", g.opt.Stride)
		}
		n := g.oh * g.ow
		check := func(name string, fast, slow func(out []float64, arg []int32)) {
			outF, argF, outS, argS := make([]float64, n), make([]int32, n), make([]float64, n), make([]int32, n)
			fast(outF, argF)
			slow(outS, argS)
			if !sameBits(outF, outS) || !slices.Equal(argF, argS) {
				t.Errorf("%s %v: halving path %v at %v; general path %v at %v", name, hw, outF, argF, outS, argS)
			}
		}
		check("float64", func(o []float64, a []int32) { maxPoolHalving(g, x.Data(), o, a) },
			func(o []float64, a []int32) { maxPoolWindows(g, x.Data(), o, a) })
		x32 := x.To(tensor.Float32).Float32s()
		widen := func(f func(o []float32, a []int32)) func([]float64, []int32) {
			return func(o []float64, a []int32) {
				o32 := make([]float32, len(o))
				f(o32, a)
				for i, v := range o32 {
					o[i] = float64(v)
				}
			}
		}
		check("float32", widen(func(o []float32, a []int32) { maxPoolHalving(g, x32, o, a) }),
			widen(func(o []float32, a []int32) { maxPoolWindows(g, x32, o, a) }))
	}
}
