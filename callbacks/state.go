package callbacks

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// EarlyStopping's saved state is a state dict of tensors (the monitored
// values, the training errors PQ reads, and the best weights under
// "best_weights.") with the scalars as text metadata, both of which a
// safetensors file holds: nn.SaveFile(path, s, meta) writes it and
// nn.LoadFile reads it back.
const (
	stateValues  = "values"
	stateTrain   = "train"
	stateWeights = "best_weights."
)

// the scalars of the metadata, in the order they are written.
var stateScalars = []string{"best", "best_epoch", "wait", "stopped_epoch", "reason", "message"}

// State returns the callback's state, the best weights included, so that a
// run can resume: the tensors and the metadata to write beside them.
func (e *EarlyStopping) State() (*nn.StateDict, map[string]string) {
	s := nn.NewStateDict()
	s.Set(stateValues, tensor.New(append([]float64{}, e.progress.Values...)))
	if e.progress.Train != nil {
		s.Set(stateTrain, tensor.New(append([]float64{}, e.progress.Train...)))
	}
	if e.bestWeights != nil {
		for _, name := range e.bestWeights.Names() {
			t, _ := e.bestWeights.Get(name)
			s.Set(stateWeights+name, t.Clone())
		}
	}
	itoa := strconv.Itoa
	meta := map[string]string{
		"best": strconv.FormatFloat(e.tracker.Best(), 'g', -1, 64), "best_epoch": itoa(e.tracker.BestEpoch()),
		"wait": itoa(e.tracker.Wait()), "stopped_epoch": itoa(e.stoppedEpoch),
		"reason": string(e.reason), "message": e.message,
	}
	e.smooth.save(s, meta)
	e.also.save(meta)
	return s, meta
}

// LoadState restores a state returned by State, into a callback of the
// same configuration. It checks every entry (present, of the right shape
// and range, consistent with the others) and returns a *StateError naming
// the first that is not, leaving the callback as it was.
func (e *EarlyStopping) LoadState(s *nn.StateDict, meta map[string]string) error {
	const op = "EarlyStopping.LoadState"
	bad := func(field, format string, args ...any) error {
		return &StateError{Op: op, Field: field, Detail: fmt.Sprintf(format, args...)}
	}
	for _, k := range stateScalars {
		if _, ok := meta[k]; !ok {
			return bad(k, "missing from the metadata")
		}
	}
	ints := map[string]int{}
	for _, k := range []string{"best_epoch", "wait", "stopped_epoch"} {
		v, err := strconv.ParseInt(meta[k], 10, 0)
		if err != nil || v < -1 {
			return bad(k, "%s is not an epoch count of at least -1", quote.Text(meta[k]))
		}
		ints[k] = int(v)
	}
	best, err := strconv.ParseFloat(meta["best"], 64)
	if err != nil || math.IsNaN(best) {
		return bad("best", "%s is not a number", quote.Text(meta["best"]))
	}
	reason := StopReason(meta["reason"])
	if !reason.Valid() {
		return bad("reason", "%s is not a stop reason (at most %d lower-case letters, digits and _)", quote.Text(meta["reason"]), MaxReasonLen)
	}
	if (reason == NotStopped) != (ints["stopped_epoch"] < 0) {
		return bad("reason", "%q does not agree with stopped_epoch %d", reason, ints["stopped_epoch"])
	}
	if len(meta["message"]) > MaxMessageLen {
		return bad("message", "%d bytes, more than the %d a message holds", len(meta["message"]), MaxMessageLen)
	}
	values, err := stateVector(s, stateValues, op)
	if err != nil {
		return err
	}
	var train []float64
	if e.train {
		if train, err = stateVector(s, stateTrain, op); err != nil {
			return err
		}
		if len(train) != len(values) {
			return bad(stateTrain, "%d entries for %d values", len(train), len(values))
		}
	}
	if ints["wait"] > len(values) {
		return bad("wait", "%d epochs without improvement among %d observed", ints["wait"], len(values))
	}
	if ints["best_epoch"] < 0 && best != e.tracker.Worst() {
		return bad("best", "%v with no best epoch, want %v", best, e.tracker.Worst())
	}
	var weights *nn.StateDict
	for _, name := range s.Names() {
		rest, ok := strings.CutPrefix(name, stateWeights)
		if !ok {
			continue
		}
		if weights == nil {
			weights = nn.NewStateDict()
		}
		t, _ := s.Get(name)
		weights.Set(rest, t.Clone())
	}
	if weights != nil && e.model != nil {
		if err := sameLayout(weights, nn.StateOf(e.model)); err != nil {
			return bad(stateWeights, "%v", err)
		}
	}
	smooth, also := e.smooth, e.also
	if err := smooth.load(s, meta); err != nil {
		return err
	}
	if err := also.load(s, meta); err != nil {
		return err
	}

	e.Reset()
	e.tracker.Restore(best, ints["best_epoch"], ints["wait"])
	p := &e.progress
	p.Values, p.Train = values, train
	for _, v := range values {
		if !math.IsNaN(v) {
			p.Lowest = min(p.Lowest, v)
		}
	}
	e.stoppedEpoch, e.reason, e.message = ints["stopped_epoch"], reason, meta["message"]
	e.bestWeights, e.smooth, e.also = weights, smooth, also
	e.syncProgress()
	p.Improved = false
	return nil
}

// sameLayout reports, as an error, how the names and shapes of got differ
// from want's.
func sameLayout(got, want *nn.StateDict) error {
	for _, name := range want.Names() {
		w, _ := want.Get(name)
		g, ok := got.Get(name)
		if !ok {
			return fmt.Errorf("the model's %q is missing", name)
		}
		if !slices.Equal(g.Shape(), w.Shape()) {
			return fmt.Errorf("%q has shape %v, the model's %v", name, g.Shape(), w.Shape())
		}
	}
	if got.Len() != want.Len() {
		return fmt.Errorf("%d tensors for the model's %d", got.Len(), want.Len())
	}
	return nil
}

// stateVector returns a copy of the 1-D tensor name of s.
func stateVector(s *nn.StateDict, name, op string) ([]float64, error) {
	t, ok := s.Get(name)
	if !ok {
		return nil, &StateError{Op: op, Field: name, Detail: "missing from the state"}
	}
	if t.Dims() != 1 && !(t.Dims() == 0 && t.Size() == 0) {
		return nil, &StateError{Op: op, Field: name, Detail: fmt.Sprintf("shape %v, want a vector", t.Shape())}
	}
	return append([]float64{}, t.Data()...), nil
}
