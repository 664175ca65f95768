package callbacks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// reloaded returns st's state as it comes back from a safetensors file.
func reloaded(t *testing.T, st Stateful) (*nn.StateDict, map[string]string) {
	t.Helper()
	s, meta := st.State()
	var buf bytes.Buffer
	if err := nn.WriteSafetensors(&buf, s, meta); err != nil {
		t.Fatal(err)
	}
	s, meta, err := nn.ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return s, meta
}

// encoded returns st's state as the bytes of a safetensors file, to compare
// two states.
func encoded(t *testing.T, st Stateful) string {
	t.Helper()
	s, meta := st.State()
	var buf bytes.Buffer
	if err := nn.WriteSafetensors(&buf, s, meta); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// edit is a change to a saved state that makes it one no State could write.
type edit struct {
	field string // the field the *StateError must name
	apply func(s *nn.StateDict, meta map[string]string)
}

// checkRefusals applies each edit to a good state (s, meta) and loads it
// into a fresh callback: each must be refused with a *StateError of kind
// ErrState naming the field, in a short message, leaving the callback's
// state as it was.
func checkRefusals(t *testing.T, s *nn.StateDict, meta map[string]string, fresh func() Stateful, edits []edit) {
	t.Helper()
	for _, ed := range edits {
		es, emeta := s.Clone(), maps.Clone(meta)
		ed.apply(es, emeta)
		cb := fresh()
		before := encoded(t, cb)
		err := cb.LoadState(es, emeta)
		var se *StateError
		if !errors.As(err, &se) || se.Field != ed.field || !errors.Is(err, ErrState) {
			t.Errorf("%.60s: %.300v, want a *StateError naming it", ed.field, err)
			continue
		}
		if len(err.Error()) > 300 {
			t.Errorf("%.60s: an error of %d bytes quotes too much", ed.field, len(err.Error()))
		}
		if encoded(t, cb) != before {
			t.Errorf("%.60s: a refused state changed the callback", ed.field)
		}
	}
}

// long is a hostile name, a megabyte long.
var long = strings.Repeat("x", 1<<20)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestHistoryState(t *testing.T) {
	h := &History{}
	simulate(t, []float64{1, 0.5, 0.7}, nil, h)
	h.Epochs[1]["val_accuracy"] = 0.9 // a name only one epoch logs
	delete(h.Epochs[2], "lr")
	s, meta := reloaded(t, h)
	got := &History{}
	if err := got.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	if encoded(t, got) != encoded(t, h) || len(got.Epochs) != 3 || got.Epochs[1]["val_accuracy"] != 0.9 {
		t.Errorf("History round trip: %v, want %v", got.Epochs, h.Epochs)
	}
	if _, ok := got.Epochs[2]["lr"]; ok {
		t.Errorf("a name an epoch did not log came back: %v", got.Epochs[2])
	}

	// Epochs that logged nothing at all come back too.
	empty := &History{Epochs: []Logs{{}, {}}}
	s2, meta2 := reloaded(t, empty)
	got = &History{}
	if err := got.LoadState(s2, meta2); err != nil || len(got.Epochs) != 2 {
		t.Errorf("two empty epochs: %d epochs, %v", len(got.Epochs), err)
	}

	checkRefusals(t, s, meta, func() Stateful { return &History{} }, []edit{
		{"epochs", func(_ *nn.StateDict, m map[string]string) { m["epochs"] = "-1" }},
		{"epochs", func(_ *nn.StateDict, m map[string]string) { m["epochs"] = "x" + strings.Repeat("9", 1<<20) }},
		{"epochs", func(_ *nn.StateDict, m map[string]string) { delete(m, "epochs") }},
		{"keys", func(_ *nn.StateDict, m map[string]string) { m["keys"] = "[1]" }},
		{"keys", func(_ *nn.StateDict, m map[string]string) { m["keys"] = `["loss","loss"]` }},
		{"logs.loss", func(s *nn.StateDict, _ map[string]string) { s.Set("logs.loss", tensor.Zeros(2)) }},
		{"logs.loss", func(s *nn.StateDict, _ map[string]string) { s.Set("logs.loss", tensor.Zeros(3, 1)) }},
		{"logs.val_loss", func(s *nn.StateDict, _ map[string]string) {
			s2 := nn.NewStateDict()
			for _, n := range s.Names() {
				if n != "logs.val_loss" {
					v, _ := s.Get(n)
					s2.Set(n, v)
				}
			}
			*s = *s2
		}},
		{"logs.extra", func(s *nn.StateDict, _ map[string]string) { s.Set("logs.extra", tensor.Zeros(3)) }},
		{"logs." + long, func(_ *nn.StateDict, m map[string]string) { m["keys"] = `["` + long + `"]` }},
	})
}

// TestHistoryStateHostileCount: a state claiming a million epochs with
// nothing to fill them is refused without allocating for them.
func TestHistoryStateHostileCount(t *testing.T) {
	for _, keys := range []string{"[]", `["loss"]`} {
		s := nn.NewStateDict()
		if keys != "[]" {
			s.Set("logs.loss", tensor.Zeros(1))
		}
		meta := map[string]string{"epochs": "1000000", "keys": keys}
		var err error
		n := allocated(func() { err = (&History{}).LoadState(s, meta) })
		if !errors.Is(err, ErrState) || n > 1<<20 {
			t.Errorf("keys %s: a million epochs claimed: %v, %d bytes allocated", keys, err, n)
		}
	}
}

// sayingRule stops at its epoch with the reason and message it is given.
func sayingRule(at int, reason StopReason, msg string) Rule {
	return RuleFunc(func(p *Progress) (StopReason, string) {
		if p.Epoch == at {
			return reason, msg
		}
		return NotStopped, ""
	})
}

// TestEarlyStoppingStateLoadsWhatItSaves: whatever a run makes an
// EarlyStopping say or hold, its saved state loads back, and saves again
// the same: a long message of a rule (cut when said), one that is not
// UTF-8, a failure listing many log names, epochs past 2⁴⁰ in a hand loop.
func TestEarlyStoppingStateLoadsWhatItSaves(t *testing.T) {
	manyNames := Logs{}
	for i := range 500 {
		manyNames[strings.Repeat("n", 20)+string(rune('a'+i%26))+strings.Repeat("z", i/26)] = 1
	}
	tests := []struct {
		name string
		cfg  EarlyStoppingConfig
		run  func(e *EarlyStopping)
	}{
		{"a message of 10,000 bytes", EarlyStoppingConfig{Rules: []Rule{sayingRule(1, "long_story", strings.Repeat("é", 5000))}},
			func(e *EarlyStopping) { e.Observe(0, 1); e.Observe(1, 2) }},
		{"a message that is not UTF-8", EarlyStoppingConfig{Rules: []Rule{sayingRule(0, "bytes", strings.Repeat("\xff", MaxMessageLen))}},
			func(e *EarlyStopping) { e.Observe(0, 1) }},
		{"a failure naming 500 logs", EarlyStoppingConfig{Patience: 2},
			func(e *EarlyStopping) { e.ObserveLogs(0, manyNames) }},
		{"an average of infinities", EarlyStoppingConfig{SmoothEMA: 0.5, AllowNonFinite: true, Rules: []Rule{sayingRule(2, "done", "m")}},
			func(e *EarlyStopping) { e.Observe(0, math.Inf(1)); e.Observe(1, math.Inf(-1)); e.Observe(2, 1) }},
		{"epochs past 2⁴⁰", EarlyStoppingConfig{Patience: 2},
			func(e *EarlyStopping) { e.Observe(1<<41, 1); e.Observe(1<<41+1, 2); e.Observe(1<<41+2, 3) }},
	}
	for _, tt := range tests {
		e := NewEarlyStopping(tt.cfg)
		tt.run(e)
		if !e.Stopped() {
			t.Fatalf("%s: the run did not stop", tt.name)
		}
		if len(e.message) > MaxMessageLen {
			t.Errorf("%s: a message of %d bytes was kept", tt.name, len(e.message))
		}
		s, meta := reloaded(t, e)
		again := NewEarlyStopping(tt.cfg)
		if err := again.LoadState(s, meta); err != nil {
			t.Errorf("%s: the saved state is refused: %.200v", tt.name, err)
			continue
		}
		if encoded(t, again) != encoded(t, e) {
			t.Errorf("%s: saved again, the state differs", tt.name)
		}
	}
}

// TestStopReasonChecked: a reason no saved state could hold is a mistake
// in code, refused when it is given, by a rule or by Run.Stop.
func TestStopReasonChecked(t *testing.T) {
	for _, reason := range []StopReason{"Plateau", "too long " + StopReason(strings.Repeat("x", 60)), StopReason(strings.Repeat("x", MaxReasonLen+1))} {
		e := NewEarlyStopping(EarlyStoppingConfig{Rules: []Rule{sayingRule(0, reason, "m")}})
		if err := panicOf(func() { e.Observe(0, 1) }); !errors.Is(err, ErrConfig) {
			t.Errorf("a rule's reason %q: %v, want a *ConfigError panic", reason, err)
		}
		if err := panicOf(func() { (&Run{}).Stop(reason, "m") }); !errors.Is(err, ErrConfig) {
			t.Errorf("Run.Stop(%q): %v, want a *ConfigError panic", reason, err)
		}
	}
	r := &Run{}
	r.Stop(StopReason(strings.Repeat("x", MaxReasonLen)), strings.Repeat("m", 2*MaxMessageLen))
	if len(r.StopMessage()) > MaxMessageLen || !strings.HasSuffix(r.StopMessage(), "…") {
		t.Errorf("Run.Stop kept a message of %d bytes", len(r.StopMessage()))
	}
}

// panicOf returns what f panics with, as an error, or nil.
func panicOf(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err, _ = v.(error)
			if err == nil {
				err = errors.New("a panic that is not an error")
			}
		}
	}()
	f()
	return nil
}

// TestEarlyStoppingBestWeightsCheckedAtResume: saved best weights that do
// not fit the model are refused when the run begins, loaded before or after
// the model is watched, not when training ends.
func TestEarlyStoppingBestWeightsCheckedAtResume(t *testing.T) {
	cfg := EarlyStoppingConfig{Patience: 5, RestoreBestWeights: true}
	e := NewEarlyStopping(cfg)
	e.Watch(newEpochModel())
	e.Observe(0, 1)
	s, meta := reloaded(t, e)
	s.Set("best_weights.w", tensor.Zeros(4)) // another model's

	// Watched first: LoadState refuses.
	watched := NewEarlyStopping(cfg)
	watched.Watch(newEpochModel())
	if err := watched.LoadState(s, meta); !errors.Is(err, ErrState) {
		t.Errorf("loaded after Watch: %v", err)
	}
	// Loaded first, as a run resumes: the run's beginning refuses.
	resumed := NewEarlyStopping(cfg)
	if err := resumed.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	r := &Run{Model: newEpochModel(), Resumed: true, Keys: []string{"val_loss"}}
	if err := resumed.OnTrainBegin(r); !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "best_weights") {
		t.Errorf("resumed with another model's best weights: OnTrainBegin gave %v", err)
	}
	// A hand loop that watches after loading is told at its first
	// observation.
	hand := NewEarlyStopping(cfg)
	hand.LoadState(s, meta)
	hand.Watch(newEpochModel())
	if !hand.Observe(1, 0.5) || !errors.Is(hand.Err(), ErrState) {
		t.Errorf("a hand loop with another model's best weights: stopped %v, %v", hand.Stopped(), hand.Err())
	}
}

// TestEpochsFromZero: a negative epoch, which no saved state could hold,
// is a mistake in code for the callbacks that keep a best epoch; epochs
// beyond 2⁴⁰ are saved and loaded back.
func TestEpochsFromZero(t *testing.T) {
	dir := t.TempDir()
	fresh := map[string]func() Stateful{
		"ReduceLROnPlateau": func() Stateful { return NewReduceLROnPlateau(ReduceLROnPlateauConfig{Patience: new(1)}) },
		"ModelCheckpoint": func() Stateful {
			return NewModelCheckpoint(ModelCheckpointConfig{Path: dir + "/m.safetensors", SaveBestOnly: true, Out: io.Discard})
		},
	}
	for name, mk := range fresh {
		cb := mk().(Callback)
		m := newEpochModel()
		r := &Run{Model: m, Optimizer: optim.NewSGD(m.Parameters(), optim.SGDConfig{LR: 0.1}), Keys: []string{"val_loss"}}
		if err := cb.OnTrainBegin(r); err != nil {
			t.Fatal(err)
		}
		if err := panicOf(func() { cb.OnEpochEnd(r, -3, Logs{"val_loss": 1}) }); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: epoch -3: %v, want a *ConfigError panic", name, err)
		}
		for e := range 3 {
			if err := cb.OnEpochEnd(r, 1<<41+e, Logs{"val_loss": float64(3 - e)}); err != nil {
				t.Fatal(err)
			}
		}
		s, meta := reloaded(t, cb.(Stateful))
		again := mk()
		if err := again.LoadState(s, meta); err != nil {
			t.Errorf("%s: the saved state of epochs past 2⁴⁰ is refused: %v", name, err)
		} else if encoded(t, again) != encoded(t, cb.(Stateful)) {
			t.Errorf("%s: saved again, the state differs", name)
		}
	}
}

// TestModelCheckpointState: the state round-trips, and a state from another
// run is refused: one whose files are not this callback's to write (another
// pattern, a file outside its folder), or that another run wrote.
func TestModelCheckpointState(t *testing.T) {
	dir := t.TempDir()
	pattern := filepath.Join(dir, "m-{epoch:03d}-{val_loss:.2f}.safetensors")
	mk := func() Stateful {
		return NewModelCheckpoint(ModelCheckpointConfig{Path: pattern, SaveBestOnly: true, KeepLast: 2, Out: io.Discard})
	}
	ck := mk().(*ModelCheckpoint)
	simulate(t, []float64{1, 0.5, 0.7, 0.25, 0.125}, nil, ck)
	s, meta := reloaded(t, ck)
	again := mk()
	if err := again.LoadState(s, meta); err != nil || encoded(t, again) != encoded(t, ck) {
		t.Errorf("ModelCheckpoint round trip: %v", err)
	}
	victim := filepath.Join(t.TempDir(), "victim.safetensors")
	checkRefusals(t, s, meta, mk, []edit{
		{"written", func(_ *nn.StateDict, m map[string]string) { m["written"] = `["` + victim + `"]` }},
		{"written", func(_ *nn.StateDict, m map[string]string) {
			m["written"] = `["` + filepath.Join(dir, "m-001-0.50.safetensors/../../x-001-0.50.safetensors") + `"]`
		}},
		{"written", func(_ *nn.StateDict, m map[string]string) {
			m["written"] = `["` + filepath.Join(dir, "sub", "m-001-0.50.safetensors") + `"]`
		}},
		{"written", func(_ *nn.StateDict, m map[string]string) {
			m["written"] = `["` + filepath.Join(dir, "m-001-abc.safetensors") + `"]`
		}},
		{"written", func(_ *nn.StateDict, m map[string]string) { m["written"] = "{" }},
		{"path", func(_ *nn.StateDict, m map[string]string) {
			m["path"] = filepath.Join(t.TempDir(), "m-{epoch}.safetensors")
		}},
		{"best", func(_ *nn.StateDict, m map[string]string) { m["best"] = "NaN" }},
		{"wait", func(_ *nn.StateDict, m map[string]string) { delete(m, "wait") }},
	})

	// Every name Filename gives is one the callback may have written.
	fields := NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "e{epoch}", "{epoch:+05d}_{loss}_{acc:8.3f}_{n:d}_{gone}.x")})
	for _, v := range []float64{0, -1.5, 1e-7, 3e300, math.Inf(1), math.Inf(-1), math.NaN(), 12345.678} {
		for _, epoch := range []int{0, 7, 1 << 40} {
			name := fields.Filename(epoch, Logs{"loss": v, "acc": v, "n": v})
			if !fields.mine(name) {
				t.Errorf("Filename(%d, %v) = %q is not recognized as the callback's", epoch, v, name)
			}
		}
	}
}

// TestModelCheckpointDeletesOnlyItsOwn: KeepLast deletes a file only if
// this run wrote it: a run resumed from another run's state, or a file
// replaced since, keeps it (and says so); a crafted state never deletes a
// file outside the callback's pattern.
func TestModelCheckpointDeletesOnlyItsOwn(t *testing.T) {
	dir := t.TempDir()
	pattern := filepath.Join(dir, "m-{epoch}.safetensors")
	var out bytes.Buffer
	first := NewModelCheckpoint(ModelCheckpointConfig{Path: pattern, KeepLast: 2, Out: &out})
	r := &Run{Model: newEpochModel(), Keys: []string{"val_loss"}, ID: "runA"}
	first.OnTrainBegin(r)
	for e := range 2 {
		first.OnEpochEnd(r, e, Logs{"val_loss": 1})
	}
	s, meta := reloaded(t, first)

	// Run B takes over the state (a copied checkpoint) in the same folder:
	// the files are run A's, and stay.
	second := NewModelCheckpoint(ModelCheckpointConfig{Path: pattern, KeepLast: 2, Out: &out})
	if err := second.LoadState(s, meta); err != nil {
		t.Fatal(err)
	}
	rb := &Run{Model: newEpochModel(), Keys: []string{"val_loss"}, ID: "runB", Resumed: true}
	second.OnTrainBegin(rb)
	for e := 2; e < 5; e++ {
		second.OnEpochEnd(rb, e, Logs{"val_loss": 1})
	}
	for _, e := range []int{0, 1} {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("m-%d.safetensors", e))); err != nil {
			t.Errorf("run B deleted run A's epoch %d: %v", e, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "m-2.safetensors")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run B kept its own older file: %v", err)
	}
	if !strings.Contains(out.String(), "not deleting") || !strings.Contains(out.String(), "m-0.safetensors") {
		t.Errorf("the files kept are not reported: %q", out.String())
	}

	// The same run resumed deletes its own files.
	third := NewModelCheckpoint(ModelCheckpointConfig{Path: pattern, KeepLast: 1, Out: io.Discard})
	third.LoadState(s, meta)
	r.Resumed = true
	third.OnTrainBegin(r)
	third.OnEpochEnd(r, 5, Logs{"val_loss": 1})
	for _, e := range []int{0, 1} {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("m-%d.safetensors", e))); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the resumed run A kept its epoch %d: %v", e, err)
		}
	}

	// A crafted state names a file outside the pattern: refused, and the
	// file is never touched.
	victim := filepath.Join(t.TempDir(), "victim.txt")
	os.WriteFile(victim, []byte("mine"), 0o644)
	crafted := maps.Clone(meta)
	crafted["written"] = `["` + victim + `"]`
	fourth := NewModelCheckpoint(ModelCheckpointConfig{Path: pattern, KeepLast: 1, Out: io.Discard})
	err := fourth.LoadState(s, crafted)
	fourth.OnTrainBegin(r)
	fourth.OnEpochEnd(r, 6, Logs{"val_loss": 1})
	fourth.OnEpochEnd(r, 7, Logs{"val_loss": 1})
	if _, serr := os.Stat(victim); err == nil || serr != nil {
		t.Errorf("a crafted state naming %s: LoadState %v, the file: %v", victim, err, serr)
	}
}

func TestReduceLROnPlateauState(t *testing.T) {
	mk := func() Stateful {
		return NewReduceLROnPlateau(ReduceLROnPlateauConfig{Patience: new(1), Cooldown: 2})
	}
	p := mk().(*ReduceLROnPlateau)
	m := newEpochModel()
	r := &Run{Model: m, Optimizer: optim.NewSGD(m.Parameters(), optim.SGDConfig{LR: 0.1}), Keys: []string{"val_loss"}}
	p.OnTrainBegin(r)
	for e, v := range []float64{1, 0.5, 0.7, 0.8} {
		p.OnEpochEnd(r, e, Logs{"val_loss": v})
	}
	if p.cooldown == 0 {
		t.Fatal("the run did not reduce the rate: no cooldown to save")
	}
	s, meta := reloaded(t, p)
	again := mk()
	if err := again.LoadState(s, meta); err != nil || encoded(t, again) != encoded(t, p) {
		t.Errorf("ReduceLROnPlateau round trip: %v", err)
	}
	checkRefusals(t, s, meta, mk, []edit{
		{"cooldown", func(_ *nn.StateDict, m map[string]string) { m["cooldown"] = "-1" }},
		{"cooldown", func(_ *nn.StateDict, m map[string]string) { m["cooldown"] = long }},
		{"cooldown", func(_ *nn.StateDict, m map[string]string) { delete(m, "cooldown") }},
		{"wait", func(_ *nn.StateDict, m map[string]string) { m["wait"] = "1.5" }},
		{"best_epoch", func(_ *nn.StateDict, m map[string]string) { m["best_epoch"] = "-2" }},
		{"best", func(_ *nn.StateDict, m map[string]string) { m["best"] = "NaN" }},
		{"best", func(_ *nn.StateDict, m map[string]string) { m["best"] = long }},
		{"best", func(_ *nn.StateDict, m map[string]string) { m["best"], m["best_epoch"] = "0.5", "-1" }},
	})
}

// TestEarlyStoppingStateRefusals: every entry of EarlyStopping's state,
// the smoothing's and the further monitors' included, is checked, named
// when refused, and quoted short.
func TestEarlyStoppingStateRefusals(t *testing.T) {
	cfg := EarlyStoppingConfig{Patience: 3, RestoreBestWeights: true, PQ: 5, SmoothMedian: 3,
		AlsoMonitor: []Monitored{{Name: "val_accuracy"}}}
	mk := func() Stateful {
		e := NewEarlyStopping(cfg)
		e.Watch(newEpochModel())
		return e
	}
	e := mk().(*EarlyStopping)
	for ep, v := range []float64{1, 0.8, 0.9} {
		e.ObserveLogs(ep, Logs{"val_loss": v, "loss": v, "val_accuracy": 1 - v})
	}
	s, meta := reloaded(t, e)
	again := mk()
	if err := again.LoadState(s, meta); err != nil || encoded(t, again) != encoded(t, e) {
		t.Fatalf("EarlyStopping round trip: %v", err)
	}
	set := func(k, v string) func(*nn.StateDict, map[string]string) {
		return func(_ *nn.StateDict, m map[string]string) { m[k] = v }
	}
	checkRefusals(t, s, meta, mk, []edit{
		{"best", set("best", long)},
		{"best_epoch", set("best_epoch", long)},
		{"wait", set("wait", "4")}, // more than the values observed
		{"stopped_epoch", set("stopped_epoch", "-2")},
		{"reason", set("reason", long)},
		{"message", set("message", strings.Repeat("m", MaxMessageLen+1))},
		{"values", func(s *nn.StateDict, _ map[string]string) { s.Set("values", tensor.Zeros(1, 3)) }},
		{"train", func(s *nn.StateDict, _ map[string]string) { s.Set("train", tensor.Zeros(7)) }},
		{"smooth_window", func(s *nn.StateDict, _ map[string]string) { s.Set("smooth_window", tensor.Zeros(4)) }},
		{"best_weights.", func(s *nn.StateDict, _ map[string]string) { s.Set("best_weights.w", tensor.Zeros(2)) }},
		{"also.0.wait", set("also.0.wait", long)},
		{"also.best_epoch", set("also.best_epoch", "x")},
		{"also.best", set("also.best", "[1]")},
		{"also.best", set("also.best", `["1", "`+long+`"]`)},
	})
}
