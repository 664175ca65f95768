package callbacks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/minidl/minidl/optim"
)

// Mode says whether a monitored quantity should fall or rise. It is
// optim.Mode under a second name, as os.FileMode is fs.FileMode: the same
// type, so a value serves both packages.
type Mode = optim.Mode

const (
	// Auto infers the mode from the monitored name: names of accuracy-like
	// scores (containing "acc", "auc", "f1", "precision", "recall", "iou" or
	// "r2", such as "val_accuracy") are maximized; names of losses and errors
	// ("loss", "error", "mse", "mae", …) are minimized. Any other name is an
	// error at the start of training (or at the first observation in a
	// hand-written loop), since guessing wrong would stop training at the
	// worst moment.
	Auto = optim.Auto
	Min  = optim.Min // minimize
	Max  = optim.Max // maximize
)

// resolveMode turns Auto into Min or Max for the monitored name.
func resolveMode(m Mode, monitor string) (Mode, error) {
	switch m {
	case Min, Max:
		return m, nil
	case Auto:
		if mode, ok := inferMode(monitor); ok {
			return mode, nil
		}
		return Auto, fmt.Errorf("cannot tell whether %q should be minimized or maximized: set Mode to Min or Max", monitor)
	}
	return Auto, fmt.Errorf("unknown mode %d", int(m))
}

// inferMode guesses whether a quantity named name is minimized or
// maximized. Loss and error names are checked first, so that a name such
// as "accuracy_loss" is minimized.
func inferMode(name string) (Mode, bool) {
	n := strings.ToLower(strings.TrimPrefix(name, "val_"))
	for _, w := range []string{"loss", "error", "err", "mse", "mae", "rmse", "mape", "nll", "entropy", "perplexity", "divergence"} {
		if strings.Contains(n, w) {
			return Min, true
		}
	}
	for _, w := range []string{"acc", "auc", "f1", "precision", "recall", "iou", "r2"} {
		if strings.Contains(n, w) {
			return Max, true
		}
	}
	return Auto, false
}

// monitorOrDefault returns name, or "val_loss" if it is empty: the default
// monitor of every callback that watches a quantity.
func monitorOrDefault(name string) string {
	if name == "" {
		return "val_loss"
	}
	return name
}

// checkLogged returns a *ConfigError unless the run's epoch logs will carry
// name; what names it for the message (`monitor "val_loss"`, …).
func checkLogged(op, what, name string, r *Run) error {
	if r.HasKey(name) {
		return nil
	}
	return configErrorf(op, "%s will never be logged; the logs carry %s", what, strings.Join(r.Keys, ", "))
}

// monitorMode checks that the run's logs will carry monitor and returns the
// mode to follow it in, m with Auto resolved; op names the callback in
// errors.
func monitorMode(op, monitor string, m Mode, r *Run) (Mode, error) {
	if err := checkLogged(op, fmt.Sprintf("monitor %q", monitor), monitor, r); err != nil {
		return Auto, err
	}
	mode, err := resolveMode(m, monitor)
	if err != nil {
		return Auto, configErrorf(op, "%v", err)
	}
	return mode, nil
}

// keyList names the keys of logs, sorted, for messages.
func keyList(logs Logs) string {
	if len(logs) == 0 {
		return "nothing"
	}
	return strings.Join(slices.Sorted(maps.Keys(logs)), ", ")
}
