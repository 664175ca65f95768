package nn_test

import (
	"fmt"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// Average precision streams as every metric does: the value over two
// batches is the value over the whole set, ties entering together.
func ExampleAveragePrecision() {
	ap := &nn.AveragePrecision{}
	ap.Update(tensor.New([]float64{0.9, 0.4, 0.6}), tensor.New([]float64{1, 0, 1}))
	ap.Update(tensor.New([]float64{0.6, 0.2}), tensor.New([]float64{0, 1}))
	fmt.Printf("%.4f\n", ap.Value())
	// Output:
	// 0.7556
}

// One-vs-rest ROC AUC of three classes, from logits, averaged over the
// classes equally (Macro) and by their counts (Weighted).
func ExampleROCAUC_oneVsRest() {
	logits := tensor.New([]float64{
		2, 0, 0,
		0, 1, 0.5,
		0, 0.2, 3,
		1, 1.5, 0,
		0.3, 1.2, 0.4,
		0.5, 0, 1,
	}, 6, 3)
	labels := tensor.New([]float64{0, 1, 2, 1, 0, 0})
	for _, avg := range []nn.Average{nn.Macro, nn.Weighted} {
		auc := &nn.ROCAUC{Average: avg, FromLogits: true}
		auc.Update(logits, labels)
		fmt.Printf("%.4f\n", auc.Value())
	}
	// Output:
	// 0.8843
	// 0.8472
}

// Precision averaged three ways over the same predictions.
func ExamplePrecision_averages() {
	scores := tensor.New([]float64{
		0.8, 0.1, 0.1,
		0.6, 0.3, 0.1,
		0.2, 0.7, 0.1,
		0.1, 0.2, 0.7,
		0.5, 0.4, 0.1,
	}, 5, 3)
	labels := tensor.New([]float64{0, 1, 1, 2, 0})
	for _, avg := range []nn.Average{nn.Macro, nn.Micro, nn.Weighted} {
		p := &nn.Precision{Average: avg}
		p.Update(scores, labels)
		fmt.Printf("%.4f\n", p.Value())
	}
	// Output:
	// 0.8889
	// 0.8000
	// 0.8667
}

// MAPE is a fraction, as scikit-learn's: 0.1 is 10 %.
func ExampleMAPE() {
	m := &nn.MAPE{}
	m.Update(tensor.New([]float64{110, 45}), tensor.New([]float64{100, 50}))
	fmt.Printf("%.2f\n", m.Value())
	// Output:
	// 0.10
}
