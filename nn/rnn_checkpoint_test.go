package nn

import (
	"bytes"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// seqNet is testdata/torch_rnn_checkpoint.py's Net: a bidirectional LSTM
// feeding a GRU, whose final state feeds two heads in a ModuleList.
type seqNet struct {
	LSTM  *LSTM
	GRU   *GRU
	Heads ModuleList
}

func newSeqNet() *seqNet {
	rng := newRNG()
	return &seqNet{
		LSTM:  NewLSTM(rng, 3, 5, RNNConfig{NumLayers: 2, BatchFirst: true, Bidirectional: true, Dropout: 0.2}),
		GRU:   NewGRU(rng, 10, 4, RNNConfig{BatchFirst: true}),
		Heads: ModuleList{NewLinear(rng, 4, 2), NewLinear(rng, 4, 1)},
	}
}

func (m *seqNet) predict(x *autograd.Var, lengths []int) *autograd.Var {
	y, _ := m.LSTM.Run(x, RNNInput{Lengths: lengths})
	_, st := m.GRU.Run(y, RNNInput{Lengths: lengths})
	h := st.H.Reshape(-1, 4)
	return autograd.Concat(1, m.Heads[0].Forward(h), m.Heads[1].Forward(h))
}

func (m *seqNet) Forward(x *autograd.Var) *autograd.Var { return m.predict(x, nil) }

func (m *seqNet) Parameters() []Param {
	return JoinParameters("lstm", m.LSTM, "gru", m.GRU, "heads", m.Heads)
}

// TestRNNCheckpointWithPyTorch loads the checkpoint of a sequence model
// that PyTorch trained for two steps (testdata/torch_rnn_checkpoint.py
// writes it: LSTM, GRU over packed sequences, a ModuleList of heads)
// strictly into the same model built here, checks that it predicts what
// PyTorch predicted in evaluation mode, to 1e-10, and that saved again its
// state dict has PyTorch's names in PyTorch's order, with its shapes and
// values. With MINIDL_WRITE_RNN_CHECKPOINT=FILE it also takes a training
// step of its own, logs its predictions and saves the model to FILE, for
// the script to load into PyTorch (strictly) and predict the same.
func TestRNNCheckpointWithPyTorch(t *testing.T) {
	m := newSeqNet()
	const file = "testdata/torch_rnn_checkpoint.safetensors"
	if err := Load(file, m); err != nil {
		t.Fatal(err)
	}
	x := fillFormula(tensor.Zeros(3, 4, 3), func(i float64) float64 {
		n := math.Floor(i / 12)
		return math.Sin(0.7*i + 0.3*n)
	})
	lengths := []int{4, 2, 3}
	want := []float64{-0.21354583353499146, 0.09904906969005159, -0.25532418134681073, -0.19136160434467514, 0.1378239358322373, -0.23676761702848062, -0.20107085953284215, 0.11971910262317946, -0.25057597414632987}
	checkRNNClose(t, "prediction", m.predict(autograd.NoGrad(x), lengths).Value.Data(), want)

	torchState, _, err := LoadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, StateOf(m), nil); err != nil {
		t.Fatal(err)
	}
	ours, _, err := ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	torchNames := []struct {
		name  string
		shape []int
	}{
		{"lstm.weight_ih_l0", []int{20, 3}},
		{"lstm.weight_hh_l0", []int{20, 5}},
		{"lstm.bias_ih_l0", []int{20}},
		{"lstm.bias_hh_l0", []int{20}},
		{"lstm.weight_ih_l0_reverse", []int{20, 3}},
		{"lstm.weight_hh_l0_reverse", []int{20, 5}},
		{"lstm.bias_ih_l0_reverse", []int{20}},
		{"lstm.bias_hh_l0_reverse", []int{20}},
		{"lstm.weight_ih_l1", []int{20, 10}},
		{"lstm.weight_hh_l1", []int{20, 5}},
		{"lstm.bias_ih_l1", []int{20}},
		{"lstm.bias_hh_l1", []int{20}},
		{"lstm.weight_ih_l1_reverse", []int{20, 10}},
		{"lstm.weight_hh_l1_reverse", []int{20, 5}},
		{"lstm.bias_ih_l1_reverse", []int{20}},
		{"lstm.bias_hh_l1_reverse", []int{20}},
		{"gru.weight_ih_l0", []int{12, 10}},
		{"gru.weight_hh_l0", []int{12, 4}},
		{"gru.bias_ih_l0", []int{12}},
		{"gru.bias_hh_l0", []int{12}},
		{"heads.0.weight", []int{2, 4}},
		{"heads.0.bias", []int{2}},
		{"heads.1.weight", []int{1, 4}},
		{"heads.1.bias", []int{1}},
	}
	var names []string
	for _, e := range torchNames {
		names = append(names, e.name)
		o, ok := ours.Get(e.name)
		if !ok || !slices.Equal(o.Shape(), e.shape) {
			t.Errorf("%s: minidl saves %v, PyTorch's state dict has %v", e.name, o, e.shape)
			continue
		}
		if w, _ := torchState.Get(e.name); !tensor.Equal(o, w) {
			t.Errorf("%s: saved values differ from the loaded ones", e.name)
		}
	}
	if !slices.Equal(ours.Names(), names) || !slices.Equal(torchState.Names(), names) {
		t.Errorf("names: minidl saves %v, PyTorch's file has %v, its state dict %v", ours.Names(), torchState.Names(), names)
	}

	if out := os.Getenv("MINIDL_WRITE_RNN_CHECKPOINT"); out != "" {
		loss := m.predict(autograd.Const(x), lengths).Square().Mean()
		loss.Backward()
		for _, p := range m.Parameters() {
			p.Var.Value.AddScaled(-0.5, p.Var.Grad)
		}
		t.Logf("after a step of its own, minidl predicts %v", m.predict(autograd.NoGrad(x), lengths).Value.Data())
		if err := Save(out, m, nil); err != nil {
			t.Fatal(err)
		}
	}
}
