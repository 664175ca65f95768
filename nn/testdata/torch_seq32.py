#!/usr/bin/env python3
"""Writes torch_seq32.json: PyTorch 1.13's float32 outputs and gradients of
recurrent layers (LSTM, GRU, RNN with ReLU), MultiheadAttention and
TransformerEncoderLayer and TransformerEncoder, and five Adam steps of a
tiny LSTM model, all in float32, for seq32_test.go:

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 nn/testdata/torch_seq32.py

Each case holds float32 values drawn from torch.randn: the parameters under
their PyTorch names ("params"), the inputs and the weights r of the loss
Σ r_y·y + Σ r_h·h_n + Σ r_c·c_n ("in", each with its shape in "shapes"),
PyTorch's results ("out") and the gradients of the inputs and of every
parameter ("grads"). The weights r make every element's gradient count on
its own. Recurrent lengths run through pack_padded_sequence
(enforce_sorted=False) and pad_packed_sequence(total_length=steps). The
attention and encoder run in training mode with dropout 0 and gradients on,
so that PyTorch 1.13 takes no "fast path".
"""
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(32)
f32 = torch.float32


def randn(*shape):
    return torch.randn(*shape, dtype=f32)


def flat(t):
    return [v + 0.0 for v in t.detach().flatten().tolist()]


def case(module, inputs, outputs, grads):
    """The JSON of one case: module's parameters, the named input tensors,
    the named outputs and the named gradients (inputs' and parameters')."""
    out = {
        "params": {n: flat(p) for n, p in module.named_parameters()},
        "in": {n: flat(t) for n, t in inputs.items()},
        "shapes": {n: list(t.shape) for n, t in inputs.items()},
        "out": {n: flat(t) for n, t in outputs.items()},
        "grads": {n: flat(t) for n, t in grads.items()},
    }
    out["grads"].update({n: flat(p.grad) for n, p in module.named_parameters()})
    return out


def randomize(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(randn(*p.shape) * 0.5)


def recurrent(kind, settings, steps, batch, lengths, with_c0):
    m = getattr(nn, kind)(3, 4, **settings)
    randomize(m)
    bf = settings.get("batch_first", False)
    layers = settings.get("num_layers", 1) * (2 if settings.get("bidirectional") else 1)
    x = randn(*([batch, steps, 3] if bf else [steps, batch, 3])).requires_grad_()
    h0 = randn(layers, batch, 4).requires_grad_()
    c0 = randn(layers, batch, 4).requires_grad_() if with_c0 else None
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, torch.tensor(lengths), batch_first=bf, enforce_sorted=False)
    y, hn = m(inp, (h0, c0) if with_c0 else h0)
    if lengths is not None:
        y, _ = pad_packed_sequence(y, batch_first=bf, total_length=steps)
    cn = None
    if with_c0:
        hn, cn = hn
    inputs = {"x": x, "h0": h0, "ry": randn(*y.shape), "rh": randn(*hn.shape)}
    outputs = {"y": y, "h": hn}
    loss = (y * inputs["ry"]).sum() + (hn * inputs["rh"]).sum()
    if with_c0:
        inputs.update(c0=c0, rc=randn(*cn.shape))
        outputs["c"] = cn
        loss = loss + (cn * inputs["rc"]).sum()
    loss.backward()
    grads = {"x": x.grad, "h0": h0.grad}
    if with_c0:
        grads["c0"] = c0.grad
    c = case(m, inputs, outputs, grads)
    c["lengths"] = lengths
    return c


cases = {
    # LSTM: 2 layers, bidirectional, batch first, lengths, both initial states.
    "lstm": recurrent("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True), 5, 3, [5, 2, 4], True),
    # GRU: 2 layers, bidirectional, time-major, lengths, h0.
    "gru": recurrent("GRU", dict(num_layers=2, bidirectional=True), 5, 3, [3, 5, 1], False),
    # RNN with ReLU: 2 layers, time-major, h0, every sequence whole.
    "rnn_relu": recurrent("RNN", dict(num_layers=2, nonlinearity="relu"), 5, 3, None, False),
}

# MultiheadAttention(8, 2), batch first, self-attention under a causal float
# mask and a boolean key padding mask (lengths 5 and 3): the output, the
# weights averaged over the heads and the gradients.
mha = nn.MultiheadAttention(8, 2, batch_first=True)
randomize(mha)
x = randn(2, 5, 8).requires_grad_()
causal = nn.Transformer.generate_square_subsequent_mask(5).to(f32)
pad = torch.tensor([[t >= n for t in range(5)] for n in (5, 3)])
out, weights = mha(x, x, x, attn_mask=causal, key_padding_mask=pad)
r = randn(*out.shape)
(out * r).sum().backward()
cases["mha"] = case(mha, {"x": x, "ry": r}, {"y": out, "weights": weights}, {"x": x.grad})
cases["mha"]["lengths"] = [5, 3]

# TransformerEncoderLayer(8, 2, 16, GELU, batch first, dropout 0), post-norm
# and pre-norm, under a causal mask and a key padding mask (lengths 4, 5).
for norm_first in (False, True):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=norm_first)
    randomize(layer)
    x = randn(2, 5, 8).requires_grad_()
    pad = torch.tensor([[t >= n for t in range(5)] for n in (4, 5)])
    y = layer(x, src_mask=causal, src_key_padding_mask=pad)
    r = randn(*y.shape)
    (y * r).sum().backward()
    name = "encoder_norm_first" if norm_first else "encoder"
    cases[name] = case(layer, {"x": x, "ry": r}, {"y": y}, {"x": x.grad})
    cases[name]["lengths"] = [4, 5]


# Five Adam steps (lr 0.01) on a tiny LSTM model: LSTM(3, 4, batch first)
# then Linear(4, 2) at every step, the MSE against targets; the parameters
# after the steps and the last loss.
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.lstm(x)[0])


tiny = Tiny()
randomize(tiny)
start = {n: flat(p) for n, p in tiny.named_parameters()}
x, target = randn(4, 6, 3), randn(4, 6, 2)
opt = torch.optim.Adam(tiny.parameters(), lr=0.01)
for _ in range(5):
    opt.zero_grad()
    loss = nn.functional.mse_loss(tiny(x), target)
    loss.backward()
    opt.step()
cases["train"] = {
    "params": start,
    "in": {"x": flat(x), "target": flat(target)},
    "shapes": {"x": list(x.shape), "target": list(target.shape)},
    "out": {"loss": [loss.item()]},
    "grads": {},
    "after": {n: flat(p) for n, p in tiny.named_parameters()},
}

# TransformerEncoder: two GELU layers (as above, post-norm) and a final
# LayerNorm, under the same masks (lengths 5, 2).
layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True)
stack = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
randomize(stack)
x = randn(2, 5, 8).requires_grad_()
pad = torch.tensor([[t >= n for t in range(5)] for n in (5, 2)])
y = stack(x, mask=causal, src_key_padding_mask=pad)
r = randn(*y.shape)
(y * r).sum().backward()
cases["encoder_stack"] = case(stack, {"x": x, "ry": r}, {"y": y}, {"x": x.grad})
cases["encoder_stack"]["lengths"] = [5, 2]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_seq32.json")
with open(path, "w") as f:
    f.write('{"torch": %s, "cases": {\n' % json.dumps(torch.__version__))
    f.write(",\n".join("%s: %s" % (json.dumps(n), json.dumps(c)) for n, c in cases.items()))
    f.write("\n}}\n")
print("wrote", path)
