package train

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// TestPredictBatches: batch by batch, of every size from one row to more
// than the set, the outputs are those of Predict over each batch in turn,
// to the bit, and those of Predict over the whole set up to the last bits,
// for an MLP with batch normalization (its running statistics, in
// evaluation mode) and dropout, a Conv1d net, an LSTM and a transformer
// encoder layer. (The matrix engine chooses its kernel by the product's
// shape, and its kernels round differently: a product of 45 rows and one
// of 7 can differ in the last bit, as they can in PyTorch.)
func TestPredictBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	bn := nn.NewBatchNorm1d(16, nn.BatchNormConfig{})
	models := []struct {
		name  string
		model nn.Module
		shape []int // of one input row
	}{
		{"MLP with batch norm and dropout", nn.NewSequential(nn.NewLinear(rng, 6, 16), nn.ReLU(), bn, nn.NewDropout(rng, 0.5), nn.NewLinear(rng, 16, 3)), []int{6}},
		{"Conv1d", nn.NewSequential(nn.NewConv1d(rng, 2, 4, 3, autograd.Conv1dOptions{}), nn.ReLU(), nn.Flatten(), nn.NewLinear(rng, 32, 2)), []int{2, 10}},
		{"LSTM", nn.NewLSTM(rng, 3, 5, nn.RNNConfig{BatchFirst: true, NumLayers: 2, Bidirectional: true}), []int{7, 3}},
		{"transformer encoder layer", nn.NewTransformerEncoderLayer(rng, 8, 2, nn.TransformerEncoderLayerConfig{BatchFirst: true, DimFeedforward: 16}), []int{5, 8}},
	}
	// Running statistics that are not the initial ones, from a training pass.
	bn.Forward(autograd.Const(tensor.Normal(rng, 0, 1, 50, 16)))
	const n = 45
	for _, m := range models {
		x := tensor.Normal(rng, 0, 1, append([]int{n}, m.shape...)...)
		whole := Predict(m.model, x)
		for _, size := range []int{1, 2, 7, 16, 32, n - 1, n, n + 5, 0} {
			got := PredictBatches(m.model, x, size)
			if !slices.Equal(got.Shape(), whole.Shape()) {
				t.Fatalf("%s, batches of %d: shape %v, want %v", m.name, size, got.Shape(), whole.Shape())
			}
			var parts []*tensor.Tensor
			for start := 0; start < n; start += cmp.Or(size, DefaultBatchSize) {
				parts = append(parts, Predict(m.model, x.Rows(start, min(start+cmp.Or(size, DefaultBatchSize), n))))
			}
			if i, ok := sameBits(got, tensor.Concat(0, parts...)); !ok {
				t.Errorf("%s, batches of %d: element %d is not Predict's over its batch", m.name, size, i)
			}
			for i, v := range got.Data() {
				if w := whole.Data()[i]; math.Abs(v-w) > 1e-13*max(1, math.Abs(w)) {
					t.Errorf("%s, batches of %d: element %d is %v, Predict's over the set %v", m.name, size, i, v, w)
					break
				}
			}
		}
	}
	// Products the engine computes on one path whatever the batch (these
	// are below its packing threshold) give Predict's numbers to the bit.
	small := nn.NewSequential(nn.NewLinear(rng, 3, 4), nn.Tanh(), nn.NewLinear(rng, 4, 2))
	x := tensor.Normal(rng, 0, 1, 40, 3)
	for _, size := range []int{1, 3, 32, 39, 0} {
		if i, ok := sameBits(PredictBatches(small, x, size), Predict(small, x)); !ok {
			t.Errorf("small MLP, batches of %d: element %d differs from Predict's", size, i)
		}
	}
}

// sameBits reports whether a and b have the same shape and bits, and if
// not, the first element that differs.
func sameBits(a, b *tensor.Tensor) (int, bool) {
	if !slices.Equal(a.Shape(), b.Shape()) {
		return -1, false
	}
	for i, v := range a.Data() {
		if math.Float64bits(v) != math.Float64bits(b.Data()[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestEvaluateBatches: the loss and metrics over batches equal those over
// the whole set in one batch (the loss up to the rounding of summing batch
// means), and the default batch size is 32.
func TestEvaluateBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	model := nn.NewSequential(nn.NewLinear(rng, 4, 8), nn.Tanh(), nn.NewLinear(rng, 8, 3))
	x := tensor.Normal(rng, 0, 1, 70, 4)
	labels := make([]float64, 70)
	for i := range labels {
		labels[i] = float64(rng.IntN(3))
	}
	y := tensor.New(labels)
	whole := EvaluateBatches(model, x, y, 70, nn.CrossEntropy, map[string]nn.Metric{"accuracy": &nn.Accuracy{}})
	for _, size := range []int{1, 9, 0} {
		got := EvaluateBatches(model, x, y, size, nn.CrossEntropy, map[string]nn.Metric{"accuracy": &nn.Accuracy{}})
		if got["accuracy"] != whole["accuracy"] || math.Abs(got["loss"]-whole["loss"]) > 1e-14*math.Abs(whole["loss"]) {
			t.Errorf("batches of %d: %v, in one batch %v", size, got, whole)
		}
	}
	// 0 means 32, as a Loader of 32 computes it, to the bit.
	loader := data.NewLoader(data.NewTensorDataset(x, y), data.LoaderConfig{BatchSize: 32})
	if got, want := EvaluateBatches(model, x, y, 0, nn.CrossEntropy, nil), Evaluate(model, loader, nn.CrossEntropy, nil); got["loss"] != want["loss"] {
		t.Errorf("default batch size: loss %v, batches of 32 give %v", got["loss"], want["loss"])
	}
}

// TestPredictBatchesRefuses: bad arguments panic with a *Error that says
// what was expected.
func TestPredictBatchesRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	lin := nn.NewLinear(rng, 2, 1)
	for _, tt := range []struct {
		name, want string
		kind       error
		f          func()
	}{
		{"a negative batch size", "batch size -1 is negative", tensor.ErrArgument, func() { PredictBatches(lin, tensor.Zeros(3, 2), -1) }},
		{"a scalar", "x is a scalar", tensor.ErrShape, func() { PredictBatches(lin, tensor.Scalar(1), 2) }},
		{"a model that drops rows", "want one output row per input row", tensor.ErrShape, func() {
			PredictBatches(&nn.Func{Name: "first row", F: func(x *autograd.Var) *autograd.Var { return x.Slice(0, 0, 1) }}, tensor.Zeros(5, 2), 2)
		}},
		{"an evaluation over no rows", "has no rows", tensor.ErrShape, func() { EvaluateBatches(lin, tensor.Zeros(0, 2), tensor.Zeros(0, 1), 2, nn.MSE, nil) }},
		{"an evaluation with a negative batch size", "batch size -3", tensor.ErrArgument, func() { EvaluateBatches(lin, tensor.Zeros(4, 2), tensor.Zeros(4, 1), -3, nn.MSE, nil) }},
	} {
		func() {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, tt.kind) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("%s: panicked with %v, want a *train.Error of kind %v saying %q", tt.name, e, tt.kind, tt.want)
				}
			}()
			tt.f()
		}()
	}
	// An empty set predicts as Predict does.
	if got := PredictBatches(lin, tensor.Zeros(0, 2), 4); !slices.Equal(got.Shape(), []int{0, 1}) {
		t.Errorf("no rows: shape %v", got.Shape())
	}
}
