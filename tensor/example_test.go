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

func ExampleTensor_To() {
	x := tensor.New([]float64{1, 2.5, 1.0 / 3}) // float64, the default
	y := x.To(tensor.Float32)
	fmt.Println(y)
	fmt.Println(y.DType(), y.Float32s()[2], y.Mean().Item())
	fmt.Println(y.To(tensor.Float32) == y) // already float32: the same tensor, as torch's to
	// Output:
	// [       1      2.5 0.333333] shape [3] dtype float32
	// float32 0.33333334 1.2777777910232544
	// true
}

func ExampleZerosOf() {
	w := tensor.ZerosOf(tensor.Float32, 2, 2).Fill(0.5)
	x := tensor.NewFloat32([]float32{1, 2, 3, 4}, 2, 2)
	fmt.Println(x.MatMul(w)) // float32 in, float32 out
	defer func() { fmt.Println(recover()) }()
	x.MatMul(tensor.Ones(2, 2))
	// Output:
	// [[1.5 1.5]
	//  [3.5 3.5]] shape [2 2] dtype float32
	// tensor: MatMul: float32 [2 2] and float64 [2 2]: dtypes differ; convert one with To(tensor.Float32) or To(tensor.Float64)
}

func ExampleNewInt64() {
	codes := tensor.NewInt64([]int64{2, 0, 1, 2}, 2, 2) // indices, exact whatever their size
	fmt.Println(codes)
	fmt.Println(codes.IndexRows([]int{1}).Int64s()) // batching moves them unchanged
	fmt.Println(tensor.New([]float64{3, 1}).To(tensor.Int64))
	func() {
		defer func() { fmt.Println(recover()) }()
		codes.Add(codes) // no arithmetic on indices
	}()
	defer func() { fmt.Println(recover()) }()
	tensor.New([]float64{1, 2.7}).To(tensor.Int64) // PyTorch would truncate to 2
	// Output:
	// [[2 0]
	//  [1 2]] shape [2 2] dtype int64
	// [1 2]
	// [3 1] shape [2] dtype int64
	// tensor: Add: int64 tensor of shape [2 2]: Add computes on float tensors only; convert with To(tensor.Float64)
	// tensor: To: element 1 is 2.7: want a whole number in int64's range (PyTorch would truncate it; minidl refuses)
}
