package callbacks

import (
	"bytes"
	"errors"
	"maps"
	"runtime"
	"strings"
	"testing"

	"github.com/minidl/minidl/nn"
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
