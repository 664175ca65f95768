package main

import (
	"bytes"
	"fmt"
	"go/format"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// The learned rule's model is trained here, with minidl, on features of
// curves' prefixes (callbacks.ReplayFeatures) labelled by whether
// continuing paid: whether some later epoch was a better place to stop, by
// learnMargin or more in the study's objective (the relative test error of
// the epoch restored + costWeight · the share of the budget spent).
const (
	learnMargin  = 0.01
	learnHidden  = 8     // tanh units
	learnSteps   = 400   // full-batch Adam steps
	learnRate    = 0.01  // Adam's rate
	learnDecay   = 1e-4  // Adam's L2 penalty
	learnSamples = 60000 // at most this many prefixes, taken evenly from each curve
	learnSeed    = 21    // the initial weights' generator
)

// learnThresholds are the learned rule's free parameter: the probability
// of paying below which it stops.
var learnThresholds = []float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.3}

// learnedRule is the study's learned rule, retrained on the tasks it is
// chosen on.
func learnedRule() rule {
	return rule{name: "learned", family: "minidl", learn: func(train []callbacks.Curve) []setting {
		m := trainStopModel(train)
		var grid []setting
		for _, th := range learnThresholds {
			grid = append(grid, setting{fmt.Sprintf("learned, threshold %g", th),
				callbacks.EarlyStoppingConfig{Learned: &callbacks.LearnedConfig{Model: m, Threshold: th}}})
		}
		return grid
	}}
}

// stopSamples returns the learned rule's training data from curves: the
// features of each prefix and whether continuing paid. Curves whose best
// test error is 0 (no relative regret) are left out.
func stopSamples(curves []callbacks.Curve) (x [][]float64, y []float64) {
	total := 0
	for _, c := range curves {
		total += c.Epochs()
	}
	every := max(1, (total+learnSamples-1)/learnSamples)
	for _, c := range curves {
		testErr := c.Series["test_error"]
		bestTest := slices.Min(testErr)
		if !(bestTest > 0) {
			continue
		}
		samples := callbacks.ReplayFeatures(callbacks.EarlyStoppingConfig{}, c)
		if len(samples) == 0 {
			continue
		}
		n := float64(c.Epochs())
		// j[i]: the objective of stopping at sample i; later[i]: the least
		// objective of stopping at a later one.
		j := make([]float64, len(samples))
		for i, s := range samples {
			j[i] = testErr[s.BestEpoch]/bestTest - 1 + costWeight*float64(s.Epoch+1)/n
		}
		later := math.Inf(1)
		for i := len(samples) - 1; i >= 0; i-- {
			if i%every == 0 {
				label := 0.0
				if later < j[i]-learnMargin {
					label = 1
				}
				x, y = append(x, samples[i].Features), append(y, label)
			}
			later = min(later, j[i])
		}
	}
	return x, y
}

// trainStopModel trains the learned rule's model on curves: a layer of
// learnHidden tanh units and a logistic output, on standardized features,
// by full-batch Adam on the binary cross-entropy. Everything is fixed or
// seeded, so the same curves give the same model bit for bit.
func trainStopModel(curves []callbacks.Curve) *callbacks.StopModel {
	x, y := stopSamples(curves)
	if len(x) == 0 {
		panic("stopstudy: no curve to train the learned rule on has a relative regret")
	}
	nf := len(x[0])
	mean, scale := make([]float64, nf), make([]float64, nf)
	for _, row := range x {
		for i, v := range row {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(len(x))
	}
	for _, row := range x {
		for i, v := range row {
			scale[i] += (v - mean[i]) * (v - mean[i])
		}
	}
	for i := range scale {
		scale[i] = math.Sqrt(scale[i]/float64(len(x))) + 1e-9
	}
	flat := make([]float64, 0, len(x)*nf)
	for _, row := range x {
		for i, v := range row {
			flat = append(flat, (v-mean[i])/scale[i])
		}
	}
	xs := autograd.Const(tensor.New(flat, len(x), nf))
	ys := autograd.Const(tensor.New(slices.Clone(y), len(y), 1))
	rng := rand.New(rand.NewPCG(learnSeed, 0))
	hidden, out := nn.NewLinear(rng, nf, learnHidden), nn.NewLinear(rng, learnHidden, 1)
	model := nn.NewSequential(hidden, nn.Tanh(), out)
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: learnRate, WeightDecay: learnDecay})
	for range learnSteps {
		opt.ZeroGrad()
		nn.BCEWithLogits(model.Forward(xs), ys).Backward()
		opt.Step()
	}
	m := &callbacks.StopModel{Mean: mean, Scale: scale, Threshold: 0.5}
	w, b := hidden.Weight.Value.Data(), hidden.Bias.Value.Data()
	for u := range learnHidden {
		m.Hidden = append(m.Hidden, append(slices.Clone(w[u*nf:(u+1)*nf]), b[u]))
	}
	m.Out = append(slices.Clone(out.Weight.Value.Data()), out.Bias.Value.Data()[0])
	return m
}

// stopModelSource returns the Go source of callbacks/stopmodel.go, which
// ships m with the package.
func stopModelSource(m *callbacks.StopModel, provenance string) ([]byte, error) {
	var b bytes.Buffer
	list := func(v []float64) string {
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	fmt.Fprintf(&b, "// Code generated by `go run ./cmd/stopstudy -learn`; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package callbacks\n\n")
	fmt.Fprintf(&b, "// ShippedStopModel returns the learned rule's model as minidl ships it,\n// trained %s.\n", provenance)
	fmt.Fprintf(&b, "func ShippedStopModel() *StopModel {\n\treturn &StopModel{\n")
	fmt.Fprintf(&b, "\t\tMean: []float64%s,\n\t\tScale: []float64%s,\n\t\tHidden: [][]float64{\n", list(m.Mean), list(m.Scale))
	for _, row := range m.Hidden {
		fmt.Fprintf(&b, "\t\t\t%s,\n", list(row))
	}
	fmt.Fprintf(&b, "\t\t},\n\t\tOut: []float64%s,\n\t\tThreshold: %s,\n\t}\n}\n", list(m.Out), strconv.FormatFloat(m.Threshold, 'g', -1, 64))
	return format.Source(b.Bytes())
}

// shippedStopModel trains the model minidl ships on every curve, with the
// threshold the study's objective picks on them.
func shippedStopModel(curves []callbacks.Curve) *callbacks.StopModel {
	r := learnedRule()
	grid := r.learn(curves)
	out := make([][]outcome, len(grid))
	for g, st := range grid {
		for _, c := range curves {
			out[g] = append(out[g], measure(st, c))
		}
	}
	st := grid[bestSetting(out, func(callbacks.Curve) bool { return true }, curves)]
	m := st.cfg.Learned.Model
	m.Threshold = st.cfg.Learned.Threshold
	return m
}
