package nn_test

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// float32Reference is testdata/torch_float32.json: PyTorch 1.13's float32
// values of layers, losses and five Adam steps.
type float32Reference struct {
	Cases struct {
		MLP struct {
			X, Out        []float64
			Labels        []float64
			Params, Grads [][]float64
			AfterAdam     [][]float64 `json:"after_adam"`
			Loss          float64
		}
		LayerNorm struct{ X, R, W, B, Y, GX, GW, GB []float64 }
		Embedding struct {
			W, R, Y, GW []float64
			Idx         []float64
		}
		Losses struct {
			Input []float64
			Cases map[string]struct {
				Target, Grad []float64
				Value        float64
			}
		}
	}
}

func readFloat32Reference(t *testing.T) float32Reference {
	return readTestdata[float32Reference](t, "torch_float32.json")
}

// readTestdata decodes the JSON file name of testdata/ into a T.
func readTestdata[T any](t *testing.T, name string) T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// f32 returns vals, which are float32 values, as a float32 tensor.
func f32(vals []float64, shape ...int) *tensor.Tensor {
	return tensor.New(vals, shape...).To(tensor.Float32)
}

// float32Tolerance is the normwise relative difference allowed from
// PyTorch's float32 results: max|got − want| / max|want| over a tensor.
// Both compute in float32 with sums in different orders, a few ulps apart.
const float32Tolerance = 1e-5

// closeFloat32 checks that got is float32 and within float32Tolerance of
// want, normwise.
func closeFloat32(t *testing.T, name string, got *tensor.Tensor, want []float64) {
	t.Helper()
	closeFloat32Within(t, name, got, want, float32Tolerance)
}

// TestFloat32MLPMatchesPyTorch: a float32 MLP (nn.To) gives PyTorch's
// float32 output, cross-entropy and gradients, and five Adam steps reach
// PyTorch's float32 parameters, the optimizer's state in float32.
func TestFloat32MLPMatchesPyTorch(t *testing.T) {
	ref := readFloat32Reference(t).Cases.MLP
	rng := rand.New(rand.NewPCG(1, 2))
	l1, l2 := nn.NewLinear(rng, 5, 6), nn.NewLinear(rng, 6, 3)
	model := nn.NewSequential(l1, nn.ReLU(), l2)
	shapes := [][]int{{6, 5}, {6}, {3, 6}, {3}}
	for i, p := range model.Parameters() {
		p.Var.Value.CopyFrom(tensor.New(ref.Params[i], shapes[i]...))
	}
	nn.To(model, tensor.Float32)
	if d := nn.DTypeOf(model); d != tensor.Float32 {
		t.Fatalf("DTypeOf after To(Float32): %v", d)
	}
	x, labels := autograd.Const(f32(ref.X, 4, 5)), autograd.Const(tensor.New(ref.Labels, 4))
	out := model.Forward(x)
	loss := nn.CrossEntropy(out, labels)
	closeFloat32(t, "output", out.Value, ref.Out)
	closeFloat32(t, "loss", loss.Value, []float64{ref.Loss})
	loss.Backward()
	for i, p := range model.Parameters() {
		closeFloat32(t, "gradient of "+p.Name, p.Var.Grad, ref.Grads[i])
	}
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.01})
	for range 5 {
		opt.ZeroGrad()
		nn.CrossEntropy(model.Forward(x), labels).Backward()
		opt.Step()
	}
	for i, p := range model.Parameters() {
		closeFloat32(t, p.Name+" after five Adam steps", p.Var.Value, ref.AfterAdam[i])
	}
}

// TestFloat32LayersMatchPyTorch: LayerNorm and Embedding in float32, their
// outputs and gradients against PyTorch's float32 ones.
func TestFloat32LayersMatchPyTorch(t *testing.T) {
	ref := readFloat32Reference(t).Cases
	ln := nn.NewLayerNorm([]int{6}, nn.LayerNormConfig{})
	ln.Weight.Value.CopyFrom(tensor.New(ref.LayerNorm.W, 6))
	ln.Bias.Value.CopyFrom(tensor.New(ref.LayerNorm.B, 6))
	nn.To(ln, tensor.Float32)
	x := autograd.Param(f32(ref.LayerNorm.X, 4, 6))
	y := ln.Forward(x)
	y.Mul(autograd.Const(f32(ref.LayerNorm.R, 4, 6))).Sum().Backward()
	closeFloat32(t, "LayerNorm output", y.Value, ref.LayerNorm.Y)
	closeFloat32(t, "LayerNorm input gradient", x.Grad, ref.LayerNorm.GX)
	closeFloat32(t, "LayerNorm weight gradient", ln.Weight.Grad, ref.LayerNorm.GW)
	closeFloat32(t, "LayerNorm bias gradient", ln.Bias.Grad, ref.LayerNorm.GB)

	emb := nn.NewEmbedding(rand.New(rand.NewPCG(1, 2)), 7, 4, nn.EmbeddingConfig{})
	emb.Weight.Value.CopyFrom(tensor.New(ref.Embedding.W, 7, 4))
	nn.To(emb, tensor.Float32)
	e := emb.Forward(autograd.Const(tensor.New(ref.Embedding.Idx, 5)))
	e.Mul(autograd.Const(f32(ref.Embedding.R, 5, 4))).Sum().Backward()
	closeFloat32(t, "Embedding output", e.Value, ref.Embedding.Y)
	closeFloat32(t, "Embedding weight gradient", emb.Weight.Grad, ref.Embedding.GW)
}

// TestFloat32LossesMatchPyTorch: each loss on float32 inputs gives a
// float32 loss and gradient equal to PyTorch's float32 ones.
func TestFloat32LossesMatchPyTorch(t *testing.T) {
	ref := readFloat32Reference(t).Cases.Losses
	losses := map[string]func(x, target *autograd.Var) *autograd.Var{
		"mse":             nn.MSE,
		"bce_with_logits": nn.BCEWithLogits,
		"bce":             func(x, target *autograd.Var) *autograd.Var { return nn.BCE(x.Sigmoid(), target) },
		"cross_entropy_smoothed": func(x, target *autograd.Var) *autograd.Var {
			return nn.CrossEntropyLoss(nn.CrossEntropyOptions{LabelSmoothing: 0.1})(x, target)
		},
		"nll": func(x, target *autograd.Var) *autograd.Var { return nn.NLL(x.LogSoftmax(1), target) },
	}
	if len(losses) != len(ref.Cases) {
		t.Fatalf("%d losses here, %d in the reference", len(losses), len(ref.Cases))
	}
	for name, c := range ref.Cases {
		x := autograd.Param(f32(ref.Input, 4, 3))
		shape := []int{4, 3}
		if len(c.Target) == 4 {
			shape = []int{4}
		}
		loss := losses[name](x, autograd.Const(f32(c.Target, shape...)))
		closeFloat32(t, name, loss.Value, []float64{c.Value})
		loss.Backward()
		closeFloat32(t, name+" gradient", x.Grad, c.Grad)
	}
}

// TestToRefusesMixedModels: DTypeOf names the parameters whose dtypes
// differ.
func TestToRefusesMixedModels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := nn.NewLinear(rng, 2, 2), nn.NewLinear(rng, 2, 2)
	nn.To(b, tensor.Float32)
	defer func() {
		if p := recover(); p == nil {
			t.Error("DTypeOf of a half-converted model did not panic")
		}
	}()
	nn.DTypeOf(nn.NewSequential(a, b))
}

// TestFloat32Checkpoint: a float32 model's checkpoint holds F32 tensors (as
// a default PyTorch model's state_dict), and loads exactly into a float32
// model and, converted, into a float64 one; a float64 file loads into a
// float32 model by conversion.
func TestFloat32Checkpoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(nn.NewLinear(rng, 3, 4), nn.ReLU(), nn.NewLinear(rng, 4, 2))
	nn.To(model, tensor.Float32)
	path := t.TempDir() + "/m.safetensors"
	if err := nn.Save(path, model, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), `"dtype":"F32"`); n != 4 || strings.Contains(string(raw), `"F64"`) {
		t.Errorf("the header holds %d F32 entries of 4: %.200s", n, raw[8:])
	}
	if want := 8 + int(binary.LittleEndian.Uint64(raw)) + 4*(12+4+8+2); len(raw) != want {
		t.Errorf("file of %d bytes, want %d: 4 bytes a value", len(raw), want)
	}
	into32 := nn.NewSequential(nn.NewLinear(rng, 3, 4), nn.ReLU(), nn.NewLinear(rng, 4, 2))
	nn.To(into32, tensor.Float32)
	into64 := nn.NewSequential(nn.NewLinear(rng, 3, 4), nn.ReLU(), nn.NewLinear(rng, 4, 2))
	for _, m := range []nn.Module{into32, into64} {
		if err := nn.Load(path, m); err != nil {
			t.Fatal(err)
		}
		for i, p := range m.Parameters() {
			want := model.Parameters()[i].Var.Value
			if !tensor.AllClose(p.Var.Value, want, 0, 0) || p.Var.Value.DType() != nn.DTypeOf(m) {
				t.Errorf("%s loaded into a %v model: %v, want %v", p.Name, nn.DTypeOf(m), p.Var.Value, want)
			}
		}
	}
	// A float64 file into a float32 model: converted, as load_state_dict copies.
	nn.To(into64, tensor.Float64)
	if err := nn.Save(path, into64, nil); err != nil {
		t.Fatal(err)
	}
	if err := nn.Load(path, into32); err != nil || into32.Parameters()[0].Var.Value.DType() != tensor.Float32 {
		t.Errorf("a float64 file into a float32 model: %v, %v", err, into32.Parameters()[0].Var.Value.DType())
	}
}

// TestFloat32Summary: Summary runs a float32 model on float32 zeros and
// counts 4 bytes a parameter.
func TestFloat32Summary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(nn.NewLinear(rng, 3, 4), nn.ReLU(), nn.NewLinear(rng, 4, 2))
	nn.To(model, tensor.Float32)
	s := nn.Summary(model, 5, 3)
	if s.Total != 26 || s.Bytes != 4*26 || s.DType != tensor.Float32 || !strings.Contains(s.String(), "(float32)") {
		t.Errorf("summary of a float32 model: total %d, bytes %d, dtype %v\n%s", s.Total, s.Bytes, s.DType, s)
	}
}

// TestFloat32LossesAgreeWithFloat64: the losses without a PyTorch float32
// case here give, on float32 values, a float32 loss and gradient within
// float32 rounding of the float64 ones on the same values.
func TestFloat32LossesAgreeWithFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x64 := tensor.Normal(rng, 0, 2, 4, 3).To(tensor.Float32).To(tensor.Float64)
	y64 := tensor.Normal(rng, 0, 2, 4, 3).To(tensor.Float32).To(tensor.Float64)
	for name, loss := range map[string]nn.Loss{"L1": nn.L1, "Huber": nn.Huber, "MSE sum": nn.MSELoss(nn.Sum)} {
		var values []*tensor.Tensor
		var grads []*tensor.Tensor
		for _, dtype := range []tensor.DType{tensor.Float64, tensor.Float32} {
			x := autograd.Param(x64.To(dtype))
			l := loss(x, autograd.Const(y64.To(dtype)))
			l.Backward()
			values, grads = append(values, l.Value), append(grads, x.Grad)
		}
		closeFloat32(t, name, values[1], values[0].Float64s())
		closeFloat32(t, name+" gradient", grads[1], grads[0].Float64s())
	}
}
