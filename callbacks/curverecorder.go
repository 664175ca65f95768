package callbacks

import (
	"errors"
	"fmt"
	"math"
	"os"
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
