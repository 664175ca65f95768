package tune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/minidl/minidl/internal/flock"
)

// Optimize runs trials of objective, Parallelism at a time, until the
// budget is spent, the sampler runs out (a grid), the context is done or
// an objective panics. Each time a goroutine is free it takes, in order:
// a paused trial the Promoter promotes; a trial left running by a process
// that died or an Optimize that was cancelled, which is run again with its
// number and parameters (its objective resumes from the trial's run
// checkpoint if it keeps one); a new trial. So a study killed at any
// moment and opened again loses nothing and counts no trial twice.
//
// Optimize returns the context's error if it was cancelled, an error
// naming the trial whose objective panicked, or the journal's failure;
// an objective's error only fails its trial.
func (s *Study) Optimize(ctx context.Context, objective Objective) error {
	check("Study.Optimize", objective != nil, "nil objective")
	s.mu.Lock()
	if s.optimize {
		s.mu.Unlock()
		panic(&Error{Op: "Study.Optimize", Detail: "called while another Optimize of the study runs"})
	}
	s.optimize = true
	s.deadline = time.Time{}
	if s.cfg.Budget.Time > 0 {
		s.deadline = time.Now().Add(s.cfg.Budget.Time)
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.optimize = false
		s.mu.Unlock()
	}()

	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	for range s.cfg.Parallelism {
		wg.Go(func() {
			for inner.Err() == nil {
				t, err := s.next()
				if err != nil {
					fail(err)
					return
				}
				if t == nil {
					return
				}
				if err := s.run(inner, t, objective); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// budgetSpent reports whether the Epochs or Time budget is spent; the
// caller holds the mutex.
func (s *Study) budgetSpent() bool {
	b := s.cfg.Budget
	return b.Epochs > 0 && s.st.reports >= b.Epochs || !s.deadline.IsZero() && !time.Now().Before(s.deadline)
}

// next returns the trial a free goroutine runs next, nil if none.
func (s *Study) next() (*Trial, error) {
	var t *Trial
	err := s.update(func(tx *tx) {
		if s.budgetSpent() {
			return
		}
		take := func(n int) {
			tx.add(&event{Op: opResume, Trial: n, Worker: s.worker})
			t = &Trial{s: s, number: n, decidedStep: -1}
			s.active[n] = t
		}
		if p, ok := s.cfg.Pruner.(Promoter); ok {
			for _, n := range p.Promote(tx) {
				if n >= 0 && n < len(s.st.trials) && s.st.trials[n].State == Paused {
					take(n)
					return
				}
			}
		}
		clear(s.alive)
		for _, r := range s.st.trials {
			if r.State == Running && s.active[r.Number] == nil && s.abandoned(r.worker) {
				take(r.Number)
				return
			}
		}
		if b := s.cfg.Budget.Trials; b > 0 && len(s.st.trials) >= b {
			return
		}
		if f, ok := s.sampler.(Finite); ok && f.Exhausted(tx) {
			return
		}
		n := len(s.st.trials)
		now := time.Now().UTC()
		tx.add(&event{Op: opStart, Trial: n, Worker: s.worker, Time: &now})
		t = &Trial{s: s, number: n, decidedStep: -1}
		s.active[n] = t
	})
	return t, err
}

// abandoned reports whether a running trial of worker w has nobody to run
// it: it was released, it is this study's own but none of its goroutines
// runs it, or w's process has died (it no longer holds its lock file). The
// caller holds the mutex and the journal's lock, so that one process only
// takes a trial up.
func (s *Study) abandoned(w string) bool {
	if w == "" || w == s.worker {
		return true
	}
	if s.cfg.Dir == "" {
		return false
	}
	if s.alive == nil {
		s.alive = map[string]bool{}
	}
	alive, seen := s.alive[w]
	if !seen {
		name := filepath.Join(s.cfg.Dir, "workers", w+".lock")
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		switch {
		case errors.Is(err, os.ErrNotExist):
			alive = false
		case err != nil:
			alive = true // cannot tell: leave its trials alone
		default:
			alive = errors.Is(flock.TryLock(f), flock.ErrLocked)
			if !alive {
				os.Remove(name)
			}
			f.Close()
		}
		s.alive[w] = alive
	}
	return !alive
}

// run runs the objective on t and records how it ended.
func (s *Study) run(ctx context.Context, t *Trial, objective Objective) error {
	var (
		value    float64
		err      error
		panicked any
		stack    []byte
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				panicked, stack = r, debug.Stack()
			}
		}()
		value, err = objective(ctx, t)
	}()
	now := time.Now().UTC()
	var state TrialState
	uerr := s.update(func(tx *tx) {
		t.done = true
		delete(s.active, t.number)
		e := &event{Trial: t.number, Time: &now}
		switch {
		case panicked != nil:
			e.Op, e.Error = opFail, cut(fmt.Sprintf("panic: %v", panicked))
		case err == nil && math.IsNaN(value):
			e.Op, e.Error = opFail, "the objective returned NaN"
		case err == nil:
			e.Op, e.Value = opComplete, num(value)
		case errors.Is(err, ErrPruned) && tx.s.st.trials[t.number].decision == Pause && !t.budgetStop:
			e.Op, e.Time = opPause, nil
		case errors.Is(err, ErrPruned):
			e.Op = opPrune
			if t.budgetStop {
				e.Reason = "budget"
				tx.add(&event{Op: opAttr, Trial: t.number, Name: budgetAttr, Value: num(1)})
			}
		case ctx.Err() != nil: // cancelled: to be run again
			e.Op, e.Time = opRelease, nil
		default:
			e.Op, e.Error = opFail, cut(err.Error())
		}
		tx.add(e)
		state = tx.s.st.trials[t.number].State
	})
	if uerr != nil {
		return uerr
	}
	if state == Pruned || state == Failed {
		if dir, derr := s.trialDir(t.number); derr == nil {
			os.Remove(filepath.Join(dir, "run.safetensors"))
		}
	}
	if panicked != nil {
		return fmt.Errorf("tune: the objective of trial %d panicked: %v\n%s", t.number, panicked, stack)
	}
	return nil
}

// cut shortens an error's message for the journal.
func cut(msg string) string {
	const most = 2000
	if len(msg) <= most {
		return msg
	}
	return msg[:most] + "…"
}
