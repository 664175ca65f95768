package main

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// CharLM is the language model: each character's embedding goes through an
// LSTM (batch first), and a linear head turns every step's output into the
// scores of the next character. Its parameters are named as the attributes
// of bench/torch/charlm.py's module (embed.weight, lstm.weight_ih_l0, …,
// head.bias), so that a -save file loads there strictly.
type CharLM struct {
	Embed *nn.Embedding
	LSTM  *nn.LSTM
	Head  *nn.Linear
}

// newCharLM returns the model, initialized as PyTorch initializes its
// layers, drawing from rng.
func newCharLM(rng *rand.Rand, embed, hidden, layers int, dropout float64) *CharLM {
	return &CharLM{
		Embed: nn.NewEmbedding(rng, vocabSize, embed, nn.EmbeddingConfig{}),
		LSTM:  nn.NewLSTM(rng, embed, hidden, nn.RNNConfig{NumLayers: layers, BatchFirst: true, Dropout: dropout}),
		Head:  nn.NewLinear(rng, hidden, vocabSize),
	}
}

// Forward takes symbols [batch steps] and returns the scores of the
// character after each, [batch·steps vocabSize], the rows in the inputs'
// order, the form nn.CrossEntropy takes.
func (m *CharLM) Forward(x *autograd.Var) *autograd.Var {
	out, _ := m.run(x, nn.RNNInput{})
	return out
}

// run is Forward from the given states, returning the LSTM's final ones.
func (m *CharLM) run(x *autograd.Var, in nn.RNNInput) (*autograd.Var, nn.RNNState) {
	e := m.Embed.Forward(x)
	// nn.Embedding's result takes its mode from the weights alone, so a
	// NoGrad input would lose its evaluation mode there, and the LSTM would
	// build a graph and drop out between layers while evaluating. The
	// indices never take a gradient, so an evaluated input's embedding is
	// NoGrad too.
	if x.Evaluating() && !x.RequiresGrad() {
		e = autograd.NoGrad(e.Value)
	}
	h, state := m.LSTM.Run(e, in)
	return m.Head.Forward(h.Reshape(-1, h.Shape()[2])), state
}

// Parameters returns embed.*, lstm.* and head.*, PyTorch's names.
func (m *CharLM) Parameters() []nn.Param {
	return nn.JoinParameters("embed", m.Embed, "lstm", m.LSTM, "head", m.Head)
}

// String prints the model as PyTorch prints its twin.
func (m *CharLM) String() string { return nn.Repr(m) }

// sequenceLoss is the mean cross-entropy of the scores [batch·steps V]
// against the next characters [batch steps], in nats per character.
func sequenceLoss(logits, next *autograd.Var) *autograd.Var {
	return nn.CrossEntropy(logits, next.Reshape(-1))
}

// charAccuracy is next-character accuracy: nn.Accuracy over every step of
// every sequence.
type charAccuracy struct{ nn.Accuracy }

// Update counts the steps of a batch: scores [batch·steps V], next
// characters [batch steps].
func (a *charAccuracy) Update(pred, next *tensor.Tensor) { a.Accuracy.Update(pred, next.Reshape(-1)) }

// sample returns n characters that the model writes after prompt,
// drawing each from the softmax of its scores divided by temperature
// (or the most likely, for temperature 0) with rng. It evaluates the
// model one character at a time, carrying the LSTM's state.
func (m *CharLM) sample(rng *rand.Rand, prompt string, n int, temperature float64) string {
	var in []float64
	for _, r := range prompt {
		in = append(in, float64(symbolOf(r)))
	}
	if len(in) == 0 {
		in = []float64{float64(symbolOf('\n'))}
	}
	var b strings.Builder
	var state nn.RNNState
	for range n {
		logits, next := m.run(autograd.NoGrad(tensor.New(in, 1, len(in))), nn.RNNInput{H0: state.H, C0: state.C})
		state = next
		scores := logits.Value.Float64s()[(len(in)-1)*vocabSize:]
		s := draw(rng, scores, temperature)
		b.WriteRune(charOf(s))
		in = []float64{float64(s)}
	}
	return b.String()
}

// draw returns a symbol drawn from softmax(scores/temperature), or the
// first of the highest scores for temperature 0.
func draw(rng *rand.Rand, scores []float64, temperature float64) int {
	best := 0
	for i, v := range scores {
		if v > scores[best] {
			best = i
		}
	}
	if temperature == 0 {
		return best
	}
	// exp((v − max)/T) is at most 1, so no term overflows.
	p := make([]float64, len(scores))
	total := 0.0
	for i, v := range scores {
		p[i] = math.Exp((v - scores[best]) / temperature)
		total += p[i]
	}
	u := rng.Float64() * total
	for i, w := range p {
		if u < w {
			return i
		}
		u -= w
	}
	return best // u ≥ total by rounding: the mass ends at the last term
}
