package callbacks

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
	"github.com/minidl/minidl/tensor"
)

// Stateful is implemented by the callbacks whose state a resumed run needs
// (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint, History): train.Fit
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
		return &StateError{Op: op, Field: "best", Detail: fmt.Sprintf("%s does not fit best_epoch %d", quote(meta["best"]), bestEpoch)}
	}
	t.Restore(best, bestEpoch, wait)
	return nil
}

// metaInt reads an integer field of meta in [lowest, maxStateEpoch].
func metaInt(op string, meta map[string]string, field string, lowest int) (int, error) {
	v, err := strconv.ParseInt(meta[field], 10, 64)
	if err != nil || v < int64(lowest) || v > maxStateEpoch {
		return 0, &StateError{Op: op, Field: field, Detail: fmt.Sprintf("%s is not a count in [%d, %d]", quote(meta[field]), lowest, maxStateEpoch)}
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

// State returns the best value and the files written and kept.
func (c *ModelCheckpoint) State() (*nn.StateDict, map[string]string) {
	written, _ := json.Marshal(c.written)
	meta := map[string]string{"written": string(written)}
	trackerState(meta, &c.tracker)
	return nn.NewStateDict(), meta
}

// LoadState restores a state returned by State.
func (c *ModelCheckpoint) LoadState(_ *nn.StateDict, meta map[string]string) error {
	const op = "ModelCheckpoint.LoadState"
	var written []string
	if err := json.Unmarshal([]byte(meta["written"]), &written); err != nil {
		return &StateError{Op: op, Field: "written", Detail: fmt.Sprintf("not a JSON list of file names: %v", err)}
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
// epoch lacks it), and how the run ended.
func (h *History) State() (*nn.StateDict, map[string]string) {
	s := nn.NewStateDict()
	keys := h.Keys()
	for _, k := range keys {
		s.Set("logs."+k, tensor.New(h.Values(k)))
	}
	names, _ := json.Marshal(keys)
	return s, map[string]string{"epochs": strconv.Itoa(len(h.Epochs)), "keys": string(names)}
}

// LoadState restores a state returned by State.
func (h *History) LoadState(s *nn.StateDict, meta map[string]string) error {
	const op = "History.LoadState"
	n, err := metaInt(op, meta, "epochs", 0)
	if err != nil {
		return err
	}
	var keys []string
	if err := json.Unmarshal([]byte(meta["keys"]), &keys); err != nil {
		return &StateError{Op: op, Field: "keys", Detail: fmt.Sprintf("not a JSON list of names: %v", err)}
	}
	epochs := make([]Logs, n)
	for i := range epochs {
		epochs[i] = Logs{}
	}
	for _, k := range keys {
		v, err := stateVector(s, "logs."+k, op)
		if err != nil {
			return err
		}
		if len(v) != n {
			return &StateError{Op: op, Field: "logs." + k, Detail: fmt.Sprintf("%d values for %d epochs", len(v), n)}
		}
		for i, x := range v {
			if !math.IsNaN(x) {
				epochs[i][k] = x
			}
		}
	}
	*h = History{Epochs: epochs, StoppedEpoch: -1}
	return nil
}
