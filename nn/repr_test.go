package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/minidl/minidl/autograd"
	. "github.com/minidl/minidl/nn"
)

// reprMLP and reprNet are testdata/torch_repr.py's custom modules, in a
// package of their own as a user's are.
type reprMLP struct {
	Hidden *Linear
	Act    *Func
	Out    *Linear
	note   string // unexported: not a child
}

func (m *reprMLP) Forward(x *autograd.Var) *autograd.Var {
	return m.Out.Forward(m.Act.Forward(m.Hidden.Forward(x)))
}

func (m *reprMLP) Parameters() []Param { return JoinParameters("hidden", m.Hidden, "out", m.Out) }

// String prints the module as Repr does, as a user's module would.
func (m *reprMLP) String() string { return Repr(m) }

type reprNet struct {
	Stem   *Conv2d
	Blocks []*Linear
	Head   Module
	Scale  float64 // not a module
}

func (n *reprNet) Forward(x *autograd.Var) *autograd.Var { return x }

func (n *reprNet) Parameters() []Param {
	args := []any{"stem", n.Stem}
	for i, b := range n.Blocks {
		args = append(args, fmt.Sprintf("blocks.%d", i), b)
	}
	return JoinParameters(append(args, "head", n.Head)...)
}

type reprEmpty struct{}

func (reprEmpty) Forward(x *autograd.Var) *autograd.Var { return x }
func (reprEmpty) Parameters() []Param                   { return nil }

// TestModulesPrintLikePyTorch compares how modules print with what
// PyTorch 1.13 prints for the same modules (testdata/torch_repr.py): every
// layer, nested Sequentials, and modules of one's own, with children named
// as their parameters are, lists of modules as a ModuleList, and a
// parameter-free child named by its field.
func TestModulesPrintLikePyTorch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noBias := func(l *Linear) *Linear { l.Bias = nil; return l }
	noConvBias := func(c *Conv2d) *Conv2d { c.Bias = nil; return c }
	mlp := func() *reprMLP {
		return &reprMLP{Hidden: NewLinear(rng, 3, 5), Act: ReLU(), Out: NewLinear(rng, 5, 2), note: "x"}
	}
	pad := func(a, b int) [2]int { return [2]int{a, b} }
	tests := []struct {
		m    Module
		want string
	}{
		{NewSequential(NewLinear(rng, 4, 16), ReLU(), NewDropout(rng, 0.2), NewLinear(rng, 16, 3)), `Sequential(
  (0): Linear(in_features=4, out_features=16, bias=True)
  (1): ReLU()
  (2): Dropout(p=0.2, inplace=False)
  (3): Linear(in_features=16, out_features=3, bias=True)
)`},
		{NewSequential(NewLinear(rng, 2, 8), Tanh(), NewSequential(noBias(NewLinear(rng, 8, 8)), Sigmoid()), NewLinear(rng, 8, 1)), `Sequential(
  (0): Linear(in_features=2, out_features=8, bias=True)
  (1): Tanh()
  (2): Sequential(
    (0): Linear(in_features=8, out_features=8, bias=False)
    (1): Sigmoid()
  )
  (3): Linear(in_features=8, out_features=1, bias=True)
)`},
		{NewSequential(LeakyReLU(0.01), LeakyReLU(0.2), GELU(), GELUTanh(), SiLU(), Softplus(1, 20), Softplus(2, 5), ELU(1), ELU(0.5),
			LogSigmoid(), Softmax(1), LogSoftmax(-1), Identity(), Flatten(), NewDropout(rng, 0.5), NewDropout(rng, 1)), `Sequential(
  (0): LeakyReLU(negative_slope=0.01)
  (1): LeakyReLU(negative_slope=0.2)
  (2): GELU(approximate='none')
  (3): GELU(approximate='tanh')
  (4): SiLU()
  (5): Softplus(beta=1, threshold=20)
  (6): Softplus(beta=2, threshold=5)
  (7): ELU(alpha=1.0)
  (8): ELU(alpha=0.5)
  (9): LogSigmoid()
  (10): Softmax(dim=1)
  (11): LogSoftmax(dim=-1)
  (12): Identity()
  (13): Flatten(start_dim=1, end_dim=-1)
  (14): Dropout(p=0.5, inplace=False)
  (15): Dropout(p=1.0, inplace=False)
)`},
		{NewSequential(
			NewConv2d(rng, 1, 32, pad(3, 3), autograd.Conv2dOptions{Padding: pad(1, 1)}),
			noConvBias(NewConv2d(rng, 6, 4, pad(5, 3), autograd.Conv2dOptions{Stride: pad(2, 1), Padding: pad(2, 1), Dilation: pad(1, 2), Groups: 2})),
			MaxPool2d(autograd.PoolOptions{Kernel: pad(2, 2)}),
			MaxPool2d(autograd.PoolOptions{Kernel: pad(2, 3), Stride: pad(1, 2), Padding: pad(1, 1)}),
			AvgPool2d(autograd.PoolOptions{Kernel: pad(3, 3), Stride: pad(1, 1), Padding: pad(1, 1), ExcludePad: true}),
			AdaptiveAvgPool2d(1, 1)), `Sequential(
  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  (1): Conv2d(6, 4, kernel_size=(5, 3), stride=(2, 1), padding=(2, 1), dilation=(1, 2), groups=2, bias=False)
  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  (3): MaxPool2d(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), dilation=1, ceil_mode=False)
  (4): AvgPool2d(kernel_size=3, stride=1, padding=1)
  (5): AdaptiveAvgPool2d(output_size=(1, 1))
)`},
		{NewSequential(NewBatchNorm2d(32, BatchNormConfig{}), NewBatchNorm1d(3, BatchNormConfig{CumulativeAverage: true, Affine: new(false)}),
			NewBatchNorm1d(5, BatchNormConfig{Eps: 1e-3, Momentum: new(0.0)}),
			NewLayerNorm([]int{4}, LayerNormConfig{}), NewLayerNorm([]int{3, 4}, LayerNormConfig{Eps: 1e-3, ElementwiseAffine: new(false)}),
			NewEmbedding(rng, 10, 3, EmbeddingConfig{}), NewEmbedding(rng, 10, 3, EmbeddingConfig{PaddingIdx: new(0)})), `Sequential(
  (0): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (1): BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, track_running_stats=True)
  (2): BatchNorm1d(5, eps=0.001, momentum=0.0, affine=True, track_running_stats=True)
  (3): LayerNorm((4,), eps=1e-05, elementwise_affine=True)
  (4): LayerNorm((3, 4), eps=0.001, elementwise_affine=False)
  (5): Embedding(10, 3)
  (6): Embedding(10, 3, padding_idx=0)
)`},
		{mlp(), `reprMLP(
  (hidden): Linear(in_features=3, out_features=5, bias=True)
  (act): ReLU()
  (out): Linear(in_features=5, out_features=2, bias=True)
)`},
		{&reprNet{Stem: NewConv2d(rng, 1, 4, pad(3, 3), autograd.Conv2dOptions{Padding: pad(1, 1)}),
			Blocks: []*Linear{NewLinear(rng, 4, 4), noBias(NewLinear(rng, 4, 4))}, Head: NewSequential(Flatten(), mlp())}, `reprNet(
  (stem): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  (blocks): ModuleList(
    (0): Linear(in_features=4, out_features=4, bias=True)
    (1): Linear(in_features=4, out_features=4, bias=False)
  )
  (head): Sequential(
    (0): Flatten(start_dim=1, end_dim=-1)
    (1): reprMLP(
      (hidden): Linear(in_features=3, out_features=5, bias=True)
      (act): ReLU()
      (out): Linear(in_features=5, out_features=2, bias=True)
    )
  )
)`},
		{reprEmpty{}, `reprEmpty()`},
	}
	for i, tt := range tests {
		// PyTorch's names of the custom modules are MLP, Net and Empty.
		if got := Repr(tt.m); got != tt.want {
			t.Errorf("module %d prints\n%s\nPyTorch prints\n%s", i, got, tt.want)
		}
	}
	if got, want := fmt.Sprint(mlp()), tests[5].want; got != want {
		t.Errorf("fmt.Sprint of a module whose String is Repr:\n%s\nwant\n%s", got, want)
	}
	if got := fmt.Sprint(NewSequential()); got != "Sequential()" {
		t.Errorf("an empty Sequential prints %q", got)
	}
}

// TestReprOfOddModules: nil children and a module that is not a struct
// print without trouble.
func TestReprOfOddModules(t *testing.T) {
	if got := Repr(&reprSparse{Act: ReLU()}); got != "reprSparse(\n  (act): ReLU()\n)" {
		t.Errorf("a module with a nil child prints %q", got)
	}
	if got := Repr(reprFunc(nil)); got != "reprFunc()" {
		t.Errorf("a func module prints %q", got)
	}
}

type reprSparse struct {
	Opt *Linear
	Act Module
}

func (m *reprSparse) Forward(x *autograd.Var) *autograd.Var { return x }
func (m *reprSparse) Parameters() []Param                   { return nil }

type reprFunc func(*autograd.Var) *autograd.Var

func (f reprFunc) Forward(x *autograd.Var) *autograd.Var { return f(x) }
func (f reprFunc) Parameters() []Param                   { return nil }
