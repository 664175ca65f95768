package nn

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/minidl/minidl/autograd"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPU(t *testing.T) {
	l, x, masks := benchEncoderLayer(0)
	xv := autograd.Const(x)
	step := func() {
		for _, p := range l.Parameters() {
			p.Var.ZeroGrad()
		}
		l.Encode(xv, masks).Sum().Backward()
	}
	for range 3 {
		step()
	}
	c := cpuNow()
	for range 20 {
		step()
	}
	fmt.Printf("step cpu ms %.1f\n", float64(cpuNow()-c)/20/1e6)
	le, xe, me := benchEncoderLayer(0.1)
	xn := autograd.NoGrad(xe)
	for range 3 {
		le.Encode(xn, me)
	}
	c = cpuNow()
	for range 20 {
		le.Encode(xn, me)
	}
	fmt.Printf("eval cpu ms %.1f\n", float64(cpuNow()-c)/20/1e6)
}
