package nn

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

func TestSummary(t *testing.T) {
	rng := newRNG()
	frozen := NewLinear(rng, 4, 3)
	frozen.Bias = autograd.Const(tensor.Zeros(3)) // a parameter that does not train
	inner := NewSequential(frozen, ReLU())
	model := NewSequential(NewLinear(rng, 2, 4), NewDropout(rng, 0.5), inner, NewLinear(rng, 3, 1))
	s := Summary(model, 7, 2)
	var names []string
	var shapes [][]int
	for _, r := range s.Rows {
		names = append(names, r.Name)
		shapes = append(shapes, r.Output)
	}
	if want := []string{"", "0", "1", "2", "2.0", "2.1", "3"}; !slices.Equal(names, want) {
		t.Errorf("rows %v; want %v", names, want)
	}
	wantShapes := [][]int{{7, 1}, {7, 4}, {7, 4}, {7, 3}, {7, 3}, {7, 3}, {7, 1}}
	for i, w := range wantShapes {
		if !slices.Equal(shapes[i], w) {
			t.Errorf("row %d (%q): output %v; want %v", i, names[i], shapes[i], w)
		}
	}
	if s.Rows[4].Depth != 2 || s.Rows[4].Params != 15 || s.Rows[2].Params != 0 {
		t.Errorf("the frozen layer's row %+v, the dropout's %+v", s.Rows[4], s.Rows[2])
	}
	if s.Total != 12+15+4 || s.NonTrainable != 3 || s.Trainable != s.Total-3 || s.Bytes != 8*s.Total {
		t.Errorf("totals %d (trainable %d, not %d), %d bytes", s.Total, s.Trainable, s.NonTrainable, s.Bytes)
	}
	for _, p := range model.Parameters() {
		if p.Var.Grad != nil {
			t.Errorf("Summary left a gradient on %s", p.Name)
		}
	}
	if !strings.Contains(s.String(), "Non-trainable params: 3\n") {
		t.Errorf("String() lacks the frozen count:\n%s", s)
	}
	func() {
		defer func() {
			if e, _ := recover().(error); !errors.Is(e, tensor.ErrShape) {
				t.Errorf("an input the model does not take panics with %v; want a shape error", e)
			}
		}()
		Summary(model, 7, 5)
	}()
	if got := thousands(1234567); got != "1,234,567" {
		t.Errorf("thousands(1234567) = %q", got)
	}
}

// TestSummaryBuffers: BatchNorm's running statistics and batch count are
// buffers, not parameters: torchinfo counts a BatchNorm2d(C) as 2C
// trainable parameters, and Summary counts its buffers apart.
func TestSummaryBuffers(t *testing.T) {
	rng := newRNG()
	model := NewSequential(NewConv2d(rng, 1, 4, [2]int{3, 3}, autograd.Conv2dOptions{}), NewBatchNorm2d(4, BatchNormConfig{}), ReLU(),
		Flatten(), NewLinear(rng, 4*6*6, 2), NewBatchNorm1d(2, BatchNormConfig{Affine: new(false)}))
	s := Summary(model, 3, 1, 8, 8)
	conv, linear := 4*9+4, 4*6*6*2+2
	if s.Total != conv+8+linear || s.Trainable != s.Total || s.NonTrainable != 0 || s.Buffers != (4+4+1)+(2+2+1) || s.Bytes != 8*s.Total {
		t.Errorf("totals %d (trainable %d, not %d), buffers %d, %d bytes; want %d trainable and 14 buffer elements",
			s.Total, s.Trainable, s.NonTrainable, s.Buffers, s.Bytes, conv+8+linear)
	}
	if s.Rows[2].Params != 8 || s.Rows[6].Params != 0 {
		t.Errorf("BatchNorm2d(4) row counts %d, BatchNorm1d(2) without affine %d; want 8 and 0", s.Rows[2].Params, s.Rows[6].Params)
	}
	if !strings.Contains(s.String(), "Non-trainable params: 0\nBuffers (not parameters): 14\n") {
		t.Errorf("String() does not count the buffers apart:\n%s", s)
	}
	// Buffers stay in the state dict, under PyTorch's names.
	if names := StateOf(model).Names(); !slices.Contains(names, "1.num_batches_tracked") || !slices.Contains(names, "5.running_var") {
		t.Errorf("state dict %v lacks the buffers", names)
	}
}
