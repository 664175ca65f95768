package callbacks

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		{"\n" + `{"format":"minidl-curve/1","series":{"a":[1,2],"b":[1]}}`, `c.jsonl:2: series "b" has 1 values, the others 2`},
		{`{"format":"minidl-curve/1","series":{"a":[1]},"extra":1}`, `unknown field "extra"`},
		{`{"format":"minidl-curve/1","series":{"a":["x"]}}`, `series "a": value 0, "\"x\"", is not a number or null`},
		{`{"format":"minidl-curve/1","series":{"a":[1, [2]]}}`, `series "a": value 1, "[2]", is not a number or null`},
		{`{"format":"minidl-curve/1","series":{"a":[1, 1e999]}}`, `series "a": value 1, "1e999", is beyond float64's range`},
		{`{"format":"minidl-curve/1","series":{"a":{"b":1}}}`, `series "a": is not an array`},
		{`{"format":"minidl-curve/1","series":{"a":[]}}`, `series "a" has no values`},
		{`{"format":"minidl-curve/1","series":{"a":[1]}} {}`, "not a curve: invalid character '{' after top-level value"},
		{`[1]`, "not a curve: a JSON array, want an object"},
		{`{"format":"minidl-curve/1","seed":-1,"series":{"a":[1]}}`, `not a curve: field "seed" is a JSON number, want a uint64`},
		{`{"format":"minidl-curve/1","unit":"batch","series":{"a":[1]}}`, `unit "batch": want "epoch" or "check"`},
		{`{"format":"minidl-curve/1","unit":"check","series":{"a":[1]}}`, `checks per epoch 0 with the unit "check": want a positive count`},
		{`{"format":"minidl-curve/1","checks_per_epoch":2,"series":{"a":[1]}}`, `checks per epoch 2 with the unit "epoch": want none`},
		{`{"format":"minidl-curve/1","budget":-3,"series":{"a":[1]}}`, `budget -3: want a count of epochs, or 0 for none`},
		{`{"format":"minidl-curve/1","budget":1,"series":{"a":[1,2]}}`, `2 values, more than the budget of 1 epochs holds`},
		{`{"format":"minidl-curve/1","budget":1,"unit":"check","checks_per_epoch":2,"series":{"a":[1,2,3]}}`, `3 values, more than the budget of 1 epochs holds`},
		{`{"format":"minidl-curve/1","settings":{"lr":0.1},"series":{"a":[1]}}`, `field "settings" holds a JSON number, want a string`},
		{`{"format":"minidl-curve/1","settings":[1],"series":{"a":[1]}}`, `field "settings" is a JSON array, want an object`},
		{`{"format":"minidl-curve/1","series":null}`, `no series`},
		{`{"format":"minidl-curve/1","series":"a"}`, `field "series" is a JSON string, want an object`},
		{`{"format":"minidl-curve/1","series":{"a":[1]},"format":"minidl-curve/1"}`, `field "format" given twice`},
		{`{"format":"minidl-curve/1","Series":{"a":[1]}}`, `unknown field "Series"`},
		{`{"format":"minidl-curve/1","series":{"a":[1]},"s\u0065ed":1}`, `unknown field "s\\u0065ed"`},
		{`{"format":"minidl-curve/1","series":{"a":[1]` + strings.Repeat(`,"b":[1]`, 1000) + `}}`, `field "series" has more than 1000 names`},
		{"garbage", "c.jsonl:1: not a curve"},
	} {
		_, err := ReadCurves(strings.NewReader(tt.in), "c.jsonl")
		var ce *CurveError
		if !errors.As(err, &ce) || !errors.Is(err, ErrState) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.40q: %v, want a *CurveError containing %q", tt.in, err, tt.want)
		}
	}
}

// TestCurveRunFields writes and reads a curve with every field: the
// budget, the unit, the checks per epoch and the settings come back, and
// the optional fields are absent from a line that has none of them, so
// that a curve of the first version is written as it was.
func TestCurveRunFields(t *testing.T) {
	in := Curve{ID: "digits/cnn/3", Task: "digits", Model: "cnn", Optimizer: "adamw", Seed: 3, Budget: 2,
		Unit: UnitCheck, ChecksPerEpoch: 3, Settings: map[string]string{"lr": "0.001", "schedule": "cosine"},
		Series: map[string][]float64{"val_loss": {1, 0.9, 0.8, 0.85, 0.7, 0.75}, "test_error": {0.5, 0.4, 0.3, 0.3, 0.2, 1e-7}}}
	var buf bytes.Buffer
	if err := WriteCurves(&buf, in, Curve{Task: "old", Series: map[string][]float64{"val_loss": {2e21}}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if want := `{"format":"minidl-curve/1","id":"digits/cnn/3","task":"digits","model":"cnn","optimizer":"adamw","seed":3,"budget":2,"unit":"check","checks_per_epoch":3,"settings":{"lr":"0.001","schedule":"cosine"},"series":{"test_error":[0.5,0.4,0.3,0.3,0.2,1e-7],"val_loss":[1,0.9,0.8,0.85,0.7,0.75]}}`; lines[0] != want {
		t.Errorf("line\n%s\nwant\n%s", lines[0], want)
	}
	if want := `{"format":"minidl-curve/1","task":"old","model":"","optimizer":"","seed":0,"series":{"val_loss":[2e+21]}}`; lines[1] != want {
		t.Errorf("line\n%s\nwant\n%s", lines[1], want)
	}
	out, err := ReadCurves(&buf, "c.jsonl")
	if err != nil || len(out) != 2 {
		t.Fatalf("ReadCurves: %d curves, %v", len(out), err)
	}
	if diff := cmp.Diff(in, out[0]); diff != "" {
		t.Errorf("read back (-wrote +read):\n%s", diff)
	}
	if c := out[1]; c.Budget != 0 || c.Unit != "" || c.ChecksPerEpoch != 0 || c.Settings != nil || c.Series["val_loss"][0] != 2e21 {
		t.Errorf("a curve without the run's fields read as %+v", c)
	}
}

// TestWriteCurvesRefuses: what ReadCurves would refuse is not written.
func TestWriteCurvesRefuses(t *testing.T) {
	manySettings := map[string]string{}
	for i := range 1001 {
		manySettings[fmt.Sprint(i)] = "x"
	}
	for _, c := range []Curve{
		{Task: "none"},
		{Task: "empty", Series: map[string][]float64{"val_loss": {}}},
		{Task: "ragged", Series: map[string][]float64{"val_loss": {1, 2}, "loss": {1}}},
		{Task: "unit", Unit: "batch", Series: map[string][]float64{"val_loss": {1}}},
		{Task: "budget", Budget: 1, Series: map[string][]float64{"val_loss": {1, 2}}},
		{Task: "settings", Settings: manySettings, Series: map[string][]float64{"val_loss": {1}}},
	} {
		var buf bytes.Buffer
		err := WriteCurves(&buf, c)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.Task) || buf.Len() != 0 {
			t.Errorf("%s: %v, %d bytes written; want a *ConfigError and nothing written", c.Task, err, buf.Len())
		}
	}
}

// TestReadCurvesQuotesAnExcerpt: an error quotes at most a short excerpt
// of a hostile line, wherever the hostile text is (issue 20, item 16).
func TestReadCurvesQuotesAnExcerpt(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, in := range []string{
		`{"format":"` + long + `","series":{"a":[1]}}`,
		`{"format":"minidl-curve/1","` + long + `":1,"series":{"a":[1]}}`,
		`{"format":"minidl-curve/1","series":{"a":[1,2],"` + long + `":[1]}}`,
		`{"format":"minidl-curve/1","series":{"` + long + `":[1,"x"]}}`,
		`{"format":"minidl-curve/1","series":{"a":[1,"` + long + `"]}}`,
		`{"format":"minidl-curve/1","series":{"a":[1,1` + strings.Repeat("0", 1<<20) + `]}}`,
		`{"format":"minidl-curve/1","unit":"` + long + `","series":{"a":[1]}}`,
		`{"format":"minidl-curve/1","settings":{"` + long + `":1},"series":{"a":[1]}}`,
		`{"format":"minidl-curve/1","seed":1` + strings.Repeat("0", 1<<20) + `,"series":{"a":[1]}}`,
	} {
		_, err := ReadCurves(strings.NewReader(in), "c.jsonl")
		if !errors.Is(err, ErrState) || len(err.Error()) > 300 {
			t.Errorf("%.60s…: an error of %d bytes: %.300v", in, len(fmt.Sprint(err)), err)
		}
	}
}

// TestReadCurvesMemory: reading a long line allocates a small multiple of
// its size, not 20 times (issue 20, item 15). The line holds 4M values of
// 2 bytes; the curve itself takes 4 times that.
func TestReadCurvesMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"format":"minidl-curve/1","series":{"val_loss":[0`)
	for range 1 << 22 {
		b.WriteString(",0")
	}
	b.WriteString("]}}\n")
	in := b.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	curves, err := ReadCurves(strings.NewReader(in), "long.jsonl")
	runtime.ReadMemStats(&after)
	if err != nil || len(curves) != 1 || curves[0].Epochs() != 1<<22+1 {
		t.Fatalf("%d curves, %v", len(curves), err)
	}
	got, most := after.TotalAlloc-before.TotalAlloc, 7*uint64(len(in))
	t.Logf("reading %d bytes allocated %d (%.1f times)", len(in), got, float64(got)/float64(len(in)))
	if got > most {
		t.Errorf("reading %d bytes allocated %d (%.1f times), want at most %d", len(in), got, float64(got)/float64(len(in)), most)
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
		{Monitor: "val_accuracy", Patience: 3}, {NoiseAware: &NoiseAwareConfig{Patience: 3, Window: 5}},
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

// BenchmarkReplayRules asks each rule that fits or learns at every epoch
// of a noisy curve of 500 epochs, whatever it answers, as a replay that
// never stops would: the cost a study pays per curve and a live run per
// 500 epochs.
func BenchmarkReplayRules(b *testing.B) {
	vals := make([]float64, 500)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range vals {
		vals[i] = 0.3 + 1/math.Sqrt(float64(i+1)) + 0.02*rng.NormFloat64()
	}
	for _, bc := range []struct {
		name string
		rule func() Rule
	}{
		{"noise-aware", func() Rule { return newNoiseAware(NoiseAwareConfig{}) }},
		{"remaining", func() Rule { return newRemaining(RemainingConfig{}) }},
		{"learned", func() Rule { return newLearned("bench", LearnedConfig{}) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r := bc.rule()
				p := &Progress{Monitor: "val_loss", Budget: len(vals), Best: math.Inf(1), BestEpoch: -1}
				for e, v := range vals {
					p.Epoch, p.Values, p.Train = e, vals[:e+1], vals[:e+1]
					if v < p.Best {
						p.Best, p.BestEpoch = v, e
					}
					r.Check(p)
				}
			}
		})
	}
}
