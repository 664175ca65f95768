package nn

import (
	"math"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// score resets m, feeds it pred and target in batches of size rows (the
// whole set if size is 0) and returns its value.
func score(m Metric, pred, target *tensor.Tensor, size int) float64 {
	m.Reset()
	n := pred.Dim(0)
	if size == 0 {
		size = n
	}
	for lo := 0; lo < n; lo += size {
		hi := min(lo+size, n)
		m.Update(pred.Rows(lo, hi), target.Rows(lo, hi))
	}
	return m.Value()
}

// The fixed set of testdata/sklearn_metrics.py.
var (
	regY    = []float64{3.0, -0.5, 2.0, 7.0, 4.2, 1.1, 0.0, -2.5, 5.5, 3.3, 2.2, 9.0, -1.0}
	regP    = []float64{2.5, 0.0, 2.1, 7.8, 3.9, 1.5, -0.3, -2.0, 5.0, 3.0, 2.9, 8.1, -0.2}
	binS    = []float64{0.9, 0.1, 0.8, 0.35, 0.6, 0.6, 0.2, 0.75, 0.4, 0.6, 0.05, 0.95, 0.5}
	binT    = []float64{1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0}
	classes = []float64{0.2, 0.5, 0.3, 0.8, 0.1, 0.1, 0.3, 0.3, 0.4, 0.1, 0.7, 0.2, 0.5, 0.4, 0.1,
		0.2, 0.2, 0.6, 0.6, 0.3, 0.1, 0.3, 0.4, 0.3, 0.1, 0.1, 0.8, 0.4, 0.5, 0.1,
		0.2, 0.3, 0.5, 0.9, 0.05, 0.05, 0.3, 0.35, 0.35}
	labels = []float64{1, 0, 2, 1, 1, 2, 0, 0, 2, 2, 2, 0, 1}
	logits = []float64{2.1, -0.3, 0.7, 0.2, -1.5, 0.4, -2.0, 1.1, -0.1, 3.0, -0.6, 0.9, 0.0}
	// Five classes, of which class 3 is neither a target nor a prediction.
	classes5 = []float64{0.6, 0.1, 0.1, 0.1, 0.1, 0.1, 0.5, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 0.1, 0.1,
		0.2, 0.2, 0.1, 0.0, 0.5, 0.5, 0.3, 0.1, 0.0, 0.1, 0.1, 0.1, 0.6, 0.1, 0.1,
		0.1, 0.6, 0.1, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1, 0.4, 0.2, 0.1, 0.5, 0.1, 0.1,
		0.1, 0.1, 0.2, 0.1, 0.5, 0.1, 0.3, 0.4, 0.1, 0.1}
	labels5 = []float64{0, 1, 2, 4, 1, 2, 0, 4, 2, 4, 0}
)

// untied is scores with row 7 changed so that no target ties at the second
// place, where scikit-learn and minidl break ties differently.
func untied(scores *tensor.Tensor) *tensor.Tensor {
	u := scores.Clone()
	u.Set(0.31, 7, 2)
	return u
}

func twoOutputs(v []float64, scale, shift float64) *tensor.Tensor {
	out := tensor.Zeros(len(v), 2)
	for i, x := range v {
		out.Set(x, i, 0)
		out.Set(x*scale+shift, i, 1)
	}
	return out
}

// TestMetricsMatchScikitLearn checks every metric against scikit-learn's
// value over the whole set, and that the value over batches of any size is
// the one-batch value: the metrics accumulate, they do not average batches.
func TestMetricsMatchScikitLearn(t *testing.T) {
	reg := func(v []float64) *tensor.Tensor { return tensor.New(v, len(v), 1) }
	scores := tensor.New(classes, 13, 3)
	lab := tensor.New(labels)
	scores5, lab5 := tensor.New(classes5, 11, 5), tensor.New(labels5)
	all5 := []int{0, 1, 2, 3, 4}
	tests := []struct {
		name         string
		m            Metric
		pred, target *tensor.Tensor
		sklearn      float64
	}{
		{"R2", &R2{}, reg(regP), reg(regY), 0.9690842404164695},
		{"R2 two outputs", &R2{}, twoOutputs(regP, 0.4, 1.3), twoOutputs(regY, 0.5, 1), 0.93935127780407},
		{"MAE", &MAE{}, reg(regP), reg(regY), 0.5076923076923078},
		{"RMSE", &RMSE{}, reg(regP), reg(regY), 0.556085217597779},
		{"ROCAUC", &ROCAUC{}, tensor.New(binS), tensor.New(binT), 0.9285714285714286},
		{"Precision", &Precision{}, tensor.New(binS), tensor.New(binT), 0.8571428571428571},
		{"Recall", &Recall{}, tensor.New(binS, 13, 1), tensor.New(binT, 13, 1), 0.8571428571428571},
		{"F1", &F1{}, tensor.New(binS), tensor.New(binT), 0.8571428571428571},
		{"macro Precision", &Precision{Average: Macro}, scores, lab, 0.7833333333333333},
		{"macro Recall", &Recall{Average: Macro}, scores, lab, 0.7666666666666666},
		{"macro F1", &F1{Average: Macro}, scores, lab, 0.7685185185185185},
		{"TopKAccuracy", &TopKAccuracy{K: 2}, untied(scores), lab, 0.8461538461538461},
		{"Accuracy", &Accuracy{}, scores, lab, 10.0 / 13},
		{"ConfusionMatrix", &ConfusionMatrix{}, scores, lab, 10.0 / 13},
		{"BinaryAccuracy", &BinaryAccuracy{}, tensor.New(binS), tensor.New(binT), 11.0 / 13},
		{"Accuracy of one column", &Accuracy{}, tensor.New(binS, 13, 1), tensor.New(binT), 0.8461538461538461},
		{"Accuracy of one column of logits", &Accuracy{Threshold: new(0.0)}, tensor.New(logits, 13, 1), tensor.New(binT, 13, 1), 0.6923076923076923},
		{"macro Precision, a class absent", &Precision{Average: Macro}, scores5, lab5, 0.6875},
		{"macro Recall, a class absent", &Recall{Average: Macro}, scores5, lab5, 0.7083333333333333},
		{"macro F1, a class absent", &F1{Average: Macro}, scores5, lab5, 0.6892857142857143},
		{"macro Precision, every label", &Precision{Average: Macro, Labels: all5}, scores5, lab5, 0.55},
		{"macro Recall, every label", &Recall{Average: Macro, Labels: all5}, scores5, lab5, 0.5666666666666667},
		{"macro F1, every label", &F1{Average: Macro, Labels: all5}, scores5, lab5, 0.5514285714285714},
		{"macro Precision, labels 0 and 2", &Precision{Average: Macro, Labels: []int{0, 2}}, scores5, lab5, 0.625},
		{"macro Recall, labels 0 and 2", &Recall{Average: Macro, Labels: []int{0, 2}}, scores5, lab5, 0.6666666666666666},
		{"macro F1, labels 0 and 2", &F1{Average: Macro, Labels: []int{0, 2}}, scores5, lab5, 0.6285714285714286},
	}
	for _, tt := range tests {
		whole := score(tt.m, tt.pred, tt.target, 0)
		if math.Abs(whole-tt.sklearn) > 1e-12 {
			t.Errorf("%s = %v, scikit-learn %v", tt.name, whole, tt.sklearn)
		}
		for _, size := range []int{1, 2, 3, 5, 8} {
			if got := score(tt.m, tt.pred, tt.target, size); math.Abs(got-whole) > 1e-12 {
				t.Errorf("%s over batches of %d = %v, over one batch %v", tt.name, size, got, whole)
			}
		}
	}
	cm := &ConfusionMatrix{}
	score(cm, scores, lab, 4)
	want := [][]float64{{3, 1, 0}, {1, 3, 0}, {0, 1, 4}}
	for i := range want {
		for j := range want[i] {
			if cm.Matrix()[i][j] != want[i][j] {
				t.Fatalf("confusion matrix %v, scikit-learn %v", cm.Matrix(), want)
			}
		}
	}
}

// TestR2PerBatchWouldFail: batches of 8 whose targets are constant make a
// per-batch R² −Inf; accumulated, R² is the whole set's.
func TestR2ConstantBatches(t *testing.T) {
	y := make([]float64, 32)
	p := make([]float64, 32)
	for i := range y {
		y[i] = float64(i / 8)
		p[i] = y[i] + 0.1
	}
	got := score(&R2{}, tensor.New(p, 32, 1), tensor.New(y, 32, 1), 8)
	if math.IsInf(got, 0) || math.Abs(got-(1-0.32/40)) > 1e-12 {
		t.Errorf("R2 over constant batches = %v, want 1 − 0.32/40", got)
	}
}

func TestMetricEdges(t *testing.T) {
	if v := (&Accuracy{}).Value(); v != 0 {
		t.Errorf("Accuracy of nothing = %v", v)
	}
	if v := score(&BinaryAccuracy{Threshold: new(0.0)}, tensor.New([]float64{-3, 2}), tensor.New([]float64{0, 1}), 0); v != 1 {
		t.Errorf("BinaryAccuracy on logits = %v", v)
	}
	if v := score(&Accuracy{}, tensor.New([]float64{0.1, 0.9, 0.8, 0.2}, 2, 2), tensor.New([]float64{0, 1, 1, 0}, 2, 2), 0); v != 1 {
		t.Errorf("Accuracy against one-hot rows = %v", v)
	}
	if v := score(&ROCAUC{}, tensor.New([]float64{0.2, 0.3}), tensor.New([]float64{1, 1}), 0); !math.IsNaN(v) {
		t.Errorf("AUC of one class = %v, want NaN", v)
	}
	if v := score(&R2{}, tensor.New([]float64{2, 2}, 2, 1), tensor.New([]float64{2, 2}, 2, 1), 0); v != 1 {
		t.Errorf("R2 of a constant predicted exactly = %v, want 1", v)
	}
	mustPanic(t, "Accuracy: predictions of shape [3]", func() { (&Accuracy{}).Update(tensor.Zeros(3), tensor.Zeros(3)) })
	mustPanic(t, "BinaryAccuracy: prediction [3] and target [2]", func() { (&BinaryAccuracy{}).Update(tensor.Zeros(3), tensor.Zeros(2)) })
	mustPanic(t, "ROCAUC: target 2 at position 0", func() { (&ROCAUC{}).Update(tensor.Zeros(1), tensor.New([]float64{2})) })
}

// TestAccuracyOfOneColumn: a binary classifier's [N 1] output is scored as
// Keras scores "accuracy" there, cut at 0.5 or at the Threshold given, not
// by the argmax of one column, which is always right.
func TestAccuracyOfOneColumn(t *testing.T) {
	probs := tensor.New([]float64{0.9, 0.2, 0.6, 0.4}, 4, 1)
	target := tensor.New([]float64{1, 1, 0, 0}, 4, 1)
	if v := score(&Accuracy{}, probs, target, 0); v != 0.5 {
		t.Errorf("Accuracy of probabilities [N 1] against [N 1] = %v, want 0.5", v)
	}
	target = target.Reshape(4)
	if v := score(&Accuracy{}, probs, target, 3); v != 0.5 {
		t.Errorf("Accuracy of probabilities [N 1] against [N] = %v, want 0.5", v)
	}
	logits := tensor.New([]float64{2, -1, 0.5, -0.3}, 4, 1)
	if v := score(&Accuracy{Threshold: new(0.0)}, logits, tensor.New([]float64{1, 0, 0, 0}, 4, 1), 2); v != 0.75 {
		t.Errorf("Accuracy of logits [N 1] cut at 0 = %v, want 0.75", v)
	}
	mustPanic(t, "Accuracy: target 0.7 at position 1 of a binary problem: want 0 or 1", func() {
		(&Accuracy{}).Update(probs, tensor.New([]float64{1, 0.7, 0, 0}))
	})
	mustPanic(t, "Accuracy: prediction [4 1] and target [3]", func() { (&Accuracy{}).Update(probs, tensor.Zeros(3)) })
	mustPanic(t, "a Threshold is set, but predictions of shape [2 2] are scores of 2 classes", func() {
		(&Accuracy{Threshold: new(0.0)}).Update(tensor.Zeros(2, 2), tensor.Zeros(2))
	})
}

// TestTopKAccuracyRefusesKAtLeastClasses: with K ≥ C every example is a
// hit whatever the model; scikit-learn warns and scores 1, minidl refuses.
func TestTopKAccuracyRefusesKAtLeastClasses(t *testing.T) {
	pred, target := tensor.New(classes, 13, 3), tensor.New(labels)
	mustPanic(t, "TopKAccuracy: K 3 with predictions [13 3] of 3 classes", func() { (&TopKAccuracy{K: 3}).Update(pred, target) })
	mustPanic(t, "TopKAccuracy: K 5 with predictions [13 3]", func() { (&TopKAccuracy{}).Update(pred, target) })
	mustPanic(t, "TopKAccuracy: K 1 with predictions [2 1] of 1 classes", func() { (&TopKAccuracy{K: 1}).Update(tensor.Zeros(2, 1), tensor.Zeros(2)) })
	mustPanic(t, "TopKAccuracy: K is -1", func() { (&TopKAccuracy{K: -1}).Update(pred, target) })
	if v := score(&TopKAccuracy{K: 1}, pred, target, 0); v != 10.0/13 {
		t.Errorf("TopKAccuracy with K 1 = %v, want the accuracy 10/13", v)
	}
}

// TestAverageMisuse: Labels with a Binary average, a Binary average of a
// problem with more than two classes and labels that are not classes are
// refused rather than scored.
func TestAverageMisuse(t *testing.T) {
	scores, lab := tensor.New(classes, 13, 3), tensor.New(labels)
	tests := []struct {
		name string
		m    Metric
		want string
	}{
		{"Labels with Binary", &F1{Labels: []int{0, 1}}, "F1: Labels [0 1] are for a Macro, Micro or Weighted average"},
		{"Binary on three classes", &Precision{}, "Precision: Average Binary scores class 1 of a problem with classes 0 and 1, but class 2 occurs"},
		{"label outside", &Recall{Average: Macro, Labels: []int{0, 3}}, "Recall: Labels [0 3]: label 3 is not a distinct class of the 3 classes seen"},
		{"label twice", &Recall{Average: Macro, Labels: []int{1, 1}}, "label 1 is not a distinct class"},
		{"negative label", &F1{Average: Macro, Labels: []int{-1}}, "label -1 is not a distinct class"},
	}
	for _, tt := range tests {
		mustPanic(t, tt.want, func() { score(tt.m, scores, lab, 0) })
	}
	// Nothing seen yet: 0, whatever the labels.
	if v := (&F1{Average: Macro, Labels: []int{7}}).Value(); v != 0 {
		t.Errorf("F1 of nothing = %v", v)
	}
}
