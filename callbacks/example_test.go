package callbacks_test

import (
	"fmt"

	"github.com/minidl/minidl/callbacks"
)

// EarlyStopping in a hand-written loop: feed it each epoch's validation
// loss and stop when it says so.
func ExampleEarlyStopping_Observe() {
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 2, MinDelta: 0.01})
	valLoss := []float64{0.9, 0.7, 0.6, 0.595, 0.61, 0.5}
	for epoch, v := range valLoss {
		if stop.Observe(epoch, v) {
			break
		}
	}
	fmt.Println(stop.Message())
	fmt.Println(stop.StopReason(), stop.BestEpoch())
	// Output:
	// Epoch 4: early stopping: val_loss did not improve by more than 0.01 for 2 epochs; best 0.6 at epoch 2
	// patience 2
}

// Prechelt's GL criterion: stop once the validation loss is more than 5%
// above the lowest seen.
func ExampleEarlyStoppingConfig_prechelt() {
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: -1, GL: 5})
	for epoch, v := range []float64{1, 0.8, 0.82, 0.83, 0.85, 0.9} {
		if stop.Observe(epoch, v) {
			break
		}
	}
	fmt.Println(stop.Message())
	// Output: Epoch 4: early stopping: generalization loss GL = 6.25% exceeds 5; best 0.8 at epoch 1
}
