package nn

import (
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// The attention block of bench's attention row (bench/torch/attention.py):
// a transformer encoder layer, d_model 128, 8 heads, feed-forward 512,
// batch first, on 32 sequences of 64 steps with a key padding mask.
const (
	benchBatch, benchSeq, benchModel, benchHeads, benchFF = 32, 64, 128, 8, 512
)

func benchEncoderLayer(dropout float64) (*TransformerEncoderLayer, *tensor.Tensor, AttentionMasks) {
	rng := newRNG()
	l := NewTransformerEncoderLayer(rng, benchModel, benchHeads, TransformerEncoderLayerConfig{DimFeedforward: benchFF, Dropout: &dropout, BatchFirst: true})
	x := tensor.Normal(rng, 0, 1, benchBatch, benchSeq, benchModel)
	lengths := make([]int, benchBatch)
	for i := range lengths {
		lengths[i] = benchSeq - i%8
	}
	return l, x, AttentionMasks{KeyPaddingMask: PaddingMask(lengths, benchSeq)}
}

// BenchmarkAttentionBlockStep is one training step of the block: forward
// and backward from the sum of its output, dropout off.
func BenchmarkAttentionBlockStep(b *testing.B) {
	l, x, masks := benchEncoderLayer(0)
	xv := autograd.Const(x)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range l.Parameters() {
			p.Var.ZeroGrad()
		}
		l.Encode(xv, masks).Sum().Backward()
	}
	b.ReportMetric(benchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}

// BenchmarkAttentionBlockEval is the block's forward pass in evaluation.
func BenchmarkAttentionBlockEval(b *testing.B) {
	l, x, masks := benchEncoderLayer(0.1)
	xv := autograd.NoGrad(x)
	b.ReportAllocs()
	for b.Loop() {
		l.Encode(xv, masks)
	}
	b.ReportMetric(benchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}

// BenchmarkAttentionBlockStepFloat32 is BenchmarkAttentionBlockStep with
// the layer and the input in float32 (the float64 padding mask, which the
// layer converts).
func BenchmarkAttentionBlockStepFloat32(b *testing.B) {
	l, x, masks := benchEncoderLayer(0)
	To(l, tensor.Float32)
	xv := autograd.Const(x.To(tensor.Float32))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range l.Parameters() {
			p.Var.ZeroGrad()
		}
		l.Encode(xv, masks).Sum().Backward()
	}
	b.ReportMetric(benchBatch*float64(b.N)/b.Elapsed().Seconds(), "sequences/s")
}
