package nn

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// TestCNNCheckpointWithPyTorch loads the checkpoint of a CNN that PyTorch
// trained for two steps (testdata/torch_cnn.py writes it) strictly into the
// same network built here, checks that it predicts what PyTorch predicted
// in evaluation mode, to 1e-10, and that saved again its state dict has
// PyTorch's names in PyTorch's order, with its shapes and values, which is
// all that torch's strict load_state_dict asks (the script, given the file,
// loads it so).
func TestCNNCheckpointWithPyTorch(t *testing.T) {
	rng := newRNG()
	same := autograd.Conv2dOptions{Padding: [2]int{1, 1}}
	halve := autograd.PoolOptions{Kernel: [2]int{2, 2}}
	m := NewSequential(
		NewConv2d(rng, 1, 4, [2]int{3, 3}, same), NewBatchNorm2d(4, BatchNormConfig{}), ReLU(), MaxPool2d(halve),
		NewConv2d(rng, 4, 6, [2]int{3, 3}, same), NewBatchNorm2d(6, BatchNormConfig{}), ReLU(), MaxPool2d(halve),
		Flatten(), NewDropout(rng, 0.25), NewLinear(rng, 24, 3),
	)
	const file = "testdata/torch_cnn.safetensors"
	if err := Load(file, m); err != nil {
		t.Fatal(err)
	}
	x := tensor.Zeros(3, 1, 8, 8)
	for n := range 3 {
		for i := range 64 {
			x.Data()[n*64+i] = math.Sin(0.7*float64(n*64+i) + 0.3*float64(n))
		}
	}
	want := []float64{0.19062701055690762, 0.005553189011417936, -0.10024965425271054, 0.12741165504420127, 0.015994265621681644, -0.07882416842572355, 0.17586126959184806, 0.0378022238742506, -0.013159390815508362}
	got := m.Forward(autograd.NoGrad(x)).Value.Data()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-10*max(1, math.Abs(want[i])) {
			t.Errorf("prediction %d: %v, PyTorch %v", i, got[i], want[i])
		}
	}

	torchState, _, err := LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, StateOf(m), nil); err != nil {
		t.Fatal(err)
	}
	ours, _, err := ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	torchNames := []struct {
		name  string
		shape []int
	}{
		{"0.weight", []int{4, 1, 3, 3}},
		{"0.bias", []int{4}},
		{"1.weight", []int{4}},
		{"1.bias", []int{4}},
		{"1.running_mean", []int{4}},
		{"1.running_var", []int{4}},
		{"1.num_batches_tracked", []int{}},
		{"4.weight", []int{6, 4, 3, 3}},
		{"4.bias", []int{6}},
		{"5.weight", []int{6}},
		{"5.bias", []int{6}},
		{"5.running_mean", []int{6}},
		{"5.running_var", []int{6}},
		{"5.num_batches_tracked", []int{}},
		{"10.weight", []int{3, 24}},
		{"10.bias", []int{3}},
	}
	var names []string
	for _, e := range torchNames {
		names = append(names, e.name)
		o, ok := ours.Get(e.name)
		if !ok || !slices.Equal(o.Shape(), e.shape) {
			t.Errorf("%s: minidl saves %v, PyTorch's state dict has %v", e.name, o, e.shape)
			continue
		}
		if w, _ := torchState.Get(e.name); !tensor.Equal(o, w) {
			t.Errorf("%s: saved values differ from the loaded ones", e.name)
		}
	}
	if !slices.Equal(ours.Names(), names) || !slices.Equal(torchState.Names(), names) {
		t.Errorf("names: minidl saves %v, PyTorch's file has %v, its state dict %v", ours.Names(), torchState.Names(), names)
	}
}
