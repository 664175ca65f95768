package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// A 1-D CNN over sequences [batch channels length]: padding='same' keeps
// the length, pooling halves it, and global average pooling ends it.
func ExampleConv1d() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(
		nn.NewConv1d(rng, 3, 8, 4, autograd.Conv1dOptions{PadMode: autograd.PadSame}), nn.ReLU(),
		nn.MaxPool1d(autograd.Pool1dOptions{Kernel: 2}),
		nn.NewConv1d(rng, 8, 8, 3, autograd.Conv1dOptions{PadMode: autograd.PadSame}), nn.ReLU(),
		nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.NewLinear(rng, 8, 2),
	)
	fmt.Println(model)
	x := autograd.NoGrad(tensor.Ones(5, 3, 20)) // 5 sequences of 3 channels, 20 steps long
	fmt.Println(model.Forward(x).Shape())
	// Output:
	// Sequential(
	//   (0): Conv1d(3, 8, kernel_size=(4,), stride=(1,), padding=same)
	//   (1): ReLU()
	//   (2): MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
	//   (3): Conv1d(8, 8, kernel_size=(3,), stride=(1,), padding=same)
	//   (4): ReLU()
	//   (5): AdaptiveAvgPool1d(output_size=1)
	//   (6): Flatten(start_dim=1, end_dim=-1)
	//   (7): Linear(in_features=8, out_features=2, bias=True)
	// )
	// [5 2]
}

// Causal self-attention over one sequence: each position attends to itself
// and the positions before it only. The weights come per head; their mean
// over the heads is what PyTorch returns by default.
func ExampleMultiheadAttention_Attend() {
	rng := rand.New(rand.NewPCG(1, 2))
	mha := nn.NewMultiheadAttention(rng, 8, 2, nn.MultiheadAttentionConfig{BatchFirst: true})
	x := autograd.NoGrad(tensor.Normal(rng, 0, 1, 1, 4, 8)) // [N L E]
	out, weights := mha.Attend(x, x, x, nn.AttentionMasks{Causal: true})
	fmt.Println(out.Shape(), weights.Shape())
	avg := weights.Mean(1).Value // [N L S]
	for i := range 4 {
		for j := range 4 {
			fmt.Printf(" %.2f", avg.At(0, i, j))
		}
		fmt.Println()
	}
	// Output:
	// [1 4 8] [1 2 4 4]
	//  1.00 0.00 0.00 0.00
	//  0.55 0.45 0.00 0.00
	//  0.26 0.45 0.29 0.00
	//  0.24 0.40 0.22 0.15
}

// A transformer encoder over padded sequences of different lengths: the
// key padding mask keeps every position from attending to padding, and
// the state dict has PyTorch's names.
func ExampleTransformerEncoder() {
	rng := rand.New(rand.NewPCG(1, 2))
	layer := nn.NewTransformerEncoderLayer(rng, 16, 4, nn.TransformerEncoderLayerConfig{DimFeedforward: 32, BatchFirst: true})
	encoder := nn.NewTransformerEncoder(layer, 2, nil)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 3, 10, 16)) // 3 sequences padded to 10 steps
	masks := nn.AttentionMasks{KeyPaddingMask: nn.PaddingMask([]int{10, 6, 3}, 10)}
	y := encoder.Encode(x, masks)
	fmt.Println(y.Shape())
	names := nn.StateOf(encoder).Names()
	fmt.Println(len(names), names[0], names[len(names)-1])
	// Output:
	// [3 10 16]
	// 24 layers.0.self_attn.in_proj_weight layers.1.norm2.bias
}
