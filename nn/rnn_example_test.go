package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

func ExampleLSTM() {
	rng := rand.New(rand.NewPCG(1, 2))
	lstm := nn.NewLSTM(rng, 3, 8, nn.RNNConfig{NumLayers: 2, BatchFirst: true, Bidirectional: true})
	fmt.Println(lstm)

	// Four sequences of 3 features, of 10, 7, 3 and 5 steps, padded to 10.
	x := autograd.Const(tensor.Normal(rng, 0, 1, 4, 10, 3))
	out, state := lstm.Run(x, nn.RNNInput{Lengths: []int{10, 7, 3, 5}})
	fmt.Println("output", out.Shape(), "h_n", state.H.Shape(), "c_n", state.C.Shape())
	fmt.Println("output past the third sequence's end:", out.Value.Slice(0, 2, 3).Slice(1, 3, 10).Abs().Sum().Item())

	// The last layer's final states, both directions, classify each sequence.
	last := state.H.Slice(0, 2, 4)                       // [2 4 8]
	features := last.Permute(1, 0, 2).Reshape(4, 2*8)    // [4 16]
	logits := nn.NewLinear(rng, 16, 5).Forward(features) // [4 5]
	fmt.Println("logits", logits.Shape())
	fmt.Println(nn.StateOf(lstm).Names()[:5])
	// Output:
	// LSTM(3, 8, num_layers=2, batch_first=True, bidirectional=True)
	// output [4 10 16] h_n [4 4 8] c_n [4 4 8]
	// output past the third sequence's end: 0
	// logits [4 5]
	// [weight_ih_l0 weight_hh_l0 bias_ih_l0 bias_hh_l0 weight_ih_l0_reverse]
}

func ExampleGRU() {
	rng := rand.New(rand.NewPCG(1, 2))
	gru := nn.NewGRU(rng, 2, 4, nn.RNNConfig{})
	x := tensor.Normal(rng, 0, 1, 6, 1, 2) // one sequence of 6 steps, time first

	// Run a sequence in two pieces, the second from the state the first
	// left: the same as running it whole.
	whole, _ := gru.Run(autograd.NoGrad(x), nn.RNNInput{})
	first, state := gru.Run(autograd.NoGrad(x.Slice(0, 0, 4)), nn.RNNInput{})
	second, _ := gru.Run(autograd.NoGrad(x.Slice(0, 4, 6)), nn.RNNInput{H0: state.H})
	fmt.Println(tensor.AllClose(tensor.Concat(0, first.Value, second.Value), whole.Value, 0, 1e-15))
	// Output:
	// true
}

func ExampleRNN() {
	rng := rand.New(rand.NewPCG(1, 2))
	rnn := nn.NewRNN(rng, 1, 2, nn.RNNConfig{Nonlinearity: "relu"})
	// One sequence without a batch axis: [steps features].
	y := rnn.Forward(autograd.NoGrad(tensor.New([]float64{1, 0, -1}, 3, 1)))
	fmt.Println(rnn, y.Shape())
	// Output:
	// RNN(1, 2) [3 2]
}
