package nn_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	. "github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// listNet keeps its layers in a ModuleList, as a PyTorch model keeps them
// in an nn.ModuleList attribute.
type listNet struct {
	Layers ModuleList
	Empty  ModuleList
	Head   *Linear
}

func (m *listNet) Forward(x *autograd.Var) *autograd.Var {
	for _, l := range m.Layers {
		x = l.Forward(x)
	}
	return m.Head.Forward(x)
}

func (m *listNet) Parameters() []Param {
	return JoinParameters("layers", m.Layers, "empty", m.Empty, "head", m.Head)
}

// TestModuleListNamesAndPrintsLikePyTorch: a model with a ModuleList has
// PyTorch's state-dict names and prints as PyTorch prints the same model
// (both literals are PyTorch 1.13's, from testdata/torch_rnn_repr.py).
func TestModuleListNamesAndPrintsLikePyTorch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &listNet{
		Layers: ModuleList{NewLinear(rng, 2, 3), ReLU(), NewSequential(NewLinear(rng, 3, 3), Tanh())},
		Head:   NewLinear(rng, 3, 1),
	}
	wantNames := []string{"layers.0.weight", "layers.0.bias", "layers.2.0.weight", "layers.2.0.bias", "head.weight", "head.bias"}
	if got := StateOf(m).Names(); !slices.Equal(got, wantNames) {
		t.Errorf("state dict names %v; PyTorch's are %v", got, wantNames)
	}
	want := `listNet(
  (layers): ModuleList(
    (0): Linear(in_features=2, out_features=3, bias=True)
    (1): ReLU()
    (2): Sequential(
      (0): Linear(in_features=3, out_features=3, bias=True)
      (1): Tanh()
    )
  )
  (empty): ModuleList()
  (head): Linear(in_features=3, out_features=1, bias=True)
)`
	if got := Repr(m); got != want {
		t.Errorf("prints\n%s\nPyTorch prints (as Net)\n%s", got, want)
	}
	if got := Repr(m.Layers[:1]); got != "ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n)" {
		t.Errorf("a ModuleList on its own prints %q", got)
	}
	if got := fmt.Sprint(ModuleList{}); got != "ModuleList()" {
		t.Errorf("an empty ModuleList prints %q", got)
	}
	if got := m.Forward(autograd.Const(tensor.Ones(4, 2))).Shape(); !slices.Equal(got, []int{4, 1}) {
		t.Errorf("the model's output has shape %v", got)
	}
}

// TestModuleListHasNoForward: calling a ModuleList as a layer is a
// programmer's mistake, reported with an *nn.Error as PyTorch raises.
func TestModuleListHasNoForward(t *testing.T) {
	defer func() {
		e, ok := recover().(*Error)
		if !ok || !errors.Is(e, tensor.ErrArgument) {
			t.Errorf("Forward of a ModuleList panicked with %v; want an *nn.Error of kind ErrArgument", e)
		}
	}()
	ModuleList{ReLU()}.Forward(autograd.Const(tensor.Ones(1)))
}

// TestSequentialNamesAsModuleList: a Sequential names its parameters as a
// ModuleList of the same layers does.
func TestSequentialNamesAsModuleList(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	layers := []Module{NewLinear(rng, 2, 3), ReLU(), NewLinear(rng, 3, 1)}
	seq, list := StateOf(NewSequential(layers...)).Names(), StateOf(ModuleList(layers)).Names()
	if !slices.Equal(seq, list) || !slices.Equal(seq, []string{"0.weight", "0.bias", "2.weight", "2.bias"}) {
		t.Errorf("Sequential names %v, ModuleList %v", seq, list)
	}
}
