package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/minidl/minidl/tensor"
)

// ROCAUC is the area under the ROC curve, computed exactly from every score
// kept, as scikit-learn's roc_auc_score:
//
//   - A binary problem, scores [N] or [N 1] (any monotone score:
//     probabilities or logits) against targets 0 or 1: the probability
//     that a random positive scores above a random negative, ties counting
//     one half (the Mann-Whitney statistic). Average is ignored, as
//     scikit-learn ignores average for binary targets.
//   - C ≥ 2 classes, scores [N C] against labels [N] or one-hot rows
//     [N C]: one-vs-rest, as multi_class="ovr", each class's column
//     scored against "this class or not"; Average Macro is the mean of the
//     C areas, Weighted their mean weighted by each class's count, Micro
//     the area of the N·C (example, class) pairs taken as one binary
//     problem. The rows must be probabilities summing to 1 (scikit-learn
//     checks the same, within 1e-5), since softmax reorders a column's
//     scores; FromLogits applies softmax to each row first, for a model
//     ending in a linear layer.
//
// It keeps every score, 8 bytes a score and 8 an example.
type ROCAUC struct {
	// Average says how the one-vs-rest areas of several classes are
	// averaged: Macro, Weighted or Micro. Binary, the zero value, refuses
	// scores of several classes, as scikit-learn refuses them without
	// multi_class.
	Average Average
	// FromLogits applies softmax to each row of scores [N C] before they
	// are ranked, as Keras's AUC(from_logits=True). With one column it
	// changes nothing: the sigmoid keeps the order of logits.
	FromLogits bool
	ranked
}

// Update keeps a batch.
func (a *ROCAUC) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	a.update("ROCAUC", a.Average, a.FromLogits, pred, target)
}

// Value returns the area. It is NaN when the area is undefined, where
// scikit-learn raises an error: before any example, when only one class has
// been seen among the targets of a binary problem, or when some class of
// several has no example or no example of another class (for Macro and
// Weighted); and when a score is NaN.
func (a *ROCAUC) Value() float64 { return a.oneVsRest(a.Average, rocArea) }

// Reset forgets every batch.
func (a *ROCAUC) Reset() { a.reset() }

// AveragePrecision is the area under the precision-recall curve of a
// binary problem as scikit-learn's average_precision_score computes it:
// Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the distinct scores taken as thresholds from the
// highest down, Pₖ and Rₖ the precision and recall of the examples scoring
// at least the k-th threshold. Tied scores enter together, as one
// threshold; there is no interpolation between points. Scores are [N] or
// [N 1] (probabilities or logits: only their order counts) against targets
// 0 or 1. Without a positive target it is 0, and without a negative 1, as
// in scikit-learn (which warns of the first). It keeps every score, 16
// bytes an example.
type AveragePrecision struct {
	ranked
}

// Update keeps a batch.
func (a *AveragePrecision) Update(pred, target *tensor.Tensor) {
	pred, target = pred.To(tensor.Float64), target.To(tensor.Float64)
	if pred.Dims() == 2 && pred.Dim(1) > 1 {
		panic(&Error{Kind: tensor.ErrShape, Op: "AveragePrecision", Detail: fmt.Sprintf("scores of shape %v: want [batch] or [batch 1], the scores of a binary problem", pred.Shape())})
	}
	a.update("AveragePrecision", Binary, false, pred, target)
}

// Value returns the average precision: 0 before any example, NaN if a
// score is NaN.
func (a *AveragePrecision) Value() float64 { return a.oneVsRest(Binary, averagePrecision) }

// Reset forgets every batch.
func (a *AveragePrecision) Reset() { a.reset() }

// ranked keeps the scores and target classes of every example, for the
// metrics that rank scores.
type ranked struct {
	scores  []float64 // classes scores per example, row after row
	targets []int     // the class of each example; 0 or 1 with one column
	classes int       // columns of scores: 1 for a binary problem, 0 before any batch
}

// update checks a batch of scores and keeps it; op names the metric in a
// panic.
func (r *ranked) update(op string, avg Average, fromLogits bool, pred, target *tensor.Tensor) {
	if avg < Binary || avg > Weighted {
		panic(&Error{Op: op, Detail: fmt.Sprintf("Average %d is not Binary, Macro, Micro or Weighted", avg)})
	}
	classes := 1
	if pred.Dims() == 2 && pred.Dim(1) > 1 {
		classes = pred.Dim(1)
	}
	if r.classes != 0 && classes != r.classes {
		panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("scores %v after batches of %d columns", pred.Shape(), r.classes)})
	}
	if classes == 1 {
		if pred.Size() != target.Size() || pred.Dims() == 0 || pred.Dims() > 2 || (pred.Dims() == 2 && pred.Dim(1) != 1) {
			panic(&Error{Kind: tensor.ErrShape, Op: op, Detail: fmt.Sprintf("scores %v and targets %v of a binary problem: want [batch] or [batch 1], one value per example", pred.Shape(), target.Shape())})
		}
		for i, t := range target.Data() {
			if t != 0 && t != 1 {
				panic(&Error{Kind: tensor.ErrIndex, Op: op, Detail: fmt.Sprintf("target %v at position %d: want 0 or 1", t, i)})
			}
		}
		for _, t := range target.Data() {
			r.targets = append(r.targets, int(t))
		}
		r.scores = append(r.scores, pred.Data()...)
		r.classes = 1
		return
	}
	if avg == Binary {
		panic(&Error{Op: op, Detail: fmt.Sprintf("scores %v of %d classes with Average Binary; want Average Macro, Weighted or Micro, the one-vs-rest areas averaged (scikit-learn's multi_class=\"ovr\")", pred.Shape(), classes)})
	}
	want := targetClasses(op, pred, target)
	probs := pred
	if fromLogits {
		probs = pred.Softmax(1)
	} else {
		for i := range pred.Dim(0) {
			sum := 0.0
			for _, p := range pred.Data()[i*classes : (i+1)*classes] {
				sum += p
			}
			// numpy's allclose(1, sum), as scikit-learn checks it.
			if !(math.Abs(1-sum) <= 1e-8+1e-5*math.Abs(sum)) {
				panic(&Error{Op: op, Detail: fmt.Sprintf("row %d of scores %v sums to %v: want probabilities summing to 1 (softmax reorders a class's scores, so logits would give another area); set FromLogits for logits", i, pred.Shape(), sum)})
			}
		}
	}
	r.targets = append(r.targets, want...)
	r.scores = append(r.scores, probs.Data()...)
	r.classes = classes
}

func (r *ranked) reset() {
	r.scores, r.targets, r.classes = r.scores[:0], r.targets[:0], 0
}

// oneVsRest returns area of the binary problem, or of the one-vs-rest
// problems of several classes averaged as avg says. area takes scores and
// whether each example is a positive.
func (r *ranked) oneVsRest(avg Average, area func(scores []float64, positive []bool) float64) float64 {
	if slices.ContainsFunc(r.scores, math.IsNaN) {
		return math.NaN()
	}
	n := len(r.targets)
	if r.classes <= 1 {
		positive := make([]bool, n)
		for i, t := range r.targets {
			positive[i] = t == 1
		}
		return area(r.scores, positive)
	}
	c := r.classes
	if avg == Micro {
		positive := make([]bool, n*c)
		for i, t := range r.targets {
			positive[i*c+t] = true
		}
		return area(r.scores, positive)
	}
	column, positive := make([]float64, n), make([]bool, n)
	total, weights := 0.0, 0.0
	for k := range c {
		count := 0.0
		for i, t := range r.targets {
			column[i], positive[i] = r.scores[i*c+k], t == k
			if t == k {
				count++
			}
		}
		w := 1.0
		if avg == Weighted {
			w = count
		}
		total += w * area(column, positive)
		weights += w
	}
	return total / weights
}

// descending returns the indices of scores ordered from the highest score
// down.
func descending(scores []float64) []int {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		switch {
		case scores[i] > scores[j]:
			return -1
		case scores[i] < scores[j]:
			return 1
		}
		return 0
	})
	return order
}

// rocArea returns the area under the ROC curve: the Mann-Whitney statistic,
// the sum of the positives' ranks, tied scores sharing their mean rank. It
// is NaN without positives or without negatives.
func rocArea(scores []float64, positive []bool) float64 {
	order := descending(scores)
	slices.Reverse(order) // ranks count from the lowest score
	rankSum, positives := 0.0, 0.0
	for lo := 0; lo < len(order); {
		hi := lo
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			hi++
		}
		mean := float64(lo+hi+1) / 2 // ranks lo+1 … hi
		for _, i := range order[lo:hi] {
			if positive[i] {
				rankSum += mean
				positives++
			}
		}
		lo = hi
	}
	negatives := float64(len(order)) - positives
	if positives == 0 || negatives == 0 {
		return math.NaN()
	}
	return (rankSum - positives*(positives+1)/2) / (positives * negatives)
}

// averagePrecision returns Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the distinct scores from
// the highest down, as scikit-learn's average_precision_score: 0 without
// positives (scikit-learn then takes every recall as 1, and the first
// precision is 0).
func averagePrecision(scores []float64, positive []bool) float64 {
	positives := 0.0
	for _, p := range positive {
		if p {
			positives++
		}
	}
	if positives == 0 {
		return 0
	}
	order := descending(scores)
	ap, tp, recall := 0.0, 0.0, 0.0
	for lo := 0; lo < len(order); {
		hi := lo
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			if positive[order[hi]] {
				tp++
			}
			hi++
		}
		next := tp / positives
		ap += (next - recall) * (tp / float64(hi))
		recall, lo = next, hi
	}
	return ap
}
