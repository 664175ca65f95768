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
// they are, or a bias-corrected exponential moving average, or the median
// of the last few, for validation curves too noisy for patience to read.
// NaN passes through and leaves the smoothing as it was.
//
// The EMA is Adam's corrected moment: m ← α·v + (1−α)·m and
// w ← α + (1−α)·w from m = w = 0, and the smoothed value is m/w, so w is
// the 1 − (1−α)ᵗ that Adam divides by. The ratio is a weighted mean of the
// values seen, the newest weighing most from the first epoch on; an EMA
// started at the first value (m = v₁, w = 1, as minidl's before the
// correction) gives that first value the weight of all the earlier ones
// it stands for, and lags the raw values for the first 1/α epochs.
type smoother struct {
	alpha  float64 // EMA weight of the new value; 0: no EMA
	window int     // median window; 0: no median

	moment, weight float64   // the EMA's m and w; weight 0 before any value
	recent         []float64 // the last window values, oldest first
}

func (s *smoother) reset() { s.moment, s.weight, s.recent = 0, 0, nil }

// next takes a raw value and returns the smoothed one.
func (s *smoother) next(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return v
	case s.alpha > 0:
		s.moment = s.alpha*v + (1-s.alpha)*s.moment
		s.weight = min(1, s.alpha+(1-s.alpha)*s.weight) // rounding must not carry w past 1
		return s.moment / s.weight
	case s.window > 0:
		s.recent = append(s.recent, v)
		if len(s.recent) > s.window {
			s.recent = s.recent[1:]
		}
		return medianOf(slices.Clone(s.recent))
	}
	return v
}

// save writes the smoothing's state into a saved EarlyStopping state: the
// EMA's m as "smooth_ema" and its w as "smooth_ema_weight".
func (s *smoother) save(t *nn.StateDict, meta map[string]string) {
	if s.alpha > 0 && s.weight > 0 {
		meta["smooth_ema"] = strconv.FormatFloat(s.moment, 'g', -1, 64)
		meta["smooth_ema_weight"] = strconv.FormatFloat(s.weight, 'g', -1, 64)
	}
	if s.window > 0 {
		t.Set("smooth_window", tensor.New(slices.Clone(s.recent)))
	}
}

// load restores what save wrote, checking it. A state saved before the
// EMA was corrected has "smooth_ema" alone, the EMA itself: it loads as
// m = that value, w = 1, and goes on as the uncorrected EMA did, whose
// correction had run its course.
func (s *smoother) load(t *nn.StateDict, meta map[string]string) error {
	const op = "EarlyStopping.LoadState"
	s.reset()
	if text, ok := meta["smooth_ema"]; ok && s.alpha > 0 {
		v, err := strconv.ParseFloat(text, 64) // not finite after non-finite values (AllowNonFinite)
		if err != nil {
			return &StateError{Op: op, Field: "smooth_ema", Detail: fmt.Sprintf("%s is not a number", quote.Text(text))}
		}
		w := 1.0
		if text, ok := meta["smooth_ema_weight"]; ok {
			if w, err = strconv.ParseFloat(text, 64); err != nil || !(w > 0 && w <= 1) {
				return &StateError{Op: op, Field: "smooth_ema_weight", Detail: fmt.Sprintf("%s is not a number in (0, 1]", quote.Text(text))}
			}
		}
		s.moment, s.weight = v, w
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
