package callbacks

import (
	"path/filepath"
	"testing"
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
