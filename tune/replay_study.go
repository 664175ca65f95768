package tune

import (
	"maps"
	"slices"
)

// replayStudy is a study held in memory with no objective, no sampler and
// no journal: the View a replay drives its pruner through, one report at a
// time, as a live study would.
type replayStudy struct {
	name   string
	dir    Direction
	trials []FrozenTrial
}

func (s *replayStudy) Name() string         { return s.name }
func (s *replayStudy) Direction() Direction { return s.dir }

// Trials returns the trials as they are now. Attrs are copied on write, so
// the snapshot's Attrs do not change; its Reports do at the next report.
func (s *replayStudy) Trials() []FrozenTrial { return slices.Clone(s.trials) }

// SetAttr records key = value on trial n.
func (s *replayStudy) SetAttr(n int, key string, value float64) {
	t := &s.trials[n]
	attrs := maps.Clone(t.Attrs)
	if attrs == nil {
		attrs = map[string]float64{}
	}
	attrs[key] = value
	t.Attrs = attrs
}

// ask starts a trial and returns its number.
func (s *replayStudy) ask() int {
	n := len(s.trials)
	s.trials = append(s.trials, FrozenTrial{Number: n, State: Running, Reports: map[int]float64{}})
	return n
}

// report records trial n's value at step and returns the trial's snapshot
// for its pruner. A step already reported keeps its first value, as in
// Optuna.
func (s *replayStudy) report(n, step int, value float64) FrozenTrial {
	t := &s.trials[n]
	if _, ok := t.Reports[step]; !ok {
		t.Reports[step] = value
	}
	return *t
}

// tell ends trial n (or pauses or resumes it) with state and value.
func (s *replayStudy) tell(n int, state TrialState, value float64) {
	s.trials[n].State, s.trials[n].Value = state, value
}
