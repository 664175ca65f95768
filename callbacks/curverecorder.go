package callbacks

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/minidl/minidl/nn"
)

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
//
// The curve so far is part of a run checkpoint (it is Stateful): a resumed
// run continues it, epoch for epoch, and appends the whole run's curve,
// once. A run that is cancelled or fails (Run.StopReason StopCancelled or
// StopError) appends nothing, since it may be resumed and a fragment would
// replay wrong; Curve still returns it, for WriteCurves if you want it.
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

// OnTrainBegin starts a new curve, or, when the run resumes a saved one,
// goes on with the curve LoadState restored.
func (c *CurveRecorder) OnTrainBegin(r *Run) error {
	if !r.Resumed || c.curve.Series == nil {
		c.curve = c.newCurve(map[string][]float64{})
	}
	return nil
}

func (c *CurveRecorder) newCurve(series map[string][]float64) Curve {
	return Curve{Task: c.cfg.Task, Model: c.cfg.Model, Optimizer: c.cfg.Optimizer, Seed: c.cfg.Seed, Series: series}
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

// OnTrainEnd appends the curve to the file, unless the run was cancelled
// or failed.
func (c *CurveRecorder) OnTrainEnd(r *Run) error {
	if c.curve.Epochs() == 0 || r.StopReason() == StopCancelled || r.StopReason() == StopError {
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

// State returns the curve so far: a vector per log name.
func (c *CurveRecorder) State() (*nn.StateDict, map[string]string) {
	s, meta := nn.NewStateDict(), map[string]string{}
	seriesState(s, meta, "series.", c.curve.Series, c.curve.Epochs())
	return s, meta
}

// LoadState restores a state returned by State.
func (c *CurveRecorder) LoadState(s *nn.StateDict, meta map[string]string) error {
	const op = "CurveRecorder.LoadState"
	series, n, err := loadSeries(op, s, meta, "series.")
	if err != nil {
		return err
	}
	if n > 0 && len(series) == 0 {
		return &StateError{Op: op, Field: "epochs", Detail: fmt.Sprintf("%d epochs with no series: a curve's epochs are its series' values", n)}
	}
	c.curve = c.newCurve(series)
	return nil
}

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
