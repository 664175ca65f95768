package data_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/tensor"
)

// A class-balanced sampler draws a rare class as often as a common one.
func ExampleNewBalancedSampler() {
	y := tensor.New([]float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}) // nine to one
	x := tensor.Zeros(10, 2)
	src := rand.NewPCG(1, 2) // list src in train.Config.RandomSources to resume a run bitwise
	sampler, err := data.NewBalancedSampler(y, 2, 1000, rand.New(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 100, Sampler: sampler})
	ones := 0.0
	for _, yb := range loader.All() {
		ones += yb.Sum().Item()
	}
	fmt.Println(loader.Len(), "batches;", ones, "of the 1000 draws are of class 1")
	// Output:
	// 10 batches; 488 of the 1000 draws are of class 1
}
