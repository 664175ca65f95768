package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minidl/minidl/tune"
)

// TestReplayOutput replays the pruners over the checked-in subset corpus of
// cmd/stopstudy: a header, then one row per method, the full search first,
// spending every epoch and losing nothing.
func TestReplayOutput(t *testing.T) {
	code, out, errOut := runTune(t, "-replay", "../stopstudy/corpus/subset.jsonl.gz", "-final", "test_error", "-rounds", "2", "-parallel", "1")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	methods := tune.DefaultReplayMethods()
	want := []string{
		`^replay: 144 curves, 12 searches \(one per task\), val_loss reported each epoch, regret on test_error$`,
		`^each search replayed 2 times \(file order, then shuffles from seed 1\), 1 at a time$`,
		`^$`,
		`^method +epochs +saved +lost +mean regret +median +max$`,
		`^full search +122000 +0% +0/24 +0\.0000 +0\.0000 +0\.0000$`,
	}
	for range methods[1:] {
		want = append(want, `^[a-z0-9 ,()']+ +\d+ +\d+% +\d+/24( \(\d+ empty\))? +(-?[0-9.]+|NaN) +(-?[0-9.]+|NaN) +(-?[0-9.]+|NaN)$`)
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
		}
	}
	for i, m := range methods {
		if !strings.HasPrefix(lines[4+i], m.Name+" ") {
			t.Errorf("row %d is %q, want method %q", i+1, lines[4+i], m.Name)
		}
	}
}

func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"format":"minidl-curve/1","series":{"loss":[1]}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-replay", filepath.Join(dir, "none.jsonl")}, "no such file"},
		{[]string{"-replay", bad}, `has no series "val_loss"`},
		{[]string{"-replay", bad, "-rounds", "0"}, "-rounds must be positive"},
		{[]string{"-replay", bad, "-patience", "-1"}, "-patience not negative"},
	} {
		code, _, errOut := runTune(t, tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("tune %s: exit %d, stderr %q; want a failure saying %q", strings.Join(tt.args, " "), code, errOut, tt.msg)
		}
	}
}

// TestReplayPatience: with -patience the trials stop themselves, so the
// full search spends fewer epochs than the curves hold.
func TestReplayPatience(t *testing.T) {
	code, out, errOut := runTune(t, "-replay", "../stopstudy/corpus/subset.jsonl.gz", "-rounds", "1", "-patience", "10")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "2 at a time; each trial stops itself after 10 epochs without improvement\n") {
		t.Errorf("no mention of the patience:\n%s", out)
	}
	m := regexp.MustCompile(`(?m)^full search +(\d+) `).FindStringSubmatch(out)
	if m == nil || m[1] == "61000" || len(m[1]) > 5 {
		t.Errorf("the full search with patience 10 spent %v epochs, want fewer than the 61,000 the 144 curves hold:\n%s", m, out)
	}
}
