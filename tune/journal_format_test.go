package tune

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// journalOf runs a small study in a new folder and returns the folder and
// its journal's lines.
func journalOf(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	s, err := NewStudy(StudyConfig{Dir: dir, Budget: Budget{Trials: 3}, Pruner: pruneAfter(4)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Optimize(context.Background(), curveObjective); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func writeJournal(t *testing.T, lines []string, tail string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "journal.jsonl"), []byte(strings.Join(lines, "\n")+"\n"+tail), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A journal that cannot be read is an error naming its line and what is
// wrong there.
func TestJournalErrors(t *testing.T) {
	_, good := journalOf(t)
	header := good[0]
	cases := []struct {
		name  string
		lines []string
		line  int
		want  string
	}{
		{"not JSON", []string{header, `{"op":"start","trial":0`}, 2, "unexpected EOF"},
		{"unknown event", []string{header, `{"op":"launch","trial":0}`}, 2, `unknown event "launch"`},
		{"unknown field", []string{header, `{"op":"start","trial":0,"owner":"x"}`}, 2, `unknown field "owner"`},
		{"trials out of order", []string{header, `{"op":"start","trial":1,"worker":"w"}`}, 2, "trial 1 starts out of order: 0 trials so far"},
		{"a trial never started", []string{header, `{"op":"report","trial":0,"step":1,"value":2}`}, 2, "report of trial 0, which never started"},
		{"a value out of range", []string{header, `{"op":"start","trial":0,"worker":"w"}`,
			`{"op":"param","trial":0,"name":"lr","dist":{"kind":"float","low":0.1,"high":1},"value":2}`}, 3, `parameter "lr" of trial 0: "2" is not in float [0.1, 1]`},
		{"a step twice", []string{header, `{"op":"start","trial":0,"worker":"w"}`, `{"op":"report","trial":0,"step":1,"value":2}`,
			`{"op":"report","trial":0,"step":1,"value":3}`}, 4, "step 1 of trial 0 reported twice"},
		{"an end twice", []string{header, `{"op":"start","trial":0,"worker":"w"}`, `{"op":"complete","trial":0,"value":1}`,
			`{"op":"fail","trial":0}`}, 4, "fail of trial 0, which is complete"},
		{"a decision of no kind", []string{header, `{"op":"start","trial":0,"worker":"w"}`, `{"op":"decide","trial":0,"step":0,"reason":"maybe"}`}, 3, `reason "maybe", want "prune" or "pause"`},
		{"a bad worker", []string{header, `{"op":"start","trial":0,"worker":"../x"}`}, 2, `worker "../x"`},
		{"a value that is no number", []string{header, `{"op":"start","trial":0,"worker":"w"}`, `{"op":"report","trial":0,"step":0,"value":"lots"}`}, 3, `"\"lots\"" is not a number`},
		{"no header", []string{`{"op":"start","trial":0,"worker":"w"}`}, 1, "want the study's header"},
		{"another format", []string{`{"op":"study","trial":0,"study":{"format":"optuna/3","name":"s","direction":"minimize"}}`}, 1, `format "optuna/3"`},
		{"a second header", []string{header, header}, 2, "a second study header"},
		{"an empty line", []string{header, ""}, 2, "an empty line"},
		{"two objects on a line", []string{header, `{"op":"start","trial":0,"worker":"w"} {"op":"fail","trial":0}`}, 2, "want one JSON object on the line"},
		{"an object over two lines", []string{header, `{"op":"start",`, `"trial":0,"worker":"w"}`}, 2, "want one JSON object on the line"},
		{"a long line", []string{header, `{"op":"` + strings.Repeat("x", 1<<20) + `"}`}, 2, `unknown event "xxxxxxxx`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewStudy(StudyConfig{Dir: writeJournal(t, c.lines, "")})
			var je *JournalError
			if !errors.As(err, &je) || !errors.Is(err, ErrJournal) {
				t.Fatalf("NewStudy: %v; want a *JournalError", err)
			}
			if je.Line != c.line || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "journal.jsonl line") {
				t.Errorf("got %q (line %d); want line %d and %q", err, je.Line, c.line, c.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("a message of %d bytes: the line quoted is not cut short", len(err.Error()))
			}
		})
	}
}

// A journal of another study, or of the other direction, is refused.
func TestJournalOfAnotherStudy(t *testing.T) {
	dir, _ := journalOf(t)
	for _, cfg := range []StudyConfig{{Dir: dir, Name: "other"}, {Dir: dir, Direction: Maximize}} {
		if _, err := NewStudy(cfg); !errors.Is(err, ErrJournal) {
			t.Errorf("%+v: %v; want ErrJournal", cfg, err)
		}
	}
}

// A last line torn by a crash mid-write is cut off, and the study goes on
// from the lines before it.
func TestJournalTornLastLine(t *testing.T) {
	dir, lines := journalOf(t)
	want := func() []FrozenTrial {
		s, err := NewStudy(StudyConfig{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.Trials()
	}()
	for _, tail := range []string{`{"op":"start","tri`, `{"op":"start","trial":3,"worker":"w"}`, "\x00\x00\x00"} {
		torn := writeJournal(t, lines, tail)
		s, err := NewStudy(StudyConfig{Dir: torn, Budget: Budget{Trials: 4}})
		if err != nil {
			t.Fatalf("tail %q: %v", tail, err)
		}
		if d := cmp.Diff(want, s.Trials(), cmpopts.EquateNaNs()); d != "" {
			t.Errorf("tail %q: trials (-before the tear +after):\n%s", tail, d)
		}
		// It goes on: a fourth trial, and the journal reads back whole.
		if err := s.Optimize(context.Background(), curveObjective); err != nil {
			t.Fatal(err)
		}
		s.Close()
		again, err := NewStudy(StudyConfig{Dir: torn})
		if err != nil {
			t.Fatalf("tail %q, reopened: %v", tail, err)
		}
		if n := len(again.Trials()); n != 4 {
			t.Errorf("tail %q: %d trials after going on, want 4", tail, n)
		}
		again.Close()
	}
}

// FuzzJournal feeds arbitrary journals to NewStudy: it returns a study or
// an error, never panics, and a study it opens reads back the same.
func FuzzJournal(f *testing.F) {
	f.Add([]byte(`{"op":"study","trial":0,"study":{"format":"minidl-tune/1","name":"s","direction":"minimize"}}` + "\n" +
		`{"op":"start","trial":0,"worker":"w"}` + "\n" + `{"op":"report","trial":0,"step":0,"value":"NaN"}` + "\n"))
	f.Add([]byte(`{"op":"study"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "journal.jsonl"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := NewStudy(StudyConfig{Dir: dir, Name: "s"})
		if err != nil {
			if !errors.Is(err, ErrJournal) && !strings.Contains(err.Error(), "tune:") {
				t.Fatalf("an error without the package's prefix: %v", err)
			}
			return
		}
		first := s.Trials()
		s.Close()
		s, err = NewStudy(StudyConfig{Dir: dir, Name: "s"})
		if err != nil {
			t.Fatalf("opened once, not twice: %v", err)
		}
		defer s.Close()
		if d := cmp.Diff(first, s.Trials(), cmpopts.EquateNaNs()); d != "" {
			t.Errorf("read back differently:\n%s", d)
		}
	})
}

// Opening a journal takes memory in proportion to its size, however its
// events are spread: here 20 trials of 2,000 reports each.
func TestJournalMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"op":"study","trial":0,"study":{"format":"minidl-tune/1","name":"s","direction":"minimize"}}` + "\n")
	for n := range 20 {
		fmt.Fprintf(&b, `{"op":"start","trial":%d,"worker":"w"}`+"\n", n)
		for step := range 2000 {
			fmt.Fprintf(&b, `{"op":"report","trial":%d,"step":%d,"value":%g}`+"\n", n, step, 1/float64(step+1))
		}
		fmt.Fprintf(&b, `{"op":"complete","trial":%d,"value":0.5}`+"\n", n)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "journal.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := NewStudy(StudyConfig{Dir: dir})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	size := uint64(b.Len())
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12*size {
		t.Errorf("opening a journal of %d bytes allocated %d (%.1f×)", size, alloc, float64(alloc)/float64(size))
	} else {
		t.Logf("opening a journal of %d bytes allocated %d (%.1f×)", size, alloc, float64(alloc)/float64(size))
	}
	if n := len(s.Trials()); n != 20 {
		t.Errorf("%d trials, want 20", n)
	}
}
