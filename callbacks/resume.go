package callbacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// Stateful is implemented by the callbacks whose state a resumed run needs
// (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, History,
// CurveRecorder): train.Fit
// writes it into its run checkpoint and loads it back, as tensors and text
// metadata, both of which a safetensors file holds. A callback whose state
// was loaded keeps it when a resumed run begins (Run.Resumed).
type Stateful interface {
	State() (*nn.StateDict, map[string]string)
	LoadState(s *nn.StateDict, meta map[string]string) error
}

// trackerState writes t into meta under prefix.
func trackerState(meta map[string]string, t *optim.Tracker) {
	meta["best"] = strconv.FormatFloat(t.Best(), 'g', -1, 64)
	meta["best_epoch"] = strconv.Itoa(t.BestEpoch())
	meta["wait"] = strconv.Itoa(t.Wait())
}

// loadTracker restores t, followed in mode m of monitor, from meta,
// checking every field; op names the caller in errors.
func loadTracker(op string, meta map[string]string, t *optim.Tracker, m Mode, monitor string) error {
	mode, err := resolveMode(m, monitor)
	if err != nil {
		return configErrorf(op, "%v", err)
	}
	t.Mode = mode
	bestEpoch, err := metaInt(op, meta, "best_epoch", -1)
	if err != nil {
		return err
	}
	wait, err := metaInt(op, meta, "wait", 0)
	if err != nil {
		return err
	}
	best, err := strconv.ParseFloat(meta["best"], 64)
	if err != nil || math.IsNaN(best) || (bestEpoch < 0 && best != t.Worst()) {
		return &StateError{Op: op, Field: "best", Detail: fmt.Sprintf("%s does not fit best_epoch %d", quote.Text(meta["best"]), bestEpoch)}
	}
	t.Restore(best, bestEpoch, wait)
	return nil
}

// metaInt reads an integer field of meta of at least lowest. A count that
// sizes something a state allocates must also be checked against the bytes
// present (see loadSeries).
func metaInt(op string, meta map[string]string, field string, lowest int) (int, error) {
	v, err := strconv.ParseInt(meta[field], 10, 0)
	if err != nil || v < int64(lowest) {
		return 0, &StateError{Op: op, Field: field, Detail: fmt.Sprintf("%s is not a whole number of at least %d", quote.Text(meta[field]), lowest)}
	}
	return int(v), nil
}

// State returns the plateau rule's best value, wait and cooldown.
func (p *ReduceLROnPlateau) State() (*nn.StateDict, map[string]string) {
	meta := map[string]string{"cooldown": strconv.Itoa(p.cooldown)}
	trackerState(meta, &p.tracker)
	return nn.NewStateDict(), meta
}

// LoadState restores a state returned by State.
func (p *ReduceLROnPlateau) LoadState(_ *nn.StateDict, meta map[string]string) error {
	const op = "ReduceLROnPlateau.LoadState"
	cooldown, err := metaInt(op, meta, "cooldown", 0)
	if err != nil {
		return err
	}
	t := p.tracker
	if err := loadTracker(op, meta, &t, p.cfg.Mode, p.cfg.Monitor); err != nil {
		return err
	}
	p.tracker, p.cooldown = t, cooldown
	return nil
}

// State returns the best value, the Path and the files written and kept.
func (c *ModelCheckpoint) State() (*nn.StateDict, map[string]string) {
	written, _ := json.Marshal(c.written)
	meta := map[string]string{"written": string(written), "path": c.cfg.Path}
	trackerState(meta, &c.tracker)
	return nn.NewStateDict(), meta
}

// LoadState restores a state returned by State. A state of another run's
// ModelCheckpoint, one whose Path differs or that lists a file this one's
// Path does not name, is refused. (A state saved before "path" was kept
// has none, and is checked by its files alone.)
func (c *ModelCheckpoint) LoadState(_ *nn.StateDict, meta map[string]string) error {
	const op = "ModelCheckpoint.LoadState"
	if path, ok := meta["path"]; ok && path != c.cfg.Path {
		return &StateError{Op: op, Field: "path", Detail: fmt.Sprintf("the saved callback wrote %s, this one writes %s: the state of another run", quote.Text(path), quote.Text(c.cfg.Path))}
	}
	var written []string
	if err := json.Unmarshal([]byte(meta["written"]), &written); err != nil {
		return &StateError{Op: op, Field: "written", Detail: fmt.Sprintf("not a JSON list of file names: %v", err)}
	}
	for _, w := range written {
		if !c.mine(w) {
			return &StateError{Op: op, Field: "written", Detail: fmt.Sprintf("%s is not a file this callback's Path names", quote.Text(w))}
		}
	}
	t, mode := c.tracker, c.cfg.Mode
	if !c.cfg.SaveBestOnly && mode == Auto {
		mode = Min // the tracker is unused, and the name need not tell its mode
	}
	if err := loadTracker(op, meta, &t, mode, c.cfg.Monitor); err != nil {
		return err
	}
	c.tracker, c.written = t, written
	return nil
}

// State returns every epoch's logs, one vector per name (NaN where an
// epoch lacks it).
func (h *History) State() (*nn.StateDict, map[string]string) {
	keys := h.Keys()
	series := make(map[string][]float64, len(keys))
	for _, k := range keys {
		series[k] = h.Values(k)
	}
	s, meta := nn.NewStateDict(), map[string]string{}
	seriesState(s, meta, "logs.", series, len(h.Epochs))
	return s, meta
}

// LoadState restores a state returned by State.
func (h *History) LoadState(s *nn.StateDict, meta map[string]string) error {
	series, n, err := loadSeries("History.LoadState", s, meta, "logs.")
	if err != nil {
		return err
	}
	epochs := make([]Logs, n)
	for i := range epochs {
		epochs[i] = Logs{}
	}
	for k, v := range series {
		for i, x := range v {
			if !math.IsNaN(x) {
				epochs[i][k] = x
			}
		}
	}
	*h = History{Epochs: epochs, StoppedEpoch: -1}
	return nil
}

// seriesState writes a table of n epochs, named series of n values each,
// into s (each series under prefix) and meta ("epochs", and "keys", the
// names as a JSON list). With no series at all, a vector "epochs" of n
// zeros stands for the table, so that the count is always the length of a
// vector present.
func seriesState(s *nn.StateDict, meta map[string]string, prefix string, series map[string][]float64, n int) {
	keys := slices.Sorted(maps.Keys(series))
	for _, k := range keys {
		s.Set(prefix+k, tensor.New(slices.Clone(series[k])))
	}
	if len(keys) == 0 && n > 0 {
		s.Set("epochs", tensor.Zeros(n))
	}
	names, _ := json.Marshal(keys)
	meta["epochs"], meta["keys"] = strconv.Itoa(n), string(names)
}

// loadSeries reads a table written by seriesState, checking it: the count
// must be the length of the vectors present, which bounds what is
// allocated by the bytes of the state, and the state must hold nothing
// else. op names the caller in errors.
func loadSeries(op string, s *nn.StateDict, meta map[string]string, prefix string) (map[string][]float64, int, error) {
	n, err := metaInt(op, meta, "epochs", 0)
	if err != nil {
		return nil, 0, err
	}
	var keys []string
	if err := json.Unmarshal([]byte(meta["keys"]), &keys); err != nil {
		return nil, 0, &StateError{Op: op, Field: "keys", Detail: fmt.Sprintf("not a JSON list of names: %v", err)}
	}
	series := make(map[string][]float64, len(keys))
	for _, k := range keys {
		if _, dup := series[k]; dup {
			return nil, 0, &StateError{Op: op, Field: "keys", Detail: fmt.Sprintf("%s is listed twice", quote.Text(k))}
		}
		v, err := stateVector(s, prefix+k, op)
		if err != nil {
			return nil, 0, err
		}
		if len(v) != n {
			return nil, 0, &StateError{Op: op, Field: prefix + k, Detail: fmt.Sprintf("%d values for %d epochs", len(v), n)}
		}
		series[k] = v
	}
	want := len(keys)
	if len(keys) == 0 && n > 0 {
		v, err := stateVector(s, "epochs", op)
		if err != nil {
			return nil, 0, &StateError{Op: op, Field: "epochs", Detail: fmt.Sprintf("%d epochs with no vector to hold them", n)}
		}
		if len(v) != n {
			return nil, 0, &StateError{Op: op, Field: "epochs", Detail: fmt.Sprintf("a vector of %d for %d epochs", len(v), n)}
		}
		want = 1
	}
	if s.Len() != want {
		for _, name := range s.Names() {
			if k, ok := strings.CutPrefix(name, prefix); !ok || series[k] == nil {
				return nil, 0, &StateError{Op: op, Field: name, Detail: "not a series of the state's keys"}
			}
		}
	}
	return series, n, nil
}
