package nn

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestConv1dInitAndString(t *testing.T) {
	c := NewConv1d(newRNG(), 6, 64, 5, autograd.Conv1dOptions{Groups: 2})
	bound := 1 / math.Sqrt(3*5) // fan = in/groups·kernel = 15
	maxW, maxB := 0.0, 0.0
	for _, v := range c.Weight.Value.Data() {
		maxW = max(maxW, math.Abs(v))
	}
	for _, v := range c.Bias.Value.Data() {
		maxB = max(maxB, math.Abs(v))
	}
	// 960 weights from U(±bound) reach past 0.95·bound with near certainty.
	if maxW > bound || maxW < 0.95*bound || maxB > bound {
		t.Errorf("largest |weight| %.4f, |bias| %.4f; want U(±%.4f)", maxW, maxB, bound)
	}
	if got := c.Weight.Value.Shape(); len(got) != 3 || got[0] != 64 || got[1] != 3 || got[2] != 5 {
		t.Errorf("weight %v; want [64 3 5]", got)
	}
	noBias := NewConv1d(newRNG(), 2, 4, 3, autograd.Conv1dOptions{Stride: 2, Padding: 1, Dilation: 2, Groups: 2})
	noBias.Bias = nil
	// As PyTorch 1.13 prints them (the end of testdata/torch_conv1d.py).
	for _, tt := range []struct {
		m    Module
		want string
	}{
		{NewConv1d(newRNG(), 2, 4, 3, autograd.Conv1dOptions{}), "Conv1d(2, 4, kernel_size=(3,), stride=(1,))"},
		{noBias, "Conv1d(2, 4, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, bias=False)"},
		{NewConv1d(newRNG(), 2, 4, 4, autograd.Conv1dOptions{PadMode: autograd.PadSame}), "Conv1d(2, 4, kernel_size=(4,), stride=(1,), padding=same)"},
		{NewConv1d(newRNG(), 2, 4, 4, autograd.Conv1dOptions{PadMode: autograd.PadValid}), "Conv1d(2, 4, kernel_size=(4,), stride=(1,), padding=valid)"},
		{NewConv2d(newRNG(), 2, 4, [2]int{3, 3}, autograd.Conv2dOptions{PadMode: autograd.PadSame}), "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=same)"},
		{NewConv2d(newRNG(), 2, 4, [2]int{3, 2}, autograd.Conv2dOptions{PadMode: autograd.PadValid}), "Conv2d(2, 4, kernel_size=(3, 2), stride=(1, 1), padding=valid)"},
		{MaxPool1d(autograd.Pool1dOptions{Kernel: 2}), "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"},
		{MaxPool1d(autograd.Pool1dOptions{Kernel: 3, Stride: 2, Padding: 1}), "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"},
		{AvgPool1d(autograd.Pool1dOptions{Kernel: 3}), "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"},
		{AvgPool1d(autograd.Pool1dOptions{Kernel: 3, Stride: 1, Padding: 1, ExcludePad: true}), "AvgPool1d(kernel_size=(3,), stride=(1,), padding=(1,))"},
		{AdaptiveAvgPool1d(1), "AdaptiveAvgPool1d(output_size=1)"},
	} {
		if got := describe(tt.m); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
	}
	if ps := noBias.Parameters(); len(ps) != 1 || ps[0].Name != "weight" {
		t.Errorf("without bias: parameters %v", ps)
	}
}

func TestConv1dErrors(t *testing.T) {
	for _, tt := range []struct {
		f    func()
		want string
	}{
		{func() { NewConv1d(newRNG(), 3, 4, 3, autograd.Conv1dOptions{Groups: 2}) }, "NewConv1d: 3 to 4 channels, kernel 3, 2 groups: want positive sizes and groups dividing both"},
		{func() { NewConv1d(newRNG(), 3, 4, 0, autograd.Conv1dOptions{}) }, "want positive sizes"},
		{func() { NewConv1d(newRNG(), 3, 4, 3, autograd.Conv1dOptions{Dilation: -1}) }, "NewConv1d: stride 0, padding 0, dilation -1, groups 0: want none negative"},
		{func() { NewConv1d(newRNG(), 3, 4, 3, autograd.Conv1dOptions{PadMode: autograd.PadSame, Stride: 2}) }, "NewConv1d: stride [2] with PadSame: padding='same' takes stride 1 only"},
		{func() { NewConv1d(newRNG(), 3, 4, 3, autograd.Conv1dOptions{PadMode: autograd.PadValid, Padding: 1}) }, "NewConv1d: padding [1] with PadMode valid: want no Padding"},
		{func() { NewConv1d(newRNG(), 3, 4, 3, autograd.Conv1dOptions{PadMode: 9}) }, "NewConv1d: unknown PadMode(9)"},
		{func() {
			NewConv2d(newRNG(), 3, 4, [2]int{3, 3}, autograd.Conv2dOptions{PadMode: autograd.PadSame, Stride: [2]int{2, 1}})
		}, "NewConv2d: stride [2 1] with PadSame"},
		{func() { NewConv1d(newRNG(), 1<<20, 1<<21, 1, autograd.Conv1dOptions{}) }, "NewConv1d: a weight of shape [2097152 1048576 1] would have more than"},
	} {
		mustPanic(t, tt.want, tt.f)
	}
	conv := NewConv1d(newRNG(), 3, 4, 3, autograd.Conv1dOptions{})
	for _, tt := range []struct {
		x    *tensor.Tensor
		want string
	}{
		{tensor.Zeros(2, 3), "Conv1d(3→4, kernel 3): input [2 3]: want [batch 3 length]"},
		{tensor.Zeros(2, 3, 4, 4), "Conv1d(3→4, kernel 3): input [2 3 4 4]: want [batch 3 length]"},
		{tensor.Zeros(2, 2, 8), "Conv1d(3→4, kernel 3): input [2 2 8] has 2 channels; want 3"},
		{tensor.Zeros(1, 3, 2), "autograd: Conv1d: input [1 3 2] padded by 0 along dimension 2 is 2 wide, less than the kernel of 3"},
	} {
		func() {
			defer func() {
				e, _ := recover().(error)
				if e == nil || !errors.Is(e, tensor.ErrShape) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("input %v: panic %v; want a shape error containing %q", tt.x.Shape(), e, tt.want)
				}
			}()
			conv.Forward(autograd.Const(tt.x))
		}()
	}
}

// TestConv1dLayerSame checks a PadSame layer keeps the length of its input
// and a Sequential of the 1-D layers runs and names its parameters as
// torch.nn.Sequential does.
func TestConv1dLayerSame(t *testing.T) {
	rng := newRNG()
	m := NewSequential(
		NewConv1d(rng, 2, 4, 4, autograd.Conv1dOptions{PadMode: autograd.PadSame}), ReLU(), MaxPool1d(autograd.Pool1dOptions{Kernel: 2}),
		NewConv1d(rng, 4, 3, 3, autograd.Conv1dOptions{PadMode: autograd.PadSame, Dilation: 2}), AdaptiveAvgPool1d(1), Flatten(),
	)
	y := m.Forward(autograd.Const(filled(0.3, 1, 5, 2, 11)))
	if got := y.Shape(); len(got) != 2 || got[0] != 5 || got[1] != 3 {
		t.Errorf("output %v; want [5 3]", got)
	}
	if got, want := strings.Join(StateOf(m).Names(), " "), "0.weight 0.bias 3.weight 3.bias"; got != want {
		t.Errorf("names %s; want %s", got, want)
	}
}
