package callbacks

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// FuzzEarlyStoppingLoadState loads arbitrary saved states: LoadState never
// panics, refuses with a *StateError, and a state it accepts can be
// observed on, printed and saved again.
func FuzzEarlyStoppingLoadState(f *testing.F) {
	cfg := EarlyStoppingConfig{Patience: 3, PQ: 2, RestoreBestWeights: true}
	es := NewEarlyStopping(cfg)
	es.Watch(newEpochModel())
	var buf bytes.Buffer
	s, meta := es.State()
	nn.WriteSafetensors(&buf, s, meta)
	f.Add(bytes.Clone(buf.Bytes()))
	for e, v := range []float64{1, 0.8, 0.9, 0.95, 0.97} {
		es.ObserveLogs(e, Logs{"val_loss": v, "loss": v})
	}
	buf.Reset()
	s, meta = es.State()
	nn.WriteSafetensors(&buf, s, meta)
	f.Add(bytes.Clone(buf.Bytes()))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, meta, err := nn.ReadSafetensors(b)
		if err != nil {
			return
		}
		es := NewEarlyStopping(cfg)
		m := newEpochModel()
		es.Watch(m)
		if err := es.LoadState(s, meta); err != nil {
			if !errors.Is(err, ErrState) {
				t.Fatalf("LoadState error %v is not of kind ErrState", err)
			}
			return
		}
		_ = es.Message() + es.StopReason().String()
		es.ObserveLogs(len(es.progress.Values), Logs{"val_loss": 0.5, "loss": 0.5})
		if err := es.RestoreBest(); err != nil {
			t.Fatalf("RestoreBest after an accepted state: %v", err)
		}
		s2, meta2 := es.State()
		var out bytes.Buffer
		if err := nn.WriteSafetensors(&out, s2, meta2); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzCSVLoggerAppend appends to an arbitrary existing file: OnTrainBegin
// refuses one without a usable header, and otherwise every row written has
// the header's columns.
func FuzzCSVLoggerAppend(f *testing.F) {
	f.Add("epoch,loss,val_loss\n0,1,2\n")
	f.Add("epoch,val_loss,gone\n0,9,9")
	f.Add("")
	f.Add("\"epoch\nx\",a\n")
	f.Add("a,b\n1,2\n")
	f.Fuzz(func(t *testing.T, existing string) {
		path := filepath.Join(t.TempDir(), "log.csv")
		if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
			t.Fatal(err)
		}
		c := NewCSVLogger(CSVLoggerConfig{Path: path, Append: true})
		r := &Run{}
		if err := c.OnTrainBegin(r); err != nil {
			return
		}
		for e := range 2 {
			if err := c.OnEpochEnd(r, e, Logs{"loss": 0.5, "val_loss": math.NaN()}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.OnTrainEnd(r); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		if !strings.HasPrefix(string(b), existing) {
			t.Fatalf("the existing content was changed")
		}
		rows, err := csv.NewReader(strings.NewReader(string(b[len(existing):]))).ReadAll()
		if err != nil {
			t.Fatalf("the appended rows do not parse: %v", err)
		}
		if len(rows) < 2 {
			t.Fatalf("%d rows appended, want 2 (or a header and 2)", len(rows))
		}
		for _, row := range rows {
			if len(row) != len(c.columns) {
				t.Fatalf("a row of %d fields under a header of %d", len(row), len(c.columns))
			}
		}
	})
}

// statefulKinds builds a fresh callback of each Stateful kind, by name.
func statefulKinds(dir string) map[string]func() Stateful {
	return map[string]func() Stateful{
		"EarlyStopping": func() Stateful {
			e := NewEarlyStopping(EarlyStoppingConfig{Patience: 3, PQ: 2, SmoothEMA: 0.5, RestoreBestWeights: true,
				AlsoMonitor: []Monitored{{Name: "val_accuracy"}}})
			e.Watch(newEpochModel())
			return e
		},
		"ReduceLROnPlateau": func() Stateful { return NewReduceLROnPlateau(ReduceLROnPlateauConfig{Cooldown: 2}) },
		"ModelCheckpoint": func() Stateful {
			return NewModelCheckpoint(ModelCheckpointConfig{Path: filepath.Join(dir, "m-{epoch}-{val_loss:.2f}.safetensors"), SaveBestOnly: true, Out: io.Discard})
		},
		"History": func() Stateful { return &History{} },
		"CurveRecorder": func() Stateful {
			return NewCurveRecorder(CurveRecorderConfig{Path: filepath.Join(dir, "curves.jsonl")})
		},
	}
}

// FuzzCallbackLoadState loads arbitrary saved states into every Stateful
// callback: LoadState never panics; a refusal is of kind ErrState, short,
// and leaves the callback as it was; an accepted state saves and loads
// again to the same state (what State writes, LoadState reads).
func FuzzCallbackLoadState(f *testing.F) {
	dir := f.TempDir()
	kinds := statefulKinds(dir)
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		cb := kinds[name]().(Callback)
		m := newEpochModel()
		r := &Run{Model: m, Optimizer: optim.NewSGD(m.Parameters(), optim.SGDConfig{LR: 0.1}), Keys: []string{"val_loss", "val_accuracy", "loss"}}
		if err := cb.OnTrainBegin(r); err != nil {
			f.Fatal(err)
		}
		for e, v := range []float64{1, 0.5, 0.7, 0.8} {
			m.w.Value.Fill(float64(e))
			cb.OnEpochEnd(r, e, Logs{"val_loss": v, "val_accuracy": 1 - v, "loss": v})
		}
		var buf bytes.Buffer
		s, meta := cb.(Stateful).State()
		nn.WriteSafetensors(&buf, s, meta)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, meta, err := nn.ReadSafetensors(b)
		if err != nil {
			return
		}
		for _, name := range slices.Sorted(maps.Keys(kinds)) {
			cb := kinds[name]()
			before := encoded(t, cb)
			if err := cb.LoadState(s, meta); err != nil {
				if !errors.Is(err, ErrState) && !errors.Is(err, ErrConfig) {
					t.Fatalf("%s: error %v is of neither kind", name, err)
				}
				if len(err.Error()) > 500 {
					t.Fatalf("%s: an error of %d bytes", name, len(err.Error()))
				}
				if encoded(t, cb) != before {
					t.Fatalf("%s: a refused state changed the callback", name)
				}
				continue
			}
			s2, meta2 := reloaded(t, cb)
			again := kinds[name]()
			if err := again.LoadState(s2, meta2); err != nil {
				t.Fatalf("%s: a state saved after an accepted one is refused: %.300v", name, err)
			}
			if encoded(t, again) != encoded(t, cb) {
				t.Fatalf("%s: saved and loaded again, the state differs", name)
			}
		}
	})
}

// FuzzCSVLoggerResume resumes a CSV log of arbitrary content at epoch 2:
// OnTrainBegin refuses a file that is not a log, or else the complete rows
// of epochs before 2 stay as they were, and the rows written line up with
// the header.
func FuzzCSVLoggerResume(f *testing.F) {
	f.Add("epoch,loss,val_loss\n0,1,2\n1,0.5,1\n2,0.4,0.9\n")
	f.Add("epoch,loss\n0,1\n1,0.5\n2,0.")
	f.Add("epoch,loss\n0,1\n1,\"0")
	f.Add("epo")
	f.Add("")
	f.Fuzz(func(t *testing.T, existing string) {
		path := filepath.Join(t.TempDir(), "log.csv")
		if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
			t.Fatal(err)
		}
		c := NewCSVLogger(CSVLoggerConfig{Path: path})
		r := &Run{Resumed: true, InitialEpoch: 2}
		if err := c.OnTrainBegin(r); err != nil {
			return
		}
		if err := c.OnEpochEnd(r, 2, Logs{"loss": 0.5}); err != nil {
			t.Fatal(err)
		}
		if err := c.OnTrainEnd(r); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("the resumed log does not parse: %v\n%q", err, b)
		}
		epoch := slices.Index(rows[0], "epoch")
		if epoch < 0 {
			t.Fatalf("the resumed log has no epoch column: %q", b)
		}
		last := rows[len(rows)-1]
		if last[epoch] != "2" {
			t.Fatalf("the last row is not epoch 2's: %q", b)
		}
		// The rows kept are the old file's complete rows of earlier epochs.
		old, _ := csv.NewReader(strings.NewReader(existing[:strings.LastIndexByte(existing, '\n')+1])).ReadAll()
		var want [][]string
		for _, row := range old[min(1, len(old)):] {
			if e, err := strconv.Atoi(row[epoch]); err == nil && e < 2 {
				want = append(want, row)
			}
		}
		if got := rows[1 : len(rows)-1]; len(old) > 0 && !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("rows kept %q, want %q", got, want)
		}
	})
}
