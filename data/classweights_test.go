package data

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// TestClassWeightsMatchScikitLearn: the weights of
// testdata/sklearn_class_weight.py's labels equal compute_class_weight's.
func TestClassWeightsMatchScikitLearn(t *testing.T) {
	b, err := os.ReadFile("testdata/sklearn_class_weight.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Classes         int
		Labels, Weights []float64
	}
	if err := json.Unmarshal(b, &cases); err != nil || len(cases) == 0 {
		t.Fatalf("reading the cases: %v (%d cases)", err, len(cases))
	}
	for _, c := range cases {
		w, err := ClassWeights(tensor.New(c.Labels), c.Classes)
		if err != nil {
			t.Fatalf("%d classes: %v", c.Classes, err)
		}
		if w.Size() != len(c.Weights) {
			t.Fatalf("%d classes: weights %v, scikit-learn %v", c.Classes, w.Data(), c.Weights)
		}
		for i, want := range c.Weights {
			if math.Abs(w.Data()[i]-want) > 1e-12 {
				t.Errorf("%d classes: weights %v, scikit-learn %v", c.Classes, w.Data(), c.Weights)
				break
			}
		}
	}
}

func TestClassWeightsRefuses(t *testing.T) {
	tests := []struct {
		y       *tensor.Tensor
		classes int
		kind    error
		want    string
	}{
		{tensor.New([]float64{0, 0, 2}), 3, tensor.ErrArgument, "data: ClassWeights: class 1 of 3 has no example among the 3 labels"},
		{tensor.New([]float64{0, 3}), 3, tensor.ErrIndex, "label 3 at position 1 is not a class index in [0, 3)"},
		{tensor.New([]float64{0, 0.5}), 2, tensor.ErrIndex, "label 0.5 at position 1"},
		{tensor.New([]float64{0, -1}), 2, tensor.ErrIndex, "label -1 at position 1"},
		{tensor.Zeros(2, 1), 2, tensor.ErrShape, "labels of shape [2 1]: want [N]"},
		{tensor.New([]float64{0}), 0, tensor.ErrArgument, "0 classes: want at least 1"},
	}
	for _, tt := range tests {
		_, err := ClassWeights(tt.y, tt.classes)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.kind) {
			t.Errorf("ClassWeights(%v, %d) = %v, want an error of kind %v containing %q", tt.y.Data(), tt.classes, err, tt.kind, tt.want)
		}
	}
}
