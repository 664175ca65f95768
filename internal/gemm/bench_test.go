package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkKernel runs each micro-kernel on panels that stay in cache: the
// ceiling of the blocked product.
func BenchmarkKernel(b *testing.B) {
	benchKernels[float64](b)
	benchKernels[float32](b)
}

func benchKernels[E float](b *testing.B) {
	for _, e := range engines[E]() {
		kern := e.kern
		b.Run(fmt.Sprintf("%T/%s", E(0), kern.name), func(b *testing.B) {
			const k = 128
			a, bp, c := make([]E, k*kern.mr), make([]E, k*kern.nr), make([]E, kern.mr*kern.nr)
			for b.Loop() {
				kern.run(k, a, bp, c, kern.nr, kern.mr, kern.nr, true)
			}
			b.ReportMetric(2*float64(k*kern.mr*kern.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGemm times square products and the MNIST MLP's (batch 64,
// 784-128-10): the forward x·W1ᵀ and h·W2ᵀ, the weight gradient dHᵀ·x
// and the input gradient dH·W1, in float64 and float32, through Gemm and
// Gemm32.
func BenchmarkGemm(b *testing.B) {
	type shape struct {
		name    string
		ta, tb  bool
		m, n, k int
	}
	shapes := []shape{
		{"64", false, false, 64, 64, 64},
		{"256", false, false, 256, 256, 256},
		{"512", false, false, 512, 512, 512},
		{"mlp-forward", false, true, 64, 128, 784},
		{"mlp-forward-2", false, true, 64, 10, 128},
		{"mlp-weight-grad", true, false, 128, 784, 64},
		{"mlp-input-grad", false, false, 64, 784, 128},
	}
	for _, s := range shapes {
		flops := 2 * float64(s.m*s.n*s.k)
		ar, ac, br, bc := s.m, s.k, s.k, s.n
		if s.ta {
			ar, ac = ac, ar
		}
		if s.tb {
			br, bc = bc, br
		}
		b.Run("float64/"+s.name, func(b *testing.B) {
			a, bm, c := make([]float64, ar*ac), make([]float64, br*bc), make([]float64, s.m*s.n)
			fill(a, 1)
			fill(bm, 2)
			for b.Loop() {
				Gemm(s.ta, s.tb, s.m, s.n, s.k, a, ac, bm, bc, c, s.n, false)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("float32/"+s.name, func(b *testing.B) {
			a, bm, c := make([]float32, ar*ac), make([]float32, br*bc), make([]float32, s.m*s.n)
			fill(a, 1)
			fill(bm, 2)
			for b.Loop() {
				Gemm32(s.ta, s.tb, s.m, s.n, s.k, a, ac, bm, bc, c, s.n, false)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// fill sets s to values in [-1, 1), reproducibly from seed.
func fill[E float](s []E, seed int) {
	x := uint32(seed)*2654435761 + 1
	for i := range s {
		x = x*1664525 + 1013904223
		s[i] = E(int32(x)>>8) / (1 << 23)
	}
}

func BenchmarkPackA(b *testing.B) {
	for _, ta := range []bool{false} {
		b.Run(fmt.Sprint("ta=", ta), func(b *testing.B) {
			a := make([]float64, 64*784)
			ap := make([]float64, 96*128)
			for b.Loop() {
				engine64.packA(ta, a, 784, 0, 64, 0, 128, 12, ap)
			}
		})
	}
}

func BenchmarkPackB(b *testing.B) {
	for _, tb := range []bool{false, true} {
		b.Run(fmt.Sprint("tb=", tb), func(b *testing.B) {
			src := make([]float64, 128*784) // a weight matrix, out×in
			bp := make([]float64, 128*128)
			ldb := 784
			if !tb {
				ldb = 128 // a 784×128 matrix, read by rows
			}
			for b.Loop() {
				engine64.packB(tb, src, ldb, 0, 128, 0, 128, 16, bp)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(128*128), "ns/elem")
		})
	}
}
