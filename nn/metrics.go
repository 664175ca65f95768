package nn

import (
	"fmt"

	"github.com/minidl/minidl/tensor"
)

// Metric scores a batch of predictions against targets for the logs, such
// as accuracy. It is not differentiated.
type Metric func(pred, target *tensor.Tensor) float64

// Accuracy is the fraction of rows of pred [N C] (scores or probabilities)
// whose largest entry is at the target class. Targets are class labels [N]
// or one-hot rows [N C].
func Accuracy(pred, target *tensor.Tensor) float64 {
	if pred.Dims() != 2 {
		panic(&Error{Kind: tensor.ErrShape, Op: "Accuracy", Detail: fmt.Sprintf("predictions of shape %v: want [batch classes]", pred.Shape())})
	}
	n := pred.Dim(0)
	if n == 0 {
		return 0
	}
	labels := target
	if target.SameShape(pred) {
		labels = target.ArgMax(1)
	}
	want := classLabels("Accuracy", labels, n, pred.Dim(1))
	got := pred.ArgMax(1).Data()
	hits := 0
	for i, y := range want {
		if int(got[i]) == y {
			hits++
		}
	}
	return float64(hits) / float64(n)
}

// BinaryAccuracy returns a Metric: the fraction of elements where
// pred > threshold agrees with target > 0.5. Use a threshold of 0.5 for
// probabilities and 0 for logits.
func BinaryAccuracy(threshold float64) Metric {
	return func(pred, target *tensor.Tensor) float64 {
		if !pred.SameShape(target) {
			panic(&Error{Kind: tensor.ErrShape, Op: "BinaryAccuracy", Detail: fmt.Sprintf("prediction %v and target %v: shapes differ", pred.Shape(), target.Shape())})
		}
		if pred.Size() == 0 {
			return 0
		}
		hits := 0
		for i, p := range pred.Data() {
			if (p > threshold) == (target.Data()[i] > 0.5) {
				hits++
			}
		}
		return float64(hits) / float64(pred.Size())
	}
}
