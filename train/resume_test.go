package train

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/data"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// resumeRun builds the run the resume tests interrupt: shuffled batches and
// dropout drawing from one PCG source, Adam, a StepLR schedule, a
// per-batch LinearLR warm-up,
// ReduceLROnPlateau and early stopping that restores the best weights,
// all saved in the checkpoint at path.
func resumeRun(path string) (*nn.Sequential, Config, *callbacks.EarlyStopping) {
	src := rand.NewPCG(1, 2)
	rng := rand.New(src)
	x, y := data.NoisySine(rand.New(rand.NewPCG(7, 8)), 96, 0.3)
	trainSet, valSet := data.NewTensorDataset(x.Rows(0, 64), y.Rows(0, 64)), data.NewTensorDataset(x.Rows(64, 96), y.Rows(64, 96))
	model := nn.NewSequential(nn.NewLinear(rng, 1, 32), nn.Tanh(), nn.NewDropout(rng, 0.2), nn.NewLinear(rng, 32, 1))
	opt := optim.NewAdam(model.Parameters(), optim.AdamConfig{LR: 0.03})
	stop := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 8, RestoreBestWeights: true})
	return model, Config{
		Loss: nn.MSE, Optimizer: opt, Epochs: 200,
		Train:    data.NewLoader(trainSet, data.LoaderConfig{BatchSize: 8, Shuffle: true, Rand: rng}),
		Val:      data.NewLoader(valSet, data.LoaderConfig{BatchSize: 32}),
		Schedule: optim.NewStepLR(opt, 5, 0.8),
		// a warm-up over the first 5 epochs' 40 batches: its rates depend on its step count
		BatchSchedule: optim.NewLinearLR(opt, 0.5, 1, 40),
		Callbacks: []callbacks.Callback{stop, callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{
			Patience: new(2), Factor: 0.5, MinDelta: new(0.0),
		})},
		Checkpoint: path, Resume: true, RandomSources: []RandomSource{src},
	}, stop
}

// outcome is what must come out the same: the weights, the history but
// its timings, and how early stopping ended.
type outcome struct {
	Weights map[string][]float64
	History []map[string]float64
	Stopped int
	Reason  callbacks.StopReason
}

func outcomeOf(model nn.Module, hist *callbacks.History, stop *callbacks.EarlyStopping) outcome {
	o := outcome{Weights: map[string][]float64{}, Stopped: stop.StoppedEpoch(), Reason: stop.StopReason()}
	for _, p := range model.Parameters() {
		o.Weights[p.Name] = slices.Clone(p.Var.Value.Float64s())
	}
	for _, logs := range hist.Epochs {
		l := map[string]float64{}
		for k, v := range logs {
			if k != "epoch_seconds" {
				l[k] = v
			}
		}
		o.History = append(o.History, l)
	}
	return o
}

func (o outcome) equal(p outcome) bool {
	a, _ := json.Marshal(o)
	b, _ := json.Marshal(p)
	return string(a) == string(b)
}

// interrupt runs the checkpointed run and cancels it as epoch k begins, as
// a kill would: the checkpoint then holds the end of epoch k−1.
func interrupt(t testing.TB, path string, k int) {
	t.Helper()
	model, cfg, _ := resumeRun(path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{EpochBegin: func(_ *callbacks.Run, e int) error {
		if e == k {
			cancel()
		}
		return nil
	}})
	if _, err := Fit(ctx, model, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupting at epoch %d: %v", k, err)
	}
}

const resumeChild = "MINIDL_RESUME_CHILD"

// TestMain lets the resume test run the resumed half in a fresh process.
func TestMain(m *testing.M) {
	if path := os.Getenv(resumeChild); path != "" {
		model, cfg, stop := resumeRun(path)
		cfg.Callbacks = append(cfg.Callbacks[:len(cfg.Callbacks):len(cfg.Callbacks)], &callbacks.Lambda{}) // as in interrupt
		hist, err := Fit(context.Background(), model, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(outcomeOf(model, hist, stop))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestResume interrupts a run after epoch k, for several k, and resumes it
// from its checkpoint in a fresh process: weights, history and the stop
// epoch are bitwise those of the uninterrupted run. A run resumed after it
// ended ends at once, the same.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	model, cfg, stop := resumeRun(filepath.Join(dir, "straight.safetensors"))
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{})
	hist, err := Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := outcomeOf(model, hist, stop)
	if want.Stopped < 6 || want.Reason != callbacks.StopPatience {
		t.Fatalf("the straight run stopped at %d (%v): too early to interrupt", want.Stopped, want.Reason)
	}
	for _, k := range []int{1, want.Stopped / 2, want.Stopped} {
		path := filepath.Join(dir, fmt.Sprintf("run-%d.safetensors", k))
		interrupt(t, path, k)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), resumeChild+"="+path)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("resuming after epoch %d: %v", k-1, err)
		}
		var got outcome
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if !got.equal(want) {
			t.Errorf("interrupted after epoch %d and resumed: stopped %d (%v), %d epochs of history; straight: %d (%v), %d",
				k-1, got.Stopped, got.Reason, len(got.History), want.Stopped, want.Reason, len(want.History))
		}
	}
	// The straight run's checkpoint records its end: resuming it trains
	// nothing more and gives the same outcome.
	model, cfg, stop = resumeRun(filepath.Join(dir, "straight.safetensors"))
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{})
	hist, err = Fit(context.Background(), model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomeOf(model, hist, stop); !got.equal(want) {
		t.Errorf("resuming an ended run: stopped %d (%v), %d epochs", got.Stopped, got.Reason, len(got.History))
	}
	// A checkpoint of another run's callbacks is refused, naming them.
	model, cfg, _ = resumeRun(filepath.Join(dir, "straight.safetensors"))
	cfg.Callbacks = []callbacks.Callback{callbacks.NewReduceLROnPlateau(callbacks.ReduceLROnPlateauConfig{})}
	if _, err := Fit(context.Background(), model, cfg); err == nil || !strings.Contains(err.Error(), "callback 1 is a *callbacks.ReduceLROnPlateau") {
		t.Errorf("another run's checkpoint: %v", err)
	}
}

// TestResumeRefusedLeavesTheRun: a checkpoint whose model does not fit is
// refused after the callbacks' states were loaded; they are put back.
func TestResumeRefusedLeavesTheRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.safetensors")
	interrupt(t, path, 5)
	_, cfg, stop := resumeRun(path)
	cfg.Callbacks = append(cfg.Callbacks, &callbacks.Lambda{})
	wider := nn.NewSequential(nn.NewLinear(rand.New(rand.NewPCG(1, 1)), 1, 33), nn.Tanh(), nn.NewLinear(rand.New(rand.NewPCG(1, 1)), 33, 1))
	if _, err := Fit(context.Background(), wider, cfg); err == nil || !strings.Contains(err.Error(), "resuming from") {
		t.Fatalf("a checkpoint of another model: %v", err)
	}
	if stop.BestEpoch() != -1 || stop.Wait() != 0 {
		t.Errorf("EarlyStopping kept the refused checkpoint's state: best epoch %d, wait %d", stop.BestEpoch(), stop.Wait())
	}
}

// fingerprint returns everything a resume may change in a run, encoded:
// the weights, the optimizer, every Stateful callback, the schedules' step
// counts and the random sources.
func fingerprint(t testing.TB, model nn.Module, cfg Config) string {
	t.Helper()
	s := nn.NewStateDict()
	meta := map[string]string{}
	add := func(prefix string, d *nn.StateDict) {
		for _, name := range d.Names() {
			v, _ := d.Get(name)
			s.Set(prefix+name, v)
		}
	}
	add("model.", nn.StateOf(model))
	add("optimizer.", cfg.Optimizer.State())
	for i, cb := range cfg.Callbacks {
		if st, ok := cb.(callbacks.Stateful); ok {
			d, m := st.State()
			add(fmt.Sprintf("callback.%d.", i), d)
			for k, v := range m {
				meta[fmt.Sprintf("callback.%d.%s", i, k)] = v
			}
		}
	}
	for i, src := range cfg.RandomSources {
		b, _ := src.MarshalBinary()
		meta[fmt.Sprint("rand.", i)] = string(b)
	}
	meta["schedule"] = fmt.Sprint(cfg.Schedule.(StepCounter).Epoch(), cfg.BatchSchedule.(StepCounter).Epoch())
	var buf strings.Builder
	if err := nn.WriteSafetensors(&buf, s, meta); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// rewrite loads the checkpoint at path, lets edit change it and saves it
// back.
func rewrite(t *testing.T, path string, edit func(s *nn.StateDict, meta map[string]string)) {
	t.Helper()
	s, meta, err := nn.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(s, meta)
	if err := nn.SaveFile(path, s, meta); err != nil {
		t.Fatal(err)
	}
}

// without returns s without the tensors whose names start with prefix.
func without(s *nn.StateDict, prefix string) *nn.StateDict {
	out := nn.NewStateDict()
	for _, name := range s.Names() {
		if !strings.HasPrefix(name, prefix) {
			v, _ := s.Get(name)
			out.Set(name, v)
		}
	}
	return out
}

// TestResumeRefusedLoadsNothing: a run checkpoint refused for any of its
// pieces, however late in the loading it is found, leaves every piece of
// the run as it was, and says what is wrong in a short message.
func TestResumeRefusedLoadsNothing(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	interrupt(t, good, 5)
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	hostile := strings.Repeat("x", 1<<20)
	tests := []struct {
		name, want string
		edit       func(s *nn.StateDict, meta map[string]string)
		callbacks  func(cbs []callbacks.Callback) []callbacks.Callback
		sources    int // the run's random sources, if not 1
	}{
		{name: "a random source's state that is not a PCG's", want: "random source 0",
			edit: func(_ *nn.StateDict, m map[string]string) {
				m["rand.0"] = base64.StdEncoding.EncodeToString([]byte("not a PCG state"))
			}},
		{name: "best weights of another model", want: "best_weights",
			edit: func(s *nn.StateDict, _ map[string]string) {
				s.Set("callback.1.best_weights.0.weight", tensor.Zeros(33, 1))
			}},
		{name: "a callback's state refused", want: "callback 2",
			edit: func(_ *nn.StateDict, m map[string]string) { m["callback.2.wait"] = "x" }},
		{name: "an optimizer's state refused", want: "optimizer",
			edit: func(s *nn.StateDict, _ map[string]string) { *s = *without(s, "optimizer.0.") }},
		{name: "a stop reason no run gives", want: "stop_reason",
			edit: func(_ *nn.StateDict, m map[string]string) { m["stop_reason"], m["stop_epoch"] = "Not A Reason", "4" }},
		{name: "a stop message no run keeps", want: "stop_message",
			edit: func(_ *nn.StateDict, m map[string]string) {
				m["stop_reason"], m["stop_message"], m["stop_epoch"] = "x", hostile, "4"
			}},
		{name: "a stop epoch after the checkpoint's", want: "stop_epoch",
			edit: func(_ *nn.StateDict, m map[string]string) { m["stop_reason"], m["stop_epoch"] = "x", "9" }},
		{name: "a hostile format", want: "not a run checkpoint",
			edit: func(_ *nn.StateDict, m map[string]string) { m["format"] = hostile }},
		{name: "a hostile next epoch", want: "next_epoch",
			edit: func(_ *nn.StateDict, m map[string]string) { m["next_epoch"] = hostile }},
		{name: "a hostile callback type", want: "callback 1",
			edit: func(_ *nn.StateDict, m map[string]string) { m["callback.1.type"] = hostile }},
		{name: "a hostile schedule step", want: "schedule.epoch",
			edit: func(_ *nn.StateDict, m map[string]string) { m["schedule.epoch"] = hostile }},
		{name: "a hostile run id", want: "run_id",
			edit: func(_ *nn.StateDict, m map[string]string) { m["run_id"] = hostile }},
		{name: "a callback the run does not have", want: "callback 2",
			callbacks: func(cbs []callbacks.Callback) []callbacks.Callback { return cbs[:1] }},
		{name: "a stateful callback where the run has another", want: "callback 2",
			callbacks: func(cbs []callbacks.Callback) []callbacks.Callback {
				return []callbacks.Callback{cbs[0], &callbacks.Lambda{}, cbs[1]}
			}},
		{name: "a random source the run does not have", want: "random source", sources: -1},
		{name: "a random source the checkpoint does not have", want: "random source 1", sources: 2},
		{name: "an entry no run writes", want: "unknown entry",
			edit: func(_ *nn.StateDict, m map[string]string) { m[hostile] = "1" }},
		{name: "a tensor no run writes", want: "unknown tensor",
			edit: func(s *nn.StateDict, _ map[string]string) { s.Set("other.x", tensor.Zeros(1)) }},
		{name: "a tensor of a callback the run does not have", want: "callback 7",
			edit: func(s *nn.StateDict, _ map[string]string) { s.Set("callback.7.x", tensor.Zeros(1)) }},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "edited.safetensors")
		if err := os.WriteFile(path, goodBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		if tt.edit != nil {
			rewrite(t, path, tt.edit)
		}
		model, cfg, _ := resumeRun(path)
		if tt.callbacks != nil {
			cfg.Callbacks = tt.callbacks(cfg.Callbacks)
		}
		switch tt.sources {
		case -1:
			cfg.RandomSources = nil
		case 2:
			cfg.RandomSources = append(cfg.RandomSources, rand.NewPCG(5, 6))
		}
		before := fingerprint(t, model, cfg)
		_, err := Fit(context.Background(), model, cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %.300v, want an error naming %s", tt.name, err, tt.want)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("%s: an error of %d bytes", tt.name, len(err.Error()))
		}
		if fingerprint(t, model, cfg) != before {
			t.Errorf("%s: the refused checkpoint changed the run", tt.name)
		}
	}
}

// TestResumeAnotherRunsCheckpoint: run B resumed from a copy of run A's
// checkpoint, with its ModelCheckpoint writing elsewhere, is refused, and
// A's kept files stay.
func TestResumeAnotherRunsCheckpoint(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	keep := func(dir string) callbacks.Callback {
		return callbacks.NewModelCheckpoint(callbacks.ModelCheckpointConfig{Path: filepath.Join(dir, "m-{epoch}.safetensors"), KeepLast: 2})
	}
	model, cfg, _ := resumeRun(filepath.Join(dirA, "run.safetensors"))
	cfg.Callbacks = append(cfg.Callbacks, keep(dirA))
	cfg.Epochs = 4
	if _, err := Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dirA, "run.safetensors"))
	os.WriteFile(filepath.Join(dirB, "run.safetensors"), b, 0o644)
	model, cfg, _ = resumeRun(filepath.Join(dirB, "run.safetensors"))
	cfg.Callbacks = append(cfg.Callbacks, keep(dirB))
	cfg.Epochs = 8
	if _, err := Fit(context.Background(), model, cfg); err == nil || !strings.Contains(err.Error(), "the state of another run") {
		t.Errorf("run B resuming run A's checkpoint: %v", err)
	}
	for _, e := range []int{2, 3} {
		if _, err := os.Stat(filepath.Join(dirA, fmt.Sprintf("m-%d.safetensors", e))); err != nil {
			t.Errorf("run A's epoch %d: %v", e, err)
		}
	}
}

// TestResumeCurveRecorder: a run interrupted and resumed records one curve,
// the whole run's, numbered from its first epoch, equal to the
// uninterrupted run's (but for the timings).
func TestResumeCurveRecorder(t *testing.T) {
	dir := t.TempDir()
	record := func(name string) (*callbacks.CurveRecorder, string) {
		path := filepath.Join(dir, name)
		return callbacks.NewCurveRecorder(callbacks.CurveRecorderConfig{Path: path, Task: "sine"}), path
	}
	read := func(path string) []callbacks.Curve {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		curves, err := callbacks.ReadCurves(f, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range curves {
			delete(c.Series, "epoch_seconds")
		}
		return curves
	}
	model, cfg, _ := resumeRun(filepath.Join(dir, "straight.safetensors"))
	rec, straightPath := record("straight.jsonl")
	cfg.Callbacks = append(cfg.Callbacks, rec)
	if _, err := Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	want := read(straightPath)

	path := filepath.Join(dir, "run.safetensors")
	_, curvePath := record("resumed.jsonl")
	for _, k := range []int{3, 7} { // interrupted twice
		model, cfg, _ := resumeRun(path)
		rec, _ := record("resumed.jsonl")
		ctx, cancel := context.WithCancel(context.Background())
		cfg.Callbacks = append(cfg.Callbacks, rec, &callbacks.Lambda{EpochBegin: func(_ *callbacks.Run, e int) error {
			if e == k {
				cancel()
			}
			return nil
		}})
		if _, err := Fit(ctx, model, cfg); !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		cancel()
	}
	model, cfg, _ = resumeRun(path)
	rec, _ = record("resumed.jsonl")
	cfg.Callbacks = append(cfg.Callbacks, rec, &callbacks.Lambda{})
	if _, err := Fit(context.Background(), model, cfg); err != nil {
		t.Fatal(err)
	}
	got := read(curvePath)
	if len(got) != 1 || len(want) != 1 || !cmp.Equal(got[0], want[0], cmpopts.EquateNaNs()) {
		t.Errorf("interrupted twice and resumed: %d curves, want 1 equal to the straight run's:\n%v\n%v", len(got), got, want)
	}
}
