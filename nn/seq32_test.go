package nn_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// seq32Case is one case of testdata/torch_seq32.json (see torch_seq32.py):
// float32 parameters under PyTorch's names, named inputs with their
// shapes, and PyTorch's float32 outputs and gradients.
type seq32Case struct {
	Params  map[string][]float64
	In      map[string][]float64
	Shapes  map[string][]int
	Out     map[string][]float64
	Grads   map[string][]float64
	After   map[string][]float64
	Lengths []int
}

func readSeq32Reference(t *testing.T) map[string]seq32Case {
	return readTestdata[struct{ Cases map[string]seq32Case }](t, "torch_seq32.json").Cases
}

// input returns the case's input name as a float32 Param.
func (c seq32Case) input(name string) *autograd.Var {
	return autograd.Param(f32(c.In[name], c.Shapes[name]...))
}

// load sets m's parameters to the case's, by name, and converts m to
// float32.
func (c seq32Case) load(t *testing.T, m nn.Module) {
	t.Helper()
	ps := m.Parameters()
	if len(ps) != len(c.Params) {
		t.Fatalf("%d parameters, PyTorch has %d", len(ps), len(c.Params))
	}
	for _, p := range ps {
		v, ok := c.Params[p.Name]
		if !ok {
			t.Fatalf("parameter %s: PyTorch has none of that name", p.Name)
		}
		p.Var.Value.CopyFrom(tensor.New(v, p.Var.Value.Shape()...))
	}
	nn.To(m, tensor.Float32)
}

// weighted returns Σ y·r for the case's weights r of the given name.
func (c seq32Case) weighted(y *autograd.Var, name string) *autograd.Var {
	return y.Mul(autograd.Const(f32(c.In[name], y.Value.Shape()...))).Sum()
}

// TestRecurrentFloat32MatchesPyTorch: a float32 LSTM (2 layers,
// bidirectional, batch first, lengths, initial states), GRU (2 layers,
// bidirectional, lengths, h0) and RNN with ReLU (2 layers, h0) give
// PyTorch 1.13's float32 outputs, final states and gradients of the input,
// the initial states and every weight, within 1e-5 of each tensor's
// largest value, and compute in float32 throughout.
func TestRecurrentFloat32MatchesPyTorch(t *testing.T) {
	const tol = 1e-5
	ref := readSeq32Reference(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name string
		m    interface {
			nn.Module
			Run(*autograd.Var, nn.RNNInput) (*autograd.Var, nn.RNNState)
		}
	}{
		{"lstm", nn.NewLSTM(rng, 3, 4, nn.RNNConfig{NumLayers: 2, Bidirectional: true, BatchFirst: true})},
		{"gru", nn.NewGRU(rng, 3, 4, nn.RNNConfig{NumLayers: 2, Bidirectional: true})},
		{"rnn_relu", nn.NewRNN(rng, 3, 4, nn.RNNConfig{NumLayers: 2, Nonlinearity: "relu"})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := ref[tt.name]
			c.load(t, tt.m)
			x, h0 := c.input("x"), c.input("h0")
			in := nn.RNNInput{H0: h0, Lengths: c.Lengths}
			if _, ok := c.In["c0"]; ok {
				in.C0 = c.input("c0")
			}
			y, st := tt.m.Run(x, in)
			closeFloat32Within(t, "output", y.Value, c.Out["y"], tol)
			closeFloat32Within(t, "final hidden state", st.H.Value, c.Out["h"], tol)
			loss := c.weighted(y, "ry").Add(c.weighted(st.H, "rh"))
			if in.C0 != nil {
				closeFloat32Within(t, "final cell state", st.C.Value, c.Out["c"], tol)
				loss = loss.Add(c.weighted(st.C, "rc"))
			}
			loss.Backward()
			closeFloat32Within(t, "gradient of the input", x.Grad, c.Grads["x"], tol)
			closeFloat32Within(t, "gradient of h0", h0.Grad, c.Grads["h0"], tol)
			if in.C0 != nil {
				closeFloat32Within(t, "gradient of c0", in.C0.Grad, c.Grads["c0"], tol)
			}
			for _, p := range tt.m.Parameters() {
				closeFloat32Within(t, "gradient of "+p.Name, p.Var.Grad, c.Grads[p.Name], tol)
			}
		})
	}
}

// TestAttentionFloat32MatchesPyTorch: float32 MultiheadAttention under a
// causal mask and a key padding mask, TransformerEncoderLayer (GELU,
// post-norm and pre-norm) and a TransformerEncoder of two such layers and a
// final LayerNorm under the same, give PyTorch 1.13's float32
// outputs, averaged attention weights and gradients of the input and every
// parameter, within 1e-5 of each tensor's largest value. The masks are the
// float64 ones CausalMask and PaddingMask make, which a float32 layer
// converts.
func TestAttentionFloat32MatchesPyTorch(t *testing.T) {
	const tol = 1e-5
	ref := readSeq32Reference(t)
	t.Run("mha", func(t *testing.T) {
		c := ref["mha"]
		m := nn.NewMultiheadAttention(rand.New(rand.NewPCG(1, 2)), 8, 2, nn.MultiheadAttentionConfig{BatchFirst: true})
		c.load(t, m)
		x := c.input("x")
		y, w := m.Attend(x, x, x, nn.AttentionMasks{AttnMask: nn.CausalMask(5), KeyPaddingMask: nn.PaddingMask(c.Lengths, 5)})
		closeFloat32Within(t, "output", y.Value, c.Out["y"], tol)
		closeFloat32Within(t, "averaged weights", w.Mean(1).Value, c.Out["weights"], tol)
		c.weighted(y, "ry").Backward()
		closeFloat32Within(t, "gradient of the input", x.Grad, c.Grads["x"], tol)
		for _, p := range m.Parameters() {
			closeFloat32Within(t, "gradient of "+p.Name, p.Var.Grad, c.Grads[p.Name], tol)
		}
	})
	for _, normFirst := range []bool{false, true} {
		name := "encoder"
		if normFirst {
			name = "encoder_norm_first"
		}
		t.Run(name, func(t *testing.T) {
			c := ref[name]
			l := nn.NewTransformerEncoderLayer(rand.New(rand.NewPCG(1, 2)), 8, 2, nn.TransformerEncoderLayerConfig{
				DimFeedforward: 16, Dropout: new(0.0), Activation: (*autograd.Var).GELU, BatchFirst: true, NormFirst: normFirst,
			})
			c.load(t, l)
			x := c.input("x")
			y := l.Encode(x, nn.AttentionMasks{Causal: true, KeyPaddingMask: nn.PaddingMask(c.Lengths, 5)})
			closeFloat32Within(t, "output", y.Value, c.Out["y"], tol)
			c.weighted(y, "ry").Backward()
			closeFloat32Within(t, "gradient of the input", x.Grad, c.Grads["x"], tol)
			for _, p := range l.Parameters() {
				closeFloat32Within(t, "gradient of "+p.Name, p.Var.Grad, c.Grads[p.Name], tol)
			}
		})
	}
	t.Run("encoder_stack", func(t *testing.T) {
		c := ref["encoder_stack"]
		rng := rand.New(rand.NewPCG(1, 2))
		layer := nn.NewTransformerEncoderLayer(rng, 8, 2, nn.TransformerEncoderLayerConfig{
			DimFeedforward: 16, Dropout: new(0.0), Activation: (*autograd.Var).GELU, BatchFirst: true,
		})
		e := nn.NewTransformerEncoder(layer, 2, nn.NewLayerNorm([]int{8}, nn.LayerNormConfig{}))
		c.load(t, e)
		x := c.input("x")
		y := e.Encode(x, nn.AttentionMasks{AttnMask: nn.CausalMask(5), KeyPaddingMask: nn.PaddingMask(c.Lengths, 5)})
		closeFloat32Within(t, "output", y.Value, c.Out["y"], tol)
		c.weighted(y, "ry").Backward()
		closeFloat32Within(t, "gradient of the input", x.Grad, c.Grads["x"], tol)
		for _, p := range e.Parameters() {
			closeFloat32Within(t, "gradient of "+p.Name, p.Var.Grad, c.Grads[p.Name], tol)
		}
	})
}

// TestLSTMFloat32TrainingMatchesPyTorch: five Adam steps (lr 0.01) on a
// float32 LSTM(3, 4) with a Linear(4, 2) head reach PyTorch 1.13's float32
// parameters within 1e-5 of each tensor's largest value, and its last loss
// within 1e-5 relative.
func TestLSTMFloat32TrainingMatchesPyTorch(t *testing.T) {
	const tol = 1e-5
	c := readSeq32Reference(t)["train"]
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(nn.NewLSTM(rng, 3, 4, nn.RNNConfig{BatchFirst: true}), nn.NewLinear(rng, 4, 2))
	names := []string{"lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "head.weight", "head.bias"}
	ps := model.Parameters()
	if len(ps) != len(names) {
		t.Fatalf("%d parameters, want %d", len(ps), len(names))
	}
	for i, p := range ps {
		p.Var.Value.CopyFrom(tensor.New(c.Params[names[i]], p.Var.Value.Shape()...))
	}
	nn.To(model, tensor.Float32)
	x, target := autograd.Const(f32(c.In["x"], c.Shapes["x"]...)), autograd.Const(f32(c.In["target"], c.Shapes["target"]...))
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.01})
	var loss *autograd.Var
	for range 5 {
		opt.ZeroGrad()
		loss = nn.MSE(model.Forward(x), target)
		loss.Backward()
		opt.Step()
	}
	closeFloat32Within(t, "last loss", loss.Value, c.Out["loss"], tol)
	for i, p := range model.Parameters() {
		closeFloat32Within(t, names[i]+" after five Adam steps", p.Var.Value, c.After[names[i]], tol)
	}
}

// TestRecurrentFloat32Dropout: an LSTM with dropout between its layers
// gives in float32, from the same seed, the output and gradients it gives
// in float64 to float32 accuracy, in training (the same units dropped) and
// in evaluation mode.
func TestRecurrentFloat32Dropout(t *testing.T) {
	x := tensor.Normal(rand.New(rand.NewPCG(5, 6)), 0, 1, 4, 3, 3).To(tensor.Float32).To(tensor.Float64)
	run := func(dtype tensor.DType, training bool) []*tensor.Tensor {
		m := nn.NewLSTM(rand.New(rand.NewPCG(3, 4)), 3, 5, nn.RNNConfig{NumLayers: 3, Dropout: 0.4})
		for _, p := range m.Parameters() { // values that float32 holds exactly
			p.Var.Value.CopyFrom(p.Var.Value.To(tensor.Float32).To(tensor.Float64))
		}
		nn.To(m, dtype)
		in := autograd.Const(x.To(dtype))
		if !training {
			in = in.Eval()
		}
		y := m.Forward(in)
		y.Square().Sum().Backward()
		return []*tensor.Tensor{y.Value, m.Weights[0].IH.Grad, m.Weights[2].HH.Grad}
	}
	for _, training := range []bool{true, false} {
		got, want := run(tensor.Float32, training), run(tensor.Float64, training)
		for i := range got {
			closeFloat32Within(t, "result", got[i], want[i].Data(), 1e-5)
		}
	}
}

// TestSequenceFloat32AgreesWithFloat64: the options the PyTorch cases
// leave out — an unbatched input, no biases, tanh, batch-first GRU from
// initial states, attention with separate key and value widths and no
// biases, unbatched — give in float32 the output and gradients they give
// in float64 on the same (float32) values, within 1e-5 of each tensor's
// largest value.
func TestSequenceFloat32AgreesWithFloat64(t *testing.T) {
	noBias := false
	for _, tt := range []struct {
		name string
		new  func() nn.Module
		run  func(m nn.Module, in func(shape ...int) *autograd.Var) *autograd.Var
	}{
		{"RNN tanh, no bias, unbatched", func() nn.Module {
			return nn.NewRNN(rand.New(rand.NewPCG(1, 2)), 3, 4, nn.RNNConfig{NumLayers: 2, Bias: &noBias, Bidirectional: true})
		}, func(m nn.Module, in func(shape ...int) *autograd.Var) *autograd.Var {
			y, st := m.(*nn.RNN).Run(in(5, 3), nn.RNNInput{H0: in(4, 4)})
			return autograd.Concat(0, y.Reshape(-1), st.H.Reshape(-1))
		}},
		{"GRU batch first, h0", func() nn.Module {
			return nn.NewGRU(rand.New(rand.NewPCG(1, 2)), 3, 4, nn.RNNConfig{BatchFirst: true})
		}, func(m nn.Module, in func(shape ...int) *autograd.Var) *autograd.Var {
			y, st := m.(*nn.GRU).Run(in(2, 6, 3), nn.RNNInput{H0: in(1, 2, 4), Lengths: []int{6, 3}})
			return autograd.Concat(0, y.Reshape(-1), st.H.Reshape(-1))
		}},
		{"LSTM unbatched, states", func() nn.Module {
			return nn.NewLSTM(rand.New(rand.NewPCG(1, 2)), 3, 4, nn.RNNConfig{NumLayers: 2})
		}, func(m nn.Module, in func(shape ...int) *autograd.Var) *autograd.Var {
			y, st := m.(*nn.LSTM).Run(in(5, 3), nn.RNNInput{H0: in(2, 4), C0: in(2, 4)})
			return autograd.Concat(0, y.Reshape(-1), st.H.Reshape(-1), st.C.Reshape(-1))
		}},
		{"attention, separate widths, no bias, unbatched", func() nn.Module {
			return nn.NewMultiheadAttention(rand.New(rand.NewPCG(1, 2)), 8, 2, nn.MultiheadAttentionConfig{KDim: 5, VDim: 3, Bias: &noBias})
		}, func(m nn.Module, in func(shape ...int) *autograd.Var) *autograd.Var {
			y, w := m.(*nn.MultiheadAttention).Attend(in(4, 8), in(6, 5), in(6, 3), nn.AttentionMasks{KeyPaddingMask: nn.PaddingMask([]int{5}, 6).Reshape(6)})
			return autograd.Concat(0, y.Reshape(-1), w.Reshape(-1))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := func(dtype tensor.DType) []*tensor.Tensor {
				rng := rand.New(rand.NewPCG(3, 4))
				var inputs []*autograd.Var
				in := func(shape ...int) *autograd.Var {
					v := autograd.Param(tensor.Normal(rng, 0, 1, shape...).To(tensor.Float32).To(dtype))
					inputs = append(inputs, v)
					return v
				}
				m := tt.new()
				for _, p := range m.Parameters() { // values that float32 holds exactly
					p.Var.Value.CopyFrom(p.Var.Value.To(tensor.Float32).To(tensor.Float64))
				}
				nn.To(m, dtype)
				y := tt.run(m, in)
				y.Square().Sum().Backward()
				out := []*tensor.Tensor{y.Value}
				for _, v := range inputs {
					out = append(out, v.Grad)
				}
				for _, p := range m.Parameters() {
					out = append(out, p.Var.Grad)
				}
				return out
			}
			got, want := run(tensor.Float32), run(tensor.Float64)
			for i := range got {
				closeFloat32Within(t, fmt.Sprintf("result %d", i), got[i], want[i].Data(), 1e-5)
			}
		})
	}
}

// TestSequenceFloat32SameOnAnyThreads: float32 LSTM and attention, batches
// large enough to be shared among threads, give the same bits (outputs and
// gradients) on one thread and on four.
func TestSequenceFloat32SameOnAnyThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	lstm := nn.NewLSTM(rand.New(rand.NewPCG(1, 2)), 8, 64, nn.RNNConfig{Bidirectional: true})
	nn.To(lstm, tensor.Float32)
	mha := nn.NewMultiheadAttention(rand.New(rand.NewPCG(1, 2)), 64, 8, nn.MultiheadAttentionConfig{BatchFirst: true})
	nn.To(mha, tensor.Float32)
	xs := autograd.Const(tensor.Normal(rng, 0, 1, 3, 64, 8).To(tensor.Float32))
	xa := autograd.Const(tensor.Normal(rng, 0, 1, 4, 32, 64).To(tensor.Float32))
	run := func(threads int) []*tensor.Tensor {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
		for _, m := range []nn.Module{lstm, mha} {
			for _, p := range m.Parameters() {
				p.Var.ZeroGrad()
			}
		}
		y := lstm.Forward(xs)
		y.Square().Sum().Backward()
		a, _ := mha.Attend(xa, xa, xa, nn.AttentionMasks{Causal: true})
		a.Square().Sum().Backward()
		return []*tensor.Tensor{y.Value, lstm.Weights[1].HH.Grad.Clone(), a.Value, mha.InProjWeight.Grad.Clone()}
	}
	one, four := run(1), run(4)
	for i := range one {
		if one[i].DType() != tensor.Float32 || !tensor.Equal(one[i], four[i]) {
			t.Errorf("result %d: one thread and four differ (or it is %v)", i, one[i].DType())
		}
	}
}

// TestFloat32AttentionMasks: a float32 layer takes masks of either dtype,
// converted to the query's: float64 and float32 masks give the same bits.
func TestFloat32AttentionMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := nn.NewMultiheadAttention(rng, 8, 2, nn.MultiheadAttentionConfig{})
	nn.To(m, tensor.Float32)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 5, 2, 8).To(tensor.Float32))
	bias := tensor.Normal(rng, 0, 1, 5, 5).Add(nn.CausalMask(5))
	pad := nn.BoolMask([]bool{false, false, false, false, false, false, false, false, true, true}, 2, 5)
	y64, w64 := m.Attend(x, x, x, nn.AttentionMasks{AttnMask: bias, KeyPaddingMask: pad})
	y32, w32 := m.Attend(x, x, x, nn.AttentionMasks{AttnMask: bias.To(tensor.Float32), KeyPaddingMask: pad.To(tensor.Float32)})
	if y64.Value.DType() != tensor.Float32 || !tensor.Equal(y64.Value, y32.Value) || !tensor.Equal(w64.Value, w32.Value) {
		t.Error("float64 and float32 masks give different results")
	}
}

// TestSequenceFloat32MixedDTypes: a float32 input to float64 weights, a
// float64 initial state for float32 weights, and a recurrent model half
// converted panic with an ErrDType *nn.Error naming the tensor and what to
// convert, in recurrent layers and attention.
func TestSequenceFloat32MixedDTypes(t *testing.T) {
	newLSTM := func() *nn.LSTM { return nn.NewLSTM(rand.New(rand.NewPCG(1, 2)), 3, 4, nn.RNNConfig{NumLayers: 2}) }
	x64 := autograd.Const(tensor.Zeros(5, 2, 3))
	x32 := autograd.Const(tensor.ZerosOf(tensor.Float32, 5, 2, 3))
	float32LSTM := newLSTM()
	nn.To(float32LSTM, tensor.Float32)
	half := newLSTM()
	half.Weights[1].HH.Value = half.Weights[1].HH.Value.To(tensor.Float32)
	for _, tt := range []struct {
		name, want string
		f          func()
	}{
		{"float32 input", "LSTM(3, 4): the input is float32 but the weights are float64: convert it with To(tensor.Float64), or the model with nn.To", func() {
			newLSTM().Forward(x32)
		}},
		{"float64 input", "LSTM(3, 4): the input is float64 but the weights are float32: convert it with To(tensor.Float32), or the model with nn.To", func() {
			float32LSTM.Forward(x64)
		}},
		{"float64 h0", "the initial hidden state is float64 but the weights are float32: convert it with To(tensor.Float32)", func() {
			float32LSTM.Run(x32, nn.RNNInput{H0: autograd.Const(tensor.Zeros(2, 2, 4))})
		}},
		{"float64 c0", "the initial cell state is float64 but the weights are float32: convert it with To(tensor.Float32)", func() {
			float32LSTM.Run(x32, nn.RNNInput{C0: autograd.Const(tensor.Zeros(2, 2, 4))})
		}},
		{"half converted", "weight_hh_l1 is float32 but the weights are float64: convert the whole model with nn.To", func() {
			half.Forward(x64)
		}},
		{"attention float32 query", "MultiheadAttention(embed_dim=8, num_heads=2): the query is float32 but the weights are float64: convert it with To(tensor.Float64), or the model with nn.To", func() {
			nn.NewMultiheadAttention(rand.New(rand.NewPCG(1, 2)), 8, 2, nn.MultiheadAttentionConfig{}).Forward(autograd.Const(tensor.ZerosOf(tensor.Float32, 3, 2, 8)))
		}},
		{"attention float64 value", "MultiheadAttention(embed_dim=8, num_heads=2): the value is float64 but the weights are float32: convert it with To(tensor.Float32)", func() {
			m := nn.NewMultiheadAttention(rand.New(rand.NewPCG(1, 2)), 8, 2, nn.MultiheadAttentionConfig{})
			nn.To(m, tensor.Float32)
			q := autograd.Const(tensor.ZerosOf(tensor.Float32, 3, 2, 8))
			m.Attend(q, q, autograd.Const(tensor.Zeros(3, 2, 8)), nn.AttentionMasks{})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				e, ok := recover().(*nn.Error)
				if !ok || !errors.Is(e, tensor.ErrDType) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v, want an ErrDType *nn.Error containing %q", e, tt.want)
				}
			}()
			tt.f()
		})
	}
}
