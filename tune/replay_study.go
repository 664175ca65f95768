package tune

import (
	"maps"
	"slices"
)

// replayStudy is a study held in memory with no objective, no sampler and
// no journal: the View a replay drives its pruner through, one report at a
// time, as a live study would.
type replayStudy struct {
	name    string
	dir     Direction
	trials  []FrozenTrial
	maxStep int // the largest step a trial declared it would reach; −1 if none did
}

func newReplayStudy(name string, dir Direction) *replayStudy {
	return &replayStudy{name: name, dir: dir, maxStep: -1}
}

func (s *replayStudy) Name() string         { return s.name }
func (s *replayStudy) Direction() Direction { return s.dir }

// Trials returns the trials as they are now. Attributes are replaced, not
// changed, so a pruner's snapshot stays as it was while it records one.
func (s *replayStudy) Trials() []FrozenTrial { return slices.Clone(s.trials) }

// MaxStep returns the largest step a trial declared, as a live study's
// trials declare their last epoch.
func (s *replayStudy) MaxStep() (int, bool) { return s.maxStep, s.maxStep >= 0 }

// declare says that a trial will report up to step if it runs to its end.
func (s *replayStudy) declare(step int) { s.maxStep = max(s.maxStep, step) }

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
		// In place, unlike a live study's snapshots: a replay asks its
		// pruner between reports, never during one, so no snapshot is read
		// while a report changes it, and copying would cost a trial of n
		// epochs n²/2 copies.
		t.Reports[step] = value
	}
	return *t
}

// tell ends trial n (or pauses or resumes it) with state and value.
func (s *replayStudy) tell(n int, state TrialState, value float64) {
	s.trials[n].State, s.trials[n].Value = state, value
}
