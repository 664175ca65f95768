package tune

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/minidl/minidl/internal/quote"
)

// gridAttr is the attribute that holds a trial's point of the grid.
const gridAttr = "grid_id"

// GridSampler tries every combination of the given values once, in a
// random order, as Optuna's GridSampler: a trial's first parameter picks a
// point not yet taken (recorded as its attribute "grid_id"), and the study
// starts no trial once every point is taken. Every parameter a trial asks
// must be in the grid, with values inside the distribution it is asked
// with.
type GridSampler struct {
	names  []string // sorted
	values [][]any
	size   int
}

// NewGridSampler returns a sampler over the grid of space: for each
// parameter, its values (float64, int or string; an int stands for the same
// float64 in a float parameter). An empty grid panics with an *Error.
func NewGridSampler(space map[string][]any) *GridSampler {
	check("NewGridSampler", len(space) > 0, "an empty grid")
	g := &GridSampler{names: sortedKeys(space), size: 1}
	for _, name := range g.names {
		vals := space[name]
		check("NewGridSampler", len(vals) > 0, "parameter %s has no values", quote.Text(name))
		for _, v := range vals {
			switch v.(type) {
			case float64, int, string:
			default:
				check("NewGridSampler", false, "parameter %s: value %v is a %T, want float64, int or string", quote.Text(name), v, v)
			}
		}
		g.values = append(g.values, slices.Clone(vals))
		g.size *= len(vals)
	}
	return g
}

// Len returns the number of points of the grid.
func (g *GridSampler) Len() int { return g.size }

// Sample returns the value of name at the trial's point of the grid,
// picking the point first if the trial has none.
func (g *GridSampler) Sample(v View, trial FrozenTrial, name string, d Distribution, rng *rand.Rand) float64 {
	k := slices.Index(g.names, name)
	check("GridSampler", k >= 0, "parameter %s is not in the grid (%s)", quote.Text(name), quote.List(g.names))
	id, ok := trial.Attrs[gridAttr]
	if !ok {
		id = float64(g.pick(v.Trials(), rng))
		v.SetAttr(trial.Number, gridAttr, id)
	}
	// The point's coordinates, the last parameter varying fastest (as
	// itertools.product).
	rest := int(id)
	for i := len(g.names) - 1; i > k; i-- {
		rest /= len(g.values[i])
	}
	val := g.values[k][rest%len(g.values[k])]
	if i, isInt := val.(int); isInt && d.Kind == FloatParam {
		val = float64(i)
	}
	x, ok := d.Internal(val)
	check("GridSampler", ok, "the grid's value %s of %s is not in %v", quote.Text(fmt.Sprint(val)), quote.Text(name), d)
	return x
}

// pick returns a point no trial has taken, at random; if all are taken, one
// whose trial has not ended (Optuna's choice, for trials that started
// together), else any.
func (g *GridSampler) pick(trials []FrozenTrial, rng *rand.Rand) int {
	taken, ended := make([]bool, g.size), make([]bool, g.size)
	for _, t := range trials {
		if id, ok := t.Attrs[gridAttr]; ok && id >= 0 && int(id) < g.size {
			taken[int(id)] = true
			ended[int(id)] = ended[int(id)] || t.State == Complete || t.State == Pruned || t.State == Failed
		}
	}
	for _, skip := range [][]bool{taken, ended, make([]bool, g.size)} {
		var free []int
		for id, s := range skip {
			if !s {
				free = append(free, id)
			}
		}
		if len(free) > 0 {
			return free[rng.IntN(len(free))]
		}
	}
	return 0
}

// Exhausted reports whether every point is taken, counting a running trial
// that has not asked yet as taking one.
func (g *GridSampler) Exhausted(v View) bool {
	n := 0
	for _, t := range v.Trials() {
		if _, ok := t.Attrs[gridAttr]; ok || t.State == Running {
			n++
		}
	}
	return n >= g.size
}
