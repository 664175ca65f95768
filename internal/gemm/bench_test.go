package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkKernel runs each micro-kernel on panels that stay in cache: the
// ceiling of the blocked product.
func BenchmarkKernel(b *testing.B) {
	for _, kern := range kernels {
		b.Run(kern.name, func(b *testing.B) {
			const k = 128
			a, bp, c := make([]float64, k*kern.mr), make([]float64, k*kern.nr), make([]float64, kern.mr*kern.nr)
			for b.Loop() {
				kern.run(k, a, bp, c, kern.nr, kern.mr, kern.nr, true)
			}
			b.ReportMetric(2*float64(k*kern.mr*kern.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

var _ = fmt.Sprint

func BenchmarkPackA(b *testing.B) {
	for _, ta := range []bool{false} {
		b.Run(fmt.Sprint("ta=", ta), func(b *testing.B) {
			a := make([]float64, 64*784)
			ap := make([]float64, 96*128)
			for b.Loop() {
				packA(ta, a, 784, 0, 64, 0, 128, 12, ap)
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
				packB(tb, src, ldb, 0, 128, 0, 128, 16, bp)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(128*128), "ns/elem")
		})
	}
}
