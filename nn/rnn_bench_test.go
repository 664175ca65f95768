package nn

import (
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// The LSTM step of bench/torch/lstm.py: one training step (forward, loss,
// backward; no optimizer) of a one-layer LSTM from 32 to 128 features on a
// batch of 64 sequences of 50 steps, the loss the mean square of every
// step's output.
const (
	lstmBenchIn, lstmBenchHidden, lstmBenchBatch, lstmBenchSteps = 32, 128, 64, 50
)

// BenchmarkLSTMStep is bench/torch/lstm.py's step in minidl.
func BenchmarkLSTMStep(b *testing.B) {
	rng := newRNG()
	m := NewLSTM(rng, lstmBenchIn, lstmBenchHidden, RNNConfig{})
	x := autograd.Const(tensor.Normal(rng, 0, 1, lstmBenchSteps, lstmBenchBatch, lstmBenchIn))
	for b.Loop() {
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		m.Forward(x).Square().Mean().Backward()
	}
	b.ReportMetric(lstmBenchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}

// BenchmarkLSTMForward is the step's forward pass alone, in evaluation.
func BenchmarkLSTMForward(b *testing.B) {
	rng := newRNG()
	m := NewLSTM(rng, lstmBenchIn, lstmBenchHidden, RNNConfig{})
	x := autograd.NoGrad(tensor.Normal(rng, 0, 1, lstmBenchSteps, lstmBenchBatch, lstmBenchIn))
	for b.Loop() {
		m.Forward(x)
	}
	b.ReportMetric(lstmBenchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}

// BenchmarkLSTMStepComposed is the same step with the cell written from
// autograd operations, step by step, as a user could write it: the
// measure of what the fused sweep saves.
func BenchmarkLSTMStepComposed(b *testing.B) {
	rng := newRNG()
	m := NewLSTM(rng, lstmBenchIn, lstmBenchHidden, RNNConfig{})
	w := m.Weights[0]
	H := lstmBenchHidden
	x := autograd.Const(tensor.Normal(rng, 0, 1, lstmBenchSteps, lstmBenchBatch, lstmBenchIn))
	for b.Loop() {
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		xp := x.Reshape(-1, lstmBenchIn).Linear(w.IH, w.BiasIH).Reshape(lstmBenchSteps, lstmBenchBatch, 4*H)
		h := autograd.Const(tensor.Zeros(lstmBenchBatch, H))
		c := autograd.Const(tensor.Zeros(lstmBenchBatch, H))
		outs := make([]*autograd.Var, lstmBenchSteps)
		for t := range lstmBenchSteps {
			g := xp.Slice(0, t, t+1).Reshape(lstmBenchBatch, 4*H).Add(h.Linear(w.HH, w.BiasHH))
			i, f := g.Slice(1, 0, H).Sigmoid(), g.Slice(1, H, 2*H).Sigmoid()
			gg, o := g.Slice(1, 2*H, 3*H).Tanh(), g.Slice(1, 3*H, 4*H).Sigmoid()
			c = f.Mul(c).Add(i.Mul(gg))
			h = o.Mul(c.Tanh())
			outs[t] = h
		}
		autograd.Stack(0, outs...).Square().Mean().Backward()
	}
	b.ReportMetric(lstmBenchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}

// BenchmarkLSTMStepFloat32 is BenchmarkLSTMStep with the model and the
// input in float32.
func BenchmarkLSTMStepFloat32(b *testing.B) {
	rng := newRNG()
	m := NewLSTM(rng, lstmBenchIn, lstmBenchHidden, RNNConfig{})
	To(m, tensor.Float32)
	x := autograd.Const(tensor.Normal(rng, 0, 1, lstmBenchSteps, lstmBenchBatch, lstmBenchIn).To(tensor.Float32))
	for b.Loop() {
		for _, p := range m.Parameters() {
			p.Var.ZeroGrad()
		}
		m.Forward(x).Square().Mean().Backward()
	}
	b.ReportMetric(lstmBenchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}
