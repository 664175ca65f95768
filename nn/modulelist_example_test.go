package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
)

// Tower is a model of one's own that keeps its blocks in a ModuleList and
// decides in Forward how to call them: here, with a residual connection
// around each.
type Tower struct {
	Blocks nn.ModuleList
}

func (m *Tower) Forward(x *autograd.Var) *autograd.Var {
	for _, b := range m.Blocks {
		x = x.Add(b.Forward(x).Tanh())
	}
	return x
}

func (m *Tower) Parameters() []nn.Param { return nn.JoinParameters("blocks", m.Blocks) }

func (m *Tower) String() string { return nn.Repr(m) }

func ExampleModuleList() {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &Tower{}
	for range 3 {
		m.Blocks = append(m.Blocks, nn.NewLinear(rng, 4, 4))
	}
	fmt.Println(m)
	fmt.Println(nn.StateOf(m).Names())
	// Output:
	// Tower(
	//   (blocks): ModuleList(
	//     (0): Linear(in_features=4, out_features=4, bias=True)
	//     (1): Linear(in_features=4, out_features=4, bias=True)
	//     (2): Linear(in_features=4, out_features=4, bias=True)
	//   )
	// )
	// [blocks.0.weight blocks.0.bias blocks.1.weight blocks.1.bias blocks.2.weight blocks.2.bias]
}
