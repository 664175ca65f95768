package main

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/minidl/minidl/callbacks"
)

// TestCheckedInSubset: the checked-in corpus is a subset of the full plan's
// corpus, the first runs of every task, each curve the run the plan draws
// under its id; and its cheapest run, trained again, is the same bit for
// bit.
func TestCheckedInSubset(t *testing.T) {
	curves, err := readCorpus(bytes.NewReader(checkedIn), int64(len(checkedIn)), "checked in")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tasks("")
	if err != nil {
		t.Fatal(err)
	}
	perTask := map[string]int{}
	var cheapest *runSpec
	var want callbacks.Curve
	for _, c := range curves {
		i := perTask[c.Task]
		perTask[c.Task]++
		if c.Task == "mnist14" { // its data is fetched, not checked in
			continue
		}
		var r *runSpec
		for k := range ts {
			if ts[k].name == c.Task {
				spec := drawRun(&ts[k], i)
				r = &spec
			}
		}
		if r == nil {
			t.Fatalf("%s: no task %q", c.ID, c.Task)
		}
		if err := sameRun(c, *r); err != nil || c.ID != r.id() {
			t.Errorf("%s: not the plan's run %s: %v", c.ID, r.id(), err)
		}
		if cheapest == nil || cost(*r) < cost(*cheapest) {
			cheapest, want = r, c
		}
	}
	if len(perTask) != 12 {
		t.Errorf("the subset holds %d tasks, want 12: %v", len(perTask), perTask)
	}
	got, err := trainCurve(context.Background(), *cheapest)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Series) != len(want.Series) {
		t.Fatalf("%s: series %v, the corpus has %d", want.ID, len(got.Series), len(want.Series))
	}
	for name, w := range want.Series {
		g := got.Series[name]
		if len(g) != len(w) {
			t.Fatalf("%s %s: %d values, the corpus %d", want.ID, name, len(g), len(w))
		}
		for i := range w {
			finite := !math.IsNaN(g[i]) && !math.IsInf(g[i], 0)
			if math.IsNaN(w[i]) && !finite { // a value not finite is written as null
				continue
			}
			if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
				t.Fatalf("%s %s at %d: %v, the corpus %v", want.ID, name, i, g[i], w[i])
			}
		}
	}
}
