package data_test

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/tensor"
)

func Example() {
	x, y := data.XOR()
	loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 3})
	for xb, yb := range loader.All() {
		fmt.Println(xb.Shape(), yb.Data())
	}
	// Output:
	// [3 2] [0 1 1]
	// [1 2] [0]
}

func ExampleSplit() {
	x, y := data.Iris()
	rng := rand.New(rand.NewPCG(1, 2))
	train, val := data.Split(rng, data.NewTensorDataset(x, y), data.SplitConfig{ValFraction: 0.2, Stratify: y})
	scaler := data.FitStandard(train.X) // fitted on the training inputs only
	train.X, val.X = scaler.Transform(train.X), scaler.Transform(val.X)
	fmt.Println(train.Len(), val.Len())
	// Output: 120 30
}

func ExampleReadCSV() {
	in := "height,weight,species\n1.2,30,cat\n0.5,4,mouse\n1.1,28,cat\n"
	d, err := data.ReadCSV(strings.NewReader(in), "animals.csv", data.CSVConfig{Header: true, Targets: []string{"species"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.X.Shape(), d.Y.Data(), d.ClassNames)
	_, err = data.ReadCSV(strings.NewReader("a,b\n1,x\n"), "bad.csv", data.CSVConfig{Header: true, TargetColumns: []int{0}})
	fmt.Println(err)
	// Output:
	// [3 2] [0 1 0] [cat mouse]
	// bad.csv:2: column 2 (b): "x" is not a number
}

func ExampleReadIDX() {
	// A 2×2 unsigned-byte IDX file: magic 0 0 8 2, dimensions, values.
	file := []byte{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4}
	t, err := data.ReadIDX(strings.NewReader(string(file)), "tiny.idx")
	fmt.Println(t, err)
	// Output:
	// [[1 2]
	//  [3 4]] shape [2 2] <nil>
}

// A data set of two inputs, category codes and numeric features, cut into
// batches that keep them apart.
func ExampleNewMultiLoader() {
	codes := data.CodeTensor([]int{0, 2, 1, 2, 0}, 5, 1)
	features := tensor.New([]float64{0.5, 1, 1.5, 2, 2.5}, 5, 1)
	y := tensor.New([]float64{1, 0, 1, 0, 1}, 5)
	ds := data.NewMultiTensorDataset([]*tensor.Tensor{codes, features}, y).WithNames("codes", "features")
	loader := data.NewMultiLoader(ds, data.LoaderConfig{BatchSize: 2})
	fmt.Println(loader.InputNames())
	for xs, y := range loader.AllInputs() {
		fmt.Println(xs[0].Int64s(), xs[1].Data(), y.Data()) // the codes stay int64
	}
	// Output:
	// [codes features]
	// [0 2] [0.5 1] [1 0]
	// [1 2] [1.5 2] [1 0]
	// [0] [2.5] [1]
}
