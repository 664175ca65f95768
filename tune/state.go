package tune

import (
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/minidl/minidl/internal/quote"
)

// An event is one change to a study: a line of its journal, and the only
// way the study's trials change, so that a study rebuilt from its journal
// is the study that wrote it.
type event struct {
	Op     string     `json:"op"`
	Trial  int        `json:"trial"`
	Worker string     `json:"worker,omitempty"` // start, resume: who runs the trial
	Name   string     `json:"name,omitempty"`   // param: its name; attr: its key
	Dist   *distJSON  `json:"dist,omitempty"`   // param
	Step   *int       `json:"step,omitempty"`   // report, max_step
	Value  *jsonFloat `json:"value,omitempty"`  // param (a number's), report, attr, complete
	Choice *string    `json:"choice,omitempty"` // param (a categorical's)
	Reason string     `json:"reason,omitempty"` // prune: "budget" when a budget stopped it
	Error  string     `json:"error,omitempty"`  // fail
	Time   *time.Time `json:"time,omitempty"`   // start and the ends
	Study  *studyJSON `json:"study,omitempty"`  // the header
}

// The events' operations.
const (
	opStudy    = "study"    // the header: the study's name and direction
	opStart    = "start"    // a new trial, numbered in order
	opParam    = "param"    // a parameter drawn
	opReport   = "report"   // an intermediate value
	opAttr     = "attr"     // a pruner's or sampler's attribute
	opMaxStep  = "max_step" // the last step the trial will report if it runs to its end
	opDecide   = "decide"   // the pruner decided to prune or pause it
	opComplete = "complete" // the objective returned a value
	opPrune    = "prune"    // the trial was pruned
	opPause    = "pause"    // a Promoter paused it
	opFail     = "fail"     // the objective failed
	opResume   = "resume"   // a paused trial promoted, or an abandoned one taken up again
	opRelease  = "release"  // its run was cancelled: it waits to be run again
)

// studyJSON is the header's content.
type studyJSON struct {
	Format    string `json:"format"`
	Name      string `json:"name"`
	Direction string `json:"direction"`
}

// journalFormat names the journal's format in its header.
const journalFormat = "minidl-tune/1"

// distJSON is a Distribution as the journal writes it.
type distJSON struct {
	Kind    string   `json:"kind"`
	Low     float64  `json:"low,omitempty"`
	High    float64  `json:"high,omitempty"`
	Step    float64  `json:"step,omitempty"`
	Log     bool     `json:"log,omitempty"`
	Choices []string `json:"choices,omitempty"`
}

func toJSON(d Distribution) *distJSON {
	return &distJSON{Kind: d.Kind.String(), Low: d.Low, High: d.High, Step: d.Step, Log: d.Log, Choices: d.Choices}
}

func (j *distJSON) distribution() (Distribution, error) {
	d := Distribution{Low: j.Low, High: j.High, Step: j.Step, Log: j.Log, Choices: j.Choices}
	switch j.Kind {
	case "float":
		d.Kind = FloatParam
	case "int":
		d.Kind = IntParam
	case "categorical":
		d.Kind = CategoricalParam
	default:
		return d, fmt.Errorf("unknown parameter kind %s", quote.Text(j.Kind))
	}
	if msg := d.validate(); msg != "" {
		return d, fmt.Errorf("distribution: %s", msg)
	}
	return d, nil
}

// record is a trial as the study keeps it. Its maps are written in place
// until a snapshot hands them out (shared); the next change then copies
// them first, so that a snapshot never changes, and a journal replayed
// without snapshots costs memory in proportion to its events.
type record struct {
	FrozenTrial
	worker   string   // the worker running it, "" when nobody does
	maxStep  int      // the last step it declared, −1 if none
	decision Decision // the pruner's, until the trial ends or resumes
	shared   bool     // a snapshot holds the maps
}

// frozen returns the trial as a snapshot.
func (r *record) frozen() FrozenTrial {
	r.shared = true
	return r.FrozenTrial
}

// own makes the maps the record's own to write.
func (r *record) own() {
	if r.shared {
		r.Params, r.Distributions = maps.Clone(r.Params), maps.Clone(r.Distributions)
		r.Reports, r.Attrs = maps.Clone(r.Reports), maps.Clone(r.Attrs)
		r.shared = false
	}
}

// state is the study as its events made it.
type state struct {
	name    string
	dir     Direction
	trials  []*record
	reports int // reports made by every trial, for the epochs budget
}

// apply makes the change e describes, after checking that it can happen:
// an error says why not.
func (st *state) apply(e *event) error {
	switch e.Op {
	case opStudy:
		return fmt.Errorf("a second study header")
	case opStart, opParam, opReport, opAttr, opMaxStep, opDecide, opComplete, opPrune, opPause, opFail, opResume, opRelease:
	default:
		return fmt.Errorf("unknown event %s", quote.Text(e.Op))
	}
	if e.Op == opStart {
		if e.Trial != len(st.trials) {
			return fmt.Errorf("trial %d starts out of order: %d trials so far", e.Trial, len(st.trials))
		}
		r := &record{FrozenTrial: FrozenTrial{Number: e.Trial, State: Running, Params: map[string]any{},
			Distributions: map[string]Distribution{}, Reports: map[int]float64{}, Attrs: map[string]float64{}, Value: math.NaN()},
			worker: e.Worker, maxStep: -1}
		if e.Time != nil {
			r.Start = *e.Time
		}
		st.trials = append(st.trials, r)
		return nil
	}
	if e.Trial < 0 || e.Trial >= len(st.trials) {
		return fmt.Errorf("%s of trial %d, which never started", e.Op, e.Trial)
	}
	r := st.trials[e.Trial]
	running := func() error {
		if r.State != Running {
			return fmt.Errorf("%s of trial %d, which is %s", e.Op, e.Trial, r.State)
		}
		return nil
	}
	needValue := func() error {
		if e.Value == nil {
			return fmt.Errorf("%s of trial %d without a value", e.Op, e.Trial)
		}
		return nil
	}
	end := func(s TrialState) {
		r.State, r.worker = s, ""
		if e.Time != nil {
			r.End = *e.Time
		}
	}
	switch e.Op {
	case opParam:
		if err := running(); err != nil {
			return err
		}
		if e.Name == "" || e.Dist == nil {
			return fmt.Errorf("param of trial %d without a name or distribution", e.Trial)
		}
		if _, ok := r.Params[e.Name]; ok {
			return fmt.Errorf("parameter %s of trial %d set twice", quote.Text(e.Name), e.Trial)
		}
		d, err := e.Dist.distribution()
		if err != nil {
			return fmt.Errorf("parameter %s: %v", quote.Text(e.Name), err)
		}
		if msg := st.compatible(e.Name, d); msg != "" {
			return fmt.Errorf("parameter %s of trial %d: %s", quote.Text(e.Name), e.Trial, msg)
		}
		var v any
		switch {
		case d.Kind == CategoricalParam && e.Choice != nil:
			v = *e.Choice
		case d.Kind == IntParam && e.Value != nil && float64(*e.Value) == math.Trunc(float64(*e.Value)) && math.Abs(float64(*e.Value)) < 1<<53:
			v = int(*e.Value)
		case d.Kind == FloatParam && e.Value != nil:
			v = float64(*e.Value)
		default:
			return fmt.Errorf("parameter %s of trial %d: no %s value", quote.Text(e.Name), e.Trial, d.Kind)
		}
		if _, ok := d.Internal(v); !ok {
			return fmt.Errorf("parameter %s of trial %d: %s is not in %v", quote.Text(e.Name), e.Trial, quote.Text(fmt.Sprint(v)), d)
		}
		r.own()
		r.Params[e.Name], r.Distributions[e.Name] = v, d
	case opReport:
		if err := running(); err != nil {
			return err
		}
		if err := needValue(); err != nil {
			return err
		}
		if e.Step == nil || *e.Step < 0 {
			return fmt.Errorf("report of trial %d without a step of 0 or more", e.Trial)
		}
		if _, ok := r.Reports[*e.Step]; ok {
			return fmt.Errorf("step %d of trial %d reported twice", *e.Step, e.Trial)
		}
		r.own()
		r.Reports[*e.Step] = float64(*e.Value)
		st.reports++
	case opAttr:
		if err := needValue(); err != nil {
			return err
		}
		if e.Name == "" {
			return fmt.Errorf("attr of trial %d without a key", e.Trial)
		}
		r.own()
		r.Attrs[e.Name] = float64(*e.Value)
	case opMaxStep:
		if err := running(); err != nil {
			return err
		}
		if e.Step == nil || *e.Step < 0 {
			return fmt.Errorf("max_step of trial %d without a step of 0 or more", e.Trial)
		}
		r.maxStep = *e.Step
	case opDecide:
		if err := running(); err != nil {
			return err
		}
		switch e.Reason {
		case "prune":
			r.decision = Prune
		case "pause":
			r.decision = Pause
		default:
			return fmt.Errorf("decide of trial %d: reason %s, want \"prune\" or \"pause\"", e.Trial, quote.Text(e.Reason))
		}
	case opComplete:
		if err := running(); err != nil {
			return err
		}
		if err := needValue(); err != nil {
			return err
		}
		if math.IsNaN(float64(*e.Value)) {
			return fmt.Errorf("trial %d complete with the value NaN", e.Trial)
		}
		r.Value = float64(*e.Value)
		end(Complete)
	case opPrune:
		if err := running(); err != nil {
			return err
		}
		r.Value = math.NaN()
		if last, ok := r.LastStep(); ok {
			r.Value = r.Reports[last]
		}
		end(Pruned)
	case opPause:
		if err := running(); err != nil {
			return err
		}
		r.State, r.worker = Paused, ""
	case opFail:
		if err := running(); err != nil {
			return err
		}
		end(Failed)
	case opResume:
		if r.State != Running && r.State != Paused {
			return fmt.Errorf("resume of trial %d, which is %s", e.Trial, r.State)
		}
		if e.Worker == "" {
			return fmt.Errorf("resume of trial %d without a worker", e.Trial)
		}
		if r.State == Paused { // promoted: the pause is over
			r.decision = Continue
		}
		r.State, r.worker = Running, e.Worker
	case opRelease:
		if err := running(); err != nil {
			return err
		}
		r.worker = ""
	}
	return nil
}

// compatible returns why parameter name cannot be drawn from d, given the
// trials that drew it before, or "".
func (st *state) compatible(name string, d Distribution) string {
	for _, r := range st.trials {
		if prev, ok := r.Distributions[name]; ok {
			return prev.compatible(d)
		}
	}
	return ""
}

// snapshot returns every trial as it is now.
func (st *state) snapshot() []FrozenTrial {
	out := make([]FrozenTrial, len(st.trials))
	for i, r := range st.trials {
		out[i] = r.frozen()
	}
	return out
}

// maxStep returns the largest step any trial declared.
func (st *state) maxStep() (int, bool) {
	m := -1
	for _, r := range st.trials {
		m = max(m, r.maxStep)
	}
	return m, m >= 0
}
