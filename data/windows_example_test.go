package data_test

import (
	"fmt"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/tensor"
)

// Windows of four steps predicting the two that follow, every third step.
func ExampleWindows() {
	series := tensor.New([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	ds, err := data.Windows(series, data.WindowsConfig{Length: 4, Horizon: 2, Stride: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	for x, y := range data.NewLoader(ds, data.LoaderConfig{BatchSize: 2}).All() {
		fmt.Println(x.Shape(), x.Data(), "→", y.Data())
	}
	_, err = data.Windows(series, data.WindowsConfig{Length: 12})
	fmt.Println(err)
	// Output:
	// [2 4] [0 1 2 3 3 4 5 6] → [4 5 7 8]
	// [1 4] [6 7 8 9] → [10 11]
	// data: Windows: series of 12 steps is too short for one window of 12 steps and 1 of horizon: want at least 13 steps
}

// Balanced class weights for nn.CrossEntropyLoss, as scikit-learn's
// compute_class_weight("balanced").
func ExampleClassWeights() {
	labels := tensor.New([]float64{0, 0, 0, 0, 0, 0, 1, 1, 2, 2})
	w, err := data.ClassWeights(labels, 3)
	fmt.Println(w.Data(), err)
	_, err = data.ClassWeights(labels, 4)
	fmt.Println(err)
	// Output:
	// [0.5555555555555556 1.6666666666666667 1.6666666666666667] <nil>
	// data: ClassWeights: class 3 of 4 has no example among the 10 labels; a balanced weight needs every class present
}
