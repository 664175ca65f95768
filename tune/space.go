package tune

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/minidl/minidl/internal/quote"
)

// Kind is the type of a parameter: a float, an int or a choice among
// strings.
type Kind int

const (
	// FloatParam is a real number in [Low, High], on a log scale or a grid
	// of Step if asked (Optuna's FloatDistribution).
	FloatParam Kind = iota
	// IntParam is an integer in [Low, High], every Step, on a log scale if
	// asked (Optuna's IntDistribution).
	IntParam
	// CategoricalParam is one of Choices (Optuna's
	// CategoricalDistribution).
	CategoricalParam
)

// String returns the kind's name, as the journal writes it.
func (k Kind) String() string {
	switch k {
	case FloatParam:
		return "float"
	case IntParam:
		return "int"
	case CategoricalParam:
		return "categorical"
	}
	return "unknown"
}

// Distribution is the range a parameter is drawn from. Samplers work on a
// parameter's internal value, a float64: the number itself for floats and
// ints, the index of the choice for a categorical parameter (as Optuna's
// internal representation).
type Distribution struct {
	Kind      Kind
	Low, High float64 // integers for an IntParam
	// Step is the grid of a float (0: continuous) or an int (1 or more);
	// High − Low is a whole number of steps.
	Step    float64
	Log     bool     // drawn uniformly in log space
	Choices []string // a CategoricalParam's choices
}

// Option changes how Trial.Float and Trial.Int draw a parameter.
type Option func(*Distribution)

// Log draws the parameter on a log scale (Optuna's log=True), as learning
// rates are: its low bound must be positive.
func Log() Option { return func(d *Distribution) { d.Log = true } }

// Step draws the parameter every step from its low bound (Optuna's step):
// High − Low must be a whole number of steps. An int's step is 1 by
// default.
func Step(step float64) Option { return func(d *Distribution) { d.Step = step } }

// validate returns what is wrong with d, or "".
func (d Distribution) validate() string {
	switch d.Kind {
	case FloatParam, IntParam:
		switch {
		case math.IsNaN(d.Low) || math.IsNaN(d.High) || math.IsInf(d.Low, 0) || math.IsInf(d.High, 0):
			return fmt.Sprintf("bounds [%v, %v]: want finite numbers", d.Low, d.High)
		case d.Low > d.High:
			return fmt.Sprintf("low %v above high %v", d.Low, d.High)
		case d.Log && d.Low <= 0:
			return fmt.Sprintf("a log scale needs a positive low bound, not %v", d.Low)
		case d.Kind == IntParam && (d.Low != math.Trunc(d.Low) || d.High != math.Trunc(d.High)):
			return fmt.Sprintf("bounds [%v, %v]: want integers", d.Low, d.High)
		case d.Step < 0 || math.IsNaN(d.Step) || math.IsInf(d.Step, 0):
			return fmt.Sprintf("step %v: want a positive finite number", d.Step)
		case d.Kind == IntParam && (d.Step < 1 || d.Step != math.Trunc(d.Step)):
			return fmt.Sprintf("step %v: want a positive integer", d.Step)
		case d.Log && d.Step != 0 && !(d.Kind == IntParam && d.Step == 1):
			return fmt.Sprintf("step %v and a log scale: choose one", d.Step)
		case len(d.Choices) > 0:
			return "choices are for categorical parameters"
		}
		if d.Step > 0 {
			n := (d.High - d.Low) / d.Step
			if math.Abs(n-math.Round(n)) > 1e-9*max(1, math.Abs(n)) {
				return fmt.Sprintf("high − low = %v is not a whole number of steps of %v", d.High-d.Low, d.Step)
			}
		}
	case CategoricalParam:
		if len(d.Choices) == 0 {
			return "no choices"
		}
		for i, c := range d.Choices {
			if slices.Contains(d.Choices[:i], c) {
				return "choice " + quote.Text(c) + " appears twice"
			}
		}
		if d.Low != 0 || d.High != 0 || d.Step != 0 || d.Log {
			return "bounds, step and log are for float and int parameters"
		}
	default:
		return fmt.Sprintf("unknown kind %d", int(d.Kind))
	}
	return ""
}

// Single reports whether d holds one value only.
func (d Distribution) Single() bool {
	if d.Kind == CategoricalParam {
		return len(d.Choices) == 1
	}
	if d.Step > 0 {
		return d.High-d.Low < d.Step
	}
	return d.Low == d.High
}

// Contains reports whether the internal value x is one of d's values.
func (d Distribution) Contains(x float64) bool {
	switch d.Kind {
	case CategoricalParam:
		return x == math.Trunc(x) && x >= 0 && int(x) < len(d.Choices)
	case IntParam:
		if x != math.Trunc(x) || x < d.Low || x > d.High {
			return false
		}
		return math.Mod(x-d.Low, max(d.Step, 1)) == 0
	default:
		if !(x >= d.Low && x <= d.High) {
			return false
		}
		if d.Step > 0 {
			k := (x - d.Low) / d.Step
			return math.Abs(k-math.Round(k)) < 1e-8
		}
		return true
	}
}

// External returns the parameter's value for the internal value x: a
// float64, an int or a string.
func (d Distribution) External(x float64) any {
	switch d.Kind {
	case IntParam:
		return int(x)
	case CategoricalParam:
		return d.Choices[int(x)]
	}
	return x
}

// Internal returns the internal value of v, a value of the parameter, and
// whether v is of d's kind and one of its values.
func (d Distribution) Internal(v any) (float64, bool) {
	var x float64
	switch d.Kind {
	case FloatParam:
		f, ok := v.(float64)
		if !ok {
			return 0, false
		}
		x = f
	case IntParam:
		i, ok := v.(int)
		if !ok {
			return 0, false
		}
		x = float64(i)
	case CategoricalParam:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		i := slices.Index(d.Choices, s)
		if i < 0 {
			return 0, false
		}
		x = float64(i)
	}
	return x, d.Contains(x)
}

// Equal reports whether d and e are the same distribution.
func (d Distribution) Equal(e Distribution) bool {
	return d.Kind == e.Kind && d.Low == e.Low && d.High == e.High && d.Step == e.Step && d.Log == e.Log &&
		slices.Equal(d.Choices, e.Choices)
}

// compatible returns why a parameter drawn from d in one trial cannot be
// drawn from e in another, or "": its kind must stay, and a categorical
// parameter's choices too, since samplers compare their indices (as
// Optuna's storages require).
func (d Distribution) compatible(e Distribution) string {
	if d.Kind != e.Kind {
		return fmt.Sprintf("%s parameter before, now %s one", article(d.Kind), article(e.Kind))
	}
	if d.Kind == CategoricalParam && !slices.Equal(d.Choices, e.Choices) {
		return fmt.Sprintf("choices [%s] before, now [%s]", quote.List(d.Choices), quote.List(e.Choices))
	}
	return ""
}

// String describes d as a call would: float [0.0001, 0.1] log.
func (d Distribution) String() string {
	if d.Kind == CategoricalParam {
		return "categorical [" + quote.List(d.Choices) + "]"
	}
	s := d.Kind.String() + " [" + strconv.FormatFloat(d.Low, 'g', -1, 64) + ", " + strconv.FormatFloat(d.High, 'g', -1, 64) + "]"
	if d.Log {
		s += " log"
	}
	if d.Step > 0 && !(d.Kind == IntParam && d.Step == 1) {
		s += " step " + strconv.FormatFloat(d.Step, 'g', -1, 64)
	}
	return s
}

// article returns the kind with its indefinite article: "an int".
func article(k Kind) string {
	if k == IntParam {
		return "an int"
	}
	return "a " + k.String()
}
