package callbacks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// TestCurveRecorder records runs, reads the file back and replays a rule
// on the recorded curve.
func TestCurveRecorder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	rec := NewCurveRecorder(CurveRecorderConfig{Path: path, Task: "toy", Seed: 3})
	vals := []float64{1, 0.5, 0.6, 0.7, 0.8}
	simulate(t, vals, nil, rec)
	simulate(t, vals[:3], nil, rec)
	curves, err := ReadCurves(mustOpen(t, path), path)
	if err != nil || len(curves) != 2 || curves[0].Epochs() != 5 || curves[1].Epochs() != 3 || curves[0].Task != "toy" {
		t.Fatalf("recorded %d curves, %v", len(curves), err)
	}
	if r := Replay(EarlyStoppingConfig{Patience: 2}, curves[0]); r.StopEpoch != 3 || r.BestEpoch != 1 {
		t.Errorf("replayed on the recording: %+v", r)
	}
}

// TestCurveRecorderState: the curve so far round-trips through a saved
// state, and a resumed run continues it; a malformed state is refused.
func TestCurveRecorderState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	mk := func() Stateful { return NewCurveRecorder(CurveRecorderConfig{Path: path, Task: "toy"}) }
	rec := mk().(*CurveRecorder)
	r := &Run{}
	rec.OnTrainBegin(r)
	rec.OnEpochEnd(r, 0, Logs{"val_loss": 1})
	rec.OnEpochEnd(r, 1, Logs{"val_loss": 0.5, "loss": 2})
	s, meta := reloaded(t, rec)
	again := mk().(*CurveRecorder)
	if err := again.LoadState(s, meta); err != nil || encoded(t, again) != encoded(t, rec) {
		t.Fatalf("CurveRecorder round trip: %v", err)
	}
	resumed := &Run{Resumed: true, InitialEpoch: 2}
	again.OnTrainBegin(resumed)
	again.OnEpochEnd(resumed, 2, Logs{"val_loss": 0.25})
	resumed.Stop(StopMaxEpochs, "")
	again.OnTrainEnd(resumed)
	curves, err := ReadCurves(mustOpen(t, path), path)
	if err != nil || len(curves) != 1 || curves[0].Epochs() != 3 || curves[0].Series["val_loss"][2] != 0.25 || curves[0].Task != "toy" {
		t.Errorf("the resumed run's curve: %+v, %v", curves, err)
	}
	checkRefusals(t, s, meta, mk, []edit{
		{"series.loss", func(_ *nn.StateDict, m map[string]string) { m["epochs"] = "1000000000" }},
		{"series.loss", func(s *nn.StateDict, _ map[string]string) { s.Set("series.loss", tensor.Zeros(5)) }},
		{"keys", func(_ *nn.StateDict, m map[string]string) { m["keys"] = "nope" }},
		{"stray", func(s *nn.StateDict, _ map[string]string) { s.Set("stray", tensor.Zeros(2)) }},
		{"epochs", func(s *nn.StateDict, m map[string]string) {
			*s = *nn.NewStateDict()
			s.Set("epochs", tensor.Zeros(2))
			m["keys"] = "[]"
		}},
	})
}

// TestCurveRecorderInterrupted: a cancelled or failed run appends no
// fragment (its curve would replay wrong); one that ran out or was stopped
// appends its curve, as does a hand loop that never called Stop.
func TestCurveRecorderInterrupted(t *testing.T) {
	for _, tt := range []struct {
		reason StopReason
		lines  int
	}{{StopCancelled, 0}, {StopError, 0}, {StopMaxEpochs, 1}, {StopPatience, 1}, {NotStopped, 1}} {
		path := filepath.Join(t.TempDir(), "runs.jsonl")
		rec := NewCurveRecorder(CurveRecorderConfig{Path: path})
		r := &Run{}
		rec.OnTrainBegin(r)
		rec.OnEpochEnd(r, 0, Logs{"val_loss": 1})
		if tt.reason != NotStopped {
			r.Stop(tt.reason, "")
		}
		if err := rec.OnTrainEnd(r); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		curve := rec.Curve()
		if got := strings.Count(string(b), "\n"); got != tt.lines || curve.Epochs() != 1 {
			t.Errorf("a run ended by %v: %d lines appended, want %d (the curve has %d epochs)", tt.reason, got, tt.lines, curve.Epochs())
		}
	}
}
