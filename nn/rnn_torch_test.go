package nn

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// torchRNNCase is one case of testdata/torch_rnn.json: what PyTorch 1.13
// computed, in float64, for a recurrent network with the weights, input
// and initial states that torch_rnn.py's formulas give.
type torchRNNCase struct {
	Name       string
	XShape     []int `json:"x_shape"`
	Y          []float64
	YShape     []int `json:"y_shape"`
	H, C       []float64
	StateShape []int                `json:"state_shape"`
	XGrad      []float64            `json:"x_grad"`
	H0Grad     []float64            `json:"h0_grad"`
	C0Grad     []float64            `json:"c0_grad"`
	ParamGrads map[string][]float64 `json:"param_grads"`
	ParamNames []string             `json:"param_names"`
}

// torchRNNModels builds the networks of torch_rnn.py's cases, by name,
// with which initial states they get and the lengths.
var torchRNNModels = map[string]struct {
	build   func() rnnModule
	h0, c0  bool
	lengths []int
}{
	"rnn_tanh": {func() rnnModule { return NewRNN(newRNG(), 3, 4, RNNConfig{}) }, false, false, nil},
	"rnn_relu_2layers_nobias_h0": {func() rnnModule {
		return NewRNN(newRNG(), 3, 4, RNNConfig{Nonlinearity: "relu", NumLayers: 2, Bias: new(false)})
	}, true, false, nil},
	"rnn_bidirectional_lengths": {func() rnnModule { return NewRNN(newRNG(), 3, 4, RNNConfig{NumLayers: 2, Bidirectional: true}) }, true, false, []int{2, 4, 1}},
	"lstm":                      {func() rnnModule { return NewLSTM(newRNG(), 3, 4, RNNConfig{}) }, false, false, nil},
	"lstm_2layers_bidirectional_batch_first_states": {func() rnnModule {
		return NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2, Bidirectional: true, BatchFirst: true})
	}, true, true, nil},
	"lstm_bidirectional_lengths_states": {func() rnnModule { return NewLSTM(newRNG(), 3, 4, RNNConfig{Bidirectional: true}) }, true, true, []int{4, 2, 3}},
	"lstm_batch_first_lengths":          {func() rnnModule { return NewLSTM(newRNG(), 3, 4, RNNConfig{BatchFirst: true, NumLayers: 2}) }, false, false, []int{3, 1, 2}},
	"lstm_one_sequence":                 {func() rnnModule { return NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2}) }, true, true, nil},
	"gru":                               {func() rnnModule { return NewGRU(newRNG(), 3, 4, RNNConfig{}) }, false, false, nil},
	"gru_2layers_batch_first_h0":        {func() rnnModule { return NewGRU(newRNG(), 3, 4, RNNConfig{NumLayers: 2, BatchFirst: true}) }, true, false, nil},
	"gru_bidirectional_batch_first_lengths": {func() rnnModule {
		return NewGRU(newRNG(), 3, 4, RNNConfig{Bidirectional: true, BatchFirst: true})
	}, true, false, []int{1, 3, 2}},
	"gru_one_sequence_bidirectional": {func() rnnModule { return NewGRU(newRNG(), 3, 4, RNNConfig{Bidirectional: true}) }, false, false, nil},
}

// rnnModule is what RNN, LSTM and GRU have in common.
type rnnModule interface {
	Module
	Run(x *autograd.Var, in RNNInput) (*autograd.Var, RNNState)
}

// fillFormula sets t's element i to f(i), as torch_rnn.py's fill does.
func fillFormula(t *tensor.Tensor, f func(i float64) float64) *tensor.Tensor {
	for i := range t.Data() {
		t.Data()[i] = f(float64(i))
	}
	return t
}

// TestRecurrentMatchesPyTorch runs every case of testdata/torch_rnn.json
// (RNN with tanh and ReLU, LSTM, GRU; several layers, bidirectional,
// batch first, without biases, one sequence, initial states, lengths) and
// checks the output, the final states and the gradients of the input, the
// initial states and every parameter against PyTorch's, to 1e-10.
func TestRecurrentMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch_rnn.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Cases []torchRNNCase }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) != len(torchRNNModels) {
		t.Errorf("%d cases in torch_rnn.json, %d here", len(file.Cases), len(torchRNNModels))
	}
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			spec, ok := torchRNNModels[tc.Name]
			if !ok {
				t.Fatalf("no model for case %s", tc.Name)
			}
			m := spec.build()
			var names []string
			for k, p := range m.Parameters() {
				names = append(names, p.Name)
				fillFormula(p.Var.Value, func(i float64) float64 { return 0.4 * math.Sin(0.7*i+1.3*float64(k)+0.1) })
			}
			if !slices.Equal(names, tc.ParamNames) {
				t.Fatalf("parameters %v; PyTorch's are %v", names, tc.ParamNames)
			}
			x := autograd.Param(fillFormula(tensor.Zeros(tc.XShape...), func(i float64) float64 { return math.Sin(1.1*i + 0.3) }))
			in := RNNInput{Lengths: spec.lengths}
			if spec.h0 {
				in.H0 = autograd.Param(fillFormula(tensor.Zeros(tc.StateShape...), func(i float64) float64 { return 0.3 * math.Cos(0.9*i) }))
			}
			if spec.c0 {
				in.C0 = autograd.Param(fillFormula(tensor.Zeros(tc.StateShape...), func(i float64) float64 { return 0.2 * math.Sin(0.4*i+1) }))
			}
			y, state := m.Run(x, in)
			if !slices.Equal(y.Value.Shape(), tc.YShape) || !slices.Equal(state.H.Value.Shape(), tc.StateShape) {
				t.Fatalf("output %v and state %v; PyTorch's are %v and %v", y.Value.Shape(), state.H.Value.Shape(), tc.YShape, tc.StateShape)
			}
			loss := weightedSum(y).Add(weightedSum(state.H))
			if tc.C != nil {
				loss = loss.Add(weightedSum(state.C))
				checkRNNClose(t, "c_n", state.C.Value.Data(), tc.C)
			} else if state.C != nil {
				t.Errorf("a cell state from a network without one")
			}
			loss.Backward()
			checkRNNClose(t, "output", y.Value.Data(), tc.Y)
			checkRNNClose(t, "h_n", state.H.Value.Data(), tc.H)
			checkRNNClose(t, "input gradient", x.Grad.Data(), tc.XGrad)
			if in.H0 != nil {
				checkRNNClose(t, "h0 gradient", in.H0.Grad.Data(), tc.H0Grad)
			}
			if in.C0 != nil {
				checkRNNClose(t, "c0 gradient", in.C0.Grad.Data(), tc.C0Grad)
			}
			for _, p := range m.Parameters() {
				checkRNNClose(t, p.Name+" gradient", p.Var.Grad.Data(), tc.ParamGrads[p.Name])
			}
		})
	}
}

// weightedSum is Σ wᵢ·yᵢ with wᵢ = (i+1)/n, torch_rnn.py's weighted.
func weightedSum(y *autograd.Var) *autograd.Var {
	w := fillFormula(tensor.Zeros(y.Value.Shape()...), func(i float64) float64 { return (i + 1) / float64(y.Value.Size()) })
	return y.Mul(autograd.Const(w)).Sum()
}

// checkRNNClose compares with PyTorch's numbers to 1e-10 relative, or
// absolute for numbers below 1, where a relative error would compare
// rounding noise in values that cancel to near zero.
func checkRNNClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, PyTorch has %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= 1e-10*max(1, math.Abs(want[i]))) {
			t.Errorf("%s differs from PyTorch's at %d: %v, PyTorch %v\n got %v\nwant %v", what, i, got[i], want[i], got, want)
			return
		}
	}
}
