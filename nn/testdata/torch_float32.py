#!/usr/bin/env python3
"""Writes torch_float32.json: float32 inputs, outputs and gradients of
PyTorch 1.13 layers and losses, and five Adam steps of a small MLP, all in
float32, for float32_test.go.
  /usr/bin/python3 nn/testdata/torch_float32.py > nn/testdata/torch_float32.json
"""
import json
import torch
import torch.nn.functional as F

torch.manual_seed(7)
f32 = torch.float32


def t(*shape):
    return torch.randn(*shape, dtype=f32)


def flat(x):
    return x.detach().flatten().tolist()


cases = {}

# An MLP: Linear(5→6), ReLU, Linear(6→3), cross-entropy on labels; its
# output, loss and gradients, then five Adam steps (lr 0.01) on the batch.
x, labels = t(4, 5), torch.tensor([0, 2, 1, 2])
w1, b1, w2, b2 = [p.requires_grad_() for p in (t(6, 5), t(6), t(3, 6), t(3))]
start = [flat(p) for p in (w1, b1, w2, b2)]
out = F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)
loss = F.cross_entropy(out, labels)
loss.backward()
mlp = {"x": flat(x), "labels": labels.tolist(), "params": start, "out": flat(out), "loss": loss.item(),
       "grads": [flat(p.grad) for p in (w1, b1, w2, b2)]}
opt = torch.optim.Adam([w1, b1, w2, b2], lr=0.01)
for _ in range(5):
    opt.zero_grad()
    F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), labels).backward()
    opt.step()
mlp["after_adam"] = [flat(p) for p in (w1, b1, w2, b2)]
cases["mlp"] = mlp

# LayerNorm over the last dimension, with weight and bias; the gradients of
# Σ y·r.
x, r = t(4, 6).requires_grad_(), t(4, 6)
w, b = t(6).requires_grad_(), t(6).requires_grad_()
y = F.layer_norm(x, (6,), w, b, 1e-5)
(y * r).sum().backward()
cases["layernorm"] = {"x": flat(x), "r": flat(r), "w": flat(w), "b": flat(b), "y": flat(y),
                      "gx": flat(x.grad), "gw": flat(w.grad), "gb": flat(b.grad)}

# Embedding rows and the weight's gradient of Σ y·r.
wt, idx = t(7, 4).requires_grad_(), torch.tensor([3, 0, 6, 3, 1])
r = t(5, 4)
y = F.embedding(idx, wt)
(y * r).sum().backward()
cases["embedding"] = {"w": flat(wt), "idx": idx.tolist(), "r": flat(r), "y": flat(y), "gw": flat(wt.grad)}

# Losses on [4 3] inputs: the value and the input's gradient.
logits, target01 = t(4, 3), torch.rand(4, 3, dtype=f32)
losses = {}
for name, fn, inp, target in [
    ("mse", lambda a, b: F.mse_loss(a, b), logits, target01),
    ("bce_with_logits", lambda a, b: F.binary_cross_entropy_with_logits(a, b), logits, target01),
    ("bce", lambda a, b: F.binary_cross_entropy(torch.sigmoid(a), b), logits, target01),
    ("cross_entropy_smoothed", lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1), logits, torch.tensor([2, 0, 1, 1])),
    ("nll", lambda a, b: F.nll_loss(F.log_softmax(a, dim=1), b), logits, torch.tensor([2, 0, 1, 1])),
]:
    a = inp.clone().requires_grad_()
    v = fn(a, target)
    v.backward()
    losses[name] = {"target": flat(target.to(f32)), "value": v.item(), "grad": flat(a.grad)}
cases["losses"] = {"input": flat(logits), "cases": losses}

print(json.dumps({"torch": torch.__version__, "cases": cases}))
