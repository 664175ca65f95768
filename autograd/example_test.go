package autograd_test

import (
	"fmt"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func Example() {
	w := autograd.Param(tensor.New([]float64{1, 2}, 2, 1))
	x := autograd.Const(tensor.New([]float64{3, 4}, 1, 2))
	loss := x.MatMul(w).Square().Sum() // (3·1 + 4·2)² = 121
	loss.Backward()
	fmt.Println(loss.Item())
	fmt.Println(w.Grad) // 2·11·xᵀ
	// Output:
	// 121
	// [[66]
	//  [88]] shape [2 1]
}

func ExampleGradCheck() {
	report := autograd.GradCheck(func(x ...*autograd.Var) *autograd.Var {
		return x[0].MatMul(x[1]).Tanh().LogSoftmax(1)
	}, tensor.New([]float64{1, 2, 3, 4}, 2, 2), tensor.New([]float64{0.5, -1, 0.25, 2}, 2, 2))
	fmt.Println(report.MaxError < 1e-6)
	// Output: true
}

func ExampleNoGrad() {
	w := autograd.Param(tensor.New([]float64{2}, 1, 1))
	out := autograd.NoGrad(tensor.New([]float64{3}, 1, 1)).MatMul(w)
	fmt.Println(out.Item(), out.RequiresGrad())
	// Output: 6 false
}
