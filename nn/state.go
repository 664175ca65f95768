package nn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/minidl/minidl/internal/quote"
	"github.com/minidl/minidl/tensor"
)

// StateDict is an ordered map from names to tensors: a model's weights (see
// StateOf), an optimizer's state, or the contents of a checkpoint file.
type StateDict struct {
	names   []string
	tensors map[string]*tensor.Tensor
}

// NewStateDict returns an empty StateDict.
func NewStateDict() *StateDict { return &StateDict{tensors: map[string]*tensor.Tensor{}} }

// Set stores t under name. A new name goes at the end of the order; an
// existing one keeps its place.
func (s *StateDict) Set(name string, t *tensor.Tensor) {
	if _, ok := s.tensors[name]; !ok {
		s.names = append(s.names, name)
	}
	s.tensors[name] = t
}

// Get returns the tensor stored under name.
func (s *StateDict) Get(name string) (*tensor.Tensor, bool) {
	t, ok := s.tensors[name]
	return t, ok
}

// Names returns the names in order.
func (s *StateDict) Names() []string { return slices.Clone(s.names) }

// Len returns the number of entries.
func (s *StateDict) Len() int { return len(s.names) }

// Clone returns a deep copy: changing the copy's tensors leaves s alone.
func (s *StateDict) Clone() *StateDict {
	c := NewStateDict()
	for _, n := range s.names {
		c.Set(n, s.tensors[n].Clone())
	}
	return c
}

// StateOf returns m's parameters by name. The tensors are m's own, as with
// PyTorch's state_dict(): training m changes them. Use Snapshot for a copy.
func StateOf(m Module) *StateDict {
	s := NewStateDict()
	for _, p := range m.Parameters() {
		s.Set(p.Name, p.Var.Value)
	}
	return s
}

// Snapshot returns a copy of m's parameters that later training leaves
// unchanged, for keeping the best weights seen so far.
func Snapshot(m Module) *StateDict { return StateOf(m).Clone() }

// ErrState is the kind of every *StateDictError: errors.Is(err, nn.ErrState)
// tells a state that does not fit from a file that could not be read.
var ErrState = errors.New("nn: state does not fit")

// StateDictError reports why a state dict does not fit what it is loaded
// into (a model, or an optimizer): the names it has and the dict lacks, the
// names the dict has and it lacks, and the entries whose shapes or values
// are wrong.
type StateDictError struct {
	Target     string // what the dict was loaded into; "" means "the model"
	Missing    []string
	Unexpected []string
	Mismatched []string // "name: checkpoint [8 2], model [8 3]"
}

// Is reports whether target is ErrState.
func (e *StateDictError) Is(target error) bool { return target == ErrState }

// Error lists every missing, unexpected and mismatched entry.
func (e *StateDictError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing "+quote.List(e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected "+quote.List(e.Unexpected))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, "mismatch for "+quote.List(e.Mismatched))
	}
	target := e.Target
	if target == "" {
		target = "the model"
	}
	return "nn: state dict does not fit " + target + ": " + strings.Join(parts, "; ")
}

// LoadState copies the tensors of s into m's parameters of the same names.
// It is strict, as PyTorch's load_state_dict is by default: a parameter
// missing from s, a name in s that m does not have, or a shape that differs
// is a *StateDictError naming every offending entry, and m is left
// unchanged.
func LoadState(m Module, s *StateDict) error {
	_, _, err := loadState(m, s, true)
	return err
}

// LoadStateNonStrict copies the entries of s that m has, and returns the
// names m has that s lacks and those s has that m lacks, as PyTorch's
// load_state_dict(strict=False). A shape mismatch is still an error, and
// then m is left unchanged.
func LoadStateNonStrict(m Module, s *StateDict) (missing, unexpected []string, err error) {
	return loadState(m, s, false)
}

func loadState(m Module, s *StateDict, strict bool) (missing, unexpected []string, err error) {
	params := m.Parameters()
	known := map[string]bool{}
	e := &StateDictError{}
	for _, p := range params {
		known[p.Name] = true
		t, ok := s.Get(p.Name)
		switch {
		case !ok:
			e.Missing = append(e.Missing, p.Name)
		case !t.SameShape(p.Var.Value):
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: checkpoint %v, model %v", p.Name, t.Shape(), p.Var.Value.Shape()))
		case p.Var.Value.DType() == tensor.Int64 && t.DType() != tensor.Int64:
			if _, bad := indexValues(t); bad >= 0 { // CopyFrom would panic on it
				e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: checkpoint value %v at position %d for an int64 buffer; want a whole number in int64's range", p.Name, t.Float64s()[bad], bad))
			}
		}
	}
	for _, n := range s.names {
		if !known[n] {
			e.Unexpected = append(e.Unexpected, n)
		}
	}
	if len(e.Mismatched) > 0 || (strict && (len(e.Missing) > 0 || len(e.Unexpected) > 0)) {
		return e.Missing, e.Unexpected, e
	}
	for _, p := range params {
		if t, ok := s.Get(p.Name); ok {
			p.Var.Value.CopyFrom(t)
		}
	}
	return e.Missing, e.Unexpected, nil
}
