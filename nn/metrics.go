package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/minidl/minidl/tensor"
)

// Metric is a streaming accumulator of a score over the batches of a pass,
// as Keras's stateful metrics and torchmetrics are: Update takes each
// batch, Value computes the score over every example seen since the last
// Reset, and Reset starts the next pass (train.Fit resets before each
// epoch's training and before its validation). The value over batches is
// therefore the value over the whole set, whatever the batch size, also
// for scores that are not means (R², F1, AUC). Predictions and targets may
// be float64, float32 or int64, class labels typically Int64 (the metrics
// of this package read them in float64, to which a float32 value, and an
// int64 one within ±2⁵³, converts exactly; a larger int64 panics rather
// than being rounded). A Metric holds state: give
// each concurrent evaluation its own.
type Metric interface {
	Update(pred, target *tensor.Tensor)
	Value() float64
	Reset()
}

func shapeMismatch(op string, pred, target *tensor.Tensor) {
	panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("prediction %v and target %v: shapes differ", pred.Shape(), target.Shape())})
}

// threshold returns *t, or 0.5 when t is nil: the default cut of a
// probability.
func threshold(t *float64) float64 {
	if t == nil {
		return 0.5
	}
	return *t
}

// Accuracy is the fraction of examples classified right, as Keras's
// "accuracy" is resolved from the shape of the predictions:
//
//   - Scores or probabilities of C ≥ 2 classes, pred [N C]: the rows whose
//     largest entry is at the target class, the targets being labels [N]
//     or one-hot rows [N C] (Keras's categorical accuracy).
//   - One column, pred [N 1], a binary classifier's output: the rows where
//     pred > Threshold agrees with the target, 0 or 1, of shape [N] or
//     [N 1] (Keras's binary accuracy). Threshold nil means 0.5, for
//     probabilities (a model ending in Sigmoid); a model ending in a
//     linear layer gives logits, whose cut is new(0.0).
//
// A Threshold with predictions of several columns panics: it would be
// ignored. Its zero value is ready to use.
type Accuracy struct {
	Threshold *float64
	hits, n   float64
}

// Update counts a batch.
func (a *Accuracy) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	var want, got []int
	if pred.Dims() == 2 && pred.Dim(1) == 1 {
		want, got = binaryClasses("Accuracy", pred, target, threshold(a.Threshold))
	} else {
		if a.Threshold != nil {
			panic(&Error{Op: "Accuracy", Detail: fmt.Sprintf("a Threshold is set, but predictions of shape %v are scores of %d classes, compared by their largest entry; a Threshold cuts a single column [batch 1]", pred.Shape(), pred.Dim(-1))})
		}
		want, got = classesOf("Accuracy", pred, target)
	}
	for i, y := range want {
		if got[i] == y {
			a.hits++
		}
	}
	a.n += float64(len(want))
}

// Value returns the fraction of hits, 0 before any example.
func (a *Accuracy) Value() float64 { return ratioOr0(a.hits, a.n) }

// Reset forgets every batch.
func (a *Accuracy) Reset() { a.hits, a.n = 0, 0 }

// classesOf returns the target and predicted (argmax) classes of a batch of
// scores [N C] against labels [N] or one-hot rows [N C].
func classesOf(op string, pred, target *tensor.Tensor) (want, got []int) {
	if pred.Dims() != 2 {
		panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("predictions of shape %v: want [batch classes]", pred.Shape())})
	}
	if pred.Dim(0) == 0 {
		return nil, nil
	}
	want = targetClasses(op, pred, target)
	for _, c := range pred.ArgMax(1).Data() {
		got = append(got, int(c))
	}
	return want, got
}

// targetClasses returns the classes of the targets of a batch of scores
// pred [N C]: labels [N], or one-hot rows [N C] (their argmax).
func targetClasses(op string, pred, target *tensor.Tensor) []int {
	labels := target
	if target.SameShape(pred) {
		labels = target.ArgMax(1)
	}
	return classLabels(op, labels, pred.Dim(0), pred.Dim(1), nil)
}

// binaryClasses returns the target classes, 0 or 1, and the predicted ones,
// pred > cut, of a binary problem: predictions [N] or [N 1] against targets
// of as many elements.
func binaryClasses(op string, pred, target *tensor.Tensor, cut float64) (want, got []int) {
	column := func(t *tensor.Tensor) bool { return t.Dims() == 1 || (t.Dims() == 2 && t.Dim(1) == 1) }
	if !column(pred) || !column(target) || pred.Dim(0) != target.Dim(0) {
		panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("prediction %v and target %v of a binary problem: want [batch] or [batch 1], one value per example", pred.Shape(), target.Shape())})
	}
	for i, p := range pred.Data() {
		t := target.Data()[i]
		if t != 0 && t != 1 {
			panic(&Error{Kind: tensor.ErrIndex, Op: op, Detail: fmt.Sprintf("target %v at position %d of a binary problem: want 0 or 1", t, i)})
		}
		want = append(want, int(t))
		if p > cut {
			got = append(got, 1)
		} else {
			got = append(got, 0)
		}
	}
	return want, got
}

func ratioOr0(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// BinaryAccuracy is the fraction of elements where pred > Threshold agrees
// with target > 0.5. Threshold nil means 0.5, for probabilities; new(0.0)
// suits logits.
type BinaryAccuracy struct {
	Threshold *float64
	hits, n   float64
}

// Update counts a batch.
func (a *BinaryAccuracy) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	if !pred.SameShape(target) {
		shapeMismatch("BinaryAccuracy", pred, target)
	}
	cut := threshold(a.Threshold)
	for i, p := range pred.Data() {
		if (p > cut) == (target.Data()[i] > 0.5) {
			a.hits++
		}
	}
	a.n += float64(pred.Size())
}

// Value returns the fraction of hits, 0 before any element.
func (a *BinaryAccuracy) Value() float64 { return ratioOr0(a.hits, a.n) }

// Reset forgets every batch.
func (a *BinaryAccuracy) Reset() { a.hits, a.n = 0, 0 }

// TopKAccuracy is the fraction of rows of pred [N C] whose target class is
// among the K largest entries, a tie broken towards the lower class as
// argmax breaks it (so K 1 is Accuracy; scikit-learn breaks ties towards the
// higher class, Keras counts every tied class in). K 0 means 5, Keras's
// default. K must be less than the number of classes: with K ≥ C every row
// is a hit whatever the model, so Update panics where scikit-learn warns
// and returns 1.
type TopKAccuracy struct {
	K       int
	hits, n float64
}

// Update counts a batch.
func (a *TopKAccuracy) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	k := a.K
	if k == 0 {
		k = 5
	}
	if k < 0 {
		panic(&Error{Op: "TopKAccuracy", Detail: fmt.Sprintf("K is %d; want a positive number of classes (0 for 5)", a.K)})
	}
	if pred.Dims() == 2 && k >= pred.Dim(1) {
		panic(&Error{Op: "TopKAccuracy", Detail: fmt.Sprintf("K %d with predictions %v of %d classes: every example would be among the top %d, a score of 1 for any model; want K < %d", k, pred.Shape(), pred.Dim(1), k, pred.Dim(1))})
	}
	want, _ := classesOf("TopKAccuracy", pred, target)
	c := pred.Dim(1)
	for i, y := range want {
		row := pred.Data()[i*c : (i+1)*c]
		above := 0 // classes ranked before the target
		for j, v := range row {
			if v > row[y] || (v == row[y] && j < y) {
				above++
			}
		}
		if above < k {
			a.hits++
		}
	}
	a.n += float64(len(want))
}

// Value returns the fraction of hits, 0 before any example.
func (a *TopKAccuracy) Value() float64 { return ratioOr0(a.hits, a.n) }

// Reset forgets every batch.
func (a *TopKAccuracy) Reset() { a.hits, a.n = 0, 0 }

// MAE is the mean absolute error over every element.
type MAE struct{ sum, n float64 }

// Update adds a batch.
func (m *MAE) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	if !pred.SameShape(target) {
		shapeMismatch("MAE", pred, target)
	}
	for i, p := range pred.Data() {
		m.sum += math.Abs(p - target.Data()[i])
	}
	m.n += float64(pred.Size())
}

// Value returns the mean absolute error, 0 before any element.
func (m *MAE) Value() float64 { return ratioOr0(m.sum, m.n) }

// Reset forgets every batch.
func (m *MAE) Reset() { *m = MAE{} }

// RMSE is the root of the mean squared error over every element.
type RMSE struct{ sum, n float64 }

// Update adds a batch.
func (m *RMSE) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	if !pred.SameShape(target) {
		shapeMismatch("RMSE", pred, target)
	}
	for i, p := range pred.Data() {
		d := p - target.Data()[i]
		m.sum += d * d
	}
	m.n += float64(pred.Size())
}

// Value returns the root mean squared error, 0 before any element.
func (m *RMSE) Value() float64 { return math.Sqrt(ratioOr0(m.sum, m.n)) }

// Reset forgets every batch.
func (m *RMSE) Reset() { *m = RMSE{} }

// MAPE is the mean absolute percentage error over every element, as
// scikit-learn's mean_absolute_percentage_error: the mean of
// |target − pred| / max(|target|, ε), ε being float64's machine epsilon
// (2⁻⁵²), so that a zero target gives a large finite error rather than
// Inf. Like scikit-learn, and unlike Keras's MAPE, it is a fraction, not a
// percentage: 0.05 is 5 %. Over several outputs it is the mean over every
// element, which is scikit-learn's uniform average of the outputs.
type MAPE struct{ sum, n float64 }

// Update adds a batch.
func (m *MAPE) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	if !pred.SameShape(target) {
		shapeMismatch("MAPE", pred, target)
	}
	for i, p := range pred.Data() {
		y := target.Data()[i]
		m.sum += math.Abs(y-p) / max(math.Abs(y), epsilon64)
	}
	m.n += float64(pred.Size())
}

// epsilon64 is numpy's finfo(float64).eps, the gap between 1 and the next
// float64, which scikit-learn's MAPE divides by in place of a zero target.
const epsilon64 = 0x1p-52

// Value returns the mean absolute percentage error, as a fraction; 0
// before any element.
func (m *MAPE) Value() float64 { return ratioOr0(m.sum, m.n) }

// Reset forgets every batch.
func (m *MAPE) Reset() { *m = MAPE{} }

// R2 is the coefficient of determination, 1 − Σ(y − ŷ)² / Σ(y − ȳ)², over
// every example; for several outputs (pred [N K]) it is the mean over the
// outputs, as scikit-learn's r2_score. It accumulates per-output sums, and
// the total sum of squares about the mean of the whole set, so that the
// value equals the one-pass value for any batching. An output whose targets
// are all equal scores 1 if predicted exactly and 0 otherwise, as in
// scikit-learn.
type R2 struct {
	n                    float64
	sumY, sumY2, sumRes2 []float64
}

// Update adds a batch.
func (m *R2) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	if !pred.SameShape(target) {
		shapeMismatch("R2", pred, target)
	}
	k := 1
	if pred.Dims() == 2 {
		k = pred.Dim(1)
	}
	if m.sumY == nil {
		m.sumY, m.sumY2, m.sumRes2 = make([]float64, k), make([]float64, k), make([]float64, k)
	}
	if len(m.sumY) != k {
		panic(&Error{Kind: tensor.ErrShape, Op: "R2", Detail: fmt.Sprintf("%d outputs after batches of %d", k, len(m.sumY))})
	}
	for i, p := range pred.Data() {
		y, j := target.Data()[i], i%k
		m.sumY[j] += y
		m.sumY2[j] += y * y
		m.sumRes2[j] += (y - p) * (y - p)
	}
	m.n += float64(pred.Size() / k)
}

// Value returns R², 0 before any example.
func (m *R2) Value() float64 {
	if m.n == 0 {
		return 0
	}
	total := 0.0
	for j := range m.sumY {
		ssTot := m.sumY2[j] - m.sumY[j]*m.sumY[j]/m.n
		switch {
		case ssTot > 0:
			total += 1 - m.sumRes2[j]/ssTot
		case m.sumRes2[j] == 0:
			total++
		}
	}
	return total / float64(len(m.sumY))
}

// Reset forgets every batch.
func (m *R2) Reset() { *m = R2{} }

// Average says how a score of classification is taken over classes.
type Average int

const (
	// Binary scores the positive class (1) of a binary problem: one whose
	// targets and predictions are all 0 or 1.
	Binary Average = iota
	// Macro is the unweighted mean of the scores of the classes that occur
	// among the targets or the predictions, as scikit-learn's default, or
	// of the classes a metric's Labels name.
	Macro
	// Micro scores the counts of those classes pooled, as scikit-learn's
	// average="micro": precision, recall and F1 are then all the accuracy
	// when every class is counted, since each miss is a false positive of
	// one class and a false negative of another. For ROCAUC it is the area
	// of every (example, class) pair of the one-vs-rest problems taken as
	// one binary problem.
	Micro
	// Weighted is the mean of those classes' scores weighted by their
	// support, the number of targets of each class, as scikit-learn's
	// average="weighted"; it favours the frequent classes, as Macro does
	// not.
	Weighted
)

// ConfusionMatrix counts, over every example, how often class i was
// predicted as class j. Predictions are scores [N C] (argmax) against
// labels [N] or one-hot rows [N C]; or, for a binary problem, probabilities
// [N] or [N 1] cut at Threshold (nil means 0.5) against targets 0 or 1.
// Its Value is the accuracy; Matrix gives the counts.
type ConfusionMatrix struct {
	Threshold *float64
	counts    [][]float64 // counts[target][predicted]
}

// Update counts a batch.
func (m *ConfusionMatrix) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	want, got, classes := m.classify(pred, target)
	if len(m.counts) < classes {
		grown := make([][]float64, classes)
		for i := range grown {
			grown[i] = make([]float64, classes)
			if i < len(m.counts) {
				copy(grown[i], m.counts[i])
			}
		}
		m.counts = grown
	}
	for i, y := range want {
		m.counts[y][got[i]]++
	}
}

// classify returns the target and predicted classes of a batch and the
// number of classes.
func (m *ConfusionMatrix) classify(pred, target *tensor.Tensor) (want, got []int, classes int) {
	if pred.Dims() == 2 && pred.Dim(1) > 1 {
		want, got = classesOf("ConfusionMatrix", pred, target)
		return want, got, pred.Dim(1)
	}
	want, got = binaryClasses("ConfusionMatrix", pred, target, threshold(m.Threshold))
	return want, got, 2
}

// Matrix returns a copy of the counts, [target][predicted].
func (m *ConfusionMatrix) Matrix() [][]float64 {
	out := make([][]float64, len(m.counts))
	for i, row := range m.counts {
		out[i] = slices.Clone(row)
	}
	return out
}

// Value returns the accuracy: the diagonal over the total.
func (m *ConfusionMatrix) Value() float64 {
	diag, total := 0.0, 0.0
	for i, row := range m.counts {
		for j, c := range row {
			total += c
			if i == j {
				diag += c
			}
		}
	}
	return ratioOr0(diag, total)
}

// Reset forgets every batch.
func (m *ConfusionMatrix) Reset() { m.counts = nil }

// perClass returns true positives, predicted positives and actual
// positives of class c.
func (m *ConfusionMatrix) perClass(c int) (tp, predicted, actual float64) {
	for i, row := range m.counts {
		for j, n := range row {
			if i == c && j == c {
				tp += n
			}
			if j == c {
				predicted += n
			}
			if i == c {
				actual += n
			}
		}
	}
	return tp, predicted, actual
}

// averaged applies score to the positive class, or to the classes labels
// name (nil: every class that occurs) averaged as avg says; a class whose
// denominator is 0 scores 0, as scikit-learn's default zero_division does.
// op names the metric in a panic.
func (m *ConfusionMatrix) averaged(op string, avg Average, labels []int, score func(tp, predicted, actual float64) float64) float64 {
	present := m.present()
	switch {
	case avg == Binary && labels != nil:
		panic(&Error{Op: op, Detail: fmt.Sprintf("Labels %v are for a Macro, Micro or Weighted average; Average is Binary, the score of class 1", labels)})
	case avg == Binary && len(present) > 0 && present[len(present)-1] > 1:
		panic(&Error{Op: op, Detail: fmt.Sprintf("Average Binary scores class 1 of a problem with classes 0 and 1, but class %d occurs; use Average Macro, Micro or Weighted", present[len(present)-1])})
	case avg == Binary:
		return score(m.perClass(1))
	case avg != Macro && avg != Micro && avg != Weighted:
		panic(&Error{Op: op, Detail: fmt.Sprintf("Average %d is not Binary, Macro, Micro or Weighted", avg)})
	}
	if labels == nil {
		labels = present
	}
	if len(m.counts) == 0 || len(labels) == 0 {
		return 0
	}
	for i, c := range labels {
		if c < 0 || c >= len(m.counts) || slices.Contains(labels[:i], c) {
			panic(&Error{Op: op, Kind: tensor.ErrIndex, Detail: fmt.Sprintf("Labels %v: label %d is not a distinct class of the %d classes seen", labels, c, len(m.counts))})
		}
	}
	total, weights, tps, predicted, actual := 0.0, 0.0, 0.0, 0.0, 0.0
	for _, c := range labels {
		tp, p, a := m.perClass(c)
		tps, predicted, actual = tps+tp, predicted+p, actual+a
		switch avg {
		case Macro:
			total += score(tp, p, a)
			weights++
		case Weighted:
			total += a * score(tp, p, a)
			weights += a
		}
	}
	if avg == Micro {
		return score(tps, predicted, actual)
	}
	return ratioOr0(total, weights)
}

// present returns, in order, the classes that occur as a target or as a
// prediction.
func (m *ConfusionMatrix) present() []int {
	var classes []int
	for c := range m.counts {
		if _, predicted, actual := m.perClass(c); predicted > 0 || actual > 0 {
			classes = append(classes, c)
		}
	}
	return classes
}

// Precision is tp / (tp + fp) of the positive class (Average Binary) or
// averaged over the classes (Macro, Micro, Weighted), from a
// ConfusionMatrix of every example.
type Precision struct {
	Average Average
	// Labels, for an average over classes, are the classes to average
	// over (for Micro, whose counts to pool); nil means every class that
	// occurs among the targets or the predictions, as scikit-learn's
	// default. A class named here that never occurs scores 0, as in
	// scikit-learn.
	Labels []int
	ConfusionMatrix
}

// Value returns the precision.
func (p *Precision) Value() float64 {
	return p.averaged("Precision", p.Average, p.Labels, func(tp, predicted, _ float64) float64 { return ratioOr0(tp, predicted) })
}

// Recall is tp / (tp + fn) of the positive class (Average Binary) or
// averaged over the classes (Macro, Micro, Weighted). Its Weighted average
// is the accuracy over the classes averaged, as in scikit-learn.
type Recall struct {
	Average Average
	// Labels are the classes averaged over, as Precision's.
	Labels []int
	ConfusionMatrix
}

// Value returns the recall.
func (r *Recall) Value() float64 {
	return r.averaged("Recall", r.Average, r.Labels, func(tp, _, actual float64) float64 { return ratioOr0(tp, actual) })
}

// F1 is the harmonic mean of precision and recall, 2tp / (2tp + fp + fn),
// of the positive class (Average Binary), the mean of the classes' F1
// (Macro, or Weighted by support), or the F1 of the pooled counts (Micro),
// as scikit-learn's f1_score.
type F1 struct {
	Average Average
	// Labels are the classes averaged over, as Precision's.
	Labels []int
	ConfusionMatrix
}

// Value returns F1.
func (f *F1) Value() float64 {
	return f.averaged("F1", f.Average, f.Labels, func(tp, predicted, actual float64) float64 { return ratioOr0(2*tp, predicted+actual) })
}
