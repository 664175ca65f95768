package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/train"
)

// The design's north star: XOR with early stopping on val_loss.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := data.XOR() // 4×2 inputs, 4×1 targets
	model := nn.NewSequential(
		nn.NewLinear(rng, 2, 8), nn.Tanh(),
		nn.NewLinear(rng, 8, 1), nn.Sigmoid(),
	)
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.05})
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{
		Monitor: "val_loss", Patience: 50, MinDelta: 1e-6, RestoreBestWeights: true,
	})
	hist, err := train.Fit(context.Background(), model, train.Config{
		Loss: nn.MSE, Optimizer: opt, Epochs: 5000,
		Train:     data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4}),
		Val:       data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 4}),
		Callbacks: []callbacks.Callback{stop},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hist.StopReason, stop.BestEpoch() < hist.StoppedEpoch)
	for _, p := range train.Predict(model, x).Data() {
		fmt.Printf("%.0f ", p)
	}
	// Output:
	// patience true
	// 0 1 1 0
}
