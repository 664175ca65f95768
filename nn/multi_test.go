package nn

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/tensor"
)

// twoInputs adds the outputs of two Linear layers, one per input.
type twoInputs struct{ A, B *Linear }

func (m *twoInputs) ForwardInputs(xs ...*autograd.Var) *autograd.Var {
	CheckInputs("twoInputs", xs, 2)
	return m.A.Forward(xs[0]).Add(m.B.Forward(xs[1]))
}
func (m *twoInputs) Forward(x *autograd.Var) *autograd.Var { return m.ForwardInputs(x) }
func (m *twoInputs) Parameters() []Param                   { return JoinParameters("a", m.A, "b", m.B) }

type namedTwo struct{ *twoInputs }

func (namedTwo) InputNames() []string { return []string{"a", "b"} }

func TestForwardInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &twoInputs{NewLinear(rng, 2, 1), NewLinear(rng, 3, 1)}
	a, b := autograd.Const(tensor.Ones(4, 2)), autograd.Const(tensor.Ones(4, 3))
	if got, want := ForwardInputs(m, a, b).Value, m.A.Forward(a).Add(m.B.Forward(b)).Value; !tensor.Equal(got, want) {
		t.Errorf("ForwardInputs of a MultiInput: %v, want %v", got, want)
	}
	lin := NewLinear(rng, 2, 1)
	if got := ForwardInputs(lin, a).Value; !tensor.Equal(got, lin.Forward(a).Value) {
		t.Error("ForwardInputs of one input is not Forward")
	}
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"nn: ForwardInputs: *nn.Linear takes one input (it is not an nn.MultiInput), given 2", func() { ForwardInputs(lin, a, b) }},
		{"nn: twoInputs: 1 inputs, want 2", func() { m.Forward(a) }},
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				var e *Error
				if !errors.As(err, &e) || err.Error() != c.want {
					t.Errorf("got %v, want %q", err, c.want)
				}
			}()
			c.f()
		}()
	}
	for _, c := range []struct {
		model Module
		n     int
		names []string
		want  string
	}{
		{lin, 1, nil, ""},
		{lin, 2, nil, "2 inputs per example, but the model (*nn.Linear) takes one: want an nn.MultiInput, whose ForwardInputs takes them"},
		{m, 3, nil, ""}, // no names: the model's own check answers at the first batch
		{namedTwo{m}, 2, nil, ""},
		{namedTwo{m}, 2, []string{"a", "b"}, ""},
		{namedTwo{m}, 2, []string{"b", "a"}, `inputs named ["b" "a"], but the model (nn.namedTwo) takes ["a" "b"] in that order`},
		{namedTwo{m}, 1, nil, `1 inputs per example, but the model (nn.namedTwo) takes 2 (["a" "b"])`},
	} {
		if got := InputsProblem(c.model, c.n, c.names); got != c.want {
			t.Errorf("InputsProblem(%T, %d, %q) = %q, want %q", c.model, c.n, c.names, got, c.want)
		}
	}
}
