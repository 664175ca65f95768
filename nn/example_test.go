package nn_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(
		nn.NewLinear(rng, 2, 8), nn.Tanh(),
		nn.NewLinear(rng, 8, 1), nn.Sigmoid(),
	)
	for _, p := range model.Parameters() {
		fmt.Println(p.Name, p.Var.Shape())
	}
	x := autograd.Const(tensor.New([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2))
	y := autograd.Const(tensor.New([]float64{0, 1, 1, 0}, 4, 1))
	loss := nn.MSE(model.Forward(x), y)
	loss.Backward()
	fmt.Println(loss.Value.Shape(), model.Parameters()[0].Var.Grad.Shape())
	// Output:
	// 0.weight [8 2]
	// 0.bias [8]
	// 2.weight [1 8]
	// 2.bias [1]
	// [] [8 2]
}

func ExampleCrossEntropy() {
	logits := autograd.Const(tensor.New([]float64{2, 0, 0, 0, 0, 5}, 2, 3))
	labels := autograd.Const(tensor.NewInt64([]int64{0, 2})) // class indices, as PyTorch's int64 targets
	fmt.Printf("%.4f\n", nn.CrossEntropy(logits, labels).Item())
	// Output: 0.1265
}

func ExampleSave() {
	dir, _ := os.MkdirTemp("", "minidl")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(nn.NewLinear(rng, 2, 3), nn.ReLU(), nn.NewLinear(rng, 3, 1))
	if err := nn.Save(path, model, map[string]string{"epoch": "7"}); err != nil {
		fmt.Println(err)
		return
	}
	restored := nn.NewSequential(nn.NewLinear(rng, 2, 3), nn.ReLU(), nn.NewLinear(rng, 3, 1))
	fmt.Println(nn.Load(path, restored))
	wrong := nn.NewSequential(nn.NewLinear(rng, 2, 4), nn.ReLU(), nn.NewLinear(rng, 4, 1))
	fmt.Println(nn.Load(path, wrong) != nil)
	// Output:
	// <nil>
	// true
}

// activation prints a layer's name and its outputs on -2, 0 and 3.
func activation(layer *nn.Func) {
	y := layer.Forward(autograd.Const(tensor.New([]float64{-2, 0, 3}, 3)))
	fmt.Printf("%s: %.4f\n", layer, y.Value.Data())
}

func ExampleSiLU() {
	activation(nn.SiLU())
	// Output: SiLU(): [-0.2384 0.0000 2.8577]
}

func ExampleSoftplus() {
	activation(nn.Softplus(1, 20)) // PyTorch's defaults
	activation(nn.Softplus(2, 5))  // 2·3 > 5: linear at 3
	// Output:
	// Softplus(beta=1, threshold=20): [0.1269 0.6931 3.0486]
	// Softplus(beta=2, threshold=5): [0.0091 0.3466 3.0000]
}

func ExampleELU() {
	activation(nn.ELU(1))
	// Output: ELU(alpha=1.0): [-0.8647 0.0000 3.0000]
}

func ExampleLogSigmoid() {
	activation(nn.LogSigmoid())
	// Output: LogSigmoid(): [-2.1269 -0.6931 -0.0486]
}

func ExampleGELUTanh() {
	activation(nn.GELUTanh())
	// Output: GELU(approximate='tanh'): [-0.0454 0.0000 2.9964]
}

func ExampleLayerNorm() {
	ln := nn.NewLayerNorm([]int{3}, nn.LayerNormConfig{})
	x := autograd.Const(tensor.New([]float64{1, 2, 3, 10, 20, 60}, 2, 3))
	fmt.Println(ln)
	fmt.Printf("%.4f\n", ln.Forward(x).Value.Data())
	// Output:
	// LayerNorm((3,), eps=1e-05, elementwise_affine=True)
	// [-1.2247 0.0000 1.2247 -0.9258 -0.4629 1.3887]
}

func ExampleEmbedding() {
	rng := rand.New(rand.NewPCG(1, 2))
	emb := nn.NewEmbedding(rng, 10, 4, nn.EmbeddingConfig{PaddingIdx: new(0)})
	tokens := autograd.Const(tensor.NewInt64([]int64{3, 1, 0, 0, 7, 2}, 2, 3)) // two padded sequences
	y := emb.Forward(tokens)
	fmt.Println(emb, y.Shape(), y.Value.DType())
	fmt.Println(y.Value.Data()[8:12]) // the padding row
	defer func() { fmt.Println(recover()) }()
	emb.Forward(autograd.Const(tensor.NewInt64([]int64{10})))
	// Output:
	// Embedding(10, 4, padding_idx=0) [2 3 4] float64
	// [0 0 0 0]
	// nn: Embedding: element 0 of the input is 10; want a whole number in [0, 10)
}

// mlp is a custom module: Summary cannot see inside its Forward, so it
// shows the module and its parameter groups.
type mlp struct{ Hidden, Out *nn.Linear }

func (m *mlp) Forward(x *autograd.Var) *autograd.Var {
	return m.Out.Forward(m.Hidden.Forward(x).ReLU())
}

func (m *mlp) Parameters() []nn.Param {
	return nn.JoinParameters("hidden", m.Hidden, "out", m.Out)
}

func ExampleSummary() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(
		nn.NewEmbedding(rng, 100, 16, nn.EmbeddingConfig{}),
		nn.NewLayerNorm([]int{16}, nn.LayerNormConfig{}),
		nn.Flatten(),
		&mlp{Hidden: nn.NewLinear(rng, 5*16, 32), Out: nn.NewLinear(rng, 32, 3)},
	)
	fmt.Print(nn.Summary(model, 2, 5)) // a batch of 2 sequences of 5 tokens
	// Output:
	// Layer                                                     Output shape  Param #
	// Sequential                                                [2 3]         4,323
	//   0 Embedding(100, 16)                                    [2 5 16]      1,600
	//   1 LayerNorm((16,), eps=1e-05, elementwise_affine=True)  [2 5 16]      32
	//   2 Flatten(start_dim=1, end_dim=-1)                      [2 80]        0
	//   3 mlp                                                   [2 3]         2,691
	//     3.hidden                                              —             2,592
	//     3.out                                                 —             99
	// Input [2 5], output [2 3]
	// Total params: 4,323
	// Trainable params: 4,323
	// Non-trainable params: 0
	// Params size: 33.77 KiB (float64)
}

func ExampleConv2d() {
	rng := rand.New(rand.NewPCG(1, 2))
	conv := nn.NewConv2d(rng, 1, 8, [2]int{3, 3}, autograd.Conv2dOptions{Padding: [2]int{1, 1}})
	images := autograd.Const(tensor.Zeros(4, 1, 28, 28)) // a batch of 4 MNIST-sized images
	fmt.Println(conv, conv.Forward(images).Shape())
	// Output: Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)) [4 8 28 28]
}

func ExampleMaxPool2d() {
	x := autograd.Const(tensor.New([]float64{
		1, 2, 0, 1,
		3, 4, 1, 0,
		0, 0, 7, 7,
		0, 5, 7, 6,
	}, 1, 1, 4, 4))
	pool := nn.MaxPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}})
	fmt.Println(pool, pool.Forward(x).Value.Data())
	// Output: MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False) [4 1 5 7]
}

func ExampleAvgPool2d() {
	x := autograd.Const(tensor.Ones(1, 1, 3, 3))
	include := nn.AvgPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}})
	exclude := nn.AvgPool2d(autograd.PoolOptions{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, ExcludePad: true})
	fmt.Println(include.Forward(x).Value.Data()[:4]) // the padding counts as zeros
	fmt.Println(exclude.Forward(x).Value.Data()[:4])
	// Output:
	// [0.25 0.5 0.5 0.25]
	// [1 1 1 1]
}

func ExampleAdaptiveAvgPool2d() {
	x := autograd.Const(tensor.Arange(0, 2*3*4, 1).Reshape(1, 2, 3, 4))
	gap := nn.AdaptiveAvgPool2d(1, 1) // global average pooling: one value per channel
	fmt.Println(gap.Forward(x).Shape(), gap.Forward(x).Value.Data())
	// Output: [1 2 1 1] [5.5 17.5]
}

func ExampleBatchNorm() {
	bn := nn.NewBatchNorm1d(2, nn.BatchNormConfig{})
	batch := tensor.New([]float64{1, 10, 3, 30}, 2, 2) // two examples of two features
	train := bn.Forward(autograd.Const(batch))         // training: the batch's statistics
	fmt.Printf("%.4f\n", train.Value.Data())
	fmt.Println(bn.RunningMean.Value.Data(), bn.RunningVar.Value.Data()) // moved by 0.1 towards the batch's
	eval := bn.Forward(autograd.NoGrad(batch))                           // evaluation: the running statistics
	fmt.Printf("%.4f\n", eval.Value.Data())
	// Output:
	// [-1.0000 -1.0000 1.0000 1.0000]
	// [0.2 2] [1.1 20.9]
	// [0.7628 1.7499 2.6697 6.1247]
}
