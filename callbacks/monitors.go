package callbacks

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/optim"
)

// Monitored is a further quantity for EarlyStopping to watch
// (EarlyStoppingConfig.AlsoMonitor): a log name and its mode (Auto infers
// it from the name, as for Monitor).
type Monitored struct {
	Name string
	Mode Mode
}

// alsoMonitors follows AlsoMonitor: a tracker for each further quantity,
// so that training goes on while any monitored quantity improves, and the
// best epoch chosen lexicographically: by Monitor, then by the first
// further quantity among epochs that tie on it, and so on. Two values tie
// when neither improves on the other by the margin (MinDelta).
type alsoMonitors struct {
	names     []string
	trackers  []optim.Tracker
	best      []float64 // the values of the best epoch, Monitor's first
	bestEpoch int
}

func newAlsoMonitors(op string, cfg EarlyStoppingConfig) (alsoMonitors, error) {
	a := alsoMonitors{bestEpoch: -1}
	for _, m := range cfg.AlsoMonitor {
		check(op, m.Name != "" && m.Name != cfg.Monitor, "AlsoMonitor %q: want a name other than Monitor's", m.Name)
		check(op, m.Mode >= Auto && m.Mode <= Max, "AlsoMonitor %q: unknown mode %d", m.Name, int(m.Mode))
		mode, err := resolveMode(m.Mode, m.Name)
		if err != nil {
			return a, err
		}
		a.names = append(a.names, m.Name)
		a.trackers = append(a.trackers, optim.Tracker{Mode: mode, MinDelta: cfg.MinDelta, Relative: cfg.RelativeDelta})
	}
	return a, nil
}

func (a *alsoMonitors) on() bool { return len(a.names) > 0 }

func (a *alsoMonitors) reset() {
	for i := range a.trackers {
		a.trackers[i].Reset()
	}
	a.best, a.bestEpoch = nil, -1
}

// read returns the further quantities' values from logs, or the name of
// one that is missing.
func (a *alsoMonitors) read(logs Logs) ([]float64, string) {
	vals := make([]float64, len(a.names))
	for i, name := range a.names {
		v, ok := logs[name]
		if !ok {
			return nil, name
		}
		vals[i] = v
	}
	return vals, ""
}

// observe takes an epoch's values, Monitor's (followed by primary) first,
// and reports whether any improved and whether the epoch is the new best.
func (a *alsoMonitors) observe(epoch int, primary *optim.Tracker, current float64, vals []float64) (improved, best bool) {
	improved = primary.Improved()
	for i := range a.trackers {
		improved = a.trackers[i].Observe(epoch, vals[i]) || improved
	}
	all := append([]float64{current}, vals...)
	if a.bestEpoch < 0 || a.beats(primary, all) {
		a.best, a.bestEpoch = all, epoch
		return improved, !math.IsNaN(current)
	}
	return improved, false
}

// beats reports whether vals come lexicographically before the best's.
func (a *alsoMonitors) beats(primary *optim.Tracker, vals []float64) bool {
	for i, v := range vals {
		t := primary
		if i > 0 {
			t = &a.trackers[i-1]
		}
		switch {
		case t.Better(v, a.best[i]):
			return true
		case t.Better(a.best[i], v):
			return false
		}
	}
	return false
}

// wait returns the epochs since any monitored quantity last improved.
func (a *alsoMonitors) wait(primary *optim.Tracker) int {
	w := primary.Wait()
	for i := range a.trackers {
		w = min(w, a.trackers[i].Wait())
	}
	return w
}

// save writes the further trackers and the best epoch into meta.
func (a *alsoMonitors) save(meta map[string]string) {
	if !a.on() {
		return
	}
	for i := range a.trackers {
		m := map[string]string{}
		trackerState(m, &a.trackers[i])
		for k, v := range m {
			meta["also."+strconv.Itoa(i)+"."+k] = v
		}
	}
	best := make([]string, len(a.best))
	for i, v := range a.best {
		best[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	b, _ := json.Marshal(best)
	meta["also.best"], meta["also.best_epoch"] = string(b), strconv.Itoa(a.bestEpoch)
}

// load restores what save wrote, checking it; a is unchanged on error.
func (a *alsoMonitors) load(_ *nn.StateDict, meta map[string]string) error {
	if !a.on() {
		return nil
	}
	const op = "EarlyStopping.LoadState"
	trackers := append([]optim.Tracker(nil), a.trackers...)
	for i := range trackers {
		m := map[string]string{}
		prefix := "also." + strconv.Itoa(i) + "."
		for _, k := range []string{"best", "best_epoch", "wait"} {
			m[k] = meta[prefix+k]
		}
		if err := loadTracker(op, m, &trackers[i], trackers[i].Mode, a.names[i]); err != nil {
			if se, ok := err.(*StateError); ok {
				se.Field = prefix + se.Field // the entry's name in the state
			}
			return err
		}
	}
	bestEpoch, err := metaInt(op, meta, "also.best_epoch", -1)
	if err != nil {
		return err
	}
	var texts []string
	if err := json.Unmarshal([]byte(meta["also.best"]), &texts); err != nil || (bestEpoch >= 0 && len(texts) != len(a.names)+1) {
		return &StateError{Op: op, Field: "also.best", Detail: fmt.Sprintf("want %d numbers for best_epoch %d", len(a.names)+1, bestEpoch)}
	}
	var best []float64
	for _, s := range texts {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return &StateError{Op: op, Field: "also.best", Detail: fmt.Sprintf("%s is not a number", quote.Text(s))}
		}
		best = append(best, v)
	}
	a.trackers, a.best, a.bestEpoch = trackers, best, bestEpoch
	return nil
}
