package callbacks

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

func TestModelCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ck := NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "m-{epoch:02d}-{val_loss:.2f}.safetensors"), SaveBestOnly: true, KeepLast: 2})
	simulate(t, []float64{1, 0.5, 0.7, 0.25, 0.125, 0.3}, nil, ck)
	var names []string
	for _, p := range ck.Written() {
		names = append(names, filepath.Base(p))
	}
	if diff := cmp.Diff([]string{"m-03-0.25.safetensors", "m-04-0.12.safetensors"}, names); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files on disk: %v", entries)
	}
	// The best file holds the weights of epoch 4, is named so, and says so.
	m := newEpochModel()
	s, meta, err := nn.LoadFile(filepath.Join(dir, "m-04-0.12.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.LoadState(m, s); err != nil || m.epoch() != 4 || meta["epoch"] != "4" || meta["val_loss"] != "0.125" {
		t.Errorf("checkpoint holds epoch %d, metadata %v, %v", m.epoch(), meta, err)
	}

	// A name that comes back (the same rounded loss) is the newest file and
	// must survive KeepLast.
	again := t.TempDir()
	ck = NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(again, "m-{val_loss:.0f}.safetensors"), KeepLast: 2})
	simulate(t, []float64{1, 2, 1.2}, nil, ck)
	if got := ck.Written(); len(got) != 2 || filepath.Base(got[0]) != "m-2.safetensors" || filepath.Base(got[1]) != "m-1.safetensors" {
		t.Errorf("written %v", got)
	}
	if _, err := os.Stat(filepath.Join(again, "m-1.safetensors")); err != nil {
		t.Errorf("the newest checkpoint was deleted: %v", err)
	}

	every := NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "last.safetensors")})
	simulate(t, []float64{1, 2, 3}, nil, every)
	if len(every.Written()) != 1 {
		t.Errorf("one path written %d times is listed %v", 3, every.Written())
	}
	if err := nn.Load(filepath.Join(dir, "last.safetensors"), m); err != nil || m.epoch() != 2 {
		t.Errorf("last checkpoint: epoch %d, %v", m.epoch(), err)
	}
}

func TestModelCheckpointErrors(t *testing.T) {
	ck := NewModelCheckpoint(ModelCheckpointConfig{Path: "x-{val_acc}.safetensors"})
	if err := ck.OnTrainBegin(&Run{Keys: []string{"loss", "val_loss"}}); err == nil || !strings.Contains(err.Error(), "path field {val_acc} will never be logged") {
		t.Errorf("unknown field: %v", err)
	}
	best := NewModelCheckpoint(ModelCheckpointConfig{Path: "x.safetensors", SaveBestOnly: true, Monitor: "val_mse"})
	if err := best.OnTrainBegin(&Run{Keys: []string{"loss"}}); err == nil || !strings.Contains(err.Error(), `monitor "val_mse" will never be logged`) {
		t.Errorf("unknown monitor: %v", err)
	}
	for _, cfg := range []ModelCheckpointConfig{{}, {Path: "{epoch:.2f}"}, {Path: "{loss:q}"}, {Path: "p", KeepLast: -1}} {
		func() {
			defer func() {
				if _, ok := recover().(*ConfigError); !ok {
					t.Errorf("%+v did not panic with a *ConfigError", cfg)
				}
			}()
			NewModelCheckpoint(cfg)
		}()
	}
	dir := t.TempDir()
	// A missing folder is created when training begins, as Keras does; one
	// that cannot be is an error then, naming it.
	missing := NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "new", "sub", "m.safetensors")})
	r := &Run{Model: newEpochModel(), Keys: []string{"val_loss"}}
	if err := missing.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(dir, "new", "sub")); err != nil || !info.IsDir() {
		t.Errorf("the folder was not created at train begin: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	blocked := NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "file", "m.safetensors")})
	if err := blocked.OnTrainBegin(r); err == nil || !strings.Contains(err.Error(), "creating the folder "+filepath.Join(dir, "file")) {
		t.Errorf("a folder that cannot be made: %v", err)
	}
	// A folder named by a field is made at each save.
	perEpoch := NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "e{epoch}", "m.safetensors")})
	if err := perEpoch.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	if err := perEpoch.OnEpochEnd(r, 3, Logs{"val_loss": 1}); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "e3", "m.safetensors")); err != nil {
		t.Errorf("per-epoch folder: %v", err)
	}
	if got := NewModelCheckpoint(ModelCheckpointConfig{Path: "{epoch}-{loss}-{acc:d}-{nothere}"}).Filename(2, Logs{"loss": 0.5, "acc": 2.6}); got != "2-0.5-3-{nothere}" {
		t.Errorf("Filename = %q", got)
	}
}

// TestModelCheckpointNonFinite: with SaveBestOnly off, an epoch whose loss
// or weights turned NaN does not replace the last good file, and says so.
func TestModelCheckpointNonFinite(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	path := filepath.Join(dir, "last.safetensors")
	ck := NewModelCheckpoint(ModelCheckpointConfig{Path: path, Out: &out})
	m := newEpochModel()
	r := &Run{Model: m, Keys: []string{"val_loss"}}
	ck.OnTrainBegin(r)
	m.w.Value.Fill(1)
	ck.OnEpochEnd(r, 0, Logs{"val_loss": 0.5})
	m.w.Value.Fill(2)
	ck.OnEpochEnd(r, 1, Logs{"val_loss": math.NaN()}) // the monitored value
	m.w.Value.Fill(math.Inf(1))
	ck.OnEpochEnd(r, 2, Logs{"val_loss": 0.4}) // the weights
	got := newEpochModel()
	if err := nn.Load(path, got); err != nil || got.epoch() != 1 {
		t.Errorf("the checkpoint holds %v (%v), want the good epoch's weight 1", got.w.Value.Item(), err)
	}
	if s := out.String(); !strings.Contains(s, "Epoch 1: ModelCheckpoint: val_loss = NaN is not finite; not saving") ||
		!strings.Contains(s, "Epoch 2: ModelCheckpoint: parameter w is not finite; not saving") {
		t.Errorf("messages:\n%s", s)
	}
}

// TestReduceLROnPlateauGroups checks that every parameter group is lowered
// from its own rate and none below MinLR, and that the count restarts
// while any group could still be lowered.
func TestReduceLROnPlateauGroups(t *testing.T) {
	a, b := autograd.Param(tensor.Zeros(1)), autograd.Param(tensor.Zeros(1))
	ps := nn.ParametersOf(a, b)
	opt := optim.NewSGD(ps, optim.SGDConfig{LR: 1, Groups: []optim.Group{{Params: ps[1:], LR: new(0.3)}}})
	var out bytes.Buffer
	p := NewReduceLROnPlateau(ReduceLROnPlateauConfig{Factor: 0.5, Patience: new(1), MinLR: 0.2, Verbose: true, Out: &out})
	r := &Run{Optimizer: opt, Keys: []string{"val_loss"}}
	if err := p.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	var got [][]float64
	for e := range 4 {
		p.OnEpochEnd(r, e, Logs{"val_loss": 1})
		got = append(got, opt.LRs())
	}
	want := [][]float64{{1, 0.3}, {0.5, 0.2}, {0.25, 0.2}, {0.2, 0.2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("learning rates per group (-want +got):\n%s", diff)
	}
	if s := out.String(); !strings.Contains(s, "Epoch 1: ReduceLROnPlateau: learning rate 0.3 → 0.2 (parameter group 1)") || strings.Count(s, "learning rate") != 4 {
		t.Errorf("verbose output:\n%s", s)
	}
}

func TestReduceLROnPlateau(t *testing.T) {
	opt := optim.NewSGD(nil, optim.SGDConfig{LR: 1})
	var out bytes.Buffer
	p := NewReduceLROnPlateau(ReduceLROnPlateauConfig{Factor: 0.5, Patience: new(2), Cooldown: 1, MinLR: 0.2, MinDelta: new(0.01), Verbose: true, Out: &out})
	r := &Run{Optimizer: opt, Keys: []string{"val_loss"}}
	if err := p.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	// Keras's rules by hand: 1.005 is no improvement on 1 with MinDelta
	// 0.01; bad epochs 1, 2 → 0.5. Keras spends the cooldown at the start of
	// the next epoch, which then counts again: 1, 2 → 0.25; 1, 2 → max(0.125,
	// 0.2); after that the rate is at MinLR and stays.
	vals := []float64{1, 1.005, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2}
	want := []float64{1, 1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}
	var got []float64
	for e, v := range vals {
		p.OnEpochEnd(r, e, Logs{"val_loss": v})
		got = append(got, opt.LR())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("learning rates (-want +got):\n%s", diff)
	}
	if strings.Count(out.String(), "learning rate") != 3 {
		t.Errorf("verbose output:\n%s", out.String())
	}
	if err := p.OnTrainBegin(&Run{Keys: []string{"val_loss"}}); err == nil {
		t.Error("no optimizer accepted")
	}
	if err := p.OnTrainBegin(&Run{Optimizer: opt, Keys: []string{"loss"}}); err == nil {
		t.Error("missing monitor accepted")
	}
	if err := p.OnEpochEnd(r, 0, Logs{}); err != nil {
		t.Error(err)
	}
	func() {
		defer func() {
			if _, ok := recover().(*ConfigError); !ok {
				t.Error("factor 2 accepted")
			}
		}()
		NewReduceLROnPlateau(ReduceLROnPlateauConfig{Factor: 2})
	}()
	if d := NewReduceLROnPlateau(ReduceLROnPlateauConfig{}); d.patience != 10 || d.tracker.MinDelta != 1e-4 || d.cfg.Factor != 0.1 || d.cfg.Monitor != "val_loss" {
		t.Errorf("Keras's defaults: patience %d, min delta %v, %+v", d.patience, d.tracker.MinDelta, d.cfg)
	}
	if z := NewReduceLROnPlateau(ReduceLROnPlateauConfig{Patience: new(0), MinDelta: new(0.0)}); z.patience != 0 || z.tracker.MinDelta != 0 {
		t.Errorf("explicit zeros: patience %d, min delta %v", z.patience, z.tracker.MinDelta)
	}
}

func TestTerminateOnNaN(t *testing.T) {
	r := &Run{Epoch: 3}
	var cb TerminateOnNaN
	cb.OnBatchEnd(r, 0, Logs{"loss": 1})
	if r.Stopping() {
		t.Fatal("stopped on a finite loss")
	}
	cb.OnBatchEnd(r, 7, Logs{"loss": math.NaN()})
	if !r.Stopping() || r.StopReason() != StopNonFinite || r.StoppedEpoch() != 3 || !strings.Contains(r.StopMessage(), "batch 7: loss NaN") {
		t.Errorf("after NaN: %v %v %q", r.Stopping(), r.StopReason(), r.StopMessage())
	}
}

func TestHistoryAndLambda(t *testing.T) {
	h := &History{}
	var calls []string
	l := &Lambda{
		TrainBegin: func(*Run) error { calls = append(calls, "begin"); return nil },
		EpochBegin: func(_ *Run, e int) error { calls = append(calls, "epoch"); return nil },
		BatchEnd:   func(*Run, int, Logs) error { calls = append(calls, "batch"); return nil },
		EpochEnd:   func(*Run, int, Logs) error { calls = append(calls, "end"); return nil },
		TrainEnd:   func(*Run) error { calls = append(calls, "done"); return nil },
	}
	r := &Run{}
	for _, cb := range []Callback{h, l, &Lambda{}, Base{}} {
		cb.OnTrainBegin(r)
		cb.OnEpochBegin(r, 0)
		cb.OnBatchEnd(r, 0, Logs{"loss": 1})
		cb.OnEpochEnd(r, 0, Logs{"loss": 1, "val_loss": 2})
		cb.OnEpochEnd(r, 1, Logs{"loss": 0.5})
		r.Stop(StopPatience, "why")
		cb.OnTrainEnd(r)
	}
	if diff := cmp.Diff([]string{"begin", "epoch", "batch", "end", "end", "done"}, calls); diff != "" {
		t.Errorf("Lambda calls (-want +got):\n%s", diff)
	}
	if !cmp.Equal(h.Keys(), []string{"loss", "val_loss"}) || h.StopReason != StopPatience || h.StoppedEpoch != 0 || h.StopMessage != "why" {
		t.Errorf("history %+v", h)
	}
	v := h.Values("val_loss")
	if v[0] != 2 || !math.IsNaN(v[1]) {
		t.Errorf("Values %v", v)
	}
	for reason, name := range map[StopReason]string{NotStopped: "not_stopped", StopUP: "up", StopCallback: "callback", StopReason("my_rule"): "my_rule"} {
		if b, _ := reason.MarshalText(); string(b) != name || reason.String() != name {
			t.Errorf("%q: %q", string(reason), b)
		}
	}
}

func TestCSVLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	c := NewCSVLogger(CSVLoggerConfig{Path: path})
	simulate(t, []float64{1, 0.5}, nil, c)
	want := "epoch,loss,lr,val_accuracy,val_loss\n0,1,0.1,1,1\n1,0.5,0.1,0.5,0.5\n"
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	// Appending continues the file under its header, with its columns.
	os.WriteFile(path, []byte("epoch,val_loss,gone\n0,9,9\n"), 0o644)
	c = NewCSVLogger(CSVLoggerConfig{Path: path, Append: true})
	simulate(t, []float64{0.25}, nil, c)
	want = "epoch,val_loss,gone\n0,9,9\n0,0.25,NA\n"
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Errorf("appended file:\n%s\nwant:\n%s", b, want)
	}
	// A new file in append mode gets a header.
	fresh := filepath.Join(t.TempDir(), "new.csv")
	c = NewCSVLogger(CSVLoggerConfig{Path: fresh, Append: true, Separator: ';'})
	simulate(t, []float64{2}, nil, c)
	if b, _ := os.ReadFile(fresh); !strings.HasPrefix(string(b), "epoch;loss;lr") {
		t.Errorf("fresh appended file:\n%s", b)
	}
	bad := NewCSVLogger(CSVLoggerConfig{Path: filepath.Join(t.TempDir(), "no", "such.csv")})
	if err := bad.OnTrainBegin(&Run{}); err == nil {
		t.Error("opened a file in a missing folder")
	}
	if err := bad.OnEpochEnd(&Run{}, 0, Logs{}); err == nil {
		t.Error("epoch end without a file")
	}
	if err := bad.OnTrainEnd(&Run{}); err != nil {
		t.Error(err)
	}
}

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	p := NewProgressBar(&out)
	if p.Terminal {
		t.Error("a buffer is not a terminal")
	}
	r := &Run{Epochs: 3, Steps: 2}
	p.OnEpochBegin(r, 0)
	p.OnBatchEnd(r, 0, Logs{"loss": 1})
	p.OnEpochEnd(r, 0, Logs{"loss": 0.5, "val_loss": 0.25, "epoch_seconds": 1, "lr": 1e-5})
	line := out.String()
	if !strings.HasPrefix(line, "Epoch 0 (1/3): ") || !strings.Contains(line, "loss 0.5000 lr 1e-05 val_loss 0.2500\n") || strings.Contains(line, "epoch_seconds") {
		t.Errorf("line %q", line)
	}
	out.Reset()
	p.Terminal = true
	p.OnTrainBegin(r)
	p.OnEpochBegin(r, 0)
	p.OnBatchEnd(r, 0, Logs{"loss": 1})
	p.OnBatchEnd(r, 1, Logs{"loss": 0.75})
	if s := out.String(); !strings.Contains(s, "\rEpoch 0 (1/3): [===============>              ] 1/2 ETA") || !strings.Contains(s, "2/2 ETA 0s run ETA 0s loss 0.75") {
		t.Errorf("bar %q", s)
	}
}

// TestMessagesAndTheBar: a callback's message printed while the bar's live
// line is drawn takes a line of its own, and the bar's epoch line follows
// on another.
func TestMessagesAndTheBar(t *testing.T) {
	var screen bytes.Buffer
	bar := NewProgressBar(&screen)
	bar.Terminal = true
	plateau := NewReduceLROnPlateau(ReduceLROnPlateauConfig{Patience: new(0), Verbose: true, Out: &screen})
	r := &Run{Epochs: 3, Steps: 2, Optimizer: optim.NewSGD(nil, optim.SGDConfig{LR: 1}), Keys: []string{"val_loss"}}
	for _, cb := range []Callback{plateau, bar} { // the plateau callback first, as Fit would call them
		if err := cb.OnTrainBegin(r); err != nil {
			t.Fatal(err)
		}
	}
	for epoch, v := range []float64{1, 2} {
		r.Epoch = epoch
		bar.OnEpochBegin(r, epoch)
		bar.OnBatchEnd(r, 0, Logs{"loss": 1})
		bar.OnBatchEnd(r, 1, Logs{"loss": 1})
		plateau.OnEpochEnd(r, epoch, Logs{"val_loss": v})
		bar.OnEpochEnd(r, epoch, Logs{"val_loss": v})
	}
	// What a terminal shows: carriage returns go back to the line's start,
	// and ESC[K clears it.
	var lines []string
	for _, raw := range strings.Split(screen.String(), "\n") {
		parts := strings.Split(raw, "\r")
		shown := strings.TrimPrefix(parts[len(parts)-1], "\033[K")
		lines = append(lines, shown)
	}
	want := []string{"Epoch 0 (1/3): ", "Epoch 1: ReduceLROnPlateau: learning rate 1 → 0.1", "Epoch 1 (2/3): "}
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Fatalf("screen lines %q, want lines starting %q", lines, want)
		}
	}
	if strings.Contains(lines[1], "[") {
		t.Errorf("the message shares a line with the bar: %q", lines[1])
	}
}

// TestCSVLoggerResumed: on a resumed run the log keeps the rows of the
// epochs before the resumed one, drops any later row a crash left behind,
// and appends.
func TestCSVLoggerResumed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	os.WriteFile(path, []byte("epoch,loss\n0,1\n1,0.5\n2,0.4\n"), 0o644)
	c := NewCSVLogger(CSVLoggerConfig{Path: path})
	r := &Run{Resumed: true, InitialEpoch: 2}
	if err := c.OnTrainBegin(r); err != nil {
		t.Fatal(err)
	}
	c.OnEpochEnd(r, 2, Logs{"loss": 0.25})
	c.OnTrainEnd(r)
	if b, _ := os.ReadFile(path); string(b) != "epoch,loss\n0,1\n1,0.5\n2,0.25\n" {
		t.Errorf("resumed log:\n%s", b)
	}
}

// TestCSVLoggerResumedAfterATornRow: a row cut short by a crash (the
// file's last line, without its line end) is dropped when the run resumes,
// as a journal drops a torn record, and the complete rows stay; a file
// broken elsewhere is still refused.
func TestCSVLoggerResumedAfterATornRow(t *testing.T) {
	for _, tt := range []struct{ name, before, want string }{
		{"a torn row", "epoch,loss\n0,1\n1,0.5\n2,0.", "epoch,loss\n0,1\n1,0.5\n2,0.25\n"},
		{"a torn row of every field", "epoch,loss\n0,1\n1,0.5\n2,0.4", "epoch,loss\n0,1\n1,0.5\n2,0.25\n"},
		{"a torn row of an epoch kept", "epoch,loss\n0,1\n1,0", "epoch,loss\n0,1\n2,0.25\n"},
		{"a torn quoted field", "epoch,loss\n0,1\n1,0.5\n\"2", "epoch,loss\n0,1\n1,0.5\n2,0.25\n"},
		{"a torn header", "epoch,lo", "epoch,loss\n2,0.25\n"},
	} {
		path := filepath.Join(t.TempDir(), "log.csv")
		os.WriteFile(path, []byte(tt.before), 0o644)
		c := NewCSVLogger(CSVLoggerConfig{Path: path})
		r := &Run{Resumed: true, InitialEpoch: 2}
		if err := c.OnTrainBegin(r); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		c.OnEpochEnd(r, 2, Logs{"loss": 0.25})
		c.OnTrainEnd(r)
		if b, _ := os.ReadFile(path); string(b) != tt.want {
			t.Errorf("%s: the resumed log is\n%s\nwant\n%s", tt.name, b, tt.want)
		}
	}
	path := filepath.Join(t.TempDir(), "log.csv")
	os.WriteFile(path, []byte("epoch,loss\n0,1\n\"1,0.5\n2,0.4\n"), 0o644)
	if err := NewCSVLogger(CSVLoggerConfig{Path: path}).OnTrainBegin(&Run{Resumed: true, InitialEpoch: 2}); err == nil {
		t.Errorf("a log broken before its last line was resumed")
	}
}

// TestModelCheckpointVerbose: with Verbose, each save is announced with the
// best before it and the file, each epoch that did not improve says so, as
// Keras's verbose=1, numbered from 0; without it nothing is written.
func TestModelCheckpointVerbose(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name    string
		cfg     ModelCheckpointConfig
		want    string
		written int
	}{
		{"best only", ModelCheckpointConfig{Path: filepath.Join(dir, "best.safetensors"), SaveBestOnly: true, Verbose: true},
			"Epoch 0: val_loss improved from +Inf to 0.31000, saving model to " + filepath.Join(dir, "best.safetensors") + "\n" +
				"Epoch 1: val_loss improved from 0.31000 to 0.29000, saving model to " + filepath.Join(dir, "best.safetensors") + "\n" +
				"Epoch 2: val_loss did not improve from 0.29000\n", 1},
		{"every epoch", ModelCheckpointConfig{Path: filepath.Join(dir, "m-{epoch}.safetensors"), Verbose: true},
			"Epoch 0: saving model to " + filepath.Join(dir, "m-0.safetensors") + "\n" +
				"Epoch 1: saving model to " + filepath.Join(dir, "m-1.safetensors") + "\n" +
				"Epoch 2: saving model to " + filepath.Join(dir, "m-2.safetensors") + "\n", 3},
		{"quiet", ModelCheckpointConfig{Path: filepath.Join(dir, "q.safetensors"), SaveBestOnly: true}, "", 1},
	} {
		var out bytes.Buffer
		tt.cfg.Out = &out
		ck := NewModelCheckpoint(tt.cfg)
		r := &Run{Model: newEpochModel(), Keys: []string{"val_loss"}}
		if err := ck.OnTrainBegin(r); err != nil {
			t.Fatal(err)
		}
		for epoch, v := range []float64{0.31, 0.29, 0.3} {
			if err := ck.OnEpochEnd(r, epoch, Logs{"val_loss": v}); err != nil {
				t.Fatal(err)
			}
		}
		if out.String() != tt.want || len(ck.Written()) != tt.written {
			t.Errorf("%s: wrote %d files and\n%s\nwant %d and\n%s", tt.name, len(ck.Written()), out.String(), tt.written, tt.want)
		}
	}
}

// TestProgressBarETA: on a fake clock, the bar and the epoch lines show the
// epoch out of the run's, the time left in the epoch (from the batches'
// pace) and in the run (from the epochs' mean, to Run.Epochs), for a run
// resumed at epoch 2 of 5; without a known number of epochs, the number
// alone.
func TestProgressBarETA(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := NewProgressBar(&out)
	p.Terminal = true
	p.now = func() time.Time { return clock }
	r := &Run{Epochs: 5, Steps: 4, InitialEpoch: 2}
	p.OnTrainBegin(r)
	for _, epoch := range []int{2, 3} {
		r.Epoch = epoch
		p.OnEpochBegin(r, epoch)
		for b := range 4 {
			clock = clock.Add(2 * time.Second) // 2 s a batch
			p.OnBatchEnd(r, b, Logs{"loss": 1})
		}
		clock = clock.Add(2 * time.Second) // the validation
		p.OnEpochEnd(r, epoch, Logs{"loss": 0.5})
	}
	got := out.String()
	for _, want := range []string{
		// 1 of 4 batches in 2 s: 6 s left in the epoch, and two epochs of 8 s after it.
		"\rEpoch 2 (3/5): [=======>                      ] 1/4 ETA 6s run ETA 22s loss 1 ",
		"\r\033[KEpoch 2 (3/5): 10.0s, ETA 20s loss 0.5000\n", // two epochs of 10 s to go
		"\rEpoch 3 (4/5): [===============>              ] 2/4 ETA 4s run ETA 14s loss 1 ",
		"\r\033[KEpoch 3 (4/5): 10.0s, ETA 10s loss 0.5000\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the screen lacks %q:\n%q", want, got)
		}
	}
	out.Reset()
	p.Terminal = false
	p.OnEpochBegin(r, 4)
	clock = clock.Add(3 * time.Second)
	p.OnEpochEnd(r, 4, Logs{"loss": 0.25})
	if got := out.String(); got != "Epoch 4 (5/5): 3.0s loss 0.2500\n" {
		t.Errorf("the last epoch's line %q: want no ETA", got)
	}
	out.Reset()
	p.OnEpochBegin(&Run{}, 7)
	p.OnEpochEnd(&Run{}, 7, Logs{})
	if got := out.String(); got != "Epoch 7: 0.0s\n" {
		t.Errorf("a run of unknown length: %q", got)
	}
}
