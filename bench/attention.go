package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
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
// pass (dropout 0.1, off in evaluation), minidl in float64 and float32 on
// GOMAXPROCS threads against PyTorch in the same dtype on as many threads
// and on one (its fastest setting for small products), interleaved.
func (b *bench) attention() {
	n := runtime.GOMAXPROCS(0)
	type run struct {
		label      string
		dtype      tensor.DType
		minidl     bool
		threads    int
		step, eval series
	}
	dtypes := []tensor.DType{tensor.Float64, tensor.Float32}
	var runs []*run
	for _, dtype := range dtypes {
		runs = append(runs, &run{label: fmt.Sprintf("minidl %v, %s", dtype, threads(n)), dtype: dtype, minidl: true})
	}
	threadCounts := []int{n}
	if n > 1 {
		threadCounts = append(threadCounts, 1)
	}
	for _, dtype := range dtypes {
		for _, t := range threadCounts {
			if b.torch {
				runs = append(runs, &run{label: fmt.Sprintf("PyTorch %v, %s", dtype, threads(t)), dtype: dtype, threads: t})
			}
		}
	}
	for range b.rounds {
		for _, r := range runs {
			for _, eval := range []bool{false, true} {
				s := &r.step
				if eval {
					s = &r.eval
				}
				if r.minidl {
					s.add(attnBatch / minidlAttention(r.dtype, eval))
					continue
				}
				args := []string{"--dtype", r.dtype.String(), "--threads", strconv.Itoa(r.threads)}
				if eval {
					args = append(args, "--eval")
				}
				lines, err := b.python3("attention.py", args...)
				if v, ok := last(lines)["sequences_per_second"].(float64); ok && err == nil {
					s.add(v)
				} else {
					s.fail(reason(err, "no sequences_per_second"))
				}
			}
		}
	}
	fmt.Printf("## Attention block (transformer encoder layer: d_model %d, %d heads, feed-forward %d; %d sequences of %d, key padding mask), sequences/s\n\n",
		attnModel, attnHeads, attnFF, attnBatch, attnSeq)
	fmt.Println("| run | training step | minidl of its dtype / this run | evaluation forward | minidl of its dtype / this run |")
	fmt.Println("|---|---|---|---|---|")
	for _, r := range runs {
		stepRatio, evalRatio := "", ""
		if !r.minidl {
			ours := runs[slices.Index(dtypes, r.dtype)] // the minidl runs come first, in dtypes' order
			stepRatio, evalRatio = ratio(&ours.step, &r.step), ratio(&ours.eval, &r.eval)
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.label, r.step.cell("%.0f"), stepRatio, r.eval.cell("%.0f"), evalRatio)
	}
	fmt.Println()
}

// minidlAttention returns the seconds a training step (or, with eval, an
// evaluation forward pass) of the attention block in dtype takes, timed
// as torch/attention.py times PyTorch's.
func minidlAttention(dtype tensor.DType, eval bool) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	dropout := 0.0
	if eval {
		dropout = 0.1
	}
	layer := nn.NewTransformerEncoderLayer(rng, attnModel, attnHeads, nn.TransformerEncoderLayerConfig{DimFeedforward: attnFF, Dropout: &dropout, BatchFirst: true})
	nn.To(layer, dtype)
	x := tensor.Normal(rng, 0, 1, attnBatch, attnSeq, attnModel).To(dtype)
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
