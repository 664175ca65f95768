//go:build !amd64 || purego

package gemm

// detectCPU reports no features: this build has no assembly.
func detectCPU() features { return features{} }

// newEngine64 returns the portable float64 engine.
func newEngine64(features) *engine[float64] {
	return &engine[float64]{kern: goKernel[float64](), kc: 128, maxRows: 768, axpy: axpyGo[float64], scratch: &scratch64}
}

// newEngine32 returns the portable float32 engine.
func newEngine32(features) *engine[float32] {
	return &engine[float32]{kern: goKernel[float32](), kc: 256, maxRows: 384, axpy: axpyGo[float32], scratch: &scratch32}
}
