package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{64, 256, 512} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x, y := Normal(rng, 0, 1, n, n), Normal(rng, 0, 1, n, n)
			b.ReportAllocs()
			for b.Loop() {
				x.MatMul(y)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkMatMulT is MatMul with the second operand stored transposed,
// [n k]: the layout of a linear layer's weights.
func BenchmarkMatMulT(b *testing.B) {
	for _, n := range []int{64, 512} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			x, y := Normal(rng, 0, 1, n, n), Normal(rng, 0, 1, n, n)
			for b.Loop() {
				x.MatMulT(y)
			}
			b.ReportMetric(2*float64(n*n*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkAddBroadcast(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, bias := Normal(rng, 0, 1, 64, 128), Normal(rng, 0, 1, 128)
	b.ReportAllocs()
	for b.Loop() {
		x.Add(bias)
	}
}

func BenchmarkSoftmax(b *testing.B) {
	x := Normal(rand.New(rand.NewPCG(1, 2)), 0, 1, 64, 10)
	b.ReportAllocs()
	for b.Loop() {
		x.LogSoftmax(1)
	}
}

func BenchmarkSum(b *testing.B) {
	x := Normal(rand.New(rand.NewPCG(1, 2)), 0, 1, 64, 128)
	b.ReportAllocs()
	for b.Loop() {
		x.Sum(0)
	}
}

// BenchmarkMLPProducts times the two large products of a 784-128-10 MLP
// step on a batch of 64: the forward x·W1ᵀ and the weight gradient dHᵀ·x.
func BenchmarkMLPProducts(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, dh := Normal(rng, 0, 1, 64, 784), Normal(rng, 0, 1, 128, 784), Normal(rng, 0, 1, 64, 128)
	h, dw := Zeros(64, 128), Zeros(128, 784)
	flops := 2 * 64 * 784 * 128.0
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			h.SetMatMul(x, w, false, true)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("weight-grad", func(b *testing.B) {
		for b.Loop() {
			dw.SetMatMul(dh, x, true, false)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
