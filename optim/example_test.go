package optim_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// Minimize (w − 3)² with Adam.
func Example() {
	w := autograd.Param(tensor.Scalar(0))
	opt := optim.NewAdam(nn.ParametersOf(w), optim.AdamConfig{LR: 0.1})
	for range 500 {
		opt.ZeroGrad()
		w.AddScalar(-3).Square().Backward()
		opt.Step()
	}
	fmt.Printf("%.3f\n", w.Item())
	// Output: 3.000
}

func ExampleNewCosineAnnealingLR() {
	opt := optim.NewSGD(nil, optim.SGDConfig{LR: 1})
	sched := optim.NewCosineAnnealingLR(opt, 4, 0)
	for range 5 {
		fmt.Printf("%.3f ", opt.LR())
		// … train one epoch …
		sched.Step()
	}
	// Output: 1.000 0.854 0.500 0.146 0.000
}

func ExamplePlateau() {
	opt := optim.NewSGD(nil, optim.SGDConfig{LR: 1})
	plateau := optim.NewPlateau(opt, optim.PlateauConfig{Patience: new(1), Factor: 0.5})
	for _, valLoss := range []float64{1, 0.8, 0.8, 0.8, 0.7} {
		plateau.Step(valLoss)
		fmt.Print(opt.LR(), " ")
	}
	// Output: 1 1 1 0.5 0.5
}

// Weight decay on a layer's weight but not on its bias, the bias with a
// rate of its own; a schedule moves both rates.
func ExampleNoDecayGroup() {
	layer := nn.NewLinear(rand.New(rand.NewPCG(1, 2)), 4, 3)
	ps := layer.Parameters()
	noDecay := optim.NoDecayGroup(ps)
	noDecay.LR = new(0.02)
	opt := optim.NewAdamW(ps, optim.AdamWConfig{LR: 0.01, WeightDecay: new(0.1), Groups: []optim.Group{noDecay}})
	sched := optim.NewStepLR(opt, 1, 0.5)
	for _, p := range noDecay.Params {
		fmt.Println("no weight decay:", p.Name)
	}
	fmt.Println(opt.LRs())
	sched.Step()
	fmt.Println(opt.LRs())
	// Output:
	// no weight decay: bias
	// [0.01 0.02]
	// [0.005 0.01]
}
