package train

import (
	"fmt"

	"github.com/minidl/minidl/autograd"
	"github.com/minidl/minidl/nn"
	"github.com/minidl/minidl/tensor"
)

// forward runs model on a batch's inputs, each converted by toModel to
// dtype (the model's, see nn.DTypeOf) and wrapped by wrap (autograd.Const
// to train, autograd.NoGrad to evaluate): a model of one input through
// Forward, a MultiInput through ForwardInputs.
func forward(model nn.Module, dtype tensor.DType, xs []*tensor.Tensor, wrap func(*tensor.Tensor) *autograd.Var) *autograd.Var {
	vs := make([]*autograd.Var, len(xs))
	for i, x := range xs {
		vs[i] = wrap(toModel(x, dtype))
	}
	return nn.ForwardInputs(model, vs...)
}

// toModel returns t converted to dtype, the model's, as a PyTorch loop
// calls x.float(); an Int64 tensor (category codes, class labels) is
// returned as it is, as PyTorch leaves a LongTensor: its values are
// indices, exact only as integers.
func toModel(t *tensor.Tensor, dtype tensor.DType) *tensor.Tensor {
	if t.DType() == tensor.Int64 {
		return t
	}
	return t.To(dtype)
}

// inputProblems returns what is wrong with the inputs the loaders give the
// model: several inputs for a model that takes one, or not the inputs its
// nn.NamedInputs names.
func inputProblems(model nn.Module, cfg *Config) []string {
	var problems []string
	if model == nil {
		return nil
	}
	for _, l := range []struct {
		name   string
		loader interface {
			NumInputs() int
			InputNames() []string
		}
		present bool
	}{{"Train", cfg.Train, cfg.Train != nil}, {"Val", cfg.Val, cfg.Val != nil}} {
		if !l.present {
			continue
		}
		if p := nn.InputsProblem(model, l.loader.NumInputs(), l.loader.InputNames()); p != "" {
			problems = append(problems, fmt.Sprintf("the %s loader gives %s", l.name, p))
		}
	}
	return problems
}

// PredictInputs returns the output of a model of several inputs for xs, in
// order, computed in evaluation mode without building a graph, as Predict
// does for a model of one.
func PredictInputs(model nn.MultiInput, xs ...*tensor.Tensor) *tensor.Tensor {
	return forward(model, nn.DTypeOf(model), xs, autograd.NoGrad).Value
}
