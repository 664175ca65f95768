package callbacks

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
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
			return nil, fail("format %s, want %q", quote(line.Format), CurveFormat)
		}
		if len(line.Series) == 0 {
			return nil, fail("no series")
		}
		c := Curve{Task: line.Task, Model: line.Model, Optimizer: line.Optimizer, Seed: line.Seed, Series: map[string][]float64{}}
		epochs := -1
		for _, k := range slices.Sorted(maps.Keys(line.Series)) {
			s := line.Series[k]
			if epochs >= 0 && len(s) != epochs {
				return nil, fail("series %s has %d epochs, the others %d", quote(k), len(s), epochs)
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
// which epoch would have been restored. The rules that read the budget
// read the curve's (cfg.Budget, if set, overrides it). It panics, as
// NewEarlyStopping does, on a configuration that cannot work.
func Replay(cfg EarlyStoppingConfig, c Curve) Replayed {
	return replay(replayed(cfg, c), c)
}

// replayed returns the EarlyStopping Replay runs cfg with on c.
func replayed(cfg EarlyStoppingConfig, c Curve) *EarlyStopping {
	cfg.RestoreBestWeights, cfg.Verbose = false, false
	if cfg.Budget == 0 {
		cfg.Budget = c.Epochs()
	}
	return NewEarlyStopping(cfg)
}

// replay feeds the curve to e epoch by epoch until it says stop.
func replay(e *EarlyStopping, c Curve) Replayed {
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

// A StopSample is what the learned rule reads at one epoch of a replayed
// curve.
type StopSample struct {
	Epoch int
	// BestEpoch is the best epoch so far: the one whose weights
	// RestoreBestWeights would restore if the run stopped now.
	BestEpoch int
	Features  []float64 // StopFeatures
}

// ReplayFeatures replays a curve as Replay does, with the smoothing and
// improvement rule of cfg but none of its stopping rules, and returns what
// the learned rule would read at each epoch the rules are asked at (every
// epoch, but for StartFromEpoch and MinEpochs): the data to train a
// StopModel on recorded runs. The training error is read from the
// curve's TrainingMonitor series if it has one; epochs without the
// monitored value are skipped.
func ReplayFeatures(cfg EarlyStoppingConfig, c Curve) []StopSample {
	cfg.Learned, cfg.Remaining, cfg.NoiseAware, cfg.Rules = nil, nil, nil, nil
	cfg.GL, cfg.PQ, cfg.UP, cfg.StoppingThreshold, cfg.DivergenceThreshold = 0, 0, 0, nil, nil
	cfg.AllowMissing, cfg.Out = true, io.Discard
	e := replayed(cfg, c)
	e.train = c.Series[e.cfg.TrainingMonitor] != nil
	var samples []StopSample
	e.rules = []Rule{RuleFunc(func(p *Progress) (StopReason, string) {
		samples = append(samples, StopSample{Epoch: p.Epoch, BestEpoch: p.BestEpoch, Features: StopFeatures(p)})
		return NotStopped, ""
	})}
	replay(e, c)
	return samples
}

// CurveRecorderConfig configures CurveRecorder.
type CurveRecorderConfig struct {
	// Path is the curve file; each run appends its curve as one line.
	Path string
	// What was trained, written with the curve.
	Task, Model, Optimizer string
	Seed                   uint64
}

// CurveRecorder records a run's epoch logs as a Curve and, when training
// ends, appends it to a curve file, so that rules can be replayed on your
// own runs afterwards: "what would patience 10 have done on my last 50
// runs?" The curve is also in Curve after the run.
type CurveRecorder struct {
	Base
	cfg   CurveRecorderConfig
	curve Curve
}

// NewCurveRecorder returns a CurveRecorder. It panics with a *ConfigError
// if Path is empty.
func NewCurveRecorder(cfg CurveRecorderConfig) *CurveRecorder {
	check("NewCurveRecorder", cfg.Path != "", "empty Path")
	return &CurveRecorder{cfg: cfg}
}

// OnTrainBegin starts a new curve.
func (c *CurveRecorder) OnTrainBegin(r *Run) error {
	c.curve = Curve{Task: c.cfg.Task, Model: c.cfg.Model, Optimizer: c.cfg.Optimizer, Seed: c.cfg.Seed, Series: map[string][]float64{}}
	return nil
}

// OnEpochEnd records the epoch's logs; a name first logged now gets NaN for
// the epochs before, and a name not logged now gets NaN.
func (c *CurveRecorder) OnEpochEnd(_ *Run, _ int, logs Logs) error {
	n := c.curve.Epochs()
	for k, v := range logs {
		if _, ok := c.curve.Series[k]; !ok {
			s := make([]float64, n)
			for i := range s {
				s[i] = math.NaN()
			}
			c.curve.Series[k] = s
		}
		c.curve.Series[k] = append(c.curve.Series[k], v)
	}
	for k, s := range c.curve.Series {
		if len(s) == n {
			c.curve.Series[k] = append(s, math.NaN())
		}
	}
	return nil
}

// OnTrainEnd appends the curve to the file.
func (c *CurveRecorder) OnTrainEnd(*Run) error {
	if c.curve.Epochs() == 0 {
		return nil
	}
	f, err := openAppend(c.cfg.Path)
	if err != nil {
		return fmt.Errorf("callbacks: CurveRecorder: %w", err)
	}
	if err := errors.Join(WriteCurves(f, c.curve), f.Close()); err != nil {
		return fmt.Errorf("callbacks: CurveRecorder: %s: %w", c.cfg.Path, err)
	}
	return nil
}

// Curve returns the curve of the last run.
func (c *CurveRecorder) Curve() Curve { return c.curve }

// openAppend opens path for appending lines, creating it, and ends an
// unended last line first.
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err == nil && info.Size() > 0 {
		last := make([]byte, 1)
		if _, err = f.ReadAt(last, info.Size()-1); err == nil && last[0] != '\n' {
			_, err = f.WriteString("\n")
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
