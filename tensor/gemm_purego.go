//go:build !amd64 || purego

package tensor

// cpuKernels returns the portable micro-kernel: this build has no assembly.
func cpuKernels() []microKernel { return []microKernel{goKernel} }
