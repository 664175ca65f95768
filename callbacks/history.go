package callbacks

import (
	"maps"
	"math"
	"slices"
)

// History records the logs of every epoch and how the run ended. train.Fit
// returns one.
type History struct {
	Base
	Epochs       []Logs     // the logs of each completed epoch
	StoppedEpoch int        // the epoch in which the run was stopped, −1 if it ran every epoch
	StopReason   StopReason // why the run ended
	StopMessage  string     // the stopping callback's explanation
}

// OnTrainBegin clears the history, unless the run resumes a saved one.
func (h *History) OnTrainBegin(r *Run) error {
	if !r.Resumed {
		*h = History{StoppedEpoch: -1}
	}
	return nil
}

// OnEpochEnd records a copy of the epoch's logs.
func (h *History) OnEpochEnd(_ *Run, _ int, logs Logs) error {
	h.Epochs = append(h.Epochs, maps.Clone(logs))
	return nil
}

// OnTrainEnd records how the run ended.
func (h *History) OnTrainEnd(r *Run) error {
	h.StoppedEpoch, h.StopReason, h.StopMessage = r.StoppedEpoch(), r.StopReason(), r.StopMessage()
	return nil
}

// Values returns the value of key at every epoch (NaN where it is missing).
func (h *History) Values(key string) []float64 {
	out := make([]float64, len(h.Epochs))
	for i, l := range h.Epochs {
		v, ok := l[key]
		if !ok {
			v = math.NaN()
		}
		out[i] = v
	}
	return out
}

// Keys returns every name logged in any epoch, sorted.
func (h *History) Keys() []string {
	set := map[string]bool{}
	for _, l := range h.Epochs {
		for k := range l {
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}
