package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// RNNConfig holds the settings of RNN, LSTM and GRU. Its zero value is
// PyTorch's default: one layer with biases, inputs [steps batch features],
// one direction, no dropout, and for RNN the tanh nonlinearity.
type RNNConfig struct {
	// NumLayers is how many recurrent layers are stacked, each reading the
	// outputs of the one below; 0 means 1.
	NumLayers int
	// Nonlinearity is RNN's: "tanh" (the default, also meant by "") or
	// "relu". LSTM and GRU take none.
	Nonlinearity string
	// Bias, if false, leaves out the four bias vectors of every layer and
	// direction; nil means true.
	Bias *bool
	// BatchFirst takes inputs and gives outputs as [batch steps features].
	// The states are [layers·directions batch hidden] either way, as in
	// PyTorch.
	BatchFirst bool
	// Dropout is the probability with which each output of every layer
	// but the last is dropped in training before the next layer reads it
	// (off in evaluation mode, as Dropout is). With one layer it does
	// nothing, as in PyTorch.
	Dropout float64
	// Bidirectional runs a second layer over each sequence from its end
	// to its start, and concatenates its outputs to the forward layer's.
	Bidirectional bool
}

// RNNWeights are the weights of one layer and direction of a recurrent
// network, stored as PyTorch stores them: IH is W_ih, [gates·hidden in],
// where in is the input's width for the first layer and
// directions·hidden for the others, HH is W_hh, [gates·hidden hidden],
// and the biases are [gates·hidden] each (nil without biases), with the
// gates stacked in PyTorch's order: LSTM's i, f, g, o, GRU's r, z, n.
type RNNWeights struct {
	IH, HH         *autograd.Var
	BiasIH, BiasHH *autograd.Var
}

// RNNInput is what Run takes besides the sequences: the initial states and
// the sequences' lengths, each optional.
type RNNInput struct {
	// H0 is the initial hidden state of every layer and direction,
	// [layers·directions batch hidden] ([layers·directions hidden] for an
	// input of one sequence), the layers' in order with the reverse
	// direction after the forward one, as PyTorch's h_0; nil means zeros.
	// Gradients flow to it.
	H0 *autograd.Var
	// C0 is an LSTM's initial cell state, shaped as H0; nil means zeros.
	// RNN and GRU have none.
	C0 *autograd.Var
	// Lengths, if not nil, gives each sequence's length, one per sequence
	// of the batch, each in [0, steps]: the steps past a sequence's length
	// are padding, as in PyTorch's packed sequences. Their outputs are
	// zero, the final state is that after the last real step, and the
	// reverse direction starts at that step. The input's values at the
	// padding are never read, and get no gradient.
	Lengths []int
}

// RNNState is a recurrent network's state after the last step: H, the
// hidden state of every layer and direction (PyTorch's h_n, shaped as
// RNNInput.H0), and for an LSTM C, the cell state (c_n). Feed it back as
// the next call's H0 and C0 to go on from where a sequence stopped.
type RNNState struct {
	H, C *autograd.Var
}

// RNN is a stack of Elman recurrent layers, as torch.nn.RNN: each step
// computes
//
//	h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)
//
// (or ReLU in place of tanh) from the step's input x and the previous
// state h, and outputs h'. Inputs are [steps batch in] (or [batch steps
// in] with BatchFirst, or [steps in] for one sequence); Forward returns
// every step's output of the last layer, [steps batch directions·hidden],
// and Run takes initial states and per-sequence lengths and returns the
// final states too.
type RNN struct {
	// Weights holds the weights of every layer and direction:
	// Weights[layer·D + d], where D is 2 for a bidirectional network, with
	// d = 1 the reverse direction, and 1 otherwise. It is the order of the
	// rows of the states and of PyTorch's state dict.
	Weights []RNNWeights
	recurrent
}

// LSTM is a stack of long short-term memory layers, as torch.nn.LSTM: each
// step computes, from the step's input x and the previous hidden and cell
// states h and c,
//
//	i = σ(x·W_iiᵀ + b_ii + h·W_hiᵀ + b_hi)    input gate
//	f = σ(x·W_ifᵀ + b_if + h·W_hfᵀ + b_hf)    forget gate
//	g = tanh(x·W_igᵀ + b_ig + h·W_hgᵀ + b_hg) candidate
//	o = σ(x·W_ioᵀ + b_io + h·W_hoᵀ + b_ho)    output gate
//	c' = f⊙c + i⊙g,  h' = o⊙tanh(c')
//
// and outputs h'. Shapes are RNN's; Run's states include the cell state.
type LSTM struct {
	Weights []RNNWeights // as RNN's
	recurrent
}

// GRU is a stack of gated recurrent unit layers, as torch.nn.GRU: each
// step computes, from the step's input x and the previous state h,
//
//	r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)          reset gate
//	z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)          update gate
//	n = tanh(x·W_inᵀ + b_in + r⊙(h·W_hnᵀ + b_hn))   candidate
//	h' = (1 − z)⊙n + z⊙h
//
// and outputs h'. Shapes are RNN's.
type GRU struct {
	Weights []RNNWeights // as RNN's
	recurrent
}

// NewRNN returns an RNN from in to hidden features with the settings of
// cfg, its weights and biases drawn from U(−1/√hidden, 1/√hidden) as
// PyTorch draws them. Dropout between layers draws from rng.
func NewRNN(rng *rand.Rand, in, hidden int, cfg RNNConfig) *RNN {
	c := cellTanh
	switch cfg.Nonlinearity {
	case "", "tanh":
	case "relu":
		c = cellReLU
	default:
		panic(&Error{Op: "NewRNN", Detail: fmt.Sprintf("nonlinearity %q: want \"tanh\" or \"relu\"", cfg.Nonlinearity)})
	}
	r := &RNN{recurrent: newRecurrent("RNN", c, in, hidden, cfg, rng)}
	r.Weights = r.initWeights(rng)
	return r
}

// NewLSTM returns an LSTM from in to hidden features with the settings of
// cfg, initialized as NewRNN is.
func NewLSTM(rng *rand.Rand, in, hidden int, cfg RNNConfig) *LSTM {
	r := &LSTM{recurrent: newRecurrent("LSTM", cellLSTM, in, hidden, cfg, rng)}
	r.Weights = r.initWeights(rng)
	return r
}

// NewGRU returns a GRU from in to hidden features with the settings of
// cfg, initialized as NewRNN is.
func NewGRU(rng *rand.Rand, in, hidden int, cfg RNNConfig) *GRU {
	r := &GRU{recurrent: newRecurrent("GRU", cellGRU, in, hidden, cfg, rng)}
	r.Weights = r.initWeights(rng)
	return r
}

// recurrent is what RNN, LSTM and GRU share: their settings, and the
// code that runs them, given their weights.
type recurrent struct {
	name          string // "RNN", "LSTM" or "GRU"
	cell          cell
	in, hidden    int
	layers        int
	bidirectional bool
	batchFirst    bool
	bias          bool
	dropout       *Dropout
}

func newRecurrent(name string, c cell, in, hidden int, cfg RNNConfig, rng *rand.Rand) recurrent {
	op := "New" + name
	layers := cfg.NumLayers
	if layers == 0 {
		layers = 1
	}
	switch {
	case in <= 0 || hidden <= 0:
		panic(&Error{Op: op, Detail: fmt.Sprintf("in %d and hidden %d features must be positive", in, hidden)})
	case layers < 0:
		panic(&Error{Op: op, Detail: fmt.Sprintf("%d layers: want a positive number (0 means 1)", cfg.NumLayers)})
	case cfg.Nonlinearity != "" && name != "RNN":
		panic(&Error{Op: op, Detail: fmt.Sprintf("nonlinearity %q: only RNN takes one", cfg.Nonlinearity)})
	case !(cfg.Dropout >= 0 && cfg.Dropout <= 1):
		panic(&Error{Op: op, Detail: fmt.Sprintf("dropout probability %v outside [0, 1]", cfg.Dropout)})
	}
	r := recurrent{
		name: name, cell: c, in: in, hidden: hidden, layers: layers,
		bidirectional: cfg.Bidirectional, batchFirst: cfg.BatchFirst,
		bias: cfg.Bias == nil || *cfg.Bias, dropout: NewDropout(rng, cfg.Dropout),
	}
	checkParamSize(op, "weight", c.gates()*hidden, max(in, r.directions()*hidden))
	return r
}

// initWeights draws the weights of every layer and direction from
// U(−1/√hidden, 1/√hidden) in the order of Parameters, as PyTorch does.
func (r *recurrent) initWeights(rng *rand.Rand) []RNNWeights {
	gh := r.cell.gates() * r.hidden
	bound := 1 / math.Sqrt(float64(r.hidden))
	draw := func(shape ...int) *autograd.Var {
		return autograd.Param(tensor.Uniform(rng, -bound, bound, shape...))
	}
	var ws []RNNWeights
	for k := range r.layers * r.directions() {
		width := r.in
		if k >= r.directions() {
			width = r.directions() * r.hidden
		}
		w := RNNWeights{IH: draw(gh, width), HH: draw(gh, r.hidden)}
		if r.bias {
			w.BiasIH, w.BiasHH = draw(gh), draw(gh)
		}
		ws = append(ws, w)
	}
	return ws
}

// directions is 2 for a bidirectional network, else 1.
func (r *recurrent) directions() int {
	if r.bidirectional {
		return 2
	}
	return 1
}

// Forward returns the output of every step of the last layer (both
// directions' concatenated), from zero initial states, as Run does with no
// RNNInput.
func (r *RNN) Forward(x *autograd.Var) *autograd.Var {
	out, _ := r.run(r.Weights, x, RNNInput{})
	return out
}

// Forward is RNN's Forward.
func (r *LSTM) Forward(x *autograd.Var) *autograd.Var {
	out, _ := r.run(r.Weights, x, RNNInput{})
	return out
}

// Forward is RNN's Forward.
func (r *GRU) Forward(x *autograd.Var) *autograd.Var {
	out, _ := r.run(r.Weights, x, RNNInput{})
	return out
}

// Run runs the network over the sequences x, [steps batch in] ([batch
// steps in] with BatchFirst, [steps in] for one sequence), from the
// initial states and with the lengths that in gives. It returns the
// output of every step of the last layer, [steps batch directions·hidden]
// (batch first with BatchFirst, [steps directions·hidden] for one
// sequence), and the final states of every layer and direction.
//
// The network computes in the dtype of its weights (see To), which x and
// the initial states must share. Wrong shapes or dtypes, an initial cell
// state for a network that has none, and lengths that are not one per
// sequence in [0, steps] panic with an *Error naming the layer and what it
// wants.
func (r *RNN) Run(x *autograd.Var, in RNNInput) (*autograd.Var, RNNState) {
	return r.run(r.Weights, x, in)
}

// Run is RNN's Run; the state includes the cell state C.
func (r *LSTM) Run(x *autograd.Var, in RNNInput) (*autograd.Var, RNNState) {
	return r.run(r.Weights, x, in)
}

// Run is RNN's Run.
func (r *GRU) Run(x *autograd.Var, in RNNInput) (*autograd.Var, RNNState) {
	return r.run(r.Weights, x, in)
}

// Parameters returns the weights of every layer and direction under
// PyTorch's names, in its order: weight_ih_l0, weight_hh_l0, bias_ih_l0,
// bias_hh_l0, then weight_ih_l0_reverse, … for a bidirectional network,
// then weight_ih_l1, ….
func (r *RNN) Parameters() []Param { return r.parameters(r.Weights) }

// Parameters returns the weights under PyTorch's names, as RNN's.
func (r *LSTM) Parameters() []Param { return r.parameters(r.Weights) }

// Parameters returns the weights under PyTorch's names, as RNN's.
func (r *GRU) Parameters() []Param { return r.parameters(r.Weights) }

// String describes the layer as PyTorch prints it, which leaves out the
// nonlinearity.
func (r *RNN) String() string { return r.describe() }

// String describes the layer as PyTorch prints it.
func (r *LSTM) String() string { return r.describe() }

// String describes the layer as PyTorch prints it.
func (r *GRU) String() string { return r.describe() }

// run is Run with the network's weights.
func (r *recurrent) run(weights []RNNWeights, x *autograd.Var, in RNNInput) (*autograd.Var, RNNState) {
	op := fmt.Sprintf("%s(%d, %d)", r.name, r.in, r.hidden)
	D, H := r.directions(), r.hidden
	xs := x.Value.Shape()
	if len(xs) < 2 || len(xs) > 3 || xs[len(xs)-1] != r.in {
		layout := "steps batch"
		if r.batchFirst {
			layout = "batch steps"
		}
		panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("input %v: want [%s %d], or [steps %d] for one sequence", xs, layout, r.in, r.in)})
	}
	batched := len(xs) == 3
	T, N := xs[0], 1
	if batched {
		N = xs[1]
		if r.batchFirst {
			T, N = xs[1], xs[0]
		}
	}
	stateShape := []int{r.layers * D, N, H}
	if !batched {
		stateShape = []int{r.layers * D, H}
	}
	for _, s := range []struct {
		name string
		v    *autograd.Var
	}{{"initial hidden state", in.H0}, {"initial cell state", in.C0}} {
		if s.v != nil && !slices.Equal(s.v.Value.Shape(), stateShape) {
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("%s %v: want %v (layers·directions, batch, hidden)", s.name, s.v.Value.Shape(), stateShape)})
		}
	}
	if in.C0 != nil && r.cell != cellLSTM {
		panic(&Error{Op: op, Detail: "an initial cell state: only an LSTM has one"})
	}
	if in.Lengths != nil {
		if len(in.Lengths) != N {
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("%d lengths for a batch of %d sequences", len(in.Lengths), N)})
		}
		for i, l := range in.Lengths {
			if l < 0 || l > T {
				panic(&Error{Op: op, Kind: tensor.ErrIndex, Detail: fmt.Sprintf("length %d of sequence %d: want one in [0, %d], the input's steps", l, i, T)})
			}
		}
	}

	r.checkWeights(op, weights)
	r.checkDTypes(op, weights, x, in)

	w := sweep{cell: r.cell, steps: T, batch: N, hidden: H, batchFirst: batched && r.batchFirst, lengths: in.Lengths}
	initial := func(s *autograd.Var, k int) *autograd.Var {
		if s == nil {
			return nil
		}
		return s.Reshape(r.layers*D, N, H).Slice(0, k, k+1).Reshape(N, H)
	}
	layerIn := x.Reshape(T*N, r.in)
	var hs, cs []*autograd.Var
	for l := range r.layers {
		if l > 0 {
			layerIn = r.dropout.Forward(layerIn)
		}
		outs := make([]*autograd.Var, D)
		for d := range D {
			k := l*D + d
			wt := weights[k]
			dw := w
			dw.reverse = d == 1
			var hn, cn *autograd.Var
			outs[d], hn, cn = dw.run(layerIn.Linear(wt.IH, wt.BiasIH), wt, initial(in.H0, k), initial(in.C0, k))
			hs, cs = append(hs, hn), append(cs, cn)
		}
		layerIn = outs[0]
		if D == 2 {
			layerIn = autograd.Concat(1, outs...)
		}
	}
	outShape := []int{T, N, D * H}
	switch {
	case !batched:
		outShape = []int{T, D * H}
	case r.batchFirst:
		outShape = []int{N, T, D * H}
	}
	state := RNNState{H: autograd.Stack(0, hs...).Reshape(stateShape...)}
	if r.cell == cellLSTM {
		state.C = autograd.Stack(0, cs...).Reshape(stateShape...)
	}
	return layerIn.Reshape(outShape...), state
}

// checkWeights panics, naming the layer op, unless weights has the shapes
// the network's settings give, as a user who replaced one might not.
func (r *recurrent) checkWeights(op string, weights []RNNWeights) {
	D, gh := r.directions(), r.cell.gates()*r.hidden
	if len(weights) != r.layers*D {
		panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("%d sets of weights for %d layers and %d directions", len(weights), r.layers, D)})
	}
	shape := func(v *autograd.Var) []int {
		if v == nil {
			return nil
		}
		return v.Value.Shape()
	}
	for k, w := range weights {
		width := r.in
		if k >= D {
			width = D * r.hidden
		}
		want := [][]int{{gh, width}, {gh, r.hidden}, {gh}, {gh}}
		if !r.bias {
			want[2], want[3] = nil, nil
		}
		got := [][]int{shape(w.IH), shape(w.HH), shape(w.BiasIH), shape(w.BiasHH)}
		if !slices.EqualFunc(got, want, slices.Equal) {
			panic(&Error{Op: op, Kind: tensor.ErrShape, Detail: fmt.Sprintf("weights %d (IH, HH, BiasIH, BiasHH) have shapes %v; want %v", k, got, want)})
		}
	}
}

// checkDTypes panics, naming the layer op and the tensor at fault, unless
// the input, the initial states and every weight have the dtype of the
// first weight: a network computes in one dtype, and converting silently
// would hide a model left in the other.
func (r *recurrent) checkDTypes(op string, weights []RNNWeights, x *autograd.Var, in RNNInput) {
	want := weights[0].IH.Value.DType()
	check := func(name string, v *autograd.Var, convert string) {
		if v != nil && v.Value.DType() != want {
			panic(&Error{Op: op, Kind: tensor.ErrDType, Detail: fmt.Sprintf("%s is %v but the weights are %v: convert %s", name, v.Value.DType(), want, convert)})
		}
	}
	toWant := fmt.Sprintf("it with To(%s)", dtypeConstant(want))
	check("the input", x, toWant+", or the model with nn.To")
	check("the initial hidden state", in.H0, toWant)
	check("the initial cell state", in.C0, toWant)
	for _, p := range r.parameters(weights) {
		check(p.Name, p.Var, "the whole model with nn.To")
	}
}

// parameters names weights as PyTorch does.
func (r *recurrent) parameters(weights []RNNWeights) []Param {
	ps := make([]Param, 0, 4*len(weights))
	D := r.directions()
	for k, w := range weights {
		suffix := "_l" + strconv.Itoa(k/D)
		if k%D == 1 {
			suffix += "_reverse"
		}
		ps = append(ps, Param{Name: "weight_ih" + suffix, Var: w.IH}, Param{Name: "weight_hh" + suffix, Var: w.HH})
		if w.BiasIH != nil {
			ps = append(ps, Param{Name: "bias_ih" + suffix, Var: w.BiasIH}, Param{Name: "bias_hh" + suffix, Var: w.BiasHH})
		}
	}
	return ps
}

// describe prints the layer as PyTorch does.
func (r *recurrent) describe() string {
	s := fmt.Sprintf("%s(%d, %d", r.name, r.in, r.hidden)
	if r.layers != 1 {
		s += fmt.Sprintf(", num_layers=%d", r.layers)
	}
	if !r.bias {
		s += ", bias=False"
	}
	if r.batchFirst {
		s += ", batch_first=True"
	}
	if r.dropout.P != 0 {
		s += ", dropout=" + pyFloat(r.dropout.P)
	}
	if r.bidirectional {
		s += ", bidirectional=True"
	}
	return s + ")"
}
