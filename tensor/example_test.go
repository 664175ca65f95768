package tensor_test

import (
	"fmt"

	"github.com/minidl/minidl/tensor"
)

func Example() {
	x := tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	bias := tensor.New([]float64{10, 20, 30})
	fmt.Println(x.Add(bias)) // bias broadcasts over the rows
	fmt.Println(x.MatMul(x.T()))
	fmt.Println(x.Sum(0), x.Mean())
	// Output:
	// [[11 22 33]
	//  [14 25 36]] shape [2 3]
	// [[14 32]
	//  [32 77]] shape [2 2]
	// [5 7 9] shape [3] 3.5 shape []
}

func ExampleTensor_Reshape() {
	x := tensor.Arange(0, 6, 1)
	m := x.Reshape(2, -1) // -1 is inferred: 3
	m.Set(100, 0, 0)      // Reshape shares data with x
	fmt.Println(m.Shape(), x.At(0))
	// Output: [2 3] 100
}

func ExampleError() {
	defer func() {
		fmt.Println(recover())
	}()
	tensor.Zeros(2, 3).MatMul(tensor.Zeros(4, 5))
	// Output: tensor: MatMul: [2 3] × [4 5]: inner dimensions differ
}

func ExampleTensor_Softmax() {
	logits := tensor.New([]float64{1000, 1000}) // would overflow a naive exp
	fmt.Println(logits.Softmax(0))
	// Output: [0.5 0.5] shape [2]
}
