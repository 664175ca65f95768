package nn

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/minidl/minidl/tensor"
)

// sklearnMore is testdata/sklearn_metrics_more.json, written by
// testdata/sklearn_metrics_more.py: inputs and scikit-learn's values.
type sklearnMore struct {
	Binary, BinaryTies, BinaryLogits sklearnBinary
	APNoPositive                     float64 `json:"ap_no_positive"`
	APNoNegative                     float64 `json:"ap_no_negative"`
	Multiclass, MulticlassLogits     sklearnMulticlass
	PRFSets                          map[string]struct {
		Scores [][]float64
		Labels []float64
	} `json:"prf_sets"`
	PRF []struct {
		Set     string
		Labels  []int
		Average string
		Metric  string
		Value   float64
	}
	BinaryPRF map[string]map[string]float64 `json:"binary_prf"`
	MAPE      struct {
		Y, P            []float64
		Value           float64
		ValueTwoOutputs float64 `json:"value_two_outputs"`
	}
}

type sklearnBinary struct {
	Scores, Targets  []float64
	AveragePrecision float64 `json:"average_precision"`
	ROCAUC           float64 `json:"roc_auc"`
}

type sklearnMulticlass struct {
	Probs, Logits  [][]float64
	Labels         []float64
	ROCAUCMacro    float64 `json:"roc_auc_macro"`
	ROCAUCWeighted float64 `json:"roc_auc_weighted"`
	ROCAUCMicro    float64 `json:"roc_auc_micro"`
}

func (s *sklearnMore) UnmarshalJSON(b []byte) error {
	type plain sklearnMore
	var raw struct {
		plain
		BinaryTies       sklearnBinary     `json:"binary_ties"`
		BinaryLogits     sklearnBinary     `json:"binary_logits"`
		MulticlassLogits sklearnMulticlass `json:"multiclass_logits"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = sklearnMore(raw.plain)
	s.BinaryTies, s.BinaryLogits, s.MulticlassLogits = raw.BinaryTies, raw.BinaryLogits, raw.MulticlassLogits
	return nil
}

func readSklearnMore(t *testing.T) *sklearnMore {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn_metrics_more.json")
	if err != nil {
		t.Fatal(err)
	}
	var s sklearnMore
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Binary.Scores) == 0 || len(s.MulticlassLogits.Logits) == 0 || len(s.PRF) == 0 || len(s.MAPE.Y) == 0 {
		t.Fatal("testdata/sklearn_metrics_more.json lacks a section")
	}
	return &s
}

func matrix(rows [][]float64) *tensor.Tensor {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return tensor.New(v, len(rows), len(rows[0]))
}

// checkMetric checks m's value over the whole set against scikit-learn's,
// and over batches of several sizes against the one-batch value.
func checkMetric(t *testing.T, name string, m Metric, pred, target *tensor.Tensor, sklearn float64) {
	t.Helper()
	whole := score(m, pred, target, 0)
	if math.Abs(whole-sklearn) > 1e-12 {
		t.Errorf("%s = %v, scikit-learn %v", name, whole, sklearn)
	}
	for _, size := range []int{1, 2, 3, 5, 8, 29} {
		if got := score(m, pred, target, size); math.Abs(got-whole) > 1e-12 {
			t.Errorf("%s over batches of %d = %v, over one batch %v", name, size, got, whole)
		}
	}
}

// TestRankingMetricsMatchScikitLearn: average precision and ROC AUC of
// binary problems (ties everywhere in one), and one-vs-rest ROC AUC of
// several classes averaged three ways, on probabilities and on logits.
func TestRankingMetricsMatchScikitLearn(t *testing.T) {
	s := readSklearnMore(t)
	for name, b := range map[string]sklearnBinary{"binary": s.Binary, "binary ties": s.BinaryTies, "binary logits": s.BinaryLogits} {
		n := len(b.Scores)
		checkMetric(t, "AveragePrecision "+name, &AveragePrecision{}, tensor.New(b.Scores), tensor.New(b.Targets), b.AveragePrecision)
		checkMetric(t, "AveragePrecision [N 1] "+name, &AveragePrecision{}, tensor.New(b.Scores, n, 1), tensor.New(b.Targets, n, 1), b.AveragePrecision)
		checkMetric(t, "ROCAUC "+name, &ROCAUC{}, tensor.New(b.Scores, n, 1), tensor.New(b.Targets), b.ROCAUC)
		checkMetric(t, "ROCAUC Macro on one column "+name, &ROCAUC{Average: Macro}, tensor.New(b.Scores, n, 1), tensor.New(b.Targets), b.ROCAUC)
	}
	checkMetric(t, "AveragePrecision without a positive", &AveragePrecision{}, tensor.New([]float64{0.2, 0.5, 0.1}), tensor.New([]float64{0, 0, 0}), s.APNoPositive)
	checkMetric(t, "AveragePrecision without a negative", &AveragePrecision{}, tensor.New([]float64{0.2, 0.5, 0.1}), tensor.New([]float64{1, 1, 1}), s.APNoNegative)
	for name, mc := range map[string]sklearnMulticlass{"three classes": s.Multiclass, "four classes": s.MulticlassLogits} {
		probs, labels := matrix(mc.Probs), tensor.New(mc.Labels)
		onehot := tensor.Zeros(probs.Dim(0), probs.Dim(1))
		for i, c := range mc.Labels {
			onehot.Set(1, i, int(c))
		}
		for _, avg := range []struct {
			a    Average
			want float64
		}{{Macro, mc.ROCAUCMacro}, {Weighted, mc.ROCAUCWeighted}, {Micro, mc.ROCAUCMicro}} {
			label := fmt.Sprintf("ROCAUC %s, Average %d", name, avg.a)
			checkMetric(t, label, &ROCAUC{Average: avg.a}, probs, labels, avg.want)
			checkMetric(t, label+", one-hot targets", &ROCAUC{Average: avg.a}, probs, onehot, avg.want)
			if mc.Logits != nil {
				checkMetric(t, label+", FromLogits", &ROCAUC{Average: avg.a, FromLogits: true}, matrix(mc.Logits), labels, avg.want)
			}
		}
	}
}

// TestAveragesMatchScikitLearn: precision, recall and F1 averaged Macro,
// Micro and Weighted, over the labels present or the labels given, equal
// scikit-learn's average=.
func TestAveragesMatchScikitLearn(t *testing.T) {
	s := readSklearnMore(t)
	averages := map[string]Average{"macro": Macro, "micro": Micro, "weighted": Weighted}
	seen := map[Average]int{}
	for _, c := range s.PRF {
		set := s.PRFSets[c.Set]
		var m Metric
		switch c.Metric {
		case "precision":
			m = &Precision{Average: averages[c.Average], Labels: c.Labels}
		case "recall":
			m = &Recall{Average: averages[c.Average], Labels: c.Labels}
		case "f1":
			m = &F1{Average: averages[c.Average], Labels: c.Labels}
		}
		seen[averages[c.Average]]++
		checkMetric(t, fmt.Sprintf("%s %s of set %s, labels %v", c.Average, c.Metric, c.Set, c.Labels), m, matrix(set.Scores), tensor.New(set.Labels), c.Value)
	}
	if seen[Macro] == 0 || seen[Micro] == 0 || seen[Weighted] == 0 {
		t.Fatalf("cases per average %v: want every average", seen)
	}
	for avg, values := range s.BinaryPRF {
		a := averages[avg]
		checkMetric(t, avg+" precision, binary", &Precision{Average: a}, tensor.New(s.Binary.Scores), tensor.New(s.Binary.Targets), values["precision"])
		checkMetric(t, avg+" recall, binary", &Recall{Average: a}, tensor.New(s.Binary.Scores), tensor.New(s.Binary.Targets), values["recall"])
		checkMetric(t, avg+" f1, binary", &F1{Average: a}, tensor.New(s.Binary.Scores), tensor.New(s.Binary.Targets), values["f1"])
	}
}

// TestMAPEMatchesScikitLearn: zero targets divide by float64's epsilon, as
// scikit-learn's; two outputs average as scikit-learn's uniform average.
func TestMAPEMatchesScikitLearn(t *testing.T) {
	s := readSklearnMore(t)
	n := len(s.MAPE.Y)
	checkMetric(t, "MAPE", &MAPE{}, tensor.New(s.MAPE.P, n, 1), tensor.New(s.MAPE.Y, n, 1), s.MAPE.Value)
	checkMetric(t, "MAPE two outputs", &MAPE{}, twoOutputs(s.MAPE.P, 0.4, 1.3), twoOutputs(s.MAPE.Y, 0.5, 1), s.MAPE.ValueTwoOutputs)
	if v := score(&MAPE{}, tensor.New([]float64{1e-17}), tensor.New([]float64{0}), 0); v != 1e-17/0x1p-52 {
		t.Errorf("MAPE of 1e-17 against 0 = %v, want 1e-17/2⁻⁵²", v)
	}
	mustPanic(t, "MAPE: prediction [3] and target [2]", func() { (&MAPE{}).Update(tensor.Zeros(3), tensor.Zeros(2)) })
}

// TestRankingMetricEdges: undefined areas are NaN (scikit-learn raises),
// and bad input panics with what was expected.
func TestRankingMetricEdges(t *testing.T) {
	probs := tensor.New([]float64{0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4}, 3, 3)
	nan := []struct {
		name string
		m    Metric
		pred *tensor.Tensor
		y    *tensor.Tensor
	}{
		{"ROCAUC of nothing", &ROCAUC{}, tensor.Zeros(0), tensor.Zeros(0)},
		{"ROCAUC of one class", &ROCAUC{}, tensor.New([]float64{0.2, 0.3}), tensor.New([]float64{1, 1})},
		{"ROCAUC of a NaN score", &ROCAUC{}, tensor.New([]float64{0.2, math.NaN()}), tensor.New([]float64{0, 1})},
		{"AveragePrecision of a NaN score", &AveragePrecision{}, tensor.New([]float64{math.NaN(), 0.3}), tensor.New([]float64{0, 1})},
		{"macro ROCAUC, a class without examples", &ROCAUC{Average: Macro}, probs, tensor.New([]float64{0, 1, 1})},
		{"weighted ROCAUC, a class without examples", &ROCAUC{Average: Weighted}, probs, tensor.New([]float64{0, 1, 1})},
	}
	for _, tt := range nan {
		if v := score(tt.m, tt.pred, tt.y, 0); !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", tt.name, v)
		}
	}
	if v := (&AveragePrecision{}).Value(); v != 0 {
		t.Errorf("AveragePrecision of nothing = %v, want 0", v)
	}
	// The micro area is defined as long as some pair is positive and some
	// negative, as in scikit-learn.
	if v := score(&ROCAUC{Average: Micro}, probs, tensor.New([]float64{0, 1, 1}), 0); math.IsNaN(v) {
		t.Errorf("micro ROCAUC with a class absent = NaN, want a number")
	}
	panics := []struct {
		want string
		f    func()
	}{
		{"ROCAUC: target 2 at position 0: want 0 or 1", func() { (&ROCAUC{}).Update(tensor.Zeros(1), tensor.New([]float64{2})) }},
		{"ROCAUC: scores [3 3] of 3 classes with Average Binary; want Average Macro, Weighted or Micro", func() { (&ROCAUC{}).Update(probs, tensor.Zeros(3)) }},
		{"ROCAUC: row 1 of scores [2 2] sums to 2: want probabilities summing to 1", func() {
			(&ROCAUC{Average: Macro}).Update(tensor.New([]float64{0.5, 0.5, 1, 1}, 2, 2), tensor.Zeros(2))
		}},
		{"ROCAUC: label 3 at position 1 is not a class index in [0, 3)", func() { (&ROCAUC{Average: Macro}).Update(probs, tensor.New([]float64{0, 3, 1})) }},
		{"ROCAUC: labels of shape [2] for 3 examples", func() { (&ROCAUC{Average: Macro}).Update(probs, tensor.Zeros(2)) }},
		{"ROCAUC: scores [2 2] after batches of 3 columns", func() {
			m := &ROCAUC{Average: Macro}
			m.Update(probs, tensor.Zeros(3))
			m.Update(tensor.New([]float64{0.5, 0.5, 0.5, 0.5}, 2, 2), tensor.Zeros(2))
		}},
		{"ROCAUC: Average 9 is not Binary, Macro, Micro or Weighted", func() { (&ROCAUC{Average: 9}).Update(probs, tensor.Zeros(3)) }},
		{"AveragePrecision: scores of shape [3 3]: want [batch] or [batch 1]", func() { (&AveragePrecision{}).Update(probs, tensor.Zeros(3)) }},
		{"AveragePrecision: scores [3] and targets [2] of a binary problem", func() { (&AveragePrecision{}).Update(tensor.Zeros(3), tensor.Zeros(2)) }},
		{"AveragePrecision: target 0.5 at position 1: want 0 or 1", func() {
			(&AveragePrecision{}).Update(tensor.Zeros(2), tensor.New([]float64{1, 0.5}))
		}},
		{"F1: Average 9 is not Binary, Macro, Micro or Weighted", func() {
			m := &F1{Average: 9}
			m.Update(probs, tensor.Zeros(3))
			m.Value()
		}},
	}
	for _, tt := range panics {
		mustPanic(t, tt.want, tt.f)
	}
	// Reset forgets the classes too: binary scores may follow.
	m := &ROCAUC{Average: Macro}
	m.Update(probs, tensor.New([]float64{0, 1, 2}))
	if v := score(m, tensor.New([]float64{0.1, 0.9}), tensor.New([]float64{0, 1}), 0); v != 1 {
		t.Errorf("ROCAUC after Reset = %v, want 1", v)
	}
}
