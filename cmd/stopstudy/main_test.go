package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/callbacks"
)

// TestSmallCorpusStudy runs the study on the checked-in corpus and pins
// some of its numbers: a change to a rule, to the replay or to the
// measures shows here.
func TestSmallCorpusStudy(t *testing.T) {
	var out, errOut bytes.Buffer
	svg := filepath.Join(t.TempDir(), "study.svg")
	if code := run(context.Background(), []string{"-svg", svg}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"# Early stopping on 28 curves (iris, wine, breast_cancer, digits, diabetes, moons, spirals)",
		"| patience 10 | 0.224 | 0.350 | 0.104 | 0.0159 | 0.21 | 2.09 | +0.007 |  |",
		"| patience 20 | 0.281 | 0.213 | 0.068 | 0.0153 | 0.18 | 3.35 | -0.029 | ✓ |",
		"| GL 5 | 0.177 | 1.031 | 0.181 | 0.0200 | 0.43 | 1.36 | +0.284 |  |",
		"| full budget, best validation epoch | 1.000 | 0.312 | 0.144 | 0.0164 | 0.00 | 36.73 | +0.000 |  |",
		"Chosen on iris, wine, digits, moons: patience 5, increase 0.5.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the study lacks %q", want)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil || !bytes.HasPrefix(b, []byte("<svg")) || !bytes.Contains(b, []byte("<polyline")) {
		t.Errorf("chart: %v, %.80s", err, b)
	}
}

// TestMeasure checks the measures on a curve worked out by hand.
func TestMeasure(t *testing.T) {
	c := callbacks.Curve{Series: map[string][]float64{
		"val_loss":   {1, 0.5, 0.6, 0.4, 0.7, 0.8, 0.9, 1, 1.1, 1.2},
		"test_error": {0.5, 0.2, 0.3, 0.25, 0.1, 0.3, 0.3, 0.3, 0.3, 0.3},
	}}
	// Patience 1 stops at epoch 2 and restores epoch 1: cost 3/10; regret
	// 0.2/0.1 − 1; the full budget's best validation epoch is 3, so it
	// stopped too early; slowness 3/4; against the full budget 0.2/0.25 − 1.
	o := measure(setting{cfg: callbacks.EarlyStoppingConfig{Patience: 1}}, c)
	want := outcome{cost: 0.3, regret: 1, absolute: 0.1, early: true, slowness: 0.75, vsFull: -0.2}
	if math.Abs(o.cost-want.cost) > 1e-12 || math.Abs(o.regret-want.regret) > 1e-12 || math.Abs(o.absolute-want.absolute) > 1e-12 ||
		o.early != want.early || math.Abs(o.slowness-want.slowness) > 1e-12 || math.Abs(o.vsFull-want.vsFull) > 1e-12 {
		t.Errorf("measure = %+v, want %+v", o, want)
	}
	ss := []summary{{name: "a", cost: 0.2, regret: 0.5}, {name: "b", cost: 0.3, regret: 0.4}, {name: "c", cost: 0.3, regret: 0.6}}
	markPareto(ss)
	if !ss[0].pareto || !ss[1].pareto || ss[2].pareto {
		t.Errorf("Pareto front %+v", ss)
	}
}

// TestRecommendedIsStudied: the library's Recommended preset is the rule
// the full study chose, and is among the rules the study replays.
func TestRecommendedIsStudied(t *testing.T) {
	want := callbacks.Recommended()
	want.RestoreBestWeights = false
	for _, s := range settings() {
		if s.name == "patience 5, EMA 0.3, increase 0.5" {
			if s.cfg.Patience != want.Patience || s.cfg.SmoothEMA != want.SmoothEMA || s.cfg.PatienceIncrease != want.PatienceIncrease {
				t.Errorf("the studied rule %+v is not the preset %+v", s.cfg, want)
			}
			return
		}
	}
	t.Error("the study does not replay the recommended preset")
}
