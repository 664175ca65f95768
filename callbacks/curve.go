package callbacks

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/minidl/minidl/internal/quote"
)

// Curve is one recorded training run: what was trained, and the values
// logged at the end of every epoch, one series per log name ("loss",
// "val_loss", "test_loss", "val_error", …), all of the same length. NaN
// stands for an epoch that did not log the name (or logged NaN).
type Curve struct {
	Task      string
	Model     string
	Optimizer string
	Seed      uint64
	Series    map[string][]float64
}

// Epochs returns the number of epochs recorded.
func (c *Curve) Epochs() int {
	for _, s := range c.Series {
		return len(s)
	}
	return 0
}

// Logs returns the logs of epoch e, without the names it lacks.
func (c *Curve) Logs(e int) Logs {
	logs := make(Logs, len(c.Series))
	for k, s := range c.Series {
		if !math.IsNaN(s[e]) {
			logs[k] = s[e]
		}
	}
	return logs
}

// CurveFormat is the first field of every line of a curve file: the
// format and its version.
const CurveFormat = "minidl-curve/1"

// maxCurveLine bounds one line of a curve file: a run of 100,000 epochs
// of a dozen series fits.
const maxCurveLine = 64 << 20

// curveLine is a Curve as one JSON line. A value that is not finite is
// written as null (JSON has no NaN) and read back as NaN.
type curveLine struct {
	Format    string                `json:"format"`
	Task      string                `json:"task"`
	Model     string                `json:"model"`
	Optimizer string                `json:"optimizer"`
	Seed      uint64                `json:"seed"`
	Series    map[string][]*float64 `json:"series"`
}

// WriteCurves writes curves as JSON lines, one curve a line: {"format":
// "minidl-curve/1", "task", "model", "optimizer", "seed", "series":
// {"val_loss": [0.9, 0.7, …], …}}, with null for a value that is not
// finite.
func WriteCurves(w io.Writer, curves ...Curve) error {
	enc := json.NewEncoder(w)
	for _, c := range curves {
		line := curveLine{Format: CurveFormat, Task: c.Task, Model: c.Model, Optimizer: c.Optimizer, Seed: c.Seed,
			Series: make(map[string][]*float64, len(c.Series))}
		for k, s := range c.Series {
			vals := make([]*float64, len(s))
			for i, v := range s {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					vals[i] = &s[i]
				}
			}
			line.Series[k] = vals
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("callbacks: writing curves: %w", err)
		}
	}
	return nil
}

// CurveError reports a malformed curve file: the file, the line and what
// is wrong. It is of kind ErrState.
type CurveError struct {
	File   string
	Line   int
	Detail string
}

// Error returns "file:line: detail".
func (e *CurveError) Error() string {
	return fmt.Sprintf("callbacks: %s:%d: %s", e.File, e.Line, e.Detail)
}

// Is reports whether target is ErrState.
func (e *CurveError) Is(target error) bool { return target == ErrState }

// ReadCurves reads a file written by WriteCurves (name is used in errors).
// A line of another format or version, a curve without series, series of
// different lengths, unknown fields or a line longer than 64 MiB is a
// *CurveError naming the line; blank lines are skipped.
func ReadCurves(r io.Reader, name string) ([]Curve, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxCurveLine)
	var curves []Curve
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		fail := func(format string, args ...any) error {
			return &CurveError{File: name, Line: n, Detail: fmt.Sprintf(format, args...)}
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		var line curveLine
		if err := dec.Decode(&line); err != nil {
			return nil, fail("not a curve: %v", err)
		}
		if dec.More() {
			return nil, fail("data after the curve's JSON object")
		}
		if line.Format != CurveFormat {
			return nil, fail("format %s, want %q", quote.Text(line.Format), CurveFormat)
		}
		if len(line.Series) == 0 {
			return nil, fail("no series")
		}
		c := Curve{Task: line.Task, Model: line.Model, Optimizer: line.Optimizer, Seed: line.Seed, Series: map[string][]float64{}}
		epochs := -1
		for _, k := range slices.Sorted(maps.Keys(line.Series)) {
			s := line.Series[k]
			if epochs >= 0 && len(s) != epochs {
				return nil, fail("series %s has %d epochs, the others %d", quote.Text(k), len(s), epochs)
			}
			epochs = len(s)
			vals := make([]float64, len(s))
			for i, v := range s {
				vals[i] = math.NaN()
				if v != nil {
					vals[i] = *v
				}
			}
			c.Series[k] = vals
		}
		curves = append(curves, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &CurveError{File: name, Line: len(curves) + 1, Detail: fmt.Sprintf("a line longer than %d bytes", maxCurveLine)}
		}
		return nil, fmt.Errorf("callbacks: reading %s: %w", name, err)
	}
	return curves, nil
}

// Replayed is what an early-stopping configuration did on a recorded
// curve.
type Replayed struct {
	// StopEpoch is the epoch at which a rule said stop, −1 if none did
	// before the curve ended.
	StopEpoch int
	// BestEpoch is the epoch whose weights RestoreBestWeights would have
	// restored: the best by the improvement rule, −1 if none.
	BestEpoch int
	Reason    StopReason // NotStopped if the curve ran out, StopError with Err
	Err       error
}

// Replay runs an EarlyStopping with cfg over a recorded curve, epoch by
// epoch through ObserveLogs, the code a training run uses, with no model:
// what would this rule, or these rules, have done on that run? Weights are
// not kept (RestoreBestWeights and Verbose are turned off); BestEpoch says
// which epoch would have been restored. It panics, as NewEarlyStopping
// does, on a configuration that cannot work.
func Replay(cfg EarlyStoppingConfig, c Curve) Replayed {
	cfg.RestoreBestWeights, cfg.Verbose = false, false
	e := NewEarlyStopping(cfg)
	// The logs of an epoch hold the names the rules read, no more: the
	// replay of a few hundred epochs then takes tens of microseconds.
	monitored, training := c.Series[e.cfg.Monitor], c.Series[e.cfg.TrainingMonitor]
	logs := make(Logs, 2)
	set := func(name string, series []float64, epoch int) {
		if series == nil || math.IsNaN(series[epoch]) {
			delete(logs, name)
		} else {
			logs[name] = series[epoch]
		}
	}
	for epoch := range c.Epochs() {
		set(e.cfg.Monitor, monitored, epoch)
		set(e.cfg.TrainingMonitor, training, epoch)
		for _, name := range e.also.names {
			set(name, c.Series[name], epoch)
		}
		if stop, err := e.ObserveLogs(epoch, logs); stop {
			return Replayed{StopEpoch: e.StoppedEpoch(), BestEpoch: e.BestEpoch(), Reason: e.StopReason(), Err: err}
		}
	}
	return Replayed{StopEpoch: -1, BestEpoch: e.BestEpoch(), Reason: NotStopped}
}
