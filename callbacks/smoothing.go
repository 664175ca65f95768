package callbacks

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// smoother turns the monitored values into the values the rules see: as
// they are, or an exponential moving average, or the median of the last
// few, for validation curves too noisy for patience to read. NaN passes
// through and leaves the smoothing as it was.
type smoother struct {
	alpha  float64 // EMA weight of the new value; 0: no EMA
	window int     // median window; 0: no median

	ema    float64
	seen   bool
	recent []float64 // the last window values, oldest first
}

func (s *smoother) reset() { s.ema, s.seen, s.recent = 0, false, nil }

// next takes a raw value and returns the smoothed one.
func (s *smoother) next(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return v
	case s.alpha > 0:
		if !s.seen {
			s.ema, s.seen = v, true
		} else {
			s.ema = s.alpha*v + (1-s.alpha)*s.ema
		}
		return s.ema
	case s.window > 0:
		s.recent = append(s.recent, v)
		if len(s.recent) > s.window {
			s.recent = s.recent[1:]
		}
		sorted := slices.Clone(s.recent)
		slices.Sort(sorted)
		n := len(sorted)
		if n%2 == 1 {
			return sorted[n/2]
		}
		return (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return v
}

// save writes the smoothing's state into a saved EarlyStopping state.
func (s *smoother) save(t *nn.StateDict, meta map[string]string) {
	if s.alpha > 0 && s.seen {
		meta["smooth_ema"] = strconv.FormatFloat(s.ema, 'g', -1, 64)
	}
	if s.window > 0 {
		t.Set("smooth_window", tensor.New(slices.Clone(s.recent)))
	}
}

// load restores what save wrote, checking it.
func (s *smoother) load(t *nn.StateDict, meta map[string]string) error {
	const op = "EarlyStopping.LoadState"
	s.reset()
	if text, ok := meta["smooth_ema"]; ok && s.alpha > 0 {
		v, err := strconv.ParseFloat(text, 64) // not finite after non-finite values (AllowNonFinite)
		if err != nil {
			return &StateError{Op: op, Field: "smooth_ema", Detail: fmt.Sprintf("%s is not a number", quote.Text(text))}
		}
		s.ema, s.seen = v, true
	}
	if s.window > 0 {
		recent, err := stateVector(t, "smooth_window", op)
		if err != nil {
			return err
		}
		if len(recent) > s.window {
			return &StateError{Op: op, Field: "smooth_window", Detail: fmt.Sprintf("%d values for a window of %d", len(recent), s.window)}
		}
		s.recent = recent
	}
	return nil
}
