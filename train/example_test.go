package train_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
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

// A hand-written loop saved after every epoch with a RunCheckpoint, stopped
// after epoch 2 as a kill would, and resumed by a loop built afresh, ends
// with the weights of the run that was never stopped, to the bit.
func ExampleRunCheckpoint() {
	dir, err := os.MkdirTemp("", "run")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "run.safetensors")

	// fit builds the run, resumes it from path if the file is there, and
	// trains it until epoch `until` begins or early stopping ends it.
	fit := func(until int) []float64 {
		src := rand.NewPCG(1, 2)
		rng := rand.New(src)
		x, y := data.NoisySine(rand.New(rand.NewPCG(3, 4)), 64, 0.1)
		loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 16, Shuffle: true, Rand: rng})
		model := nn.NewSequential(nn.NewLinear(rng, 1, 16), nn.Tanh(), nn.NewDropout(rng, 0.1), nn.NewLinear(rng, 16, 1))
		opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.02})
		schedule := optim.NewStepLR(opt, 3, 0.5)
		stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 3})
		ckpt := &train.RunCheckpoint{Model: model, Optimizer: opt, Schedule: schedule,
			Callbacks: []callbacks.Callback{stop}, RandomSources: []train.RandomSource{src}}

		start, err := ckpt.Load(path)
		if err != nil {
			panic(err)
		}
		fmt.Println("starting at epoch", start)
		for epoch := start; epoch < until && stop.StoppedEpoch() < 0; epoch++ {
			for xb, yb := range loader.All() {
				opt.ZeroGrad()
				loss := nn.MSE(model.Forward(autograd.Const(xb)), autograd.Const(yb))
				loss.Backward()
				opt.Step()
			}
			schedule.Step()
			stop.Observe(epoch, train.EvaluateBatches(model, x, y, 0, nn.MSE, nil)["loss"])
			if err := ckpt.Save(path, epoch); err != nil {
				panic(err)
			}
		}
		return slices.Clone(model.Parameters()[0].Var.Value.Data())
	}

	fit(3)              // stopped after epoch 2
	resumed := fit(10)  // goes on from epoch 3
	os.Remove(path)     // and the run never stopped:
	straight := fit(10) // from epoch 0
	fmt.Println("the same weights:", slices.Equal(resumed, straight))
	// Output:
	// starting at epoch 0
	// starting at epoch 3
	// starting at epoch 0
	// the same weights: true
}

// PredictBatches computes a large set's outputs 32 rows at a time (Keras's
// default batch size) rather than in one forward pass over all of them;
// they are Predict's up to the last bits.
func ExamplePredictBatches() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(nn.NewLinear(rng, 3, 4), nn.ReLU(), nn.NewLinear(rng, 4, 2))
	x := tensor.Normal(rng, 0, 1, 1000, 3)
	out := train.PredictBatches(model, x, 0)
	largest := 0.0
	for i, v := range train.Predict(model, x).Data() {
		largest = max(largest, math.Abs(v-out.Data()[i]))
	}
	fmt.Println(out.Shape(), largest < 1e-14)
	// Output:
	// [1000 2] true
}
