package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/minidl/minidl/callbacks"
	"github.com/minidl/minidl/nn"
)

func runXOR(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// lastJSON decodes the summary, the last line of -json output.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("summary %q: %v", lines[len(lines)-1], err)
	}
	return s
}

func TestDefaultRun(t *testing.T) {
	code, out, _ := runXOR(t)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"MSE = (1/m) Σ (h(x) − y)²", "stopped: patience", "early stopping", " x1  x2  target  p(1)    class", "4/4 correct"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestSolvesXORForMostSeeds is the bar: default flags solve XOR for
// at least 99 of the seeds 1 … 100.
func TestSolvesXORForMostSeeds(t *testing.T) {
	solved := 0
	for seed := 1; seed <= 100; seed++ {
		code, out, _ := runXOR(t, "-json", "-seed", itoa(seed))
		s := lastJSON(t, out)
		if code == 0 && s["accuracy"] == 1.0 {
			solved++
		} else {
			t.Logf("seed %d: exit %d, accuracy %v, %v", seed, code, s["accuracy"], s["message"])
		}
	}
	if solved < 99 {
		t.Errorf("solved %d of 100 seeds, want at least 99", solved)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestJSON(t *testing.T) {
	code, out, _ := runXOR(t, "-json", "-epochs", "30", "-patience", "-1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 31 {
		t.Fatalf("%d lines, want 30 epochs and a summary", len(lines))
	}
	var first map[string]float64
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["epoch"] != 0 || first["loss"] <= 0 {
		t.Errorf("first line %q: %v", lines[0], err)
	}
	s := lastJSON(t, out)
	for _, key := range []string{"epochs_run", "stopped_epoch", "stop_reason", "final_loss", "accuracy", "predictions"} {
		if _, ok := s[key]; !ok {
			t.Errorf("summary lacks %q: %v", key, s)
		}
	}
	if s["epochs_run"] != 30.0 || s["stopped_epoch"] != nil || s["stop_reason"] != "max_epochs" || len(s["predictions"].([]any)) != 4 {
		t.Errorf("summary %v", s)
	}
	acc := s["accuracy"].(float64)
	if acc < 0 || acc > 1 || (code == 0) != (acc == 1) {
		t.Errorf("accuracy %v with exit %d", acc, code)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-hidden", "0"}, {"-activation", "swish"}, {"-optimizer", "lbfgs"}, {"-lr", "-1"},
		{"-epochs", "0"}, {"-noise", "3"}, {"-bogus"}, {"extra"}, {"-min-delta", "-1"},
	} {
		code, _, errOut := runXOR(t, args...)
		if code != 2 || !strings.Contains(errOut, "usage: xor") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, _ := runXOR(t, "-h"); code != 0 {
		t.Errorf("-h exits %d", code)
	}
}

func TestOptionsAndFiles(t *testing.T) {
	dir := t.TempDir()
	plotPath, savePath := filepath.Join(dir, "loss.svg"), filepath.Join(dir, "xor.safetensors")
	code, out, errOut := runXOR(t, "-optimizer", "sgd", "-lr", "2", "-activation", "relu", "-hidden", "16", "-tolerance", "0.01", "-plot", plotPath, "-save", savePath, "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if s := lastJSON(t, out); s["stop_reason"] != "stopping_threshold" || s["final_loss"].(float64) >= 0.01 {
		t.Errorf("tolerance: %v", s)
	}
	b, err := os.ReadFile(plotPath)
	if err != nil || xml.Unmarshal(b, new(struct{})) != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("plot: %v", err)
	}
	st, meta, err := nn.LoadFile(savePath)
	if err != nil || !strings.Contains(meta["model"], "Linear(2,16)") {
		t.Fatalf("saved: %v %v", err, meta)
	}
	if got := st.Names(); strings.Join(got, " ") != "0.weight 0.bias 2.weight 2.bias" {
		t.Errorf("names %v", got)
	}
	// Noisy XOR with a held-out validation split.
	if code, out, _ := runXOR(t, "-noise", "200", "-json"); code != 0 {
		t.Errorf("noise: exit %d: %v", code, lastJSON(t, out))
	}
	if code, _, errOut := runXOR(t, "-save", filepath.Join(dir, "no", "dir", "x.safetensors")); code != 1 || !strings.Contains(errOut, "xor:") {
		t.Errorf("unwritable save: exit %d %q", code, errOut)
	}
}

func TestInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	path := filepath.Join(t.TempDir(), "m.safetensors")
	run(ctx, []string{"-save", path}, &out, &errOut)
	if !strings.Contains(out.String(), "interrupted") || !strings.Contains(out.String(), "stopped: cancelled") {
		t.Errorf("output:\n%s", out.String())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("model not saved after an interrupt: %v", err)
	}
}

// TestResume: a run of 80 epochs done as 40 and then 40 more from its
// checkpoint ends as the straight run does, to the printed digit.
func TestResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.safetensors")
	args := []string{"-noise", "200", "-patience", "30", "-json"}
	code, straight, _ := runXOR(t, append(args, "-epochs", "80")...)
	if code != 0 {
		t.Fatalf("straight run: exit %d", code)
	}
	if code, _, errOut := runXOR(t, append(args, "-epochs", "40", "-resume", path)...); code != 0 {
		t.Fatalf("first half: exit %d: %s", code, errOut)
	}
	code, resumed, errOut := runXOR(t, append(args, "-epochs", "80", "-resume", path)...)
	if code != 0 {
		t.Fatalf("resumed run: exit %d: %s", code, errOut)
	}
	want, got := lastJSON(t, straight), lastJSON(t, resumed)
	for _, k := range []string{"epochs_run", "stop_reason", "best_epoch", "final_loss", "predictions"} {
		if !reflect.DeepEqual(want[k], got[k]) {
			t.Errorf("%s: resumed %v, straight %v", k, got[k], want[k])
		}
	}
}

// TestStopsByRecommendedRule keeps the default wired to the project's
// recommended stopping rule, read from callbacks.Recommended(): the
// configuration the default flags build is that rule on val_loss (with the
// program's margin where the rule sets none, the best weights restored),
// and -stop patience and -patience turn it off or change it.
func TestStopsByRecommendedRule(t *testing.T) {
	config := func(args ...string) callbacks.EarlyStoppingConfig {
		t.Helper()
		o, err := parseFlags(args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return stopConfig(o)
	}
	want := callbacks.Recommended()
	want.Monitor, want.RestoreBestWeights = "val_loss", true
	if want.MinDelta == 0 {
		want.MinDelta = 1e-6
	}
	if got := config(); !reflect.DeepEqual(got, want) {
		t.Errorf("default stopping:\n got %+v\nwant %+v", got, want)
	}
	want.Patience = 7
	if got := config("-patience", "7"); !reflect.DeepEqual(got, want) {
		t.Errorf("-patience 7 on the recommended rule:\n got %+v\nwant %+v", got, want)
	}
	plain := callbacks.EarlyStoppingConfig{Monitor: "val_loss", Patience: 50, MinDelta: 1e-6, RestoreBestWeights: true}
	if got := config("-stop", "patience"); !reflect.DeepEqual(got, plain) {
		t.Errorf("-stop patience:\n got %+v\nwant %+v", got, plain)
	}
	// The run itself says which rule it used.
	if _, out, _ := runXOR(t); !strings.Contains(out, "stopping: callbacks.Recommended()") {
		t.Errorf("the default run does not name the recommended rule:\n%s", out)
	}
	if code, _, errOut := runXOR(t, "-stop", "prechelt"); code != 2 || !strings.Contains(errOut, `-stop "prechelt": want recommended or patience`) {
		t.Errorf("-stop prechelt: exit %d, %q", code, errOut)
	}
}
