package optim_test

import (
	"fmt"

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
