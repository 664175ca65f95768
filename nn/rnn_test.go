package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// weightsOf returns the weights of an RNN, LSTM or GRU.
func weightsOf(m rnnModule) *[]RNNWeights {
	switch m := m.(type) {
	case *RNN:
		return &m.Weights
	case *LSTM:
		return &m.Weights
	case *GRU:
		return &m.Weights
	}
	panic(fmt.Sprintf("%T is not recurrent", m))
}

// useWeights makes m's weights the Vars vs, in the order of Parameters.
func useWeights(m rnnModule, vs []*autograd.Var) {
	ws := *weightsOf(m)
	for k := range ws {
		w := &ws[k]
		w.IH, w.HH, vs = vs[0], vs[1], vs[2:]
		if w.BiasIH != nil {
			w.BiasIH, w.BiasHH, vs = vs[0], vs[1], vs[2:]
		}
	}
}

// TestRecurrentGradCheck checks every gradient of RNN, LSTM and GRU (the
// input's, the initial states' and every weight's) against finite
// differences, with several layers, both directions, both layouts and
// lengths, a zero length among them.
func TestRecurrentGradCheck(t *testing.T) {
	tests := []struct {
		name    string
		m       rnnModule
		x       []int
		h0, c0  bool
		lengths []int
	}{
		{"rnn tanh, 2 layers, bidirectional, batch first, lengths", NewRNN(newRNG(), 3, 3, RNNConfig{NumLayers: 2, Bidirectional: true, BatchFirst: true}), []int{3, 4, 3}, true, false, []int{4, 0, 2}},
		{"rnn relu", NewRNN(newRNG(), 3, 3, RNNConfig{Nonlinearity: "relu"}), []int{4, 2, 3}, true, false, nil},
		{"lstm, 2 layers, bidirectional, lengths", NewLSTM(newRNG(), 3, 3, RNNConfig{NumLayers: 2, Bidirectional: true}), []int{4, 3, 3}, true, true, []int{2, 4, 0}},
		{"lstm, no bias, batch first, c0 only", NewLSTM(newRNG(), 3, 3, RNNConfig{Bias: new(false), BatchFirst: true}), []int{2, 4, 3}, false, true, []int{3, 4}},
		{"lstm, one sequence", NewLSTM(newRNG(), 3, 3, RNNConfig{NumLayers: 2}), []int{4, 3}, true, true, nil},
		{"gru, 2 layers, bidirectional, batch first, lengths", NewGRU(newRNG(), 3, 3, RNNConfig{NumLayers: 2, Bidirectional: true, BatchFirst: true}), []int{3, 4, 3}, true, false, []int{1, 4, 3}},
		{"gru", NewGRU(newRNG(), 3, 3, RNNConfig{}), []int{4, 2, 3}, false, false, nil},
	}
	for _, tt := range tests {
		rng := rand.New(rand.NewPCG(3, 4))
		x := tensor.Normal(rng, 0, 1, tt.x...)
		_, st := tt.m.Run(autograd.Const(x), RNNInput{Lengths: tt.lengths})
		inputs := []*tensor.Tensor{x}
		if tt.h0 {
			inputs = append(inputs, tensor.Normal(rng, 0, 0.5, st.H.Value.Shape()...))
		}
		if tt.c0 {
			inputs = append(inputs, tensor.Normal(rng, 0, 0.5, st.H.Value.Shape()...))
		}
		states := len(inputs)
		for _, p := range tt.m.Parameters() {
			inputs = append(inputs, p.Var.Value)
		}
		r := autograd.GradCheck(func(v ...*autograd.Var) *autograd.Var {
			in := RNNInput{Lengths: tt.lengths}
			i := 1
			if tt.h0 {
				in.H0, i = v[i], i+1
			}
			if tt.c0 {
				in.C0 = v[i]
			}
			useWeights(tt.m, v[states:])
			y, st := tt.m.Run(v[0], in)
			parts := []*autograd.Var{y.Reshape(-1), st.H.Reshape(-1)}
			if st.C != nil {
				parts = append(parts, st.C.Reshape(-1))
			}
			return autograd.Concat(0, parts...)
		}, inputs...)
		if r.MaxError > 1e-6 {
			t.Errorf("%s: %v", tt.name, r)
		}
	}
}

// TestRecurrentEvaluationSameAsTraining: an evaluation (NoGrad input),
// which keeps only the current state, computes what a recorded run
// computes, bit for bit, for every cell and layout.
func TestRecurrentEvaluationSameAsTraining(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tt := range []struct {
		m rnnModule
		x []int
	}{
		{NewRNN(newRNG(), 3, 5, RNNConfig{NumLayers: 2, Bidirectional: true}), []int{6, 4, 3}},
		{NewRNN(newRNG(), 3, 5, RNNConfig{Nonlinearity: "relu", BatchFirst: true}), []int{4, 6, 3}},
		{NewLSTM(newRNG(), 3, 5, RNNConfig{NumLayers: 3, Bidirectional: true, BatchFirst: true}), []int{4, 6, 3}},
		{NewGRU(newRNG(), 3, 5, RNNConfig{NumLayers: 2, Bidirectional: true}), []int{6, 4, 3}},
	} {
		m, x := tt.m, tensor.Normal(rng, 0, 1, tt.x...)
		in := RNNInput{Lengths: []int{6, 2, 0, 5}}
		y1, s1 := m.Run(autograd.Const(x), in)
		y2, s2 := m.Run(autograd.NoGrad(x), in)
		if !y1.RequiresGrad() || y2.RequiresGrad() {
			t.Fatalf("%v: recorded %v and %v", m, y1.RequiresGrad(), y2.RequiresGrad())
		}
		if !tensor.Equal(y1.Value, y2.Value) || !tensor.Equal(s1.H.Value, s2.H.Value) || (s1.C != nil && !tensor.Equal(s1.C.Value, s2.C.Value)) {
			t.Errorf("%v: evaluation differs from a recorded run", m)
		}
	}
}

// TestRecurrentLengths: a sequence's outputs past its length are zero, its
// final state is that of its last real step, and its padding changes
// nothing: running it alone, cut to its length, gives the same numbers.
func TestRecurrentLengths(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := NewLSTM(newRNG(), 2, 3, RNNConfig{NumLayers: 2, Bidirectional: true, BatchFirst: true})
	lengths := []int{5, 2, 0, 4}
	x := tensor.Normal(rng, 0, 1, 4, 5, 2)
	y, st := m.Run(autograd.NoGrad(x), RNNInput{Lengths: lengths})
	for n, l := range lengths {
		alone := tensor.New(slices.Clone(x.Data()[n*10:n*10+2*l]), 1, l, 2)
		ya, sa := m.Run(autograd.NoGrad(alone), RNNInput{})
		for tt := range 5 {
			got := y.Value.Data()[(n*5+tt)*6 : (n*5+tt+1)*6]
			want := make([]float64, 6)
			if tt < l {
				want = ya.Value.Data()[tt*6 : (tt+1)*6]
			}
			if maxAbsDiff(got, want) > 1e-15 {
				t.Errorf("sequence %d of length %d, step %d: output %v; alone %v", n, l, tt, got, want)
			}
		}
		for k := range 4 {
			for _, s := range [][2]*tensor.Tensor{{st.H.Value, sa.H.Value}, {st.C.Value, sa.C.Value}} {
				got, want := s[0].Data()[(k*4+n)*3:(k*4+n+1)*3], s[1].Data()[k*3:(k+1)*3]
				if maxAbsDiff(got, want) > 1e-15 {
					t.Errorf("sequence %d of length %d, state %d: %v; alone %v", n, l, k, got, want)
				}
			}
		}
	}
}

func maxAbsDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestRecurrentDropout: dropout acts between layers only, in training
// only. With p = 1 the second layer reads zeros in training, so the
// output is the second layer's alone on zeros; in evaluation the network
// computes as without dropout; with one layer dropout does nothing.
func TestRecurrentDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := tensor.Normal(rng, 0, 1, 5, 2, 3)
	m := NewGRU(newRNG(), 3, 4, RNNConfig{NumLayers: 2, Dropout: 1})
	plain := NewGRU(newRNG(), 3, 4, RNNConfig{NumLayers: 2})
	plain.Weights = m.Weights
	second := NewGRU(newRNG(), 4, 4, RNNConfig{})
	second.Weights = m.Weights[1:]
	train := m.Forward(autograd.Const(x))
	if want := second.Forward(autograd.Const(tensor.Zeros(5, 2, 4))); !tensor.Equal(train.Value, want.Value) {
		t.Errorf("training with p = 1: %v; the second layer on zeros gives %v", train.Value, want.Value)
	}
	for _, in := range []*autograd.Var{autograd.NoGrad(x), autograd.Const(x).Eval()} {
		if got, want := m.Forward(in), plain.Forward(autograd.Const(x)); !tensor.Equal(got.Value, want.Value) {
			t.Errorf("evaluation with dropout differs from the network without")
		}
	}
	one := NewLSTM(newRNG(), 3, 4, RNNConfig{Dropout: 0.5})
	if !tensor.Equal(one.Forward(autograd.Const(x)).Value, one.Forward(autograd.NoGrad(x)).Value) {
		t.Error("dropout changed a one-layer network")
	}
	half := NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2, Dropout: 0.5})
	if tensor.Equal(half.Forward(autograd.Const(x)).Value, half.Forward(autograd.NoGrad(x)).Value) {
		t.Error("dropout 0.5 between two layers changed nothing in training")
	}
}

// TestRecurrentStates: initial states are used, the final states continue
// a sequence (two halves run one after the other give the whole run), an
// empty run returns its initial state, and an empty batch an empty output.
func TestRecurrentStates(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, m := range []rnnModule{
		NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2, BatchFirst: true}),
		NewGRU(newRNG(), 3, 4, RNNConfig{NumLayers: 2, BatchFirst: true}),
		NewRNN(newRNG(), 3, 4, RNNConfig{NumLayers: 2, BatchFirst: true}),
	} {
		x := tensor.Normal(rng, 0, 1, 2, 6, 3)
		whole, st := m.Run(autograd.NoGrad(x), RNNInput{})
		first, mid := m.Run(autograd.NoGrad(x.Slice(1, 0, 4)), RNNInput{})
		second, end := m.Run(autograd.NoGrad(x.Slice(1, 4, 6)), RNNInput{H0: mid.H, C0: mid.C})
		joined := tensor.Concat(1, first.Value, second.Value)
		if maxAbsDiff(joined.Data(), whole.Value.Data()) > 1e-15 || maxAbsDiff(end.H.Value.Data(), st.H.Value.Data()) > 1e-15 {
			t.Errorf("%v: two halves differ from the whole", m)
		}

		h0 := autograd.Param(tensor.Normal(rng, 0, 1, 2, 2, 4))
		var c0 *autograd.Var
		if _, ok := m.(*LSTM); ok {
			c0 = autograd.Param(tensor.Normal(rng, 0, 1, 2, 2, 4))
		}
		y, st0 := m.Run(autograd.Const(tensor.Zeros(2, 0, 3)), RNNInput{H0: h0, C0: c0})
		if !slices.Equal(y.Value.Shape(), []int{2, 0, 4}) || !tensor.Equal(st0.H.Value, h0.Value) || (c0 != nil && !tensor.Equal(st0.C.Value, c0.Value)) {
			t.Errorf("%v: no steps give output %v and a final state unlike the initial one", m, y.Value.Shape())
		}
		st0.H.Sum().Backward()
		if !tensor.Equal(h0.Grad, tensor.Ones(2, 2, 4)) {
			t.Errorf("%v: no steps: h0's gradient %v; want ones", m, h0.Grad)
		}
		y, st0 = m.Run(autograd.Const(tensor.Zeros(0, 6, 3)), RNNInput{})
		if !slices.Equal(y.Value.Shape(), []int{0, 6, 4}) || !slices.Equal(st0.H.Value.Shape(), []int{2, 0, 4}) {
			t.Errorf("%v: an empty batch gives output %v and state %v", m, y.Value.Shape(), st0.H.Value.Shape())
		}
	}
}

// TestRecurrentSameOnAnyThreads: a batch large enough to be shared among
// threads gives the same bits on one thread and on four.
func TestRecurrentSameOnAnyThreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	m := NewLSTM(newRNG(), 8, 64, RNNConfig{Bidirectional: true})
	x := autograd.Const(tensor.Normal(rng, 0, 1, 3, 64, 8))
	run := func(threads int) (*tensor.Tensor, *tensor.Tensor) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		y := m.Forward(x)
		y.Square().Sum().Backward()
		return y.Value, m.Weights[1].HH.Grad.Clone()
	}
	y1, g1 := run(1)
	y4, g4 := run(4)
	if !tensor.Equal(y1, y4) || !tensor.Equal(g1, g4) {
		t.Error("one thread and four differ")
	}
}

// TestRecurrentConcurrentEvaluation: goroutines evaluating one network
// at once get the same answer (and, under -race, write nothing shared).
func TestRecurrentConcurrentEvaluation(t *testing.T) {
	m := NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2, Dropout: 0.3})
	x := tensor.Normal(rand.New(rand.NewPCG(1, 1)), 0, 1, 5, 2, 3)
	want := m.Forward(autograd.NoGrad(x)).Value
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if got := m.Forward(autograd.NoGrad(x)).Value; !tensor.Equal(got, want) {
				t.Error("a concurrent evaluation differs")
			}
		})
	}
	wg.Wait()
}

// TestRecurrentInitialization: every weight and bias is drawn from
// U(−1/√hidden, 1/√hidden), as PyTorch draws them, with the shapes
// PyTorch gives them.
func TestRecurrentInitialization(t *testing.T) {
	m := NewLSTM(newRNG(), 5, 16, RNNConfig{NumLayers: 2, Bidirectional: true})
	bound := 0.25
	shapes := map[string][]int{"weight_ih_l0": {64, 5}, "weight_ih_l1_reverse": {64, 32}, "weight_hh_l1": {64, 16}, "bias_hh_l0_reverse": {64}}
	for _, p := range m.Parameters() {
		d := p.Var.Value.Data()
		lo, hi := slices.Min(d), slices.Max(d)
		if lo < -bound || hi > bound || (len(d) > 60 && (lo > -0.8*bound || hi < 0.8*bound)) {
			t.Errorf("%s spans [%v, %v]; want U(−%v, %v)", p.Name, lo, hi, bound, bound)
		}
		if want, ok := shapes[p.Name]; ok && !slices.Equal(p.Var.Value.Shape(), want) {
			t.Errorf("%s has shape %v; PyTorch's is %v", p.Name, p.Var.Value.Shape(), want)
		}
	}
	if len(m.Parameters()) != 16 {
		t.Errorf("%d parameters; want 16", len(m.Parameters()))
	}
}

// TestRecurrentPrintsLikePyTorch compares with PyTorch 1.13's print of
// the same layers and its state-dict names (testdata/torch_rnn_repr.py).
func TestRecurrentPrintsLikePyTorch(t *testing.T) {
	rng := newRNG()
	m := NewSequential(
		NewRNN(rng, 3, 4, RNNConfig{}), NewRNN(rng, 3, 4, RNNConfig{Nonlinearity: "relu", Bias: new(false)}),
		NewLSTM(rng, 3, 4, RNNConfig{NumLayers: 2, BatchFirst: true, Dropout: 0.5, Bidirectional: true}),
		NewGRU(rng, 3, 4, RNNConfig{Dropout: 0.25, NumLayers: 3}),
	)
	want := `Sequential(
  (0): RNN(3, 4)
  (1): RNN(3, 4, bias=False)
  (2): LSTM(3, 4, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)
  (3): GRU(3, 4, num_layers=3, dropout=0.25)
)`
	if got := Repr(m); got != want {
		t.Errorf("prints\n%s\nPyTorch prints\n%s", got, want)
	}
	names := []string{"0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "1.weight_ih_l0", "1.weight_hh_l0", "2.weight_ih_l0", "2.weight_hh_l0", "2.bias_ih_l0", "2.bias_hh_l0", "2.weight_ih_l0_reverse", "2.weight_hh_l0_reverse", "2.bias_ih_l0_reverse", "2.bias_hh_l0_reverse", "2.weight_ih_l1", "2.weight_hh_l1", "2.bias_ih_l1", "2.bias_hh_l1", "2.weight_ih_l1_reverse", "2.weight_hh_l1_reverse", "2.bias_ih_l1_reverse", "2.bias_hh_l1_reverse", "3.weight_ih_l0", "3.weight_hh_l0", "3.bias_ih_l0", "3.bias_hh_l0", "3.weight_ih_l1", "3.weight_hh_l1", "3.bias_ih_l1", "3.bias_hh_l1", "3.weight_ih_l2", "3.weight_hh_l2", "3.bias_ih_l2", "3.bias_hh_l2"}
	if got := StateOf(m).Names(); !slices.Equal(got, names) {
		t.Errorf("state dict names\n%v\nPyTorch's\n%v", got, names)
	}
}

// TestRecurrentBadArguments: wrong shapes, states and lengths, and bad
// settings, panic with an *Error of the right kind that names the layer
// and what it wants.
func TestRecurrentBadArguments(t *testing.T) {
	lstm := NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2})
	gru := NewGRU(newRNG(), 3, 4, RNNConfig{BatchFirst: true})
	x := autograd.Const(tensor.Zeros(5, 2, 3))
	tests := []struct {
		f    func()
		kind error
		want string
	}{
		{func() { lstm.Forward(autograd.Const(tensor.Zeros(5, 2, 4))) }, tensor.ErrShape, "LSTM(3, 4): input [5 2 4]: want [steps batch 3], or [steps 3] for one sequence"},
		{func() { gru.Forward(autograd.Const(tensor.Zeros(3))) }, tensor.ErrShape, "GRU(3, 4): input [3]: want [batch steps 3]"},
		{func() { lstm.Run(x, RNNInput{H0: autograd.Const(tensor.Zeros(1, 2, 4))}) }, tensor.ErrShape, "initial hidden state [1 2 4]: want [2 2 4]"},
		{func() { lstm.Run(x, RNNInput{C0: autograd.Const(tensor.Zeros(2, 4))}) }, tensor.ErrShape, "initial cell state [2 4]: want [2 2 4]"},
		{func() { gru.Run(x, RNNInput{C0: autograd.Const(tensor.Zeros(1, 5, 4))}) }, tensor.ErrArgument, "only an LSTM has one"},
		{func() { lstm.Run(x, RNNInput{Lengths: []int{5}}) }, tensor.ErrShape, "1 lengths for a batch of 2 sequences"},
		{func() { lstm.Run(x, RNNInput{Lengths: []int{5, 6}}) }, tensor.ErrIndex, "length 6 of sequence 1: want one in [0, 5]"},
		{func() { gru.Run(x, RNNInput{Lengths: []int{-1, 0, 1, 2, 3}}) }, tensor.ErrIndex, "length -1 of sequence 0: want one in [0, 2]"},
		{func() {
			bad := NewLSTM(newRNG(), 3, 4, RNNConfig{NumLayers: 2})
			bad.Weights[1].BiasHH = nil
			bad.Forward(x)
		}, tensor.ErrShape, "weights 1 (IH, HH, BiasIH, BiasHH) have shapes [[16 4] [16 4] [16] []]; want [[16 4] [16 4] [16] [16]]"},
		{func() {
			bad := NewGRU(newRNG(), 3, 4, RNNConfig{})
			bad.Weights = append(bad.Weights, bad.Weights[0])
			bad.Forward(x)
		}, tensor.ErrShape, "2 sets of weights for 1 layers and 1 directions"},
		{func() { NewLSTM(newRNG(), 0, 4, RNNConfig{}) }, tensor.ErrArgument, "NewLSTM: in 0 and hidden 4 features must be positive"},
		{func() { NewGRU(newRNG(), 3, -1, RNNConfig{}) }, tensor.ErrArgument, "must be positive"},
		{func() { NewRNN(newRNG(), 3, 4, RNNConfig{NumLayers: -2}) }, tensor.ErrArgument, "-2 layers"},
		{func() { NewRNN(newRNG(), 3, 4, RNNConfig{Nonlinearity: "sigmoid"}) }, tensor.ErrArgument, `nonlinearity "sigmoid": want "tanh" or "relu"`},
		{func() { NewLSTM(newRNG(), 3, 4, RNNConfig{Nonlinearity: "tanh"}) }, tensor.ErrArgument, "only RNN takes one"},
		{func() { NewGRU(newRNG(), 3, 4, RNNConfig{Dropout: math.NaN()}) }, tensor.ErrArgument, "dropout probability NaN outside [0, 1]"},
		{func() { NewGRU(newRNG(), 1<<21, 1<<20, RNNConfig{}) }, tensor.ErrShape, "NewGRU: a weight of shape"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				e, ok := recover().(*Error)
				if !ok || !errors.Is(e, tt.kind) || !strings.Contains(e.Error(), tt.want) {
					t.Errorf("panic %v; want an *nn.Error of kind %v containing %q", e, tt.kind, tt.want)
				}
			}()
			tt.f()
		}()
	}
}
