package train

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// classifier embeds Int64 codes [N 1] and maps them, with float features
// [N 2], to the logits of 3 classes; it records the dtypes its inputs
// arrive in.
type classifier struct {
	Emb  *nn.Embedding
	Out  *nn.Linear
	seen map[string][]tensor.DType
}

func (m *classifier) ForwardInputs(xs ...*autograd.Var) *autograd.Var {
	nn.CheckInputs("classifier", xs, 2)
	m.seen["codes"] = append(m.seen["codes"], xs[0].Value.DType())
	m.seen["features"] = append(m.seen["features"], xs[1].Value.DType())
	e := m.Emb.Forward(xs[0])
	return m.Out.Forward(autograd.Concat(1, e.Reshape(e.Value.Dim(0), 4), xs[1]))
}

func (m *classifier) Forward(x *autograd.Var) *autograd.Var { return m.ForwardInputs(x) }

func (m *classifier) Parameters() []nn.Param { return nn.JoinParameters("emb", m.Emb, "out", m.Out) }

// TestFitLeavesInt64 checks that Fit, Evaluate and the predictions convert
// float inputs and targets to a float32 model's dtype and leave Int64 codes
// and class targets as they are: the model sees Int64 codes, the loss and
// the metrics Int64 labels, and the run learns the classes the codes give.
func TestFitLeavesInt64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 120
	codes, labels := make([]int, n), make([]int64, n)
	features := make([]float64, 2*n)
	for i := range n {
		codes[i] = rng.IntN(3)
		labels[i] = int64(codes[i]) // the class is the category
		features[2*i], features[2*i+1] = rng.NormFloat64(), rng.NormFloat64()
	}
	x := []*tensor.Tensor{data.CodeTensor(codes, n, 1), tensor.New(features, n, 2)}
	y := tensor.NewInt64(labels)
	ds := data.NewMultiTensorDataset(x, y)

	model := &classifier{Emb: nn.NewEmbedding(rng, 3, 4, nn.EmbeddingConfig{}), Out: nn.NewLinear(rng, 6, 3), seen: map[string][]tensor.DType{}}
	nn.To(model, tensor.Float32)
	var targets []tensor.DType
	loss := func(out, target *autograd.Var) *autograd.Var {
		targets = append(targets, target.Value.DType())
		return nn.CrossEntropy(out, target)
	}
	hist, err := Fit(context.Background(), model, Config{
		Loss: loss, Optimizer: optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.1}), Epochs: 30,
		Train:   data.NewMultiLoader(ds, data.LoaderConfig{BatchSize: 32, Shuffle: true, Rand: rng}),
		Val:     data.NewMultiLoader(ds, data.LoaderConfig{BatchSize: 50}),
		Metrics: map[string]nn.Metric{"accuracy": &nn.Accuracy{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if acc := hist.Epochs[len(hist.Epochs)-1]["val_accuracy"]; acc != 1 {
		t.Errorf("val_accuracy %v after 30 epochs: want 1 (the code is the class)", acc)
	}
	model.seen = map[string][]tensor.DType{}
	targets = nil
	logs := Evaluate(model, data.NewMultiLoader(ds, data.LoaderConfig{BatchSize: 50}), loss, map[string]nn.Metric{"accuracy": &nn.Accuracy{}})
	if logs["accuracy"] != 1 {
		t.Errorf("Evaluate: accuracy %v, want 1", logs["accuracy"])
	}
	out := PredictInputs(model, x...)
	if out.DType() != tensor.Float32 || !slices.Equal(out.Shape(), []int{n, 3}) {
		t.Errorf("PredictInputs gives %v %v, want float32 [%d 3]", out.DType(), out.Shape(), n)
	}
	for name, dtypes := range map[string][]tensor.DType{"codes": model.seen["codes"], "features": model.seen["features"], "targets": targets} {
		want := tensor.Int64
		if name == "features" {
			want = tensor.Float32
		}
		if len(dtypes) == 0 || slices.ContainsFunc(dtypes, func(d tensor.DType) bool { return d != want }) {
			t.Errorf("%s arrived as %v, want %v", name, dtypes, want)
		}
	}

	// One input: Predict and PredictBatches leave Int64 codes alone too.
	emb := nn.NewEmbedding(rng, 3, 2, nn.EmbeddingConfig{})
	nn.To(emb, tensor.Float32)
	want := emb.Forward(autograd.NoGrad(x[0])).Value
	if got := Predict(emb, x[0]); !tensor.Equal(got, want) {
		t.Errorf("Predict of Int64 codes %v, want %v", got, want)
	}
	if got := PredictBatches(emb, x[0], 7); !tensor.Equal(got, want) {
		t.Errorf("PredictBatches of Int64 codes %v, want %v", got, want)
	}
}
