package callbacks

import (
	"bytes"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

func TestCurvesRoundTrip(t *testing.T) {
	nan := math.NaN()
	in := []Curve{
		{Task: "xor", Model: "2-8-1", Optimizer: "adam", Seed: 7, Series: map[string][]float64{
			"loss": {0.9, 0.5, nan}, "val_loss": {1, 0.6, math.Inf(1)},
		}},
		{Task: "iris", Series: map[string][]float64{"val_error": {0.5}}},
	}
	var buf bytes.Buffer
	if err := WriteCurves(&buf, in...); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `{"format":"minidl-curve/1","task":"xor"`) || strings.Count(buf.String(), "\n") != 2 {
		t.Errorf("file:\n%s", buf.String())
	}
	out, err := ReadCurves(strings.NewReader(buf.String()+"\n"), "c.jsonl")
	if err != nil || len(out) != 2 {
		t.Fatalf("ReadCurves: %d curves, %v", len(out), err)
	}
	c := out[0]
	if c.Task != "xor" || c.Model != "2-8-1" || c.Optimizer != "adam" || c.Seed != 7 || c.Epochs() != 3 {
		t.Errorf("curve %+v", c)
	}
	if v := c.Series["val_loss"]; v[0] != 1 || v[1] != 0.6 || !math.IsNaN(v[2]) || !math.IsNaN(c.Series["loss"][2]) {
		t.Errorf("series %v", c.Series)
	}
	if logs := c.Logs(2); len(logs) != 0 {
		t.Errorf("epoch 2's logs %v, want none", logs)
	}
}

func TestReadCurvesErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"format":"minidl-curve/2","series":{"a":[1]}}`, `c.jsonl:1: format "minidl-curve/2"`},
		{`{"format":"minidl-curve/1","series":{}}`, "c.jsonl:1: no series"},
		{"\n" + `{"format":"minidl-curve/1","series":{"a":[1,2],"b":[1]}}`, `c.jsonl:2: series "b" has 1 epochs, the others 2`},
		{`{"format":"minidl-curve/1","series":{"a":[1]},"extra":1}`, `unknown field "extra"`},
		{`{"format":"minidl-curve/1","series":{"a":["x"]}}`, "not a curve"},
		{`{"format":"minidl-curve/1","series":{"a":[1]}} {}`, "data after"},
		{"garbage", "c.jsonl:1: not a curve"},
	} {
		_, err := ReadCurves(strings.NewReader(tt.in), "c.jsonl")
		var ce *CurveError
		if !errors.As(err, &ce) || !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.40q: %v, want a *CurveError containing %q", tt.in, err, tt.want)
		}
	}
}

// TestReplayIsTheLiveRun replays configurations on curves and compares
// with the same EarlyStopping observing the same values as a callback of a
// run: the same stop epoch, best epoch and reason.
func TestReplayIsTheLiveRun(t *testing.T) {
	vals := []float64{1, 0.8, 0.85, 0.7, 0.72, 0.75, 0.71, 0.74, 0.76, 0.8, 0.9, 0.95}
	train := []float64{1, 0.9, 0.8, 0.7, 0.65, 0.6, 0.58, 0.57, 0.56, 0.55, 0.54, 0.53}
	curve := Curve{Series: map[string][]float64{"val_loss": vals, "loss": train, "val_accuracy": vals, "lr": make([]float64, len(vals))}}
	for _, cfg := range []EarlyStoppingConfig{
		{}, {Patience: 2}, {Patience: 3, MinDelta: 0.02}, {GL: 10}, {PQ: 1, StripLength: 3}, {UP: 2, StripLength: 2},
		{Patience: 20, StoppingThreshold: new(0.71)}, {Patience: 100}, {Patience: 2, Baseline: new(0.5)},
		{Monitor: "val_accuracy", Patience: 3},
	} {
		live := NewEarlyStopping(cfg)
		simulate(t, vals, train, live)
		got := Replay(cfg, curve)
		want := Replayed{StopEpoch: live.StoppedEpoch(), BestEpoch: live.BestEpoch(), Reason: live.StopReason()}
		if want.Reason == StopMaxEpochs {
			want.Reason = NotStopped
		}
		if got != want {
			t.Errorf("%+v: replay %+v, live %+v", cfg, got, want)
		}
	}
	if r := Replay(EarlyStoppingConfig{Monitor: "val_mse"}, curve); r.Reason != StopError || r.Err == nil {
		t.Errorf("a monitor the curve lacks: %+v", r)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func FuzzReadCurves(f *testing.F) {
	var buf bytes.Buffer
	WriteCurves(&buf, Curve{Task: "t", Series: map[string][]float64{"val_loss": {1, 0.5, math.NaN()}, "loss": {2, 1, 0}}})
	f.Add(buf.String())
	f.Add(`{"format":"minidl-curve/1","series":{"a":[1,null]}}`)
	f.Fuzz(func(t *testing.T, in string) {
		curves, err := ReadCurves(strings.NewReader(in), "fuzz.jsonl")
		if err != nil {
			if !errors.Is(err, ErrState) {
				t.Fatalf("error %v is not of kind ErrState", err)
			}
			return
		}
		for _, c := range curves {
			Replay(EarlyStoppingConfig{Patience: 2, AllowMissing: true, Out: &bytes.Buffer{}}, c)
			var out bytes.Buffer
			if err := WriteCurves(&out, c); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// BenchmarkReplay replays patience 10 on a curve of 300 epochs.
func BenchmarkReplay(b *testing.B) {
	vals := make([]float64, 300)
	for i := range vals {
		vals[i] = 1/float64(i+1) + 0.001*float64(i) + 0.01*math.Sin(float64(i))
	}
	c := Curve{Series: map[string][]float64{"val_loss": vals, "loss": vals}}
	cfg := EarlyStoppingConfig{Patience: 1000}
	for b.Loop() {
		Replay(cfg, c)
	}
}
