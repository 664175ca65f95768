package tune

import "time"

// TrialState is where a trial is in its life.
type TrialState int

const (
	// Running: the objective is being evaluated.
	Running TrialState = iota
	// Complete: the objective returned a value.
	Complete
	// Pruned: a pruner stopped the trial; its last report stands as its value.
	Pruned
	// Failed: the objective returned an error or panicked.
	Failed
	// Paused: a pruner paused the trial at a rung; it may be promoted and
	// resumed from its run checkpoint later.
	Paused
)

// String returns the state's name, as the journal writes it.
func (s TrialState) String() string {
	switch s {
	case Running:
		return "running"
	case Complete:
		return "complete"
	case Pruned:
		return "pruned"
	case Failed:
		return "failed"
	case Paused:
		return "paused"
	}
	return "unknown"
}

// Direction says whether a study minimizes or maximizes its objective.
type Direction int

const (
	// Minimize the objective (the default, as Optuna's).
	Minimize Direction = iota
	// Maximize the objective.
	Maximize
)

// String returns "minimize" or "maximize", as the journal writes it.
func (d Direction) String() string {
	if d == Maximize {
		return "maximize"
	}
	return "minimize"
}

// Better reports whether a is a better objective value than b in this
// direction (NaN is never better).
func (d Direction) Better(a, b float64) bool {
	if d == Maximize {
		return a > b
	}
	return a < b
}

// FrozenTrial is a snapshot of one trial as samplers and pruners read it
// (Optuna's FrozenTrial). Every field is rebuilt from the study's journal,
// so a pruner or sampler that keeps its state here survives a resume.
//
// The maps of a snapshot are shared with the study, which never changes
// them (it replaces them): read them, do not write them.
type FrozenTrial struct {
	Number int        // 0, 1, … in the order trials started
	State  TrialState //
	// Params holds each parameter's value: float64, int or string.
	Params map[string]any
	// Distributions holds the distribution each parameter was drawn from.
	Distributions map[string]Distribution
	// Reports holds the intermediate values reported, by step
	// (Optuna's intermediate_values).
	Reports map[int]float64
	// Value is the objective's result for a Complete trial, and the last
	// report of a Pruned one (NaN if it reported nothing), as Optuna's.
	Value float64
	// Attrs holds values a pruner recorded on the trial (Optuna's system
	// attributes, such as successive halving's completed rungs); they are
	// journaled as every other event.
	Attrs map[string]float64
	// Start and End are when the trial first started and when it ended
	// (zero while it runs or is paused).
	Start, End time.Time
}

// LastStep returns the largest step reported and whether any was.
func (t *FrozenTrial) LastStep() (int, bool) {
	last, ok := 0, false
	for s := range t.Reports {
		if !ok || s > last {
			last, ok = s, true
		}
	}
	return last, ok
}

// View is what a pruner sees of the study when it decides on a trial.
type View interface {
	// Name is the study's name (Hyperband assigns brackets by it).
	Name() string
	// Direction is the study's direction.
	Direction() Direction
	// Trials returns a snapshot of every trial in the study, in number
	// order, the trial being decided included.
	Trials() []FrozenTrial
	// SetAttr records key = value on trial number n; it is journaled and
	// seen by every later snapshot.
	SetAttr(n int, key string, value float64)
	// MaxStep returns the largest step a trial that runs to its end
	// reports, and whether it is known: StudyConfig.MaxStep if set, else
	// the largest any trial declared (Trial.SetMaxStep; the
	// PruningCallback declares the run's last epoch, Epochs − 1, when
	// train.Fit begins). Pruners take their automatic max_resource from it.
	MaxStep() (int, bool)
}

// Decision is a pruner's answer about a trial that just reported.
type Decision int

const (
	// Continue the trial.
	Continue Decision = iota
	// Prune: stop the trial now (Optuna's prune returning true).
	Prune
	// Pause: stop the trial for now, keeping its run checkpoint; a
	// Promoter may resume it later.
	Pause
)

// String returns "continue", "prune" or "pause", as the journal writes it.
func (d Decision) String() string {
	switch d {
	case Prune:
		return "prune"
	case Pause:
		return "pause"
	}
	return "continue"
}

// Pruner decides whether a trial that just reported should go on
// (Optuna's BasePruner.prune). trial is the current snapshot of the trial
// deciding; its Reports include the report just made. A Prune or Pause is
// journaled, and a trial run again after a crash keeps it without asking;
// a Continue is not, so Decide may be asked again about a step it let go
// on, and must answer the same given what it recorded (as successive
// halving does, finding the rung already recorded).
type Pruner interface {
	Decide(v View, trial FrozenTrial) Decision
}

// Promoter is a Pruner that pauses trials instead of pruning them and
// later promotes some of them (successive halving and Hyperband with
// pausing): Promote returns the numbers of paused trials to resume now,
// best first.
type Promoter interface {
	Pruner
	Promote(v View) []int
}
