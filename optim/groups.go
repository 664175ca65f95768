package optim

import (
	"fmt"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
)

// Group gives some of an optimizer's parameters their own learning rate
// and weight decay, as one of PyTorch's param_groups. Its Params must be
// among those the optimizer is made with, each in one Group at most; the
// parameters in no Group form the default group, group 0, with the
// config's settings, and Groups[i] is group i+1 (empty groups included, so
// the numbering never depends on the parameters). A nil field takes the
// config's value; zero is a setting: LR: new(0.0) freezes a group.
//
// Schedules and plateau rules act on every group, each from its own rate,
// and State saves every group's rate, so a run resumes with them.
type Group struct {
	Params      []nn.Param
	LR          *float64 // nil means the config's LR
	WeightDecay *float64 // nil means the config's WeightDecay
}

// NoDecayGroup returns a Group of the parameters in params with fewer than
// two dimensions, biases and normalization scales and shifts, with no
// weight decay: the common recipe of decaying only the weight matrices and
// kernels.
//
//	optim.NewAdamW(ps, optim.AdamWConfig{Groups: []optim.Group{optim.NoDecayGroup(ps)}})
func NoDecayGroup(params []nn.Param) Group {
	var ps []nn.Param
	for _, p := range params {
		if p.Var != nil && p.Var.Value.Dims() < 2 {
			ps = append(ps, p)
		}
	}
	return Group{Params: ps, WeightDecay: new(0.0)}
}

// hyper is the settings a group can override.
type hyper struct {
	lr, weightDecay float64
}

// assignGroups returns the group of each parameter and the settings of
// each group, the default group's first; it panics, naming the parameter,
// if a Group holds one the optimizer was not given or one another Group
// holds too.
func assignGroups(kind string, params []*autograd.Var, def hyper, groups []Group) ([]int, []hyper) {
	index := make(map[*autograd.Var]int, len(params))
	for i, v := range params {
		index[v] = i
	}
	of := make([]int, len(params))
	settings := []hyper{def}
	for g, grp := range groups {
		h := hyper{lr: valueOr(grp.LR, def.lr), weightDecay: valueOr(grp.WeightDecay, def.weightDecay)}
		check(kind, h.lr >= 0, "group %d: learning rate %v is negative", g+1, h.lr)
		check(kind, h.weightDecay >= 0, "group %d: weight decay %v is negative", g+1, h.weightDecay)
		settings = append(settings, h)
		for _, p := range grp.Params {
			i, ok := index[p.Var]
			check(kind, ok, "group %d: parameter %q is not among the optimizer's parameters", g+1, p.Name)
			check(kind, of[i] == 0, "group %d: parameter %q is in group %d too", g+1, p.Name, of[i])
			of[i] = g + 1
		}
	}
	return of, settings
}

// groupMembers returns the indices of group g's parameters.
func (b *base) groupMembers(g int) []float64 {
	var ix []float64
	for i, gi := range b.groupOf {
		if gi == g {
			ix = append(ix, float64(i))
		}
	}
	return ix
}

// LRs returns the learning rate of every group, the default group's first.
func (b *base) LRs() []float64 {
	lrs := make([]float64, len(b.groups))
	for g, h := range b.groups {
		lrs[g] = h.lr
	}
	return lrs
}

// SetLRs sets the learning rate of every group, one rate per group.
func (b *base) SetLRs(lrs []float64) {
	check(b.kind, len(lrs) == len(b.groups), "%d learning rates for %d parameter groups", len(lrs), len(b.groups))
	for g, lr := range lrs {
		check(b.kind, lr >= 0, "group %d: learning rate %v is negative", g, lr)
	}
	for g, lr := range lrs {
		b.groups[g].lr = lr
	}
}

// groupName is the state entry of group g's setting.
func groupName(g int, setting string) string { return fmt.Sprintf("group.%d.%s", g, setting) }
