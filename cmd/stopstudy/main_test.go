package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/minidl/minidl/callbacks"
)

// TestCheckedInStudy runs the study on the checked-in subset and pins some
// of its numbers: a change to a rule, to the replay or to the measures
// shows here.
func TestCheckedInStudy(t *testing.T) {
	if raceDetector {
		checkedInStudyOfTwoTasks(t)
		return
	}
	var out, errOut bytes.Buffer
	svg := filepath.Join(t.TempDir(), "study.svg")
	if code := run(context.Background(), []string{"-svg", svg}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"# Early stopping on 118 curves (iris, wine, breast_cancer, digits, diabetes, gotokens, moons, spirals, circles, sine, friedman, mnist14)",
		"| patience 10 | 0.409 | 0.419 | 0.117 | 0.0308 | 0.41 | 1.32 | +0.106 | 0.521 |  |  |",
		"| patience 20 | 0.498 | 0.353 | 0.100 | 0.0191 | 0.21 | 1.92 | +0.014 | 0.478 | ✓ |  |",
		"| GL 5 | 0.415 | 0.922 | 0.143 | 0.0400 | 0.42 | 0.85 | +0.376 | 1.026 |  |  |",
		"| full budget, best validation epoch | 1.000 | 0.343 | 0.068 | 0.0193 | 0.00 | 18.71 | +0.000 | 0.593 |  |  |",
		"| hindsight: stop at the full budget's best validation epoch | 0.512 | 0.343 | 0.068 | 0.0193 | 0.00 | 1.00 | +0.000 | 0.471 |  |  |",
		// The preset is patience 20: the same stops, the same row.
		"| Recommended() | 0.498 | 0.353 | 0.100 | 0.0191 | 0.21 | 1.92 | +0.014 | 0.478 | ✓ |  |",
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

// checkedInStudyOfTwoTasks is TestCheckedInStudy under the race detector,
// where the whole study takes over ten minutes: the same parallel code on
// two tasks of the subset, with every rule's row in the table.
func checkedInStudyOfTwoTasks(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-tasks", "iris,moons"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "# Early stopping on 24 curves (iris, moons)\n") {
		t.Errorf("the study of two tasks begins %.100q", out.String())
	}
	for _, r := range rules() {
		if !strings.Contains(out.String(), "\n| "+r.name+" | ") {
			t.Errorf("no row for %s", r.name)
		}
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

// TestLeaveOneTaskOut checks the protocol on three tasks built so that
// the choice differs by fold: a rule's setting is the one of least
// objective on the other tasks, and is scored on the task left out.
func TestLeaveOneTaskOut(t *testing.T) {
	// On "early" the validation loss is lowest at epoch 1 and the test
	// error follows it; on "late" both keep falling to the end.
	early := callbacks.Curve{Task: "early", Series: map[string][]float64{
		"val_loss": {1, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3}, "test_error": {0.5, 0.1, 0.2, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3}}}
	late := callbacks.Curve{Task: "late", Series: map[string][]float64{
		"val_loss": {1, 0.9, 0.91, 0.92, 0.93, 0.8, 0.7, 0.6, 0.5, 0.4}, "test_error": {0.5, 0.4, 0.4, 0.4, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1}}}
	other := late
	other.Task = "other"
	rs := []rule{{name: "patience", family: "keras", grid: []setting{
		{"patience 1", callbacks.EarlyStoppingConfig{Patience: 1}}, {"patience 5", callbacks.EarlyStoppingConfig{Patience: 5}}}}}
	s := runStudy([]callbacks.Curve{early, late, other}, rs)
	// Patience 1 stops "late" at epoch 2 (regret 3, cost 0.3) and "early"
	// at 2 (regret 0, cost 0.3); patience 5 runs "late" to the end (regret
	// 0, cost 1) and stops "early" at 6 (regret 0, cost 0.7). Without
	// "early", patience 5 is chosen (0.5 against 3.15); without "late" or
	// "other", patience 5 too (mean regret 0 + 0.5·0.85 against 1.5 +
	// 0.5·0.3).
	if got := s.chosen[0]; got[0] != "patience 5" || got[1] != "patience 5" || got[2] != "patience 5" {
		t.Errorf("chosen %v", got)
	}
	cv := s.crossValidated(nil)
	if math.Abs(cv[0].cost-0.9) > 1e-12 || cv[0].regret != 0 {
		t.Errorf("cross-validated %+v", cv[0])
	}
	// Without "late" and "other" alike, only "early" is left to choose
	// on: patience 1 (0 + 0.5·0.3 against 0 + 0.5·0.7).
	s = runStudy([]callbacks.Curve{early, late}, rs)
	if got := s.chosen[0]; got[0] != "patience 5" || got[1] != "patience 1" {
		t.Errorf("two tasks: chosen %v", got)
	}
	if cv := s.crossValidated(func(c callbacks.Curve) bool { return c.Task == "late" }); math.Abs(cv[0].regret-3) > 1e-12 || math.Abs(cv[0].cost-0.3) > 1e-12 {
		t.Errorf("late, scored with the setting chosen on early: %+v", cv[0])
	}
	// The references: hindsight stops at the best validation epoch.
	refs := s.references(nil)
	if math.Abs(refs[1].cost-(0.2+1.0)/2) > 1e-12 || refs[0].cost != 1 {
		t.Errorf("references %+v", refs)
	}
}

// TestRecommendedIsStudied pins the library's Recommended preset to its
// study row: it is the studied setting "patience 20", best weights
// restored, and docs/stopping-study.md gives that setting's
// leave-one-task-out row on the full corpus, which is why it was chosen.
func TestRecommendedIsStudied(t *testing.T) {
	const settingName = "patience 20"
	const row = "| patience 20 | 0.550 | 0.281 | 0.047 | 0.0192 | 0.27 | 1.62 | +0.011 | 0.418 | ✓ |  |"
	want := callbacks.Recommended()
	if !want.RestoreBestWeights {
		t.Error("the preset does not restore the best weights")
	}
	want.RestoreBestWeights = false
	found := false
	for _, r := range rules() {
		for _, s := range r.grid {
			if r.name == settingName && s.name == settingName {
				found = true
				if !reflect.DeepEqual(s.cfg, want) {
					t.Errorf("the studied setting %+v is not the preset %+v", s.cfg, want)
				}
			}
		}
	}
	if !found {
		t.Errorf("the study does not replay %q", settingName)
	}
	doc, err := os.ReadFile("../../docs/stopping-study.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{row, "`callbacks.Recommended()` is now patience 20 on the raw\nmonitor"} {
		if !strings.Contains(string(doc), w) {
			t.Errorf("docs/stopping-study.md lacks %q", w)
		}
	}
}

// TestStopModelReproducible trains the learned rule's model twice on the
// checked-in corpus: the same bits; and its Go source is a valid file
// that carries every weight.
func TestStopModelReproducible(t *testing.T) {
	curves, err := readCorpus(bytes.NewReader(checkedIn), int64(len(checkedIn)), "checked-in")
	if err != nil {
		t.Fatal(err)
	}
	a, b := trainStopModel(curves), trainStopModel(curves)
	if !reflect.DeepEqual(a, b) {
		t.Error("two trainings on the same curves differ")
	}
	src, err := stopModelSource(a, "in a test")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []float64{a.Mean[3], a.Scale[8], a.Hidden[7][9], a.Out[8]} {
		if !strings.Contains(string(src), strconv.FormatFloat(w, 'g', -1, 64)) {
			t.Errorf("the source lacks the weight %v", w)
		}
	}
	if !strings.Contains(string(src), "func ShippedStopModel() *StopModel {") {
		t.Errorf("source:\n%s", src)
	}
}
