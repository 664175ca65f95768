package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// The attention block of torch/attention.py and nn's
// BenchmarkAttentionBlockStep: a transformer encoder layer, d_model 128, 8
// heads, feed-forward 512, batch first, on 32 sequences of 64 steps with a
// key padding mask.
const (
	attnBatch, attnSeq, attnModel, attnHeads, attnFF = 32, 64, 128, 8, 512
)

// attention compares sequences per second through the attention block: a
// training step (forward, backward; dropout 0) and an evaluation forward
// pass (dropout 0.1, off in evaluation), minidl in float64 against PyTorch
// in float64 and float32, on GOMAXPROCS threads.
func (b *bench) attention() {
	n := runtime.GOMAXPROCS(0)
	passes := []struct {
		label string
		eval  bool
	}{{"training step", false}, {"evaluation forward", true}}
	ours, torch64, torch32 := make([]series, len(passes)), make([]series, len(passes)), make([]series, len(passes))
	for range b.rounds {
		for i, p := range passes {
			ours[i].add(attnBatch / minidlAttention(p.eval))
			if !b.torch {
				continue
			}
			for _, t := range []struct {
				dtype string
				s     *series
			}{{"float64", &torch64[i]}, {"float32", &torch32[i]}} {
				args := []string{"--dtype", t.dtype, "--threads", strconv.Itoa(n)}
				if p.eval {
					args = append(args, "--eval")
				}
				lines, err := b.python3("attention.py", args...)
				if v, ok := last(lines)["sequences_per_second"].(float64); ok && err == nil {
					t.s.add(v)
				} else {
					t.s.fail(reason(err, "no sequences_per_second"))
				}
			}
		}
	}
	fmt.Printf("## Attention block (transformer encoder layer: d_model %d, %d heads, feed-forward %d; %d sequences of %d, key padding mask), sequences/s, %s\n\n",
		attnModel, attnHeads, attnFF, attnBatch, attnSeq, threads(n))
	fmt.Println("| pass | minidl float64 | PyTorch float64 | PyTorch float32 | minidl / PyTorch float64 | minidl / PyTorch float32 |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, p := range passes {
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", p.label, ours[i].cell("%.0f"), torch64[i].cell("%.0f"), torch32[i].cell("%.0f"),
			ratio(&ours[i], &torch64[i]), ratio(&ours[i], &torch32[i]))
	}
	fmt.Println()
}

// minidlAttention returns the seconds a training step (or, with eval, an
// evaluation forward pass) of the attention block takes, timed as
// torch/attention.py times PyTorch's.
func minidlAttention(eval bool) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	dropout := 0.0
	if eval {
		dropout = 0.1
	}
	layer := nn.NewTransformerEncoderLayer(rng, attnModel, attnHeads, nn.TransformerEncoderLayerConfig{DimFeedforward: attnFF, Dropout: &dropout, BatchFirst: true})
	x := tensor.Normal(rng, 0, 1, attnBatch, attnSeq, attnModel)
	lengths := make([]int, attnBatch)
	for i := range lengths {
		lengths[i] = attnSeq - i%8
	}
	masks := nn.AttentionMasks{KeyPaddingMask: nn.PaddingMask(lengths, attnSeq)}
	if eval {
		return timeBest(func() { layer.Encode(autograd.NoGrad(x), masks) })
	}
	params := layer.Parameters()
	return timeBest(func() {
		for _, p := range params {
			p.Var.ZeroGrad()
		}
		layer.Encode(autograd.Const(x), masks).Sum().Backward()
	})
}
