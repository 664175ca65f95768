package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/minidl/minidl/tune"
)

func runTune(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// The output of a tiny search, line by line: what is searched, how the
// search ended, the best trials, the comparison with the search without
// pruning, and the chart.
func TestOutputShape(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "curves.svg")
	code, out, errOut := runTune(t, "-trials", "8", "-epochs", "9", "-points", "20", "-top", "3", "-parallel", "1", "-svg", svg)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	want := []string{
		`^tune: 8 trials of an MLP on spirals \(60 points, 3 classes: 48 to train, 12 to validate\), up to 9 epochs each$`,
		`^search: lr log-uniform in \[1e-4, 0\.3\], width 16…128 by 16, dropout 0…0\.5 by 0\.1; random sampler, seed 1; successive halving \(η 3, rungs at epochs 1, 3\); 1 at a time$`,
		`^done in [0-9.]+ s: \d+ complete, \d+ pruned; (\d+) epochs of the 72 a search without pruning spends \(\d+%\)$`,
		`^$`,
		`^best trials by validation loss:$`,
		`^trial  state     val_loss  epochs         lr  width  dropout$`,
		`^ +\d+  (complete|pruned  )  +[0-9.]+  +\d+  +[0-9.e-]+  +\d+  +[0-9.]+$`,
		`^ +\d+  (complete|pruned  )  +[0-9.]+  +\d+  +[0-9.e-]+  +\d+  +[0-9.]+$`,
		`^ +\d+  (complete|pruned  )  +[0-9.]+  +\d+  +[0-9.e-]+  +\d+  +[0-9.]+$`,
		`^$`,
		`^without pruning \(8 trials, the same configurations\): 72 epochs in [0-9.]+ s; pruning spent \d+% of them$`,
		`^best val_loss without pruning [0-9.]+ \(trial \d+\), with pruning [0-9.]+ \(trial \d+\): .+$`,
		`^curves: ` + regexp.QuoteMeta(svg) + `$`,
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
		}
	}
	spent, _ := strconv.Atoi(regexp.MustCompile(`; (\d+) epochs of the`).FindStringSubmatch(lines[2])[1])
	pruned, _ := strconv.Atoi(regexp.MustCompile(`(\d+) pruned`).FindStringSubmatch(lines[2])[1])
	// Not on a terminal, progress is a line each time a trial ends; each
	// search's last has every trial ended.
	var finals []string
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if !regexp.MustCompile(`^trial \d+/8 · (\d+ running, )?\d+ complete, \d+ pruned · \d+ epochs( · best val_loss [0-9.]+ \(trial \d+\))?$`).MatchString(l) {
			t.Errorf("progress line %q", l)
		}
		if strings.HasPrefix(l, "trial 8/8 · ") && !strings.Contains(l, "running") {
			finals = append(finals, l)
		}
	}
	wantFinals := []string{fmt.Sprintf("trial 8/8 · %d complete, %d pruned · %d epochs · ", 8-pruned, pruned, spent), "trial 8/8 · 8 complete, 0 pruned · 72 epochs · "}
	if len(finals) != 2 || !strings.HasPrefix(finals[0], wantFinals[0]) || !strings.HasPrefix(finals[1], wantFinals[1]) {
		t.Errorf("the searches' last progress lines %q; want them to start %q", finals, wantFinals)
	}
	if pruned == 0 || spent >= 72 {
		t.Errorf("nothing pruned: %s", lines[2])
	}

	// The chart: a curve per trial, a cross per pruned trial.
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Polylines []struct {
			Class string `xml:"class,attr"`
		} `xml:"polyline"`
		Paths []struct {
			Class string `xml:"class,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the SVG does not parse: %v", err)
	}
	curves, crosses, bests := 0, 0, 0
	for _, p := range doc.Polylines {
		curves++
		if p.Class == "trial best" {
			bests++
		}
	}
	for _, p := range doc.Paths {
		if p.Class == "stop" {
			crosses++
		}
	}
	if curves != 8 || crosses != pruned || bests != 1 {
		t.Errorf("the chart has %d curves, %d crosses, %d best; want 8, %d, 1", curves, crosses, bests, pruned)
	}
}

// A study kept in a folder is resumed: run again, it starts nothing.
func TestResumeFromFolder(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-trials", "5", "-epochs", "6", "-points", "20", "-baseline=false", "-svg", "", "-dir", dir}
	code, first, errOut := runTune(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, second, errOut := runTune(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	summary := regexp.MustCompile(`: (\d+ complete, \d+ pruned; \d+ epochs)`)
	a, b := summary.FindStringSubmatch(first), summary.FindStringSubmatch(second)
	if a == nil || b == nil || a[1] != b[1] {
		t.Errorf("the resumed study differs:\n%s\n%s", first, second)
	}
	if _, err := os.Stat(filepath.Join(dir, "journal.jsonl")); err != nil {
		t.Error(err)
	}
}

// With -pause, successive halving pauses trials and promotes some, which
// are resumed (from their run checkpoints) and report the epochs after the
// pause, with no step missing.
func TestPausing(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runTune(t, "-trials", "9", "-epochs", "9", "-points", "20", "-pause", "-parallel", "1", "-baseline=false", "-svg", "", "-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if !strings.Contains(out, "successive halving (η 3, rungs at epochs 1, 3), pausing") || !regexp.MustCompile(`\d+ paused, \d+ complete`).MatchString(out) {
		t.Errorf("output:\n%s", out)
	}
	s, err := tune.NewStudy(tune.StudyConfig{Dir: dir, Name: "spirals"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	trials := s.Trials()
	for _, tr := range trials {
		for step := range len(tr.Reports) {
			if _, ok := tr.Reports[step]; !ok {
				t.Errorf("trial %d reported %d steps but not step %d", tr.Number, len(tr.Reports), step)
			}
		}
	}
	// The trials resumed, from the journal: they went on past their pause
	// at the first rung (step 1).
	b, _ := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	wentOn := 0
	for _, m := range regexp.MustCompile(`"op":"resume","trial":(\d+)`).FindAllStringSubmatch(string(b), -1) {
		n, _ := strconv.Atoi(m[1])
		if len(trials[n].Reports) > 2 {
			wentOn++
		}
	}
	if wentOn == 0 {
		t.Errorf("no paused trial was promoted and went on:\n%s", b)
	}
}

// Every pruner and sampler the flags offer runs, and says what it is.
func TestPrunersAndSamplers(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-pruner", "hyperband"}, "Hyperband (η 3, from 1 epoch)"},
		{[]string{"-pruner", "median"}, "the median pruner"},
		{[]string{"-pruner", "none"}, "no pruning"},
		{[]string{"-sampler", "tpe"}, "tpe sampler"},
	} {
		args := append([]string{"-trials", "4", "-epochs", "4", "-points", "10", "-baseline=false", "-svg", ""}, c.args...)
		code, out, errOut := runTune(t, args...)
		if code != 0 || !strings.Contains(out, c.want) || !strings.Contains(out, "done in") {
			t.Errorf("%q: exit %d, %s\n%s", c.args, code, out, errOut)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-trials", "0"}, {"-pruner", "magic"}, {"-sampler", "grid"}, {"-eta", "1"}, {"-pause", "-pruner", "median"}, {"extra"},
	} {
		code, _, errOut := runTune(t, args...)
		if code != 2 || !strings.HasPrefix(errOut, "tune: ") {
			t.Errorf("%q: exit %d, %q; want 2 and a message", args, code, errOut)
		}
	}
	if code, _, _ := runTune(t, "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

// One trial at a time, the command is reproducible: the same trials, the
// same table.
func TestReproducibleOneAtATime(t *testing.T) {
	args := []string{"-trials", "6", "-epochs", "4", "-points", "10", "-parallel", "1", "-baseline=false", "-svg", ""}
	_, a, _ := runTune(t, args...)
	_, b, _ := runTune(t, args...)
	timing := regexp.MustCompile(`done in [0-9.]+ s`)
	if x, y := timing.ReplaceAllString(a, ""), timing.ReplaceAllString(b, ""); x != y {
		t.Errorf("two runs differ:\n%s\n%s", a, b)
	}
}
