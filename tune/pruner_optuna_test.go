package tune

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// referenceCase is one study of testdata/pruner_decisions.json.gz, written
// by testdata/pruner_reference.py: a pruner, a direction, and the events
// Optuna saw, each report with the decision Optuna's pruner made.
type referenceCase struct {
	Name      string              `json:"name"`
	Pruner    map[string]any      `json:"pruner"`
	Direction string              `json:"direction"`
	Study     string              `json:"study"`
	Events    [][]json.RawMessage `json:"events"`
}

// number reads a value the script wrote: a JSON number, or "nan", "inf"
// or "-inf".
func number(t *testing.T, raw json.RawMessage) float64 {
	t.Helper()
	var x float64
	if err := json.Unmarshal(raw, &x); err == nil {
		return x
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("not a number: %s", raw)
	}
	switch s {
	case "nan":
		return math.NaN()
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	}
	t.Fatalf("not a number: %s", raw)
	return 0
}

func readReferenceCases(t *testing.T) []referenceCase {
	t.Helper()
	f, err := os.Open("testdata/pruner_decisions.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var cases []referenceCase
	if err := json.NewDecoder(z).Decode(&cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// referencePruner builds the pruner a case's spec describes, with
// Optuna's argument names.
func referencePruner(t *testing.T, spec map[string]any) Pruner {
	t.Helper()
	integer := func(key string) int {
		x, ok := spec[key]
		if !ok {
			return 0
		}
		return int(x.(float64))
	}
	float := func(key string) *float64 {
		x, ok := spec[key]
		if !ok {
			return nil
		}
		raw, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return new(number(t, raw))
	}
	percentileConfig := func() PercentileConfig {
		cfg := PercentileConfig{WarmupSteps: integer("n_warmup_steps"), IntervalSteps: integer("interval_steps"), MinTrials: integer("n_min_trials")}
		if _, ok := spec["n_startup_trials"]; ok {
			cfg.StartupTrials = new(integer("n_startup_trials"))
		}
		return cfg
	}
	switch kind := spec["kind"]; kind {
	case "median":
		return NewMedianPruner(percentileConfig())
	case "percentile":
		return NewPercentilePruner(*float("percentile"), percentileConfig())
	case "sh":
		return NewSuccessiveHalvingPruner(SuccessiveHalvingConfig{MinResource: integer("min_resource"), ReductionFactor: integer("reduction_factor"),
			MinEarlyStoppingRate: integer("min_early_stopping_rate"), BootstrapCount: integer("bootstrap_count")})
	case "hyperband":
		return NewHyperbandPruner(HyperbandConfig{MinResource: integer("min_resource"), MaxResource: integer("max_resource"),
			ReductionFactor: integer("reduction_factor"), BootstrapCount: integer("bootstrap_count")})
	case "threshold":
		return NewThresholdPruner(ThresholdConfig{Lower: float("lower"), Upper: float("upper"),
			WarmupSteps: integer("n_warmup_steps"), IntervalSteps: integer("interval_steps")})
	case "patient":
		var wrapped Pruner
		if w, ok := spec["wrapped"].(map[string]any); ok {
			wrapped = referencePruner(t, w)
		}
		cfg := PatientConfig{Patience: integer("patience")}
		if d := float("min_delta"); d != nil {
			cfg.MinDelta = *d
		}
		return NewPatientPruner(wrapped, cfg)
	case "wilcoxon":
		return NewWilcoxonPruner(WilcoxonConfig{PThreshold: float("p_threshold"), StartupSteps: integer("n_startup_steps")})
	default:
		t.Fatalf("unknown pruner %v", kind)
		return nil
	}
}

// TestPrunersMatchOptuna replays every study Optuna ran in
// testdata/pruner_reference.py through the same pruner of this package and
// compares every decision: each of the seven pruners, on random and
// hand-made sequences (NaN, infinities, ties, maximizing, warm-up and
// interval steps, minimum trials, trials that end early or fail, trials
// interleaved as on parallel workers).
func TestPrunersMatchOptuna(t *testing.T) {
	cases := readReferenceCases(t)
	kinds := map[string]int{}
	decisions := 0
	for _, c := range cases {
		kinds[c.Pruner["kind"].(string)]++
		for _, e := range c.Events {
			if string(e[0]) == `"report"` {
				decisions++
			}
		}
		t.Run(c.Name, func(t *testing.T) {
			p := referencePruner(t, c.Pruner)
			replayReference(t, c, func() Pruner { return p })
		})
	}
	for _, k := range []string{"median", "percentile", "sh", "hyperband", "threshold", "patient", "wilcoxon"} {
		if kinds[k] == 0 {
			t.Errorf("no reference study of the %s pruner", k)
		}
	}
	if len(cases) != 145 || decisions != 24861 {
		t.Errorf("%d studies, %d decisions; docs/pruning.md says 145 and 24,861", len(cases), decisions)
	}
}

// TestPrunersKeepNoState replays the same studies with a new pruner for
// every decision, as after a resume: a pruner's state lives in the study
// (the rungs, the automatic resources), so the decisions are Optuna's
// still.
func TestPrunersKeepNoState(t *testing.T) {
	for _, c := range readReferenceCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			replayReference(t, c, func() Pruner { return referencePruner(t, c.Pruner) })
		})
	}
}

// TestPrunersContinueAgain asks every pruner again about each step it let
// go on, as a study does for a trial taken up after a crash (a Continue is
// not journaled): the answer must be the same, and what the first asking
// recorded must not change the decisions that follow.
func TestPrunersContinueAgain(t *testing.T) {
	for _, c := range readReferenceCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			p := referencePruner(t, c.Pruner)
			replayReferenceAgain(t, c, func() Pruner { return p }, true)
		})
	}
}

// replayReference runs the events of c through a replayStudy, asking
// pruner() for the pruner of each decision, and fails at the first
// decision that is not Optuna's.
func replayReference(t *testing.T, c referenceCase, pruner func() Pruner) {
	t.Helper()
	replayReferenceAgain(t, c, pruner, false)
}

// replayReferenceAgain is replayReference that, with again, asks once more
// after each Continue and fails unless the answer is Continue again.
func replayReferenceAgain(t *testing.T, c referenceCase, pruner func() Pruner, again bool) {
	t.Helper()
	dir := Minimize
	if c.Direction == "maximize" {
		dir = Maximize
	}
	s := newReplayStudy(c.Study, dir)
	var log []string // the events so far, for a failure's message
	for i, e := range c.Events {
		var kind string
		if err := json.Unmarshal(e[0], &kind); err != nil {
			t.Fatal(err)
		}
		integer := func(k int) int {
			var n int
			if err := json.Unmarshal(e[k], &n); err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
			return n
		}
		switch kind {
		case "ask":
			s.ask()
			log = append(log, "ask")
		case "report":
			n, step, value, want := integer(1), integer(2), number(t, e[3]), integer(4) == 1
			got := pruner().Decide(s, s.report(n, step, value))
			log = append(log, fmt.Sprintf("trial %d reports %v at step %d", n, value, step))
			if again && got == Continue {
				if second := pruner().Decide(s, s.trials[n]); second != Continue {
					t.Fatalf("event %d: trial %d, step %d: Continue, then %v when asked again", i, n, step, second)
				}
			}
			if (got == Prune) != want || (got != Prune && got != Continue) {
				if len(log) > 40 {
					log = log[len(log)-40:]
				}
				t.Fatalf("event %d: trial %d, step %d: decided %v, Optuna pruned: %v; the last events:\n%s",
					i, n, step, got, want, strings.Join(log, "\n"))
			}
		case "tell":
			n := integer(1)
			var state string
			if err := json.Unmarshal(e[2], &state); err != nil {
				t.Fatal(err)
			}
			switch state {
			case "complete":
				s.tell(n, Complete, number(t, e[3]))
			case "pruned":
				s.tell(n, Pruned, math.NaN())
			case "fail":
				s.tell(n, Failed, math.NaN())
			default:
				t.Fatalf("unknown state %q", state)
			}
			log = append(log, fmt.Sprintf("trial %d %s", n, state))
		default:
			t.Fatalf("unknown event %q", kind)
		}
	}
}
