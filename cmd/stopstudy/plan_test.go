package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
)

// TestPlan checks the full plan against what docs/stopping-study.md says of
// it: 1,530 runs of 12 tasks (MNIST's 40 are fetched, and left out here),
// every kind of run among them, rates spanning three decades, a quarter
// recorded by check.
func TestPlan(t *testing.T) {
	ts, err := tasks("")
	if err != nil {
		t.Fatal(err)
	}
	runs := plan(ts, 1, 0)
	if len(ts) != 11 || len(runs)+plannedRuns["mnist14"] != 1530 || len(plannedRuns) != 12 {
		t.Fatalf("%d tasks and %d runs without MNIST's %d; %d tasks planned", len(ts), len(runs), plannedRuns["mnist14"], len(plannedRuns))
	}
	seen := map[string]int{}
	lowest, highest := map[string]float64{}, map[string]float64{}
	checks := 0
	for _, r := range runs {
		for _, k := range []string{"family " + r.family, "optimizer " + r.opt, "schedule " + r.schedule, "arch " + r.arch} {
			seen[k]++
		}
		seen["batch "+strconv.Itoa(r.batch)]++
		seen["budget "+strconv.Itoa(r.budget)]++
		if r.dropout > 0 {
			seen["dropout"]++
		}
		if r.weightDecay > 0 {
			seen["weight decay"]++
		}
		if r.checks > 0 {
			checks++
		}
		if lo, ok := lowest[r.opt]; !ok || r.lr < lo {
			lowest[r.opt] = r.lr
		}
		highest[r.opt] = max(highest[r.opt], r.lr)
	}
	for _, k := range []string{"family mlp", "family cnn", "family embed", "optimizer sgd", "optimizer momentum", "optimizer adam", "optimizer adamw",
		"schedule constant", "schedule step", "schedule cosine", "schedule onecycle", "arch small", "arch wide",
		"batch 8", "batch 16", "batch 32", "batch 64", "batch 128", "batch 256", "budget 100", "budget 200", "budget 300", "budget 500",
		"dropout", "weight decay"} {
		if seen[k] < 10 {
			t.Errorf("%s: %d runs", k, seen[k])
		}
	}
	if share := float64(checks) / float64(len(runs)); share < 0.2 || share > 0.3 {
		t.Errorf("%.2f of the runs by check, want about a quarter", share)
	}
	for opt, lo := range lowest {
		if highest[opt]/lo < 300 {
			t.Errorf("%s: rates from %g to %g, want about three decades", opt, lo, highest[opt])
		}
	}
}

// TestPlanFlag: -plan prints each task's runs and the estimated time.
func TestPlanFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-plan", "-mnist=false"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"| iris | 150 | mlp 150 |", "| digits | 80 | mlp ", "| gotokens | 60 | embed 60 |", "1490 runs, about "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-plan lacks %q:\n%s", want, out.String())
		}
	}
}
