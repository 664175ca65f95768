#!/usr/bin/env python3
"""Prints PyTorch's activation values and input gradients on fixed inputs,
as Go literals for activations_test.go.
/usr/bin/python3 nn/testdata/torch_activations.py
"""
import torch

torch.set_default_dtype(torch.float64)
xs = [-40.0, -30.0, -5.0, -1.5, -0.3, 0.0, 0.2, 1.0, 2.6, 3.0, 12.0, 40.0]

layers = [
    ("SiLU()", torch.nn.SiLU()),
    ("Softplus(1, 20)", torch.nn.Softplus()),
    ("Softplus(2, 5)", torch.nn.Softplus(beta=2, threshold=5)),
    ("ELU(1)", torch.nn.ELU()),
    ("ELU(0.5)", torch.nn.ELU(alpha=0.5)),
    ("LogSigmoid()", torch.nn.LogSigmoid()),
]
# Beyond about -4 the tanh form's 1 + tanh cancels: PyTorch's own gradient
# at -5 is 2.8e-10 from the exact value (minidl's 8.5e-11), so it is left
# out of the comparison there, which is of formulas, not of rounding.
gelu_xs = [v if v != -5.0 else -3.5 for v in xs]

fmt = lambda v: ", ".join(repr(a + 0.0) for a in v)
for call, layer, inputs in [(c, l, xs) for c, l in layers] + [("GELUTanh()", torch.nn.GELU(approximate="tanh"), gelu_xs)]:
    x = torch.tensor(inputs, requires_grad=True)
    y = layer(x)
    # a weight per element, so that each gradient is checked on its own
    w = torch.arange(1, len(inputs) + 1, dtype=torch.float64)
    (y * w).sum().backward()
    print(f'\t{{{call}, {"geluInputs" if inputs is gelu_xs else "nil"}, []float64{{{fmt(y.detach().tolist())}}}, []float64{{{fmt(x.grad.tolist())}}}}},')
