#!/usr/bin/env python3
"""Outputs, final states and gradients of torch.nn.RNN, LSTM and GRU in
PyTorch 1.13 (float64) on fixed weights and inputs, for rnn_torch_test.go.
Writes torch_rnn.json beside this script:

    /usr/bin/python3 nn/testdata/torch_rnn.py

Every parameter, the input and the initial states are set from formulas
that the Go test repeats: parameter k (in named_parameters order), element
i, is 0.4·sin(0.7·i + 1.3·k + 0.1); the input's element i is
sin(1.1·i + 0.3); h0's is 0.3·cos(0.9·i); c0's is 0.2·sin(0.4·i + 1). The
gradients are of Σ wᵢ·yᵢ + Σ wᵢ·h_nᵢ + Σ wᵢ·c_nᵢ with wᵢ = (i+1)/n for each
tensor of n elements, so that every element's gradient is checked on its
own. Lengths run through pack_padded_sequence (enforce_sorted=False) and
pad_packed_sequence(total_length=steps).
"""
import json
import math
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_default_dtype(torch.float64)

STEPS, BATCH, IN, HIDDEN = 4, 3, 3, 4

CASES = [
    # name, kind, settings, batched, h0, c0, lengths
    ("rnn_tanh", "RNN", dict(), True, False, False, None),
    ("rnn_relu_2layers_nobias_h0", "RNN", dict(nonlinearity="relu", num_layers=2, bias=False), True, True, False, None),
    ("rnn_bidirectional_lengths", "RNN", dict(num_layers=2, bidirectional=True), True, True, False, [2, 4, 1]),
    ("lstm", "LSTM", dict(), True, False, False, None),
    ("lstm_2layers_bidirectional_batch_first_states", "LSTM", dict(num_layers=2, bidirectional=True, batch_first=True), True, True, True, None),
    ("lstm_bidirectional_lengths_states", "LSTM", dict(bidirectional=True), True, True, True, [4, 2, 3]),
    ("lstm_batch_first_lengths", "LSTM", dict(batch_first=True, num_layers=2), True, False, False, [3, 1, 2]),
    ("lstm_one_sequence", "LSTM", dict(num_layers=2), False, True, True, None),
    ("gru", "GRU", dict(), True, False, False, None),
    ("gru_2layers_batch_first_h0", "GRU", dict(num_layers=2, batch_first=True), True, True, False, None),
    ("gru_bidirectional_batch_first_lengths", "GRU", dict(bidirectional=True, batch_first=True), True, True, False, [1, 3, 2]),
    ("gru_one_sequence_bidirectional", "GRU", dict(bidirectional=True), False, False, False, None),
]


def fill(t, f):
    with torch.no_grad():
        t.copy_(torch.tensor([f(i) for i in range(t.numel())]).reshape(t.shape))


def weighted(t):
    return (t * (torch.arange(1, t.numel() + 1) / t.numel()).reshape(t.shape)).sum()


def flat(t):
    return [v + 0.0 for v in t.detach().flatten().tolist()]


results = []
for name, kind, settings, batched, with_h0, with_c0, lengths in CASES:
    m = getattr(nn, kind)(IN, HIDDEN, **settings)
    for k, (_, p) in enumerate(m.named_parameters()):
        fill(p, lambda i: 0.4 * math.sin(0.7 * i + 1.3 * k + 0.1))
    bf = settings.get("batch_first", False)
    layers = settings.get("num_layers", 1) * (2 if settings.get("bidirectional") else 1)
    shape = [STEPS, BATCH, IN] if not bf else [BATCH, STEPS, IN]
    state_shape = [layers, BATCH, HIDDEN]
    if not batched:
        shape, state_shape = [STEPS, IN], [layers, HIDDEN]
    x = torch.zeros(shape)
    fill(x, lambda i: math.sin(1.1 * i + 0.3))
    x.requires_grad_(True)
    h0 = c0 = None
    if with_h0:
        h0 = torch.zeros(state_shape)
        fill(h0, lambda i: 0.3 * math.cos(0.9 * i))
        h0.requires_grad_(True)
    if with_c0:
        c0 = torch.zeros(state_shape)
        fill(c0, lambda i: 0.2 * math.sin(0.4 * i + 1))
        c0.requires_grad_(True)
    state = None
    if kind == "LSTM" and (h0 is not None or c0 is not None):
        state = (h0, c0)
    elif h0 is not None:
        state = h0
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
    y, hn = m(inp, state)
    if lengths is not None:
        y, _ = pad_packed_sequence(y, batch_first=bf, total_length=STEPS)
    cn = None
    if kind == "LSTM":
        hn, cn = hn
    loss = weighted(y) + weighted(hn) + (weighted(cn) if cn is not None else 0)
    loss.backward()
    results.append({
        "name": name,
        "x_shape": list(x.shape), "y": flat(y), "y_shape": list(y.shape),
        "h": flat(hn), "c": flat(cn) if cn is not None else None, "state_shape": list(hn.shape),
        "x_grad": flat(x.grad),
        "h0_grad": flat(h0.grad) if h0 is not None else None,
        "c0_grad": flat(c0.grad) if c0 is not None else None,
        "param_grads": {n: flat(p.grad) for n, p in m.named_parameters()},
        "param_names": [n for n, _ in m.named_parameters()],
    })

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_rnn.json")
with open(path, "w") as f:
    f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
    f.write(",\n".join(json.dumps(r) for r in results))
    f.write("\n]}\n")
print("wrote", path)
