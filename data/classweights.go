package data

import (
	"fmt"
	"math"

	"github.com/minidl/minidl/tensor"
)

// ClassWeights returns the balanced weight of each of classes classes from
// the labels y [N], as scikit-learn's compute_class_weight("balanced"):
// n / (classes · count of the class), so that every class weighs the same
// in total. The labels are an Int64 tensor, or whole numbers in a float
// one. The result, of shape [classes], is what
// nn.CrossEntropyLoss.Weight takes. Labels come from data, so a label that
// is not a class index in [0, classes), and a class without examples (whose
// weight would be infinite; scikit-learn refuses it too), are errors.
func ClassWeights(y *tensor.Tensor, classes int) (*tensor.Tensor, error) {
	if y.Dims() != 1 {
		return nil, &Error{Op: "ClassWeights", Kind: tensor.ErrShape, Detail: fmt.Sprintf("labels of shape %v: want [N] class indices", y.Shape())}
	}
	if classes < 1 {
		return nil, &Error{Op: "ClassWeights", Detail: fmt.Sprintf("%d classes: want at least 1", classes)}
	}
	labels, err := classIndices("ClassWeights", y, classes)
	if err != nil {
		return nil, err
	}
	counts := make([]float64, classes)
	for _, c := range labels {
		counts[c]++
	}
	weights := make([]float64, classes)
	for c, n := range counts {
		if n == 0 {
			return nil, &Error{Op: "ClassWeights", Detail: fmt.Sprintf("class %d of %d has no example among the %d labels; a balanced weight needs every class present", c, classes, y.Size())}
		}
		weights[c] = float64(y.Size()) / (float64(classes) * n)
	}
	return tensor.New(weights), nil
}

// classIndices returns the labels y holds, an Int64 tensor or whole numbers
// in a float one, as ints, and an error naming the first that is not a
// class index in [0, classes).
func classIndices(op string, y *tensor.Tensor, classes int) ([]int, error) {
	out := make([]int, y.Size())
	bad := func(i int, v any) error {
		return &Error{Op: op, Kind: tensor.ErrIndex, Detail: fmt.Sprintf("label %v at position %d is not a class index in [0, %d)", v, i, classes)}
	}
	if y.DType() == tensor.Int64 {
		for i, c := range y.Int64s() {
			if c < 0 || c >= int64(classes) {
				return nil, bad(i, c)
			}
			out[i] = int(c)
		}
		return out, nil
	}
	for i, c := range y.Float64s() {
		if c != math.Trunc(c) || c < 0 || c >= float64(classes) {
			return nil, bad(i, c)
		}
		out[i] = int(c)
	}
	return out, nil
}
