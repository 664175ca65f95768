package tune

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"

	"github.com/minidl/minidl/internal/quote"
)

// Objective evaluates one trial: it asks the trial for its parameters,
// trains, reports intermediate values and returns the value the study
// minimizes or maximizes. Returning ErrPruned (after ShouldPrune said so)
// ends the trial pruned; any other error ends it failed, and the study goes
// on, unless ctx was cancelled, in which case the trial waits to be run
// again. A panic ends it failed and stops the study.
type Objective func(ctx context.Context, t *Trial) (float64, error)

// Trial is a trial while its objective runs: it draws the parameters
// (define-by-run, as Optuna's suggest_*), takes the reports and answers
// whether to stop. Its methods may be called from any goroutine.
type Trial struct {
	s           *Study
	number      int
	decidedStep int  // the last step the pruner decided on, −1 before any
	budgetStop  bool // a budget stopped the trial
	done        bool // the objective has returned
}

// Number returns the trial's number: 0, 1, … in the order trials started.
func (t *Trial) Number() int { return t.number }

// Float returns the value of the float parameter name, drawn from [low,
// high] the first time the trial asks and the same after:
//
//	lr := t.Float("lr", 1e-4, 1e-1, tune.Log())
//	p := t.Float("dropout", 0, 0.5, tune.Step(0.1))
//
// Asking for one name with two ranges, or for bounds out of order, panics
// with an *Error. A trial taken up again (after a crash or a pause) gets
// the values it had.
func (t *Trial) Float(name string, low, high float64, opts ...Option) float64 {
	d := Distribution{Kind: FloatParam, Low: low, High: high}
	for _, o := range opts {
		o(&d)
	}
	return t.suggest("Trial.Float", name, d).(float64)
}

// Int returns the value of the integer parameter name, drawn from [low,
// high] (every Step, 1 by default, or on a Log scale), as Float does.
func (t *Trial) Int(name string, low, high int, opts ...Option) int {
	d := Distribution{Kind: IntParam, Low: float64(low), High: float64(high), Step: 1}
	for _, o := range opts {
		o(&d)
	}
	return t.suggest("Trial.Int", name, d).(int)
}

// Categorical returns one of choices for the parameter name, as Float
// does.
func (t *Trial) Categorical(name string, choices ...string) string {
	d := Distribution{Kind: CategoricalParam, Choices: choices}
	return t.suggest("Trial.Categorical", name, d).(string)
}

// suggest returns the trial's value of name, drawing it if need be.
func (t *Trial) suggest(op, name string, d Distribution) any {
	check(op, name != "", "empty parameter name")
	if msg := d.validate(); msg != "" {
		panic(&Error{Op: op, Detail: "parameter " + quote.Text(name) + ": " + msg})
	}
	x := 0.0 // the first value, if the study has failed
	if d.Kind != CategoricalParam {
		x = d.Low
	}
	t.s.update(func(tx *tx) {
		t.mustRun(op)
		r := tx.s.st.trials[t.number]
		if v, ok := r.Params[name]; ok {
			prev := r.Distributions[name]
			check(op, prev.Equal(d), "parameter %s asked as %v, before as %v", quote.Text(name), d, prev)
			x, _ = prev.Internal(v)
			return
		}
		if msg := tx.s.st.compatible(name, d); msg != "" {
			panic(&Error{Op: op, Detail: "parameter " + quote.Text(name) + ": " + msg})
		}
		if d.Single() {
			x = d.Low
		} else {
			x = tx.s.sampler.Sample(tx, r.frozen(), name, d, paramRand(tx.s.cfg.Seed, t.number, name))
			check(op, d.Contains(x), "the sampler %T drew %v for %s, outside %v", tx.s.sampler, x, quote.Text(name), d)
		}
		e := &event{Op: opParam, Trial: t.number, Name: name, Dist: toJSON(d)}
		if d.Kind == CategoricalParam {
			c := d.Choices[int(x)]
			e.Choice = &c
		} else {
			e.Value = num(x)
		}
		tx.add(e)
	})
	return d.External(x)
}

// paramRand returns the source that draws parameter name of trial n:
// seeded by the three, so that a draw depends on nothing else (not on
// which parameters the trial asked before, nor on what other processes
// did), and a trial taken up again draws what it would have drawn.
func paramRand(seed uint64, n int, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()^uint64(n)*0x9e3779b97f4a7c15))
}

// Params returns the parameters drawn so far.
func (t *Trial) Params() map[string]any {
	var p map[string]any
	t.s.mu.Lock()
	p = t.s.st.trials[t.number].frozen().Params
	t.s.mu.Unlock()
	return p
}

// Report records value as the trial's intermediate value at step (an
// epoch, from 0, as the PruningCallback reports). A step reported before
// keeps its first value, as in Optuna: a trial taken up again from its
// checkpoint may report a step twice.
func (t *Trial) Report(step int, value float64) {
	check("Trial.Report", step >= 0, "step %d: want 0 or more", step)
	t.s.update(func(tx *tx) {
		t.mustRun("Trial.Report")
		if _, ok := tx.s.st.trials[t.number].Reports[step]; ok {
			return
		}
		tx.add(&event{Op: opReport, Trial: t.number, Step: &step, Value: num(value)})
	})
}

// ShouldPrune reports whether the trial should stop now: the pruner
// decided so on its last report, or the study's budget is spent (or its
// journal failed). The objective then returns ErrPruned, after saving
// what resuming needs if Pausing says the trial is only paused. Once true,
// it stays true.
func (t *Trial) ShouldPrune() bool {
	stop := true
	t.s.update(func(tx *tx) {
		t.mustRun("Trial.ShouldPrune")
		r := tx.s.st.trials[t.number]
		if t.budgetStop || r.decision != Continue {
			return
		}
		last, reported := r.LastStep()
		if tx.s.budgetSpent() && !(reported && last == r.maxStep) {
			t.budgetStop = true
			return
		}
		if p := tx.s.cfg.Pruner; p != nil && reported && last != t.decidedStep {
			t.decidedStep = last
			d := p.Decide(tx, r.frozen())
			if _, ok := p.(Promoter); d == Pause && !ok {
				d = Prune // nobody would promote it
			}
			// The decision is journaled: a trial run again after a crash
			// must not ask a pruner whose state (its attributes) already
			// holds this decision, as successive halving's rungs do.
			if d != Continue {
				tx.add(&event{Op: opDecide, Trial: t.number, Step: &last, Reason: d.String()})
			}
		}
		stop = r.decision != Continue
	})
	return stop
}

// Pausing reports whether ShouldPrune stopped the trial to pause it (a
// Promoter's decision): its objective must keep what resuming needs (the
// run checkpoint, which train.Fit writes after every epoch) before it
// returns ErrPruned. The study runs the objective again when the trial is
// promoted.
func (t *Trial) Pausing() bool {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	return t.s.st.trials[t.number].decision == Pause && !t.budgetStop
}

// SetMaxStep tells the study the last step the trial reports if it runs to
// its end (see View.MaxStep); the PruningCallback does it when training
// begins.
func (t *Trial) SetMaxStep(step int) {
	check("Trial.SetMaxStep", step >= 0, "step %d: want 0 or more", step)
	t.s.update(func(tx *tx) {
		t.mustRun("Trial.SetMaxStep")
		if tx.s.st.trials[t.number].maxStep != step {
			tx.add(&event{Op: opMaxStep, Trial: t.number, Step: &step})
		}
	})
}

// Checkpoint returns the path of the trial's run checkpoint, for
// train.Config.Checkpoint with Resume, in a folder of the trial's own
// (under the study's Dir, or a temporary folder for a study in memory)
// that may hold the trial's other files. A trial taken up again, after a
// crash or a pause, resumes from it; the study removes it when the trial
// is pruned or fails, and keeps it when the trial completes.
func (t *Trial) Checkpoint() (string, error) {
	dir, err := t.s.trialDir(t.number)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "run.safetensors"), nil
}

// mustRun panics unless the objective is still running; the caller holds
// the study's mutex.
func (t *Trial) mustRun(op string) {
	if t.done {
		panic(&Error{Op: op, Detail: fmt.Sprintf("trial %d has ended: its objective returned", t.number)})
	}
}
