package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minidl/minidl/callbacks"
)

// tinyPlan is a plan of a few runs of every task but MNIST's, of at most
// epochs epochs.
func tinyPlan(t *testing.T, epochs int) []runSpec {
	t.Helper()
	ts, err := tasks("")
	if err != nil {
		t.Fatal(err)
	}
	return plan(ts, 0.015, epochs)
}

func generateTo(t *testing.T, path string, runs []runSpec, workers int) []callbacks.Curve {
	t.Helper()
	g := generator{path: path, runs: runs, workers: workers}
	curves, err := g.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return curves
}

// TestGenerateReproducible generates a tiny corpus with one worker and
// with three: the files are the same, byte for byte once inflated, and so
// are the curves returned; every run is there, in the plan's order, with
// its settings, and the journal is gone.
func TestGenerateReproducible(t *testing.T) {
	runs := tinyPlan(t, 3)
	dir := t.TempDir()
	one := generateTo(t, filepath.Join(dir, "one.jsonl.gz"), runs, 1)
	three := generateTo(t, filepath.Join(dir, "three.jsonl.gz"), runs, 3)
	a, b := inflate(t, filepath.Join(dir, "one.jsonl.gz")), inflate(t, filepath.Join(dir, "three.jsonl.gz"))
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Fatalf("one worker wrote %d bytes, three %d: not the same corpus", len(a), len(b))
	}
	if c, err := canonical(three); err != nil || !bytes.Equal(c, a) {
		t.Errorf("the curves returned are not the file's (%v)", err)
	}
	if len(one) != len(runs) {
		t.Fatalf("%d curves for %d runs", len(one), len(runs))
	}
	var checks int
	for i, c := range one {
		if err := sameRun(c, runs[i]); err != nil || c.ID != runs[i].id() {
			t.Errorf("curve %d is %s, want %s: %v", i, c.ID, runs[i].id(), err)
		}
		if c.Epochs() != c.Budget*max(c.ChecksPerEpoch, 1) {
			t.Errorf("%s: %d values for a budget of %d epochs, %d checks each", c.ID, c.Epochs(), c.Budget, c.ChecksPerEpoch)
		}
		if c.Unit == callbacks.UnitCheck {
			checks++
		}
	}
	if checks == 0 {
		t.Error("no run of the tiny plan is recorded by check")
	}
	if _, err := os.Stat(filepath.Join(dir, "one.jsonl.gz.partial")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal is still there: %v", err)
	}
}

// TestGenerateResumes interrupts a generation, tears the journal's last
// line as a crash mid-write would, and generates again: the corpus is the
// one an uninterrupted generation writes, and the runs the journal held
// were not trained again.
func TestGenerateResumes(t *testing.T) {
	runs := tinyPlan(t, 3)
	dir := t.TempDir()
	want := inflate(t, writeOnce(t, filepath.Join(dir, "whole.jsonl"), runs))

	path := filepath.Join(dir, "resumed.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	var progress strings.Builder
	g := generator{path: path, runs: runs, workers: 2, progress: &cancelAfter{w: &progress, after: 3, cancel: cancel}}
	if _, err := g.run(ctx); err == nil || !strings.Contains(err.Error(), "the same command resumes") {
		t.Fatalf("an interrupted generation: %v", err)
	}
	journal, err := os.ReadFile(g.journal())
	if err != nil {
		t.Fatal(err)
	}
	held := bytes.Count(journal, []byte("\n"))
	if held == 0 || held == len(runs) {
		t.Fatalf("the journal holds %d of %d runs", held, len(runs))
	}
	torn := append(journal, journal[:len(journal)/held/2]...) // half a line more
	if err := os.WriteFile(g.journal(), torn, 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	g = generator{path: path, runs: runs, workers: 2, progress: &out}
	if _, err := g.run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := inflate(t, path); !bytes.Equal(got, want) {
		t.Errorf("the resumed corpus differs from the uninterrupted one (%d and %d bytes)", len(got), len(want))
	}
	if !strings.Contains(out.String(), "cut off a torn last line") || !strings.Contains(out.String(), "corpus: ") {
		t.Errorf("progress:\n%s", out.String())
	}
}

// cancelAfter writes progress and cancels once it has seen after runs done.
type cancelAfter struct {
	w      io.Writer
	after  int
	seen   int
	cancel func()
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	if c.seen++; c.seen >= c.after {
		c.cancel()
	}
	return c.w.Write(p)
}

// TestGenerateRefusesAnotherPlan: a journal whose run was trained with
// other settings is not mixed into the corpus.
func TestGenerateRefusesAnotherPlan(t *testing.T) {
	runs := tinyPlan(t, 2)[:2]
	path := filepath.Join(t.TempDir(), "c.jsonl")
	generateTo(t, path, runs, 1)
	changed := append([]runSpec{}, runs...)
	changed[0].lr *= 2
	g := generator{path: path, runs: changed, workers: 1}
	if _, err := g.run(context.Background()); err == nil || !strings.Contains(err.Error(), "trained with other settings") {
		t.Errorf("a changed plan: %v", err)
	}
}

// TestChecksAreFitsChecks trains a run recorded by check beside Fit's own
// ValidateEvery: each of Fit's checks logs the training loss and the
// validation loss that the curve records at the same check.
func TestChecksAreFitsChecks(t *testing.T) {
	ts, err := tasks("")
	if err != nil {
		t.Fatal(err)
	}
	r := runSpec{task: &ts[1], index: 7, family: "mlp", arch: "small", opt: "momentum", lr: 0.01, batch: 16, budget: 3,
		schedule: "onecycle", checks: 4, dropout: 0.2}
	var fit []callbacks.Logs
	curve, err := trainWatched(context.Background(), r, checkRecorder(func(check int, logs callbacks.Logs) {
		if check != len(fit) {
			t.Errorf("check %d after %d checks", check, len(fit))
		}
		fit = append(fit, logs)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if curve.Unit != callbacks.UnitCheck || curve.ChecksPerEpoch != 4 || len(fit) != 3*4 || curve.Epochs() != len(fit) {
		t.Fatalf("unit %q, %d checks an epoch, %d values; Fit made %d checks", curve.Unit, curve.ChecksPerEpoch, curve.Epochs(), len(fit))
	}
	for i, logs := range fit {
		if got := curve.Series["loss"][i]; math.Abs(got-logs["loss"]) > 1e-12 {
			t.Errorf("check %d: training loss %v, Fit's %v", i, got, logs["loss"])
		}
		if got := curve.Series["val_loss"][i]; math.Abs(got-logs["val_loss"]) > 1e-12 {
			t.Errorf("check %d: val_loss %v, Fit's %v", i, got, logs["val_loss"])
		}
	}
}

type checkRecorder func(check int, logs callbacks.Logs)

func (f checkRecorder) OnValidation(_ *callbacks.Run, check int, logs callbacks.Logs) error {
	f(check, logs)
	return nil
}

// writeOnce generates runs into path without interruption and returns path.
func writeOnce(t *testing.T, path string, runs []runSpec) string {
	generateTo(t, path, runs, 2)
	return path
}

// inflate returns a corpus file's lines, inflated if need be.
func inflate(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
