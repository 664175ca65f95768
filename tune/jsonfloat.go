package tune

import (
	"fmt"
	"math"
	"strconv"

	"github.com/minidl/minidl/internal/quote"
)

// jsonFloat is a float64 that JSON carries whatever its value: a number,
// or "NaN", "Infinity" and "-Infinity", which JSON's numbers cannot spell
// (a diverged run reports them).
type jsonFloat float64

// MarshalJSON writes the shortest number that reads back to the same bits.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number or one of the three names.
func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	case `"Infinity"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Infinity"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || len(b) == 0 || b[0] == '"' {
		return fmt.Errorf("%s is not a number", quote.Text(string(b)))
	}
	*f = jsonFloat(v)
	return nil
}

// num returns a pointer to v as a jsonFloat, for an event.
func num(v float64) *jsonFloat {
	f := jsonFloat(v)
	return &f
}
